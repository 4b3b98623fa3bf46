import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket

/// A tiny NIO server for the kit's own tests:
/// - `GET|POST|HEAD /echo`: 200, body = request body, `X-Connection-ID`, `X-Request-Count`, `X-Method`.
/// - `/chunked?sizes=256,1,7&delay=30`: chunked body, one chunk per size (bytes "a","b",...), `delay`
///   ms between chunks. `/chunked-burst?sizes=...`: same chunks written in one flush.
/// - `/close`: 200 `Connection: close`, then closes. `/hang`: never answers. `/no-content`: 204.
/// - anything else: 404 `not found: <path>`.
/// - WebSocket upgrade on paths starting with `/ws` (see `WebSocketEchoHandler`).
final class TestHTTPServer: Sendable {
    let channel: any Channel
    var port: Int { self.channel.localAddress!.port! }

    private init(channel: any Channel) {
        self.channel = channel
    }

    static func start() async throws -> TestHTTPServer {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let upgrader = NIOWebSocketServerUpgrader(
                        maxFrameSize: 1 << 20,
                        shouldUpgrade: { channel, head in
                            channel.eventLoop.makeSucceededFuture(head.uri.hasPrefix("/ws") ? HTTPHeaders() : nil)
                        },
                        upgradePipelineHandler: { channel, _ in
                            channel.eventLoop.makeCompletedFuture {
                                try channel.pipeline.syncOperations.addHandler(WebSocketEchoHandler())
                            }
                        }
                    )
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(
                        withServerUpgrade: (
                            upgraders: [upgrader],
                            completionHandler: { context in
                                context.pipeline.removeHandler(name: "routes", promise: nil)
                            }
                        )
                    )
                    try channel.pipeline.syncOperations.addHandler(HTTPRouteHandler(), name: "routes")
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
        return TestHTTPServer(channel: channel)
    }

    func stop() async {
        try? await self.channel.close().get()
    }
}

private let connectionCounter = NIOLockedValueBox(0)

final class HTTPRouteHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let connectionID = connectionCounter.withLockedValue { value -> Int in
        value += 1
        return value
    }
    private var requestCount = 0
    private var head: HTTPRequestHead?
    private var body = ByteBuffer()

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch Self.unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            self.body.clear()
        case .body(var buffer):
            self.body.writeBuffer(&buffer)
        case .end:
            self.requestCount += 1
            if let head = self.head { self.route(context: context, head: head) }
        }
    }

    private func route(context: ChannelHandlerContext, head: HTTPRequestHead) {
        let parts = head.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let path = String(parts[0])
        var query: [String: String] = [:]
        if parts.count > 1 {
            for pair in parts[1].split(separator: "&") {
                let kv = pair.split(separator: "=", maxSplits: 1)
                query[String(kv[0])] = kv.count > 1 ? String(kv[1]) : ""
            }
        }
        switch path {
        case "/echo":
            self.respond(
                context: context,
                status: .ok,
                headers: [
                    ("Content-Type", "text/plain; charset=UTF-8"),
                    ("X-Connection-ID", "\(self.connectionID)"),
                    ("X-Request-Count", "\(self.requestCount)"),
                    ("X-Method", head.method.rawValue),
                ],
                body: self.body,
                omitBody: head.method == .HEAD
            )
        case "/chunked", "/chunked-burst":
            let sizes = (query["sizes"] ?? "").split(separator: ",").compactMap { Int($0) }
            let delay = Int64(query["delay"] ?? "0") ?? 0
            var headers = HTTPHeaders()
            headers.add(name: "Transfer-Encoding", value: "chunked")
            headers.add(name: "Content-Type", value: "text/plain")
            context.write(Self.wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))), promise: nil)
            let chunks = sizes.enumerated().map { index, size in
                ByteBuffer(repeating: UInt8(ascii: "a") + UInt8(index % 26), count: size)
            }
            if path == "/chunked-burst" {
                for chunk in chunks { context.write(Self.wrapOutboundOut(.body(.byteBuffer(chunk))), promise: nil) }
                context.writeAndFlush(Self.wrapOutboundOut(.end(nil)), promise: nil)
            } else {
                context.flush()
                self.writeChunks(context: context, chunks: chunks[...], delay: delay)
            }
        case "/close":
            var headers = HTTPHeaders()
            headers.add(name: "Content-Length", value: "3")
            headers.add(name: "Connection", value: "close")
            context.write(Self.wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))), promise: nil)
            context.write(Self.wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: "bye")))), promise: nil)
            context.writeAndFlush(Self.wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in
                context.close(promise: nil)
            }
        case "/hang":
            break
        case "/no-content":
            self.respond(context: context, status: .noContent, headers: [], body: ByteBuffer(), omitBody: true)
        default:
            self.respond(
                context: context,
                status: .notFound,
                headers: [("Content-Type", "text/plain")],
                body: ByteBuffer(string: "not found: \(path)"),
                omitBody: false
            )
        }
    }

    private func writeChunks(context: ChannelHandlerContext, chunks: ArraySlice<ByteBuffer>, delay: Int64) {
        guard let first = chunks.first else {
            context.writeAndFlush(Self.wrapOutboundOut(.end(nil)), promise: nil)
            return
        }
        context.writeAndFlush(Self.wrapOutboundOut(.body(.byteBuffer(first))), promise: nil)
        context.eventLoop.assumeIsolated().scheduleTask(in: .milliseconds(delay)) {
            self.writeChunks(context: context, chunks: chunks.dropFirst(), delay: delay)
        }
    }

    private func respond(
        context: ChannelHandlerContext,
        status: HTTPResponseStatus,
        headers: [(String, String)],
        body: ByteBuffer,
        omitBody: Bool
    ) {
        var httpHeaders = HTTPHeaders(headers)
        if status != .noContent {
            httpHeaders.add(name: "Content-Length", value: "\(body.readableBytes)")
        }
        context.write(Self.wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: httpHeaders))), promise: nil)
        if !omitBody && body.readableBytes > 0 {
            context.write(Self.wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        }
        context.writeAndFlush(Self.wrapOutboundOut(.end(nil)), promise: nil)
    }
}

/// WebSocket test endpoint. Client frames must be masked (an unmasked one gets close 1002).
/// Text commands: `frag` → "Hel"+ping("p1")+"lo, "+"World" as one fragmented text message;
/// `close:<code>` → close frame with that code and reason "bye"; `drop` → TCP close without a
/// close frame; `big:<n>` → a text message of n "a"s; `ping:<x>` → a ping with payload x.
/// Any pong received → text `pong:<payload>`. Other text and binary messages are echoed.
/// A client close is echoed, then the TCP connection is closed.
final class WebSocketEchoHandler: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    private var fragmentOpcode: WebSocketOpcode?
    private var fragments: [UInt8] = []
    private var closeSent = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = Self.unwrapInboundIn(data)
        if frame.maskKey == nil {
            self.sendClose(context: context, code: 1002, reason: "unmasked")
            return
        }
        let payload = Array(frame.unmaskedData.readableBytesView)
        switch frame.opcode {
        case .text, .binary:
            if frame.fin {
                self.handleMessage(context: context, opcode: frame.opcode, payload: payload)
            } else {
                self.fragmentOpcode = frame.opcode
                self.fragments = payload
            }
        case .continuation:
            self.fragments += payload
            if frame.fin, let opcode = self.fragmentOpcode {
                self.fragmentOpcode = nil
                self.handleMessage(context: context, opcode: opcode, payload: self.fragments)
            }
        case .ping:
            self.send(context: context, opcode: .pong, payload: payload)
        case .pong:
            self.send(context: context, opcode: .text, payload: Array("pong:".utf8) + payload)
        case .connectionClose:
            if self.closeSent {
                context.close(promise: nil)
            } else {
                self.closeSent = true
                let frame = WebSocketFrame(fin: true, opcode: .connectionClose, data: ByteBuffer(bytes: payload.prefix(2)))
                context.writeAndFlush(Self.wrapOutboundOut(frame)).assumeIsolated().whenComplete { _ in
                    context.close(promise: nil)
                }
            }
        default:
            break
        }
    }

    private func handleMessage(context: ChannelHandlerContext, opcode: WebSocketOpcode, payload: [UInt8]) {
        guard opcode == .text else {
            self.send(context: context, opcode: .binary, payload: payload)
            return
        }
        let text = String(decoding: payload, as: UTF8.self)
        if text == "frag" {
            self.send(context: context, opcode: .text, payload: Array("Hel".utf8), fin: false)
            self.send(context: context, opcode: .ping, payload: Array("p1".utf8))
            self.send(context: context, opcode: .continuation, payload: Array("lo, ".utf8), fin: false)
            self.send(context: context, opcode: .continuation, payload: Array("World".utf8))
        } else if text.hasPrefix("close:"), let code = UInt16(text.dropFirst(6)) {
            self.sendClose(context: context, code: code, reason: "bye")
        } else if text == "drop" {
            context.close(promise: nil)
        } else if text.hasPrefix("big:"), let count = Int(text.dropFirst(4)) {
            self.send(context: context, opcode: .text, payload: [UInt8](repeating: UInt8(ascii: "a"), count: count))
        } else if text.hasPrefix("ping:") {
            self.send(context: context, opcode: .ping, payload: Array(text.utf8.dropFirst(5)))
        } else {
            self.send(context: context, opcode: .text, payload: payload)
        }
    }

    private func sendClose(context: ChannelHandlerContext, code: UInt16, reason: String) {
        guard !self.closeSent else { return }
        self.closeSent = true
        self.send(context: context, opcode: .connectionClose, payload: [UInt8(code >> 8), UInt8(code & 0xFF)] + Array(reason.utf8))
    }

    private func send(context: ChannelHandlerContext, opcode: WebSocketOpcode, payload: [UInt8], fin: Bool = true) {
        let frame = WebSocketFrame(fin: fin, opcode: opcode, data: ByteBuffer(bytes: payload))
        context.writeAndFlush(Self.wrapOutboundOut(frame), promise: nil)
    }
}

/// A server that, once it has received a request head (`\r\n\r\n`), plays a fixed script of raw
/// writes, pauses and a close: for response shapes NIO's encoder would not produce.
final class RawScriptServer: Sendable {
    enum Step: Sendable {
        case write(String)
        case writeBytes([UInt8])
        case pause(milliseconds: Int64)
        case close
    }

    let channel: any Channel
    var port: Int { self.channel.localAddress!.port! }

    private init(channel: any Channel) {
        self.channel = channel
    }

    static func start(_ steps: [Step]) async throws -> RawScriptServer {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ScriptHandler(steps: steps))
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
        return RawScriptServer(channel: channel)
    }

    func stop() async {
        try? await self.channel.close().get()
    }
}

final class ScriptHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let steps: [RawScriptServer.Step]
    private var received: [UInt8] = []
    private var started = false

    init(steps: [RawScriptServer.Step]) {
        self.steps = steps
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        self.received += Self.unwrapInboundIn(data).readableBytesView
        guard !self.started else { return }
        let terminator = Array("\r\n\r\n".utf8)
        if self.received.count >= 4,
            (0...(self.received.count - 4)).contains(where: { Array(self.received[$0..<($0 + 4)]) == terminator })
        {
            self.started = true
            self.run(context: context, index: 0)
        }
    }

    private func run(context: ChannelHandlerContext, index: Int) {
        guard index < self.steps.count else { return }
        switch self.steps[index] {
        case .write(let text):
            context.writeAndFlush(Self.wrapOutboundOut(ByteBuffer(string: text)), promise: nil)
            self.run(context: context, index: index + 1)
        case .writeBytes(let bytes):
            context.writeAndFlush(Self.wrapOutboundOut(ByteBuffer(bytes: bytes)), promise: nil)
            self.run(context: context, index: index + 1)
        case .pause(let milliseconds):
            context.eventLoop.assumeIsolated().scheduleTask(in: .milliseconds(milliseconds)) {
                self.run(context: context, index: index + 1)
            }
        case .close:
            context.close(promise: nil)
        }
    }
}
