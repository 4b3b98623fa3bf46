/// The `envelope` codec of Socket.IO 0.1–0.4 (docs/protocol.md §2.2): every write is
/// `{"messages":[...]}`, the first carrying the string `{"sessionid":"<SID>"}`; clients post JSON arrays.
/// It has no heartbeats.
public struct EnvelopeCodec: PayloadCodec {
    public init() {}

    public func frame(_ message: Message) -> String {
        switch message {
        case .text(let text): return (try? JSONText.encode(text)) ?? "\"\""
        case .json(let object): return (try? JSONText.encode(object)) ?? "{}"
        }
    }

    public func handshakeFrame(sessionId: String) -> String {
        let inner = (try? JSONText.encode(["sessionid": sessionId])) ?? "{}"
        return (try? JSONText.encode(inner)) ?? "\"\""
    }

    public func heartbeatFrame(_ n: Int) -> String? { nil }

    public func payload(_ frames: [String]) -> String {
        "{\"messages\":[" + frames.joined(separator: ",") + "]}"
    }

    public func decode(_ payload: String) -> DecodedPayload {
        guard let values = try? JSONText.decode([JSONValue].self, from: payload) else {
            return DecodedPayload(problem: "payload is not a JSON array")
        }
        return Self.messages(values, warning: "array element that is neither string nor object, delivered as text")
    }

    /// Strings are text messages, objects JSON messages; anything else is delivered as its JSON text.
    static func messages(_ values: [JSONValue], warning: String) -> DecodedPayload {
        var result = DecodedPayload()
        for value in values {
            switch value {
            case .string(let text): result.frames.append(.message(.text(text)))
            case .object(let object): result.frames.append(.message(.json(object)))
            default:
                result.warnings.append(warning)
                result.frames.append(.message(.text((try? JSONText.encode(value)) ?? "")))
            }
        }
        return result
    }
}

/// The client's side of the envelope: it reads `{"messages":[...]}` and writes JSON arrays.
extension EnvelopeCodec {
    private struct Envelope: Decodable {
        var messages: [JSONValue]
    }

    /// One payload for the server: the messages' frames as a JSON array.
    public func clientPayload(_ frames: [String]) -> String {
        "[" + frames.joined(separator: ",") + "]"
    }

    /// The messages of a payload from the server, `{"messages":[m1, m2, ...]}`.
    public func decodeServerPayload(_ payload: String) -> DecodedPayload {
        guard let envelope = try? JSONText.decode(Envelope.self, from: payload) else {
            return DecodedPayload(problem: "payload is not a {\"messages\":[...]} envelope")
        }
        return Self.messages(
            envelope.messages, warning: "a message that is neither a string nor an object, delivered as text")
    }

    /// The SID in a session's first message, the string `{"sessionid":"<SID>"}` (``handshakeFrame(sessionId:)``).
    public static func sessionId(inHandshake text: String) -> String? {
        guard let object = try? JSONText.decode([String: JSONValue].self, from: text),
            case .string(let sid)? = object["sessionid"], !sid.isEmpty
        else { return nil }
        return sid
    }
}
