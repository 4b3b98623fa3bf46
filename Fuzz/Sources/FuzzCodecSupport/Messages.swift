import SwitchboardCore

/// JSON values compared as JSON: a number is its value, whether it was read as an integer or a
/// double (`1.0` and `1`, `-0` and `0` are the same number).
public func sameJSON(_ a: JSONValue, _ b: JSONValue) -> Bool {
    switch (a, b) {
    case (.int(let x), .double(let y)), (.double(let y), .int(let x)):
        return Double(x) == y
    case (.double(let x), .double(let y)):
        return x == y || (x.isNaN && y.isNaN)
    case (.array(let x), .array(let y)):
        return x.count == y.count && zip(x, y).allSatisfy(sameJSON)
    case (.object(let x), .object(let y)):
        return sameObject(x, y)
    default:
        return a == b
    }
}

public func sameObject(_ x: [String: JSONValue], _ y: [String: JSONValue]) -> Bool {
    x.count == y.count && x.allSatisfy { key, value in y[key].map { sameJSON(value, $0) } ?? false }
}

/// Messages compared as the application sees them (JSON objects as JSON).
public func sameMessage(_ a: Message, _ b: Message) -> Bool {
    switch (a, b) {
    case (.text(let x), .text(let y)): return x == y
    case (.json(let x), .json(let y)): return sameObject(x, y)
    default: return false
    }
}

public func sameFrames(_ a: [InboundFrame], _ b: [InboundFrame]) -> Bool {
    a.count == b.count
        && zip(a, b).allSatisfy { x, y in
            switch (x, y) {
            case (.heartbeat(let m), .heartbeat(let n)), (.acknowledge(let m), .acknowledge(let n)), (.base(let m), .base(let n)):
                return m == n
            case (.message(let m), .message(let n)): return sameMessage(m, n)
            default: return false
            }
        }
}

/// The message of a decoded frame (nil for a heartbeat).
public func message(_ frame: InboundFrame) -> Message? {
    if case .message(let message) = frame { return message }
    return nil
}

/// Messages made from an input: its text cut at U+0001, each piece a text message, and each piece
/// that reads as a JSON object (through `codec`) a JSON message too.
public func messages(from text: String, jsonThrough codec: FramedCodec) -> [Message] {
    var result: [Message] = []
    for piece in text.split(separator: "\u{1}", omittingEmptySubsequences: false) {
        result.append(.text(String(piece)))
        if piece.first == "{", case .message(.json(let object))? = codec.decode(codec.frame(.text("~j~" + piece))).frames.first,
            !object.isEmpty
        {
            result.append(.json(object))
        }
    }
    return result
}
