import NIOCore
import NIOHTTP1
import NIOPosix
import Testing
@testable import SwitchboardStatic

/// A real loopback server (NIO HTTP pipeline + StaticTestHandler) and a raw TCP client.
@Suite struct EndToEndTests {
    let fixture: Fixture
    let files: StaticFiles

    init() throws {
        fixture = try Fixture()
        files = try StaticFiles(root: fixture.root)
    }

    func withServer(_ body: (Int) async throws -> Void) async throws {
        let files = self.files
        let fileIO = NonBlockingFileIO(threadPool: .singleton)
        let client = StaticAsset(string: "var io = {};\n", contentType: "text/javascript; charset=UTF-8")
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(
                        StaticTestHandler(files: files, client: client, fileIO: fileIO, threadPool: .singleton))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        do {
            try await body(server.localAddress!.port!)
        } catch {
            try? await server.close()
            throw error
        }
        try await server.close()
    }

    /// Sends `text` on a fresh TCP connection and returns every byte until the server closes.
    func rawExchange(port: Int, _ text: String) async throws -> [UInt8] {
        let done = MultiThreadedEventLoopGroup.singleton.any().makePromise(of: [UInt8].self)
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(Collector(done: done))
                }
            }
            .connect(host: "127.0.0.1", port: port).get()
        try await channel.writeAndFlush(ByteBuffer(string: text))
        return try await done.futureResult.get()
    }

    @Test func traversalGets404AndIndexGets200() async throws {
        try await withServer { port in
            for path in [
                "/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/%2E%2e/secret.txt", "/..%2f..%2fetc%2fpasswd",
                "/outside-link.txt", "/evil-link/secret.txt", "/.hidden", "/index.html%00.png",
            ] {
                var bytes = try await rawExchange(
                    port: port, "GET \(path) HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
                let response = try #require(RawResponse.parse(&bytes), "\(path)")
                #expect(response.status == 404, "\(path)")
                #expect(!String(decoding: response.body, as: UTF8.self).contains("SECRET"))
                #expect(!String(decoding: response.body, as: UTF8.self).contains("root:"))
            }
            var bytes = try await rawExchange(
                port: port, "GET /index.html HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            let response = try #require(RawResponse.parse(&bytes))
            #expect(response.status == 200)
            #expect(response.header("Content-Type") == "text/html; charset=UTF-8")
            #expect(response.body == Array(Fixture.indexHTML.utf8))
            #expect(bytes.isEmpty)
        }
    }

    @Test func keepAliveSequenceOnOneConnection() async throws {
        try await withServer { port in
            var bytes = try await rawExchange(
                port: port,
                "GET /big.bin HTTP/1.1\r\nHost: l\r\n\r\n"
                    + "HEAD /sub/ HTTP/1.1\r\nHost: l\r\n\r\n"
                    + "GET /socket.io/socket.io.js HTTP/1.1\r\nHost: l\r\n\r\n"
                    + "POST /index.html HTTP/1.1\r\nHost: l\r\nContent-Length: 0\r\n\r\n"
                    + "GET /sub HTTP/1.0\r\n\r\n")  // HTTP/1.0 without keep-alive: server closes
            let big = try #require(RawResponse.parse(&bytes))
            #expect(big.status == 200)
            #expect(big.body == fixture.bigBytes)
            let head = try #require(RawResponse.parse(&bytes, bodyless: true))
            #expect(head.status == 200)
            #expect(head.header("Content-Length") == String(Fixture.subIndexHTML.utf8.count))
            let asset = try #require(RawResponse.parse(&bytes))
            #expect(asset.body == Array("var io = {};\n".utf8))
            let post = try #require(RawResponse.parse(&bytes))
            #expect(post.status == 405)
            let last = try #require(RawResponse.parse(&bytes))
            #expect(last.statusLine.hasPrefix("HTTP/1.0 200"))
            #expect(last.body == Array(Fixture.subIndexHTML.utf8))
            #expect(bytes.isEmpty)
        }
    }
}

/// Collects every inbound byte and fulfils `done` when the connection closes.
final class Collector: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    let done: EventLoopPromise<[UInt8]>
    var bytes: [UInt8] = []
    init(done: EventLoopPromise<[UInt8]>) { self.done = done }
    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        bytes += unwrapInboundIn(data).readableBytesView
    }
    func channelInactive(context: ChannelHandlerContext) {
        done.succeed(bytes)
    }
    func errorCaught(context: ChannelHandlerContext, error: Error) {
        done.fail(error)
        context.close(promise: nil)
    }
}
