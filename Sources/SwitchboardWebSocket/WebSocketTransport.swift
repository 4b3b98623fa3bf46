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
        let handlers: [any ChannelHandler] = [
            WebSocketFrameEncoder(),
            ByteToMessageHandler(WebSocketFrameDecoder(maxFrameSize: maxFrameSize)),
            WebSocketProtocolErrorHandler(),
            NIOWebSocketFrameAggregator(
                minNonFinalFragmentSize: 0,
                maxAccumulatedFrameCount: 10_000,
                maxAccumulatedFrameSize: maxFrameSize
            ),
            WebSocketSessionHandler(
                transportName: descriptor.name, session: session, acknowledged: TransportURL.acknowledged(in: request.uri)),
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
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .text:
            var data = frame.unmaskedData
            let text = data.readString(length: data.readableBytes) ?? ""
            session.receive(payload: text)
        case .binary:
            session.listener.logger.warning("binary WebSocket frame refused (close 1003)", metadata: ["sid": "\(session.sessionId)"])
            closeWith(.unacceptableData, context: context)
        case .ping:
            var payload = frame.unmaskedData
            let pong = WebSocketFrame(fin: true, opcode: .pong, data: payload.readSlice(length: payload.readableBytes) ?? ByteBuffer())
            context.writeAndFlush(wrapOutboundOut(pong), promise: nil)
        case .connectionClose:
            guard !closing else { return context.close(promise: nil) }
            var data = frame.unmaskedData
            closeWith(WebSocketErrorCode(codeNumber: Int(RFC6455.closeReply(to: data.readInteger()))), context: context)
        default:
            break
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if error is NIOWebSocketFrameAggregator.Error {
            session.listener.logger.warning("WebSocket message too large (close 1009): \(error)", metadata: ["sid": "\(session.sessionId)"])
            closeWith(.messageTooLarge, context: context)
        } else {
            context.fireErrorCaught(error)
        }
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
