/// A frame from a client, after decoding.
public enum InboundFrame: Sendable, Hashable {
    case message(Message)
    /// The echo of a heartbeat, carrying its number.
    case heartbeat(Int)
    /// `~a~<n>`: the peer has received n of our messages (acknowledged delivery, docs/protocol.md §11).
    case acknowledge(Int)
    /// `~b~<n>`: the messages that follow in this payload are numbered from n + 1 (§11).
    case base(Int)
}

/// What a payload from a client decoded to. A payload with a bad frame is refused whole: it has a
/// problem and no frames, so nothing of it is delivered (docs/protocol.md §2.1, §2.2).
public struct DecodedPayload: Sendable, Hashable {
    /// The frames of a valid payload, in order; empty when there is a problem.
    public var frames: [InboundFrame]
    /// Why the payload is bad, or nil when it is valid.
    public var problem: String?
    /// Warnings to log about a payload that was delivered all the same. No codec repairs a value
    /// any more (a bad `~j~` is a bad frame), so none is given today.
    public var warnings: [String]

    public init(frames: [InboundFrame] = [], problem: String? = nil, warnings: [String] = []) {
        self.frames = frames
        self.problem = problem
        self.warnings = warnings
    }
}

/// A wire codec (docs/protocol.md §2): how messages become one payload and back.
///
/// Frames are encoded one message at a time so a broadcast encodes once and shares the text;
/// ``payload(_:)`` joins the frames of one write.
public protocol PayloadCodec: Sendable {
    /// The frame that carries one application message.
    func frame(_ message: Message) -> String
    /// The frame that tells a new session its id; always the first frame a session sends.
    func handshakeFrame(sessionId: String) -> String
    /// The heartbeat frame number `n`, or nil when this codec has no heartbeats.
    func heartbeatFrame(_ n: Int) -> String?
    /// Joins frames into the text of one write.
    func payload(_ frames: [String]) -> String
    /// Decodes a payload sent by a client: all of its frames, or none and a problem.
    func decode(_ payload: String) -> DecodedPayload
    /// Decodes a payload of a session in acknowledged mode (docs/protocol.md §11), in which `~a~`
    /// and `~b~` are control frames; nil when this codec has no such mode.
    func decodeAcknowledged(_ payload: String) -> DecodedPayload?
    /// The frame `~a~<n>`, or nil when this codec has no acknowledged mode.
    func acknowledgeFrame(_ n: Int) -> String?
    /// The frame `~b~<n>`, or nil when this codec has no acknowledged mode.
    func baseFrame(_ n: Int) -> String?
}

extension PayloadCodec {
    public func decodeAcknowledged(_ payload: String) -> DecodedPayload? { nil }
    public func acknowledgeFrame(_ n: Int) -> String? { nil }
    public func baseFrame(_ n: Int) -> String? { nil }
}

/// The codec a listener option names.
extension PayloadProtocol {
    /// The codec for this protocol, with `maxFrameLength` as the longest frame a client may send.
    public func codec(maxFrameLength: Int) -> any PayloadCodec {
        switch self {
        case .framed: return FramedCodec(maxFrameLength: maxFrameLength)
        case .envelope: return EnvelopeCodec()
        }
    }
}
