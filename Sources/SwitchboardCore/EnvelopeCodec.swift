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
        var result = DecodedPayload()
        for value in values {
            switch value {
            case .string(let text): result.frames.append(.message(.text(text)))
            case .object(let object): result.frames.append(.message(.json(object)))
            default:
                result.warnings.append("array element that is neither string nor object, delivered as text")
                result.frames.append(.message(.text((try? JSONText.encode(value)) ?? "")))
            }
        }
        return result
    }
}
