import Logging
import NIOCore
import NIOHTTP1
import NIOWebSocket
import SwitchboardCore
import SwitchboardWire

/// The `websocket` transport (RFC 6455): one payload per text frame, resumed by `/websocket/<SID>`.
public struct WebSocketTransport: UpgradeTransport {
    public let descriptor: TransportDescriptor

    public init(descriptor: TransportDescriptor) {
        self.descriptor = descriptor
    }

    public func configure(
        channel: any Channel, request: HTTPRequestHead, session: Client, maxFrameSize: Int,
        position: ChannelPipeline.SynchronousOperations.Position
    ) throws {
        // Frames from the client are checked strictly (docs/protocol.md §9.3): every refusal
        // reaches the session handler as an error, which fails the connection with its code.
        let handlers: [any ChannelHandler] =
            [WebSocketFrameEncoder()]
            + RFC6455Frames.inboundHandlers(maxMessageSize: maxFrameSize, sender: .client)
            + [
                WebSocketSessionHandler(
                    transportName: descriptor.name, session: session, acknowledged: TransportURL.acknowledged(in: request.uri))
            ]
        // One at a time, in order: the session handler writes the handshake as soon as it is added,
        // so everything before it must be in place.
        var position = position
        for handler in handlers {
            try channel.pipeline.syncOperations.addHandler(handler, position: position)
            position = .after(handler)
        }
    }
}

/// Carries one session over a WebSocket: text frames in and out, ping/pong, close handshake.
final class WebSocketSessionHandler: ChannelInboundHandler, SocketSessionConnection, @unchecked Sendable {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    let transportName: String
    private let session: Client
    private(set) var context: ChannelHandlerContext?
    private(set) var eventLoop: (any EventLoop)?
    private(set) var closing = false
    /// Whether the connection failed (a bad frame or message); nothing more is read.
    private var failed = false
    private(set) var connectionID: ConnectionID?
    private let acknowledged: Int?

    /// - Parameter acknowledged: the `ack=<n>` of the upgrade request (docs/protocol.md §11).
    init(transportName: String, session: Client, acknowledged: Int? = nil) {
        self.acknowledged = acknowledged
        self.transportName = transportName
        self.session = session
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        self.eventLoop = context.eventLoop
        connectionID = session.attach(self, style: .persistent, acknowledged: acknowledged)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if let connectionID { session.writabilityChanged(connectionID, isWritable: context.channel.isWritable) }
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        if let connectionID { session.detach(connectionID) }
        self.context = nil
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !failed else { return }
        switch RFC6455Frames.message(of: unwrapInboundIn(data)) {
        case .failure(let failure):
            fail(failure, context: context)
        case .success(.text(let text)):
            // A payload that does not decode is refused whole, like text that is not UTF-8.
            if let problem = session.receive(payload: text).problem {
                fail(RFC6455.Failure(RFC6455.invalidPayloadData, "bad payload: \(problem)"), context: context)
            }
        case .success(.binary):
            fail(RFC6455.Failure(RFC6455.unsupportedData, "binary message"), context: context)
        case .success(.ping(let payload)):
            context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .pong, data: payload)), promise: nil)
        case .success(.pong):
            break
        case .success(.close(let code)):
            guard !closing else { return context.close(promise: nil) }
            closeWith(WebSocketErrorCode(codeNumber: Int(RFC6455.closeReply(to: code))), context: context)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let failure = RFC6455Frames.failure(for: error) {
            fail(failure, context: context)
        } else {
            context.fireErrorCaught(error)
        }
    }

    /// Fails the WebSocket connection (RFC 6455 §7.1.7): logs why, sends a close frame with the
    /// failure's code and closes; nothing the client sends after it is read.
    private func fail(_ failure: RFC6455.Failure, context: ChannelHandlerContext) {
        guard !failed else { return }
        failed = true
        session.listener.logger.warning("WebSocket connection failed: \(failure)", metadata: ["sid": "\(session.sessionId)"])
        closeWith(WebSocketErrorCode(codeNumber: Int(failure.code)), context: context)
    }

    /// Sends a close frame with `code` and closes the connection once it is written.
    private func closeWith(_ code: WebSocketErrorCode, context: ChannelHandlerContext) {
        guard !closing else { return }
        closing = true
        var data = context.channel.allocator.buffer(capacity: 2)
        data.write(webSocketErrorCode: code)
        context.writeLastAndClose(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .connectionClose, data: data)))
    }

    // MARK: SocketSessionConnection

    func writeFrame(_ payload: String, context: ChannelHandlerContext) {
        writeFrame(bytes: context.channel.allocator.buffer(string: payload), context: context)
    }

    func writeFrame(bytes payload: ByteBuffer, context: ChannelHandlerContext) {
        context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .text, data: payload)), promise: nil)
    }

    func closeSocket(context: ChannelHandlerContext, rejected: Bool) {
        closeWith(rejected ? .policyViolation : .normalClosure, context: context)
    }
}
