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
        return Self.messages(values)
    }

    /// Strings are text messages, objects JSON messages; any other value (a number, `true`, `null`,
    /// an array) makes the whole payload bad (docs/protocol.md §2.2).
    static func messages(_ values: [JSONValue]) -> DecodedPayload {
        var frames: [InboundFrame] = []
        for value in values {
            switch value {
            case .string(let text): frames.append(.message(.text(text)))
            case .object(let object): frames.append(.message(.json(object)))
            default: return DecodedPayload(problem: "a message that is neither a string nor an object")
            }
        }
        return DecodedPayload(frames: frames)
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
        return Self.messages(envelope.messages)
    }

    /// The SID in a session's first message, the string `{"sessionid":"<SID>"}` (``handshakeFrame(sessionId:)``).
    public static func sessionId(inHandshake text: String) -> String? {
        guard let object = try? JSONText.decode([String: JSONValue].self, from: text),
            case .string(let sid)? = object["sessionid"], !sid.isEmpty
        else { return nil }
        return sid
    }
}
