import Foundation
import SwitchboardCore

/// The client's side of a codec (docs/protocol.md §2): payloads from the server become frames, frames
/// to the server become one payload. Message framing is SwitchboardCore's; what is particular to
/// the client is the direction: the envelope arrives as `{"messages":[...]}` and leaves as a JSON
/// array, and heartbeats are echoed rather than sent.
struct ClientCodec: Sendable {
    let payloadProtocol: PayloadProtocol
    let maxFrameLength: Int

    init(_ payloadProtocol: PayloadProtocol, maxFrameLength: Int) {
        self.payloadProtocol = payloadProtocol
        self.maxFrameLength = maxFrameLength
    }

    /// One payload for the server.
    func encode(_ frames: [OutgoingFrame]) -> String {
        switch payloadProtocol {
        case .framed:
            let codec = FramedCodec(maxFrameLength: maxFrameLength)
            return codec.payload(
                frames.compactMap { frame in
                    switch frame {
                    case .message(let message): return codec.frame(message)
                    case .heartbeat(let n): return codec.heartbeatFrame(n)
                    }
                })
        case .envelope:
            // The envelope has no heartbeats (the server sends none).
            let codec = EnvelopeCodec()
            let messages = frames.compactMap { frame -> String? in
                if case .message(let message) = frame { return codec.frame(message) }
                return nil
            }
            return "[" + messages.joined(separator: ",") + "]"
        }
    }

    /// The frames of one payload from the server, in order; frames before a bad one are kept.
    func decode(_ payload: String) -> DecodedPayload {
        guard !payload.isEmpty else { return DecodedPayload() }
        switch payloadProtocol {
        case .framed:
            return FramedCodec(maxFrameLength: maxFrameLength).decode(payload)
        case .envelope:
            return Self.decodeEnvelope(payload)
        }
    }

    private struct Envelope: Decodable {
        var messages: [JSONValue]
    }

    /// `{"messages":[m1, m2, ...]}`: strings are text messages, objects JSON messages.
    static func decodeEnvelope(_ payload: String) -> DecodedPayload {
        guard let envelope = try? JSONDecoder().decode(Envelope.self, from: Data(payload.utf8)) else {
            return DecodedPayload(problem: "payload is not a {\"messages\":[...]} envelope")
        }
        var result = DecodedPayload()
        for value in envelope.messages {
            switch value {
            case .string(let text): result.frames.append(.message(.text(text)))
            case .object(let object): result.frames.append(.message(.json(object)))
            default:
                result.warnings.append("a message that is neither a string nor an object, delivered as text")
                let text = (try? JSONEncoder().encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? ""
                result.frames.append(.message(.text(text)))
            }
        }
        return result
    }

    /// The SID in the envelope's first message, the string `{"sessionid":"<SID>"}`.
    static func envelopeSessionId(_ text: String) -> String? {
        guard let object = try? JSONDecoder().decode([String: JSONValue].self, from: Data(text.utf8)),
            case .string(let sid)? = object["sessionid"], !sid.isEmpty
        else { return nil }
        return sid
    }
}
