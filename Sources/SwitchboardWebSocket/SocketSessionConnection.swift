import NIOCore
import SwitchboardCore
import SwitchboardWire

/// A channel handler that carries a session over a full-duplex socket. The session calls it on
/// the session's loop; this hops to the channel's loop and writes frames there, flushed once at
/// the end of the loop's tick (``TickFlusher``).
protocol SocketSessionConnection: SessionConnection, TickFlushed, AnyObject {
    /// The handler's context while it is in the pipeline; touched on the channel's loop only.
    var context: ChannelHandlerContext? { get set }
    /// The session this socket carries.
    var session: any SessionHandle { get }
    /// The socket's id in the session, once attached.
    var connectionID: ConnectionID? { get }
    /// The channel's loop, set when the handler is added.
    var eventLoop: (any EventLoop)? { get }
    /// Whether a close has begun (nothing more is written).
    var closing: Bool { get }
    /// Writes one payload as one frame, without flushing it.
    func writeFrame(_ payload: String, context: ChannelHandlerContext)
    /// Writes the payload of a frame encoded once for many sessions, without flushing it.
    func writeFrame(shared frame: SharedFrame, context: ChannelHandlerContext)
    /// Who flushes the socket, and whether a flush is already asked for this tick.
    var flushing: FlushState { get set }
    /// Starts the close handshake, for `reason`.
    func closeSocket(context: ChannelHandlerContext, reason: SocketCloseReason)
    /// Fails the connection because of a payload the session refused (why is `reason`).
    func refusePayload(_ reason: String, context: ChannelHandlerContext)
}

extension SocketSessionConnection where Self: ChannelInboundHandler {
    /// Tells the session when the socket stops or starts taking writes (bounded buffers, docs/protocol.md §5).
    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if let connectionID { session.writabilityChanged(connectionID, isWritable: context.channel.isWritable) }
        context.fireChannelWritabilityChanged()
    }

    /// The socket is gone: the session detaches it (and starts its grace, §5).
    func channelInactive(context: ChannelHandlerContext) {
        if let connectionID { session.detach(connectionID) }
        self.context = nil
        context.fireChannelInactive()
    }
}

/// Who flushes a socket (its loop's ``TickFlusher``, set when the handler is added), and whether
/// it has asked for this tick.
struct FlushState {
    var flusher: TickFlusher?
    var requested = false
}

extension SocketSessionConnection {
    private func onChannelLoop(_ body: @escaping @Sendable (Self, ChannelHandlerContext) -> Void) {
        eventLoop?.runOnLoop { [self] in
            if let context { body(self, context) }
        }
    }

    func write(_ payload: OutboundPayload) {
        guard let eventLoop else { return }
        // On the channel's loop (the session's, usually) without a closure: a broadcast writes here
        // once per receiver.
        if eventLoop.inEventLoop {
            writeOnLoop(payload)
        } else {
            eventLoop.execute { [self] in writeOnLoop(payload) }
        }
    }

    private func writeOnLoop(_ payload: OutboundPayload) {
        guard let context, !closing else { return }
        switch payload.body {
        case .text(let text): writeFrame(text, context: context)
        case .shared(let frame): writeFrame(shared: frame, context: context)
        }
        flushAtEndOfTick()
    }

    /// Flushes the socket at the end of this tick, with every other frame written to it meanwhile.
    private func flushAtEndOfTick() {
        guard !flushing.requested else { return }
        guard let flusher = flushing.flusher else { return flushNow() }
        flushing.requested = true
        flusher.flushAtEndOfTick(self)
    }

    func flushNow() {
        flushing.requested = false
        context?.flush()
    }

    func complete(_ payload: OutboundPayload) {
        write(payload)
    }

    func close() {
        onChannelLoop { handler, context in handler.closeSocket(context: context, reason: .normal) }
    }

    func reject() {
        onChannelLoop { handler, context in handler.closeSocket(context: context, reason: .sessionOver) }
    }

    func closeGoingAway() {
        onChannelLoop { handler, context in handler.closeSocket(context: context, reason: .goingAway) }
    }

    /// Hands a payload from the client to `session`. One refused whole, because it does not
    /// decode (docs/protocol.md §2.1) or the session cannot take it (§11.2), fails the connection.
    func receive(_ payload: String, session: any SessionHandle, context: ChannelHandlerContext) {
        let decoded = session.receive(payload: payload) { [self] verdict in
            let reason: String
            switch verdict {
            case .taken: return
            case .refused(let why): reason = "payload refused: \(why)"
            case .unknownSession: reason = "the session is over"
            }
            onChannelLoop { handler, context in handler.refusePayload(reason, context: context) }
        }
        if let problem = decoded.problem { refusePayload("bad payload: \(problem)", context: context) }
    }
}

/// Why the server closes a socket: the session ended it (1000), the session was over before the
/// socket came (1008), or the server is shutting down (1001).
enum SocketCloseReason {
    case normal, sessionOver, goingAway

    /// The RFC 6455 close code (docs/protocol.md §9.3).
    var code: UInt16 {
        switch self {
        case .normal: return RFC6455.normalClosure
        case .sessionOver: return RFC6455.policyViolation
        case .goingAway: return RFC6455.goingAway
        }
    }
}
