import NIOCore
import SwitchboardCore

/// A channel handler that carries a session over a full-duplex socket. The session calls it on
/// the session's loop; this hops to the channel's loop and writes frames there.
protocol SocketSessionConnection: SessionConnection, AnyObject {
    /// The handler's context while it is in the pipeline; touched on the channel's loop only.
    var context: ChannelHandlerContext? { get }
    /// The channel's loop, set when the handler is added.
    var eventLoop: (any EventLoop)? { get }
    /// Whether a close has begun (nothing more is written).
    var closing: Bool { get }
    /// Writes one payload as one frame.
    func writeFrame(_ payload: String, context: ChannelHandlerContext)
    /// Writes one payload, already UTF-8 bytes, as one frame.
    func writeFrame(bytes payload: ByteBuffer, context: ChannelHandlerContext)
    /// Starts the close handshake; `rejected` when the session was over before the socket came.
    func closeSocket(context: ChannelHandlerContext, rejected: Bool)
}

extension SocketSessionConnection {
    private func onChannelLoop(_ body: @escaping @Sendable (Self, ChannelHandlerContext) -> Void) {
        guard let eventLoop else { return }
        let work: @Sendable () -> Void = { [self] in
            if let context { body(self, context) }
        }
        if eventLoop.inEventLoop { work() } else { eventLoop.execute(work) }
    }

    func write(payload: String, sequence: Int) {
        onChannelLoop { handler, context in
            if !handler.closing { handler.writeFrame(payload, context: context) }
        }
    }

    func write(shared frame: SharedFrame, sequence: Int) {
        let bytes = frame.payloadBytes
        onChannelLoop { handler, context in
            if !handler.closing { handler.writeFrame(bytes: bytes, context: context) }
        }
    }

    func complete(payload: String, sequence: Int) {
        write(payload: payload, sequence: sequence)
    }

    func close() {
        onChannelLoop { handler, context in handler.closeSocket(context: context, rejected: false) }
    }

    func reject() {
        onChannelLoop { handler, context in handler.closeSocket(context: context, rejected: true) }
    }
}
