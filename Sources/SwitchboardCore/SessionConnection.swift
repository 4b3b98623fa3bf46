import NIOCore

/// One transport connection carrying a session: a WebSocket, a stream, or a held poll.
///
/// The session calls these on its own event loop; implementations hop to their channel's loop.
public protocol SessionConnection: AnyObject, Sendable {
    /// The transport this connection belongs to, e.g. `websocket`.
    var transportName: String { get }
    /// Writes one payload (persistent connections). `sequence` counts the session's payloads from 1.
    func write(payload: String, sequence: Int)
    /// Answers the poll with one payload, possibly empty, and ends the response (poll connections).
    func complete(payload: String, sequence: Int)
    /// Closes the connection (a poll is answered empty first).
    func close()
    /// Refuses the connection because its session is over (a poll gets 404).
    func reject()
    /// Writes one payload that carries exactly one broadcast frame (persistent connections). By
    /// default the same as ``write(payload:sequence:)`` with the frame's text; a socket writes the
    /// shared bytes as they are, so a broadcast encodes once for every session.
    func write(shared frame: SharedFrame, sequence: Int)
}

extension SessionConnection {
    public func write(shared frame: SharedFrame, sequence: Int) {
        write(payload: frame.payloadText, sequence: sequence)
    }
}

/// One message encoded once for many sessions: the codec's frame, and the payload of a write
/// that carries it alone, as text and as bytes.
public final class SharedFrame: Sendable, Hashable {
    /// The frame, as queued when the session is not open.
    public let text: String
    /// The payload of a write that carries only this frame (`codec.payload([text])`).
    public let payloadText: String
    /// `payloadText` as UTF-8 bytes, shared by every write of it.
    public let payloadBytes: ByteBuffer

    public init(message: Message, codec: any PayloadCodec) {
        self.text = codec.frame(message)
        self.payloadText = codec.payload([text])
        self.payloadBytes = ByteBuffer(string: payloadText)
    }

    public static func == (lhs: SharedFrame, rhs: SharedFrame) -> Bool { lhs === rhs }
    public func hash(into hasher: inout Hasher) { hasher.combine(ObjectIdentifier(self)) }
}
