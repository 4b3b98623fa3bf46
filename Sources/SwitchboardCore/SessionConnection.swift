import NIOCore

/// One transport connection carrying a session: a WebSocket, a stream, or a held poll.
///
/// The session calls these on its own event loop, in the order its machine decided; a connection
/// whose channel lives on another loop hops there with ``NIOCore/EventLoop/runOnLoop(_:)``.
public protocol SessionConnection: AnyObject, Sendable {
    /// The transport this connection belongs to, e.g. `websocket`.
    var transportName: String { get }
    /// Writes one payload (persistent connections). A payload that carries one broadcast frame
    /// has shared bytes (``OutboundPayload/Body/shared(_:)``): a socket writes them as they are.
    func write(_ payload: OutboundPayload)
    /// Answers the poll with one payload, possibly empty, and ends the response (poll connections).
    func complete(_ payload: OutboundPayload)
    /// Closes the connection (a poll is answered empty first).
    func close()
    /// Refuses the connection because its session is over (a poll gets 404).
    func reject()
    /// The session took the connection: called once, before any write (a stream then writes its
    /// response head). Nothing by default.
    func accepted()
    /// Closes the connection because the server is shutting down: a WebSocket closes with 1001
    /// (going away); anything else as ``close()`` (the default).
    func closeGoingAway()
}

extension SessionConnection {
    public func accepted() {}
    public func closeGoingAway() { close() }

    /// ``closeGoingAway()`` when `goingAway`, else ``close()``.
    public func close(goingAway: Bool) {
        if goingAway { closeGoingAway() } else { close() }
    }
}

extension EventLoop {
    /// The one rule for reaching a session's or a channel's loop: on the loop, `body` runs at
    /// once (so a payload is written in the same tick it was sent); from anywhere else it is
    /// enqueued, and runs on the loop in the order it was enqueued.
    @inlinable
    public func runOnLoop(_ body: @escaping @Sendable () -> Void) {
        if inEventLoop { body() } else { execute(body) }
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
    /// `payloadBytes` in an RFC 6455 text frame, as every WebSocket writes it.
    public let webSocketFrame: ByteBuffer

    public init(message: Message, codec: any PayloadCodec) {
        self.text = codec.frame(message)
        self.payloadText = codec.payload([text])
        self.payloadBytes = ByteBuffer(string: payloadText)
        self.webSocketFrame = RFC6455Frames.serverFrame(.text, payload: payloadBytes)
    }

    public static func == (lhs: SharedFrame, rhs: SharedFrame) -> Bool { lhs === rhs }
    public func hash(into hasher: inout Hasher) { hasher.combine(ObjectIdentifier(self)) }
}

extension ChannelHandlerContext {
    /// Writes a connection's last bytes (a close frame, the end of a chunked body) and closes the
    /// channel once they are out; at once when the peer has stopped reading (the channel's
    /// unflushed bytes are above their high-water mark), since they would never go out then.
    public func writeLastAndClose(_ data: NIOAny) {
        guard channel.isWritable else {
            close(promise: nil)
            return
        }
        writeAndFlush(data).whenComplete { [channel] _ in channel.close(promise: nil) }
    }
}
