/// The `framed` codec of Socket.IO 0.5–0.6 (docs/protocol.md §2.1): `~m~<L>~m~<s>` per message,
/// L counted in UTF-16 code units; `~j~` marks JSON objects and `~h~` heartbeats.
public struct FramedCodec: PayloadCodec {
    /// Frames longer than this (in UTF-16 units) are bad frames.
    public var maxFrameLength: Int

    public init(maxFrameLength: Int = 1_000_000) {
        self.maxFrameLength = maxFrameLength
    }

    static let marker = "~m~"
    static let jsonMarker = "~j~"
    static let heartbeatMarker = "~h~"

    public func frame(_ message: Message) -> String {
        switch message {
        case .text(let text):
            return Self.frame(text: text)
        case .json(let object):
            return Self.frame(text: Self.jsonMarker + ((try? JSONText.encode(object)) ?? "{}"))
        }
    }

    public func handshakeFrame(sessionId: String) -> String {
        Self.frame(text: sessionId)
    }

    public func heartbeatFrame(_ n: Int) -> String? {
        Self.frame(text: Self.heartbeatMarker + String(n))
    }

    public func payload(_ frames: [String]) -> String {
        frames.joined()
    }

    /// `~m~<L>~m~<text>`.
    public static func frame(text: String) -> String {
        marker + String(text.utf16.count) + marker + text
    }

    public func decode(_ payload: String) -> DecodedPayload {
        let (texts, problem) = Self.splitFrames(payload, maxFrameLength: maxFrameLength)
        var result = DecodedPayload(problem: problem)
        for text in texts {
            result.frames.append(Self.interpret(text, warnings: &result.warnings))
        }
        return result
    }

    /// Splits a payload into the texts of its frames; stops at the first bad frame and says why.
    public static func splitFrames(_ payload: String, maxFrameLength: Int) -> ([String], String?) {
        let units = payload.utf16
        let markerUnits = Array(marker.utf16)
        var texts: [String] = []
        var index = units.startIndex

        func skipMarker() -> Bool {
            var cursor = index
            for unit in markerUnits {
                guard cursor < units.endIndex, units[cursor] == unit else { return false }
                cursor = units.index(after: cursor)
            }
            index = cursor
            return true
        }

        while index < units.endIndex {
            guard skipMarker() else {
                return (texts, texts.isEmpty ? "payload does not start with ~m~" : nil)
            }
            var length = 0
            var digits = 0
            while index < units.endIndex, let digit = decimalDigit(units[index]) {
                length = length * 10 + digit
                digits += 1
                index = units.index(after: index)
                if length > maxFrameLength { return (texts, "frame length above \(maxFrameLength)") }
            }
            guard digits > 0 else { return (texts, "frame length is not a number") }
            guard skipMarker() else { return (texts, "frame length not followed by ~m~") }
            guard let end = units.index(index, offsetBy: length, limitedBy: units.endIndex) else {
                return (texts, "frame length \(length) runs past the end of the payload")
            }
            guard let start = index.samePosition(in: payload.unicodeScalars),
                let stop = end.samePosition(in: payload.unicodeScalars)
            else {
                return (texts, "frame length splits a surrogate pair")
            }
            texts.append(String(payload.unicodeScalars[start..<stop]))
            index = end
        }
        return (texts, nil)
    }

    /// What one frame's text means on the server side.
    static func interpret(_ text: String, warnings: inout [String]) -> InboundFrame {
        if text.hasPrefix(heartbeatMarker), let n = Int(text.dropFirst(heartbeatMarker.count)) {
            return .heartbeat(n)
        }
        if text.hasPrefix(jsonMarker) {
            let json = String(text.dropFirst(jsonMarker.count))
            if let object = try? JSONText.decode([String: JSONValue].self, from: json) {
                return .message(.json(object))
            }
            warnings.append("invalid JSON in ~j~ frame, delivered as {}")
            return .message(.json([:]))
        }
        return .message(.text(text))
    }

    private static func decimalDigit(_ unit: UTF16.CodeUnit) -> Int? {
        (0x30...0x39).contains(unit) ? Int(unit - 0x30) : nil
    }
}
