import Crypto
import Foundation
import Logging
import NIOCore
import NIOPosix
import NIOWebSocket
import SwitchboardCore
import SwitchboardWire

/// An `upgrade` transport (websocket, flashsocket): one TCP connection upgraded to a WebSocket, RFC
/// 6455 or hixie-76 (option `webSocketDraft`), carrying one payload per text frame each way. For
/// flashsocket the Flash policy is checked first (option `flashPolicyCheck`).
final class WebSocketConnection: TransportConnection, @unchecked Sendable {
    /// The transports that go through the Flash shim, whose policy file the Flash player checks
    /// (docs/protocol.md §6.2).
    static let flashTransports: Set<String> = ["flashsocket"]

    private let setup: ConnectionSetup
    private var channel: (any Channel)?
    private var policyChannel: (any Channel)?
    private var frames: (any WebSocketFrameWriter)?
    private var opened = false
    private var closed = false

    init(_ setup: ConnectionSetup) {
        self.setup = setup
    }

    func start(sessionId: String?, acknowledged: Int?) {
        let path = setup.paths.connect(sessionId: sessionId, acknowledged: acknowledged)
        guard Self.flashTransports.contains(setup.descriptor.name), setup.options.flashPolicyCheck else {
            return upgrade(path)
        }
        checkFlashPolicy { [self] failure in
            guard !closed else { return }
            if let failure { return fail(failure) }
            upgrade(path)
        }
    }

    // MARK: The Flash policy file (docs/protocol.md §6.2)

    private func checkFlashPolicy(_ done: @escaping @Sendable (ConnectionFailure?) -> Void) {
        let reader = PolicyReader { [setup] bytes in
            let policy = String(decoding: bytes, as: UTF8.self)
            done(
                FlashPolicy.allows(policy, host: setup.host, port: setup.port)
                    ? nil : .refused("the Flash policy does not allow \(setup.host):\(setup.port)"))
        }
        connect(reader) { [self] channel in
            policyChannel = channel
            channel.writeAndFlush(ByteBuffer(bytes: FlashPolicy.request), promise: nil)
        }
    }

    // MARK: The upgrade

    private func upgrade(_ path: String) {
        let handshake: Handshake
        switch setup.options.webSocketDraft {
        case .rfc6455: handshake = .rfc6455(path: path, host: setup.host, port: setup.port)
        case .hixie76: handshake = .hixie76(path: path, host: setup.host, port: setup.port)
        }
        let maxPayloadSize = setup.options.maxPayloadSize
        let handler = UpgradeHandshakeHandler(handshake: handshake) { [self] result, context in
            guard !closed else { return context.close(promise: nil) }
            switch result {
            case .failure(let failure):
                fail(failure)
            case .success:
                do {
                    frames = try installFrameHandlers(handshake.draft, context: context, maxPayloadSize: maxPayloadSize)
                    opened = true
                    setup.report(.opened)
                } catch {
                    fail(.protocolError("\(error)"))
                }
            }
        }
        connect(handler) { [self] channel in self.channel = channel }
    }

    /// Opens a TCP connection to the server with `handler` in its pipeline and passes it to
    /// `connected`; one that arrives after ``close()`` is closed, and one that cannot be made fails
    /// this connection.
    private func connect(
        _ handler: any ChannelHandler & Sendable, connected: @escaping @Sendable (any Channel) -> Void
    ) {
        ClientBootstrap(group: setup.eventLoop)
            .connectTimeout(setup.options.connectTimeout)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { [setup] channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addTLS(setup.tls, serverHostname: setup.host)
                    try channel.pipeline.syncOperations.addHandler(handler)
                }
            }
            .connect(host: setup.host, port: setup.port)
            .whenComplete { [self] result in
                switch result {
                case .success(let channel):
                    if closed { return channel.close(promise: nil) }
                    connected(channel)
                case .failure(let error):
                    fail(.unreachable("\(error)"))
                }
            }
    }

    private func installFrameHandlers(
        _ draft: WebSocketDraft, context: ChannelHandlerContext, maxPayloadSize: Int
    ) throws -> any WebSocketFrameWriter {
        let pipeline = context.pipeline.syncOperations
        let events: @Sendable (ConnectionReport) -> Void = { [self] report in
            guard !closed else { return }
            if case .closed = report { closed = true }
            setup.report(report)
        }
        switch draft {
        case .rfc6455:
            // The server's frames are read as strictly as the server reads the client's: by the
            // same RFC6455MessageReader.
            let handler = RFC6455FrameHandler(maxPayloadSize: maxPayloadSize, logger: setup.logger, report: events)
            try pipeline.addHandlers([WebSocketFrameEncoder(), handler], position: .after(context.handler))
            return handler
        case .hixie76:
            let handler = Hixie76FrameHandler(maxPayloadSize: maxPayloadSize, logger: setup.logger, report: events)
            try pipeline.addHandler(handler, position: .after(context.handler))
            return handler
        }
    }

    private func fail(_ failure: ConnectionFailure) {
        guard !closed else { return }
        closed = true
        setup.report(opened && failure == .closed ? .closed : .failed(failure))
        channel?.close(promise: nil)
        policyChannel?.close(promise: nil)
    }

    func payloadHandled(sessionId: String?, acknowledged: Int?) {}

    func write(_ payload: String, sessionId: String) {
        frames?.writeText(payload)
    }

    func close() {
        closed = true
        if let frames { frames.sendClose() } else { channel?.close(promise: nil) }
        policyChannel?.close(promise: nil)
    }
}

/// The two WebSocket handshakes a client can make.
enum Handshake: Sendable {
    case rfc6455(request: String, accept: String)
    case hixie76(request: String, key3: [UInt8], answer: [UInt8])

    var draft: WebSocketDraft {
        switch self {
        case .rfc6455: return .rfc6455
        case .hixie76: return .hixie76
        }
    }

    /// RFC 6455 §4.1: a random 16-byte key, answered with base64(SHA-1(key + GUID)).
    static func rfc6455(path: String, host: String, port: Int) -> Handshake {
        var random = SystemRandomNumberGenerator()
        let key = RFC6455.makeKey(using: &random)
        return .rfc6455(
            request: RFC6455.requestHead(path: path, host: "\(host):\(port)", key: key),
            accept: RFC6455.acceptValue(key: key) { Array(Insecure.SHA1.hash(data: $0)) })
    }

    /// draft-hixie-thewebsocketprotocol-76 §4.1: two keys that each hide a number, and 8 random bytes
    /// sent after the headers; the answer is the MD5 of the numbers and those bytes.
    static func hixie76(path: String, host: String, port: Int) -> Handshake {
        var random = SystemRandomNumberGenerator()
        let (key1, number1) = Hixie76.makeKey(using: &random)
        let (key2, number2) = Hixie76.makeKey(using: &random)
        let key3 = (0..<8).map { _ in UInt8.random(in: 0...255, using: &random) }
        let request = Hixie76.requestHead(
            path: path, host: "\(host):\(port)", origin: "http://\(host):\(port)", key1: key1, key2: key2)
        return .hixie76(request: request, key3: key3, answer: Hixie76.answer(key1: number1, key2: number2, key3: key3) { Array(Insecure.MD5.hash(data: $0)) })
    }
}

/// Writes the handshake when the connection is up and checks the answer; on success the frame
/// handlers take over and the bytes that followed the answer are passed on to them.
final class UpgradeHandshakeHandler: ChannelInboundHandler, RemovableChannelHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let handshake: Handshake
    private let completion: (Result<Void, ConnectionFailure>, ChannelHandlerContext) -> Void
    private var buffer = ByteBuffer()
    private var done = false

    init(handshake: Handshake, completion: @escaping (Result<Void, ConnectionFailure>, ChannelHandlerContext) -> Void) {
        self.handshake = handshake
        self.completion = completion
    }

    func channelActive(context: ChannelHandlerContext) {
        switch handshake {
        case .rfc6455(let request, _):
            context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: request)), promise: nil)
        case .hixie76(let request, let key3, _):
            context.writeAndFlush(wrapOutboundOut(ByteBuffer(bytes: Array(request.utf8) + key3)), promise: nil)
        }
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var input = unwrapInboundIn(data)
        guard !done else { return }
        buffer.writeBuffer(&input)
        let bytes = Array(buffer.readableBytesView)
        guard let end = bytes.firstRange(of: Array("\r\n\r\n".utf8))?.lowerBound else {
            if buffer.readableBytes > 16_384 {
                finish(.failure(.protocolError("no end of the response head")), context)
            }
            return
        }
        let headLength = end + 4
        let head = String(decoding: bytes.prefix(headLength), as: UTF8.self)
        let response = ResponseHead(head)
        guard response.status == 101 else {
            return finish(
                .failure(response.status.map(ConnectionFailure.httpStatus) ?? .protocolError("not an HTTP response")),
                context)
        }
        switch handshake {
        case .rfc6455(_, let accept):
            guard response.header("upgrade")?.lowercased() == "websocket" else {
                return finish(.failure(.protocolError("101 without Upgrade: websocket")), context)
            }
            guard response.header("sec-websocket-accept") == accept else {
                return finish(.failure(.protocolError("wrong Sec-WebSocket-Accept")), context)
            }
            buffer.moveReaderIndex(forwardBy: headLength)
        case .hixie76(_, _, let answer):
            guard buffer.readableBytes >= headLength + 16 else { return }
            buffer.moveReaderIndex(forwardBy: headLength)
            guard buffer.readBytes(length: 16) == answer else {
                return finish(.failure(.protocolError("wrong hixie-76 answer")), context)
            }
        }
        finish(.success(()), context)
    }

    private func finish(_ result: Result<Void, ConnectionFailure>, _ context: ChannelHandlerContext) {
        done = true
        completion(result, context)
        guard case .success = result else { return context.close(promise: nil) }
        let rest = buffer
        buffer = ByteBuffer()
        if rest.readableBytes > 0 { context.fireChannelRead(wrapInboundOut(rest)) }
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        if !done {
            done = true
            completion(.failure(.closed), context)
        }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}

/// The status and headers of an HTTP response head.
struct ResponseHead {
    var status: Int?
    var headers: [(String, String)] = []

    init(_ text: String) {
        var lines = text.components(separatedBy: "\r\n")
        let statusLine = lines.isEmpty ? "" : lines.removeFirst()
        let parts = statusLine.split(separator: " ", maxSplits: 2)
        if parts.count >= 2, parts[0].hasPrefix("HTTP/") { status = Int(parts[1]) }
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers.append(
                (
                    line[..<colon].trimmingCharacters(in: .whitespaces).lowercased(),
                    line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                ))
        }
    }

    func header(_ name: String) -> String? {
        headers.first { $0.0 == name }?.1
    }
}

/// Sends on an open WebSocket.
protocol WebSocketFrameWriter: AnyObject {
    func writeText(_ payload: String)
    /// Starts the close handshake and closes the connection.
    func sendClose()
}

/// The handler of an open WebSocket, of either draft: it reports payloads and the end of the
/// connection; it keeps its context to write on.
protocol WebSocketFrameHandler: ChannelInboundHandler, WebSocketFrameWriter {
    var report: @Sendable (ConnectionReport) -> Void { get }
    var context: ChannelHandlerContext? { get set }
}

extension WebSocketFrameHandler {
    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.context = nil
        report(.closed)
        context.fireChannelInactive()
    }

    /// A frame too large or malformed: nothing more can be read from this connection.
    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}

/// RFC 6455 after the handshake: masked text frames out, text frames in, ping/pong and close. A
/// frame or message from the server that breaks RFC 6455 fails the connection with its close code
/// (docs/protocol.md §9.3); the socket then sees a dropped connection.
final class RFC6455FrameHandler: WebSocketFrameHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = WebSocketFrame

    let report: @Sendable (ConnectionReport) -> Void
    var context: ChannelHandlerContext?
    private let logger: Logger
    /// The server's frames, checked and reassembled.
    private var reader: RFC6455MessageReader
    /// The frame rules and the closing handshake.
    private var endpoint = RFC6455Endpoint()

    init(maxPayloadSize: Int, logger: Logger, report: @escaping @Sendable (ConnectionReport) -> Void) {
        self.reader = RFC6455MessageReader(maxMessageSize: maxPayloadSize, sender: .server)
        self.logger = logger
        self.report = report
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        reader.append(unwrapInboundIn(data))
        while let action = endpoint.read(from: &reader) { perform(action, context: context) }
    }

    private func perform(_ action: RFC6455Endpoint.Action, context: ChannelHandlerContext) {
        switch action {
        case .deliver(let text):
            report(.payload(text))
        case .pong(let data):
            context.writeAndFlush(
                wrapOutboundOut(WebSocketFrame(fin: true, opcode: .pong, maskKey: .random(), data: data)), promise: nil)
        case .sendClose(let code, let failure):
            if let failure { logger.warning("WebSocket connection to the server failed: \(failure)") }
            var data = context.channel.allocator.buffer(capacity: 2)
            data.write(webSocketErrorCode: WebSocketErrorCode(codeNumber: Int(code)))
            context.writeAndFlush(
                wrapOutboundOut(WebSocketFrame(fin: true, opcode: .connectionClose, maskKey: .random(), data: data))
            ).whenComplete { [channel = context.channel] _ in channel.close(promise: nil) }
        case .closeConnection:
            context.close(promise: nil)
        case .none:
            break
        }
    }

    func writeText(_ payload: String) {
        guard let context, !endpoint.closing else { return }
        let frame = WebSocketFrame(
            fin: true, opcode: .text, maskKey: .random(), data: context.channel.allocator.buffer(string: payload))
        context.writeAndFlush(wrapOutboundOut(frame), promise: nil)
    }

    func sendClose() {
        guard let context else { return }
        perform(endpoint.close(RFC6455.normalClosure), context: context)
    }
}

/// hixie-76 after the handshake: `0x00 <UTF-8> 0xFF` frames each way; `0xFF 0x00` closes.
final class Hixie76FrameHandler: WebSocketFrameHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let report: @Sendable (ConnectionReport) -> Void
    var context: ChannelHandlerContext?
    private let logger: Logger
    private var reader: Hixie76FrameReader
    private var closing = false

    init(maxPayloadSize: Int, logger: Logger, report: @escaping @Sendable (ConnectionReport) -> Void) {
        self.reader = Hixie76FrameReader(maxFrameSize: maxPayloadSize)
        self.logger = logger
        self.report = report
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        reader.append(unwrapInboundIn(data).readableBytesView)
        while !closing, let frame = reader.next() {
            switch frame {
            case .text(let text):
                report(.payload(text))
            case .close:
                sendClose()
            case .tooLarge, .unknownType, .notUTF8:
                // No close codes in hixie-76: the closing handshake, then the TCP close.
                logger.warning("hixie-76 connection to the server failed: \(frame)")
                sendClose()
            }
        }
    }

    func writeText(_ payload: String) {
        guard let context, !closing else { return }
        var frame = context.channel.allocator.buffer(capacity: payload.utf8.count + 2)
        frame.writeInteger(Hixie76.frameStart)
        frame.writeString(payload)
        frame.writeInteger(Hixie76.frameEnd)
        context.writeAndFlush(wrapOutboundOut(frame), promise: nil)
    }

    func sendClose() {
        guard let context, !closing else { return }
        closing = true
        context.writeAndFlush(wrapOutboundOut(ByteBuffer(bytes: Hixie76.closeFrame)))
            .whenComplete { [channel = context.channel] _ in channel.close(promise: nil) }
    }
}

/// Reads a whole answer until the server closes the connection (the Flash policy file).
final class PolicyReader: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer

    private let done: @Sendable ([UInt8]) -> Void
    private var bytes: [UInt8] = []
    private var finished = false

    init(done: @escaping @Sendable ([UInt8]) -> Void) {
        self.done = done
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        bytes += unwrapInboundIn(data).readableBytesView
        if bytes.count > 65_536 { context.close(promise: nil) }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if !finished {
            finished = true
            done(bytes)
        }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
