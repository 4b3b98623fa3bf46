import Crypto
import NIOCore
import NIOHTTP1
import SwitchboardCore
import SwitchboardWire

/// The server's side of the hixie-76 handshake (SwitchboardWire's ``Hixie76``) on NIO's request heads.
extension Hixie76 {
    /// Whether a request is a hixie-76 handshake (it carries `Sec-WebSocket-Key1` and `-Key2`).
    static func isHandshake(_ head: HTTPRequestHead) -> Bool {
        head.headers.contains(name: "Sec-WebSocket-Key1") && head.headers.contains(name: "Sec-WebSocket-Key2")
    }

    /// The response head for a request.
    static func responseHead(for head: HTTPRequestHead) -> String {
        responseHead(
            host: head.headers.first(name: "host"), uri: head.uri, origin: head.headers.first(name: "origin"),
            subprotocol: head.headers.first(name: "sec-websocket-protocol"))
    }
}

/// Carries one session over a hixie-76 WebSocket: writes the response head at once, answers the
/// 8 key bytes, then exchanges `0x00 <UTF-8> 0xFF` frames.
final class Hixie76SessionHandler: ChannelInboundHandler, SocketSessionConnection, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let transportName: String
    let session: any SessionHandle
    private let responseHead: String
    private let keys: (UInt32, UInt32)
    private var reader: Hixie76FrameReader
    private var answered = false
    private(set) var closing = false
    private(set) var connectionID: ConnectionID?
    /// The upgrade request's URI, for its `ack=<n>` (docs/protocol.md §11).
    private let requestURI: String
    var context: ChannelHandlerContext?
    private(set) var eventLoop: (any EventLoop)?
    var flushing = FlushState()

    init(transportName: String, session: any SessionHandle, request: HTTPRequestHead, keys: (UInt32, UInt32), maxFrameSize: Int) {
        self.requestURI = request.uri
        self.transportName = transportName
        self.session = session
        self.responseHead = Hixie76.responseHead(for: request)
        self.keys = keys
        self.reader = Hixie76FrameReader(maxFrameSize: maxFrameSize)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        self.eventLoop = context.eventLoop
        flushing.flusher = session.listener.tickFlusher(for: context.eventLoop)
        context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: responseHead)), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        reader.append(unwrapInboundIn(data).readableBytesView)
        if !answered {
            guard let key3 = reader.take(8) else { return }
            answered = true
            let answer = Hixie76.answer(key1: keys.0, key2: keys.1, key3: key3) { Array(Insecure.MD5.hash(data: $0)) }
            context.writeAndFlush(wrapOutboundOut(ByteBuffer(bytes: answer)), promise: nil)
            connectionID = session.attach(self, style: .persistent, acknowledged: TransportURL.acknowledged(in: requestURI))
        }
        readFrames(context: context)
    }

    private func readFrames(context: ChannelHandlerContext) {
        while !closing, let frame = reader.next() {
            switch frame {
            case .text(let text):
                receive(text, session: session, context: context)
            case .close:
                // The closing handshake: 0xFF 0x00, answered the same way.
                closeConnection(context)
            case .tooLarge:
                refuse("frame larger than \(reader.maxFrameSize) bytes", context)
            case .unknownType(let type):
                refuse("binary or unknown hixie-76 frame type \(type)", context)
            case .notUTF8:
                refuse("text frame that is not UTF-8", context)
            }
        }
    }

    func refusePayload(_ reason: String, context: ChannelHandlerContext) {
        refuse(reason, context)
    }

    private func refuse(_ reason: String, _ context: ChannelHandlerContext) {
        session.listener.logger.warning("hixie-76 connection closed: \(reason)", metadata: ["sid": "\(session.sessionId)"])
        closeConnection(context)
    }

    private func closeConnection(_ context: ChannelHandlerContext) {
        guard !closing else { return }
        closing = true
        context.writeLastAndClose(wrapOutboundOut(ByteBuffer(bytes: Hixie76.closeFrame)))
    }

    // MARK: SocketSessionConnection

    func writeFrame(_ payload: String, context: ChannelHandlerContext) {
        writeFrame(bytes: ByteBuffer(string: payload), context: context)
    }

    func writeFrame(shared frame: SharedFrame, context: ChannelHandlerContext) {
        writeFrame(bytes: frame.payloadBytes, context: context)
    }

    private func writeFrame(bytes payload: ByteBuffer, context: ChannelHandlerContext) {
        var frame = context.channel.allocator.buffer(capacity: payload.readableBytes + 2)
        frame.writeInteger(Hixie76.frameStart)
        frame.writeImmutableBuffer(payload)
        frame.writeInteger(Hixie76.frameEnd)
        context.write(wrapOutboundOut(frame), promise: nil)
    }

    /// hixie-76 has no close codes: every reason is the closing handshake.
    func closeSocket(context: ChannelHandlerContext, reason: SocketCloseReason) {
        closeConnection(context)
    }
}

extension WebSocketTransport {
    /// hixie-76 for old clients: the handlers that replace HTTP on the connection.
    public func legacyUpgradeHandlers(request: HTTPRequestHead, maxFrameSize: Int) -> (@Sendable (any SessionHandle) -> [any ChannelHandler])? {
        guard Hixie76.isHandshake(request),
            let key1 = request.headers.first(name: "Sec-WebSocket-Key1").flatMap(Hixie76.keyNumber),
            let key2 = request.headers.first(name: "Sec-WebSocket-Key2").flatMap(Hixie76.keyNumber)
        else { return nil }
        let name = descriptor.name
        return { session in
            [Hixie76SessionHandler(transportName: name, session: session, request: request, keys: (key1, key2), maxFrameSize: maxFrameSize)]
        }
    }
}
