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
            return codec.clientPayload(
                frames.compactMap { frame in
                    if case .message(let message) = frame { return codec.frame(message) }
                    return nil
                })
        }
    }

    /// The frames of one payload from the server, in order; none, and a problem, when it has a bad frame.
    func decode(_ payload: String) -> DecodedPayload {
        guard !payload.isEmpty else { return DecodedPayload() }
        switch payloadProtocol {
        case .framed: return FramedCodec(maxFrameLength: maxFrameLength).decode(payload)
        case .envelope: return EnvelopeCodec().decodeServerPayload(payload)
        }
    }
}
