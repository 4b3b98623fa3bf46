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
        channel: any Channel, request: HTTPRequestHead, session: any SessionHandle, maxFrameSize: Int,
        position: ChannelPipeline.SynchronousOperations.Position
    ) throws {
        // One handler after the upgrade: it reads the client's frames strictly (docs/protocol.md
        // §9.3, every refusal fails the connection with its code) and encodes its own.
        try channel.pipeline.syncOperations.addHandler(
            WebSocketSessionHandler(
                transportName: descriptor.name, session: session, maxMessageSize: maxFrameSize,
                acknowledged: TransportURL.acknowledged(in: request.uri)),
            position: position)
    }
}

/// Carries one session over a WebSocket: text frames in and out, ping/pong, close handshake.
final class WebSocketSessionHandler: ChannelInboundHandler, SocketSessionConnection, @unchecked Sendable {
    /// The connection's bytes, read into messages here (``RFC6455MessageReader``).
    typealias InboundIn = ByteBuffer
    /// Whole frames, encoded here (``RFC6455Frames/serverFrame(_:payload:allocator:)``).
    typealias OutboundOut = ByteBuffer

    let transportName: String
    let session: any SessionHandle
    var context: ChannelHandlerContext?
    private(set) var eventLoop: (any EventLoop)?
    /// The client's frames, checked and reassembled.
    private var reader: RFC6455MessageReader
    /// The frame rules and the closing handshake.
    private var endpoint = RFC6455Endpoint()
    var closing: Bool { endpoint.closing }
    private(set) var connectionID: ConnectionID?
    private let acknowledged: Int?
    var flushing = FlushState()

    /// - Parameter acknowledged: the `ack=<n>` of the upgrade request (docs/protocol.md §11).
    init(transportName: String, session: any SessionHandle, maxMessageSize: Int, acknowledged: Int? = nil) {
        self.reader = RFC6455MessageReader(maxMessageSize: maxMessageSize, sender: .client)
        self.acknowledged = acknowledged
        self.transportName = transportName
        self.session = session
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        self.eventLoop = context.eventLoop
        flushing.flusher = session.listener.tickFlusher(for: context.eventLoop)
        connectionID = session.attach(self, style: .persistent, acknowledged: acknowledged)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        reader.append(unwrapInboundIn(data))
        while let action = endpoint.read(from: &reader) { perform(action, context: context) }
    }

    private func perform(_ action: RFC6455Endpoint.Action, context: ChannelHandlerContext) {
        switch action {
        case .deliver(let text):
            receive(text, session: session, context: context)
        case .pong(let data):
            context.writeAndFlush(
                wrapOutboundOut(RFC6455Frames.serverFrame(.pong, payload: data, allocator: context.channel.allocator)), promise: nil)
        case .sendClose(let code, let failure):
            if let failure {
                session.listener.logger.warning("WebSocket connection failed: \(failure)", metadata: ["sid": "\(session.sessionId)"])
            }
            var data = context.channel.allocator.buffer(capacity: 2)
            data.write(webSocketErrorCode: WebSocketErrorCode(codeNumber: Int(code)))
            context.writeLastAndClose(
                wrapOutboundOut(RFC6455Frames.serverFrame(.connectionClose, payload: data, allocator: context.channel.allocator)))
        case .closeConnection:
            context.close(promise: nil)
        case .none:
            break
        }
    }

    // MARK: SocketSessionConnection

    func writeFrame(_ payload: String, context: ChannelHandlerContext) {
        var frame = context.channel.allocator.buffer(capacity: payload.utf8.count + 10)
        RFC6455Frames.writeServerHeader(.text, length: payload.utf8.count, into: &frame)
        frame.writeString(payload)
        context.write(wrapOutboundOut(frame), promise: nil)
    }

    func writeFrame(shared frame: SharedFrame, context: ChannelHandlerContext) {
        context.write(wrapOutboundOut(frame.webSocketFrame), promise: nil)
    }

    /// A payload refused whole fails the connection like text that is not UTF-8 (1007).
    func refusePayload(_ reason: String, context: ChannelHandlerContext) {
        perform(endpoint.fail(RFC6455.Failure(RFC6455.invalidPayloadData, reason)), context: context)
    }

    func closeSocket(context: ChannelHandlerContext, reason: SocketCloseReason) {
        perform(endpoint.close(reason.code), context: context)
    }
}
