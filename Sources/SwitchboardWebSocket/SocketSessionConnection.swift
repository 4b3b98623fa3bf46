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
        eventLoop?.runOnLoop { [self] in
            if let context { body(self, context) }
        }
    }

    func write(_ payload: OutboundPayload) {
        onChannelLoop { handler, context in
            guard !handler.closing else { return }
            switch payload.body {
            case .text(let text): handler.writeFrame(text, context: context)
            case .shared(let frame): handler.writeFrame(bytes: frame.payloadBytes, context: context)
            }
        }
    }

    func complete(_ payload: OutboundPayload) {
        write(payload)
    }

    func close() {
        onChannelLoop { handler, context in handler.closeSocket(context: context, rejected: false) }
    }

    func reject() {
        onChannelLoop { handler, context in handler.closeSocket(context: context, rejected: true) }
    }
}
