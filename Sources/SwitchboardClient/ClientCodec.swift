import SwitchboardCore

/// The client's side of a codec (docs/protocol.md §2): payloads from the server become frames, frames
/// to the server become one payload. Message framing is SwitchboardCore's; what is particular to
/// the client is the direction: the envelope arrives as `{"messages":[...]}` and leaves as a JSON
/// array, and heartbeats are echoed rather than sent.
struct ClientCodec: Sendable {
    let payloadProtocol: PayloadProtocol
    let maxFrameLength: Int
    /// Whether `~a~` and `~b~` are control frames (acknowledged delivery, docs/protocol.md §11).
    let acknowledged: Bool

    init(_ payloadProtocol: PayloadProtocol, maxFrameLength: Int, acknowledged: Bool = false) {
        self.payloadProtocol = payloadProtocol
        self.maxFrameLength = maxFrameLength
        self.acknowledged = acknowledged
    }

    /// One payload for the server.
    func encode(_ frames: [OutgoingFrame]) -> String {
        switch payloadProtocol {
        case .framed:
            let codec = FramedCodec(maxFrameLength: maxFrameLength)
            return codec.payload(
                frames.compactMap { frame in
                    switch frame {
                    case .message(let message), .numbered(_, let message): return codec.frame(message)
                    case .heartbeat(let n): return codec.heartbeatFrame(n)
                    case .acknowledge(let n): return codec.acknowledgeFrame(n)
                    case .base(let n): return codec.baseFrame(n)
                    }
                })
        case .envelope:
            // The envelope has no heartbeats (the server sends none).
            let codec = EnvelopeCodec()
            return codec.clientPayload(
                frames.compactMap { frame in
                    switch frame {
                    case .message(let message), .numbered(_, let message): return codec.frame(message)
                    case .heartbeat, .acknowledge, .base: return nil
                    }
                })
        }
    }

    /// The frames of one payload from the server, in order; none, and a problem, when it has a bad frame.
    func decode(_ payload: String) -> DecodedPayload {
        guard !payload.isEmpty else { return DecodedPayload() }
        switch payloadProtocol {
        case .framed:
            let codec = FramedCodec(maxFrameLength: maxFrameLength)
            return acknowledged ? codec.decodeAcknowledged(payload) ?? codec.decode(payload) : codec.decode(payload)
        case .envelope: return EnvelopeCodec().decodeServerPayload(payload)
        }
    }
}
