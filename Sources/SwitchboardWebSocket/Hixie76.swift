import Crypto
import NIOCore
import NIOHTTP1
import SwitchboardCore

/// The hixie-76 handshake (draft-hixie-thewebsocketprotocol-76), spoken by the browsers and the
/// Flash WebSocket shim of 2010 (docs/protocol.md §6.1).
public enum Hixie76 {
    /// Whether a request is a hixie-76 handshake (it carries `Sec-WebSocket-Key1` and `-Key2`).
    public static func isHandshake(_ head: HTTPRequestHead) -> Bool {
        head.headers.contains(name: "Sec-WebSocket-Key1") && head.headers.contains(name: "Sec-WebSocket-Key2")
    }

    /// The number a key stands for: its digits read as one number, divided by its count of spaces.
    /// Nil when it has no spaces, the division is not exact, or the result does not fit 32 bits.
    public static func keyNumber(_ key: String) -> UInt32? {
        var digits: UInt64 = 0
        var spaces: UInt64 = 0
        for byte in key.utf8 {
            switch byte {
            case UInt8(ascii: " "):
                spaces += 1
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                guard digits <= (UInt64.max - 9) / 10 else { return nil }
                digits = digits * 10 + UInt64(byte - UInt8(ascii: "0"))
            default:
                continue
            }
        }
        guard spaces > 0, digits % spaces == 0, digits / spaces <= UInt64(UInt32.max) else { return nil }
        return UInt32(digits / spaces)
    }

    /// The 16-byte answer: MD5 of key1's number, key2's number (each 4 bytes, big-endian) and key3.
    public static func answer(key1: UInt32, key2: UInt32, key3: [UInt8]) -> [UInt8] {
        var input: [UInt8] = []
        for number in [key1, key2] {
            input += [UInt8(number >> 24), UInt8(number >> 16 & 0xFF), UInt8(number >> 8 & 0xFF), UInt8(number & 0xFF)]
        }
        return Array(Insecure.MD5.hash(data: input + key3))
    }

    /// The response head, written before the 8 key bytes arrive (proxies hold them back).
    public static func responseHead(for head: HTTPRequestHead) -> String {
        let host = head.headers.first(name: "host") ?? "localhost"
        var lines = [
            "HTTP/1.1 101 WebSocket Protocol Handshake",
            "Upgrade: WebSocket",
            "Connection: Upgrade",
        ]
        if let origin = head.headers.first(name: "origin") { lines.append("Sec-WebSocket-Origin: \(origin)") }
        lines.append("Sec-WebSocket-Location: ws://\(host)\(head.uri)")
        if let protocolName = head.headers.first(name: "sec-websocket-protocol") {
            lines.append("Sec-WebSocket-Protocol: \(protocolName)")
        }
        return lines.joined(separator: "\r\n") + "\r\n\r\n"
    }
}

/// Carries one session over a hixie-76 WebSocket: writes the response head at once, answers the
/// 8 key bytes, then exchanges `0x00 <UTF-8> 0xFF` frames.
final class Hixie76SessionHandler: ChannelInboundHandler, SocketSessionConnection, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let transportName: String
    private let session: Client
    private let responseHead: String
    private let keys: (UInt32, UInt32)
    private let maxFrameSize: Int
    private var pending = ByteBuffer()
    private var answered = false
    private(set) var closing = false
    private(set) var connectionID: ConnectionID?
    private(set) var context: ChannelHandlerContext?
    private(set) var eventLoop: (any EventLoop)?

    init(transportName: String, session: Client, request: HTTPRequestHead, keys: (UInt32, UInt32), maxFrameSize: Int) {
        self.transportName = transportName
        self.session = session
        self.responseHead = Hixie76.responseHead(for: request)
        self.keys = keys
        self.maxFrameSize = maxFrameSize
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        self.eventLoop = context.eventLoop
        context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: responseHead)), promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        if let connectionID { session.detach(connectionID) }
        self.context = nil
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        pending.writeBuffer(&bytes)
        if !answered {
            guard let key3 = pending.readBytes(length: 8) else { return }
            answered = true
            let answer = Hixie76.answer(key1: keys.0, key2: keys.1, key3: key3)
            context.writeAndFlush(wrapOutboundOut(ByteBuffer(bytes: answer)), promise: nil)
            connectionID = session.attach(self, style: .persistent)
        }
        readFrames(context: context)
        pending.discardReadBytes()
    }

    private func readFrames(context: ChannelHandlerContext) {
        while let type = pending.getInteger(at: pending.readerIndex, as: UInt8.self), !closing {
            switch type {
            case 0x00:
                let body = pending.readableBytesView.dropFirst()
                guard let end = body.firstIndex(of: 0xFF) else {
                    if pending.readableBytes > maxFrameSize { refuse("frame larger than \(maxFrameSize) bytes", context) }
                    return
                }
                let length = end - body.startIndex
                pending.moveReaderIndex(forwardBy: 1)
                let text = pending.readString(length: length) ?? ""
                pending.moveReaderIndex(forwardBy: 1)
                session.receive(payload: text)
            case 0xFF:
                guard pending.readableBytes >= 2 else { return }
                // The closing handshake: 0xFF 0x00, answered the same way.
                pending.moveReaderIndex(forwardBy: 2)
                closeConnection(context)
            default:
                refuse("binary or unknown hixie-76 frame type \(type)", context)
            }
        }
    }

    private func refuse(_ reason: String, _ context: ChannelHandlerContext) {
        session.listener.logger.warning("hixie-76 connection closed: \(reason)", metadata: ["sid": "\(session.sessionId)"])
        closeConnection(context)
    }

    private func closeConnection(_ context: ChannelHandlerContext) {
        guard !closing else { return }
        closing = true
        context.writeAndFlush(wrapOutboundOut(ByteBuffer(bytes: [0xFF, 0x00])))
            .whenComplete { [channel = context.channel] _ in channel.close(promise: nil) }
    }

    // MARK: SocketSessionConnection

    func writeFrame(_ payload: String, context: ChannelHandlerContext) {
        writeFrame(bytes: ByteBuffer(string: payload), context: context)
    }

    func writeFrame(bytes payload: ByteBuffer, context: ChannelHandlerContext) {
        var frame = context.channel.allocator.buffer(capacity: payload.readableBytes + 2)
        frame.writeInteger(UInt8(0x00))
        frame.writeImmutableBuffer(payload)
        frame.writeInteger(UInt8(0xFF))
        context.writeAndFlush(wrapOutboundOut(frame), promise: nil)
    }

    func closeSocket(context: ChannelHandlerContext, rejected: Bool) {
        closeConnection(context)
    }
}

extension WebSocketTransport {
    /// hixie-76 for old clients: the handlers that replace HTTP on the connection.
    public func legacyUpgradeHandlers(request: HTTPRequestHead, maxFrameSize: Int) -> (@Sendable (Client) -> [any ChannelHandler])? {
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
