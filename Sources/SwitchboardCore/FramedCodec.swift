import SwitchboardWire

/// The `framed` codec of Socket.IO 0.5–0.6 (docs/protocol.md §2.1): `~m~<L>~m~<s>` per message,
/// L counted in UTF-16 code units; `~j~` marks JSON objects and `~h~` heartbeats. The framing is
/// SwitchboardWire's ``Framed``; this codec adds messages and JSON.
public struct FramedCodec: PayloadCodec {
    /// Frames longer than this (in UTF-16 units) are bad frames.
    public var maxFrameLength: Int

    public init(maxFrameLength: Int = 1_000_000) {
        self.maxFrameLength = maxFrameLength
    }

    public func frame(_ message: Message) -> String {
        switch message {
        case .text(let text):
            return Framed.frame(text)
        case .json(let object):
            return Framed.frame(Framed.jsonMarker + ((try? JSONText.encode(object)) ?? "{}"))
        }
    }

    public func handshakeFrame(sessionId: String) -> String {
        Framed.frame(sessionId)
    }

    public func heartbeatFrame(_ n: Int) -> String? {
        Framed.frame(Framed.heartbeat(n))
    }

    public func payload(_ frames: [String]) -> String {
        frames.joined()
    }

    public func decode(_ payload: String) -> DecodedPayload {
        decode(payload, acknowledged: false)
    }

    public func decodeAcknowledged(_ payload: String) -> DecodedPayload? {
        decode(payload, acknowledged: true)
    }

    public func acknowledgeFrame(_ n: Int) -> String? {
        Framed.frame(Framed.acknowledge(n))
    }

    public func baseFrame(_ n: Int) -> String? {
        Framed.frame(Framed.base(n))
    }

    private func decode(_ payload: String, acknowledged: Bool) -> DecodedPayload {
        let (texts, problem) = Framed.split(payload, maxFrameLength: maxFrameLength)
        if let problem { return DecodedPayload(problem: problem) }
        var frames: [InboundFrame] = []
        frames.reserveCapacity(texts.count)
        for text in texts {
            switch Self.interpret(text, acknowledged: acknowledged) {
            case .success(let frame): frames.append(frame)
            case .failure(let problem): return DecodedPayload(problem: problem.description)
            }
        }
        return DecodedPayload(frames: frames)
    }

    /// What one frame's text means (the same on both sides). `~j~` must carry a JSON object: any
    /// other text after it makes the frame bad (docs/protocol.md §2.1). `~a~` and `~b~` are control
    /// frames only in acknowledged mode (docs/protocol.md §11), text messages otherwise.
    static func interpret(_ text: String, acknowledged: Bool = false) -> Result<InboundFrame, BadFrame> {
        // Every marker starts with `~`: most texts are plain messages, told by their first byte.
        guard text.utf8.first == UInt8(ascii: "~") else { return .success(.message(.text(text))) }
        if let n = Framed.heartbeatNumber(in: text) {
            return .success(.heartbeat(n))
        }
        if acknowledged, let n = Framed.acknowledgedCount(in: text) {
            return .success(.acknowledge(n))
        }
        if acknowledged, let n = Framed.baseNumber(in: text) {
            return .success(.base(n))
        }
        if let json = Framed.jsonText(in: text) {
            guard let object = try? JSONText.decode([String: JSONValue].self, from: String(json)) else {
                return .failure(BadFrame("~j~ frame whose text is not a JSON object"))
            }
            return .success(.message(.json(object)))
        }
        return .success(.message(.text(text)))
    }
}

/// Why a decoded frame is bad, though its framing was valid.
struct BadFrame: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
