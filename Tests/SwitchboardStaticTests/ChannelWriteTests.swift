import Foundation
import NIOCore
import NIOEmbedded
import NIOHTTP1
import NIOPosix
import Testing
@testable import SwitchboardStatic

@Suite struct ChannelWriteTests {
    let fixture: Fixture
    let files: StaticFiles
    let fileIO = NonBlockingFileIO(threadPool: .singleton)
    let client = StaticAsset(string: "var io = {};\n", contentType: "text/javascript; charset=UTF-8")

    init() throws {
        fixture = try Fixture()
        files = try StaticFiles(root: fixture.root)
    }

    /// A testing channel with NIO's HTTP server pipeline and the test handler.
    func makeChannel(chunkSize: Int = NonBlockingFileIO.defaultChunkSize) async throws -> NIOAsyncTestingChannel {
        let (files, client, fileIO) = (self.files, self.client, self.fileIO)
        let channel = try await NIOAsyncTestingChannel { channel in
            try channel.pipeline.syncOperations.configureHTTPServerPipeline()
            try channel.pipeline.syncOperations.addHandler(
                StaticTestHandler(files: files, client: client, fileIO: fileIO, chunkSize: chunkSize))
        }
        try await channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).get()
        return channel
    }

    /// Sends raw request bytes and collects outbound bytes until `count` responses parsed.
    func exchange(
        _ channel: NIOAsyncTestingChannel, _ requestText: String, bodyless: [Bool]
    ) async throws -> [RawResponse] {
        try await channel.writeInbound(ByteBuffer(string: requestText))
        var bytes: [UInt8] = []
        var responses: [RawResponse] = []
        while responses.count < bodyless.count {
            let buffer = try await channel.waitForOutboundWrite(as: ByteBuffer.self)
            bytes += buffer.readableBytesView
            while responses.count < bodyless.count,
                let response = RawResponse.parse(&bytes, bodyless: bodyless[responses.count])
            {
                responses.append(response)
            }
        }
        // Nothing may follow (e.g. a body after a HEAD response).
        while let extra = try await channel.readOutbound(as: ByteBuffer.self) { bytes += extra.readableBytesView }
        #expect(bytes.isEmpty, "unexpected trailing bytes: \(bytes.count)")
        return responses
    }

    @Test(arguments: [NonBlockingFileIO.defaultChunkSize, 4096, 7])
    func largeFileArrivesCompleteInChunks(chunkSize: Int) async throws {
        let channel = try await makeChannel(chunkSize: chunkSize)
        let size = chunkSize == 7 ? 1 : 0  // 7-byte chunks: use a small file, keep it fast
        let uri = size == 1 ? "/sub/page.txt" : "/big.bin"
        let expected = size == 1 ? Array(Fixture.pageText.utf8) : fixture.bigBytes
        let responses = try await exchange(
            channel, "GET \(uri) HTTP/1.1\r\nHost: x\r\n\r\n", bodyless: [false])
        let response = try #require(responses.first)
        #expect(response.status == 200)
        #expect(response.header("Content-Length") == String(expected.count))
        #expect(response.header("Transfer-Encoding") == nil)
        #expect(response.body == expected)
        #expect(channel.isActive)  // keep-alive
        _ = try await channel.finish(acceptAlreadyClosed: true)
    }

    @Test func bigFileTakesSeveralWrites() async throws {
        // 300_001 bytes with the default 128 KiB chunk: head, 3 body chunks, end.
        let channel = try await makeChannel()
        try await channel.writeInbound(ByteBuffer(string: "GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n"))
        var bodyWrites: [Int] = []
        var total = 0
        _ = try await channel.waitForOutboundWrite(as: ByteBuffer.self)  // head
        while total < fixture.bigBytes.count {
            let buffer = try await channel.waitForOutboundWrite(as: ByteBuffer.self)
            if buffer.readableBytes > 0 { bodyWrites.append(buffer.readableBytes) }
            total += buffer.readableBytes
        }
        #expect(bodyWrites == [131_072, 131_072, 37_857])
        _ = try await channel.finish(acceptAlreadyClosed: true)
    }

    @Test func headWritesNoBody() async throws {
        let channel = try await makeChannel()
        // A HEAD pipelined before a GET: the GET's response must follow the HEAD's headers directly.
        let responses = try await exchange(
            channel,
            "HEAD /big.bin HTTP/1.1\r\nHost: x\r\n\r\nGET /index.html HTTP/1.1\r\nHost: x\r\n\r\n",
            bodyless: [true, false])
        #expect(responses[0].status == 200)
        #expect(responses[0].header("Content-Length") == "300001")
        #expect(responses[0].header("Content-Type") == "application/octet-stream")
        #expect(responses[0].header("ETag")?.hasPrefix("\"") == true)
        #expect(responses[1].status == 200)
        #expect(responses[1].body == Array(Fixture.indexHTML.utf8))
        _ = try await channel.finish(acceptAlreadyClosed: true)
    }

    @Test func notModifiedThenAssetThen404() async throws {
        let channel = try await makeChannel()
        let etag = try #require(files.resolve(uriPath: "/app.js")).etag
        let responses = try await exchange(
            channel,
            "GET /app.js HTTP/1.1\r\nHost: x\r\nIf-None-Match: W/\(etag)\r\n\r\n"
                + "GET /socket.io/socket.io.js HTTP/1.1\r\nHost: x\r\n\r\n"
                + "GET /socket.io/socket.io.js HTTP/1.1\r\nHost: x\r\nIf-None-Match: \(client.etag)\r\n\r\n"
                + "GET /%2e%2e/secret.txt HTTP/1.1\r\nHost: x\r\n\r\n",
            bodyless: [true, false, true, false])
        #expect(responses.map(\.status) == [304, 200, 304, 404])
        #expect(responses[0].header("ETag") == etag)
        #expect(responses[0].header("Content-Length") == nil)
        #expect(responses[1].body == Array("var io = {};\n".utf8))
        #expect(responses[1].header("Content-Type") == "text/javascript; charset=UTF-8")
        #expect(responses[2].header("ETag") == client.etag)
        #expect(responses[3].header("Content-Type") == "text/plain; charset=UTF-8")
        _ = try await channel.finish(acceptAlreadyClosed: true)
    }

    @Test func connectionCloseClosesAfterEnd() async throws {
        let channel = try await makeChannel()
        let responses = try await exchange(
            channel, "GET /index.html HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", bodyless: [false])
        #expect(responses[0].header("Connection") == "close")
        #expect(responses[0].body == Array(Fixture.indexHTML.utf8))
        try await channel.closeFuture.get()
        #expect(!channel.isActive)
    }

    @Test func fileGoneAfterResolveGives404() async throws {
        // The response was computed, then the file vanished before it was opened.
        let response = try #require(files.response(for: request(.GET, "/app.js")))
        try FileManager.default.removeItem(atPath: fixture.root + "/app.js")
        let channel = try await Self.encodingChannel()
        try await Self.write(response, head: request(.GET, "/app.js"), to: channel, fileIO: fileIO)
        var bytes: [UInt8] = []
        while let buffer = try await channel.readOutbound(as: ByteBuffer.self) { bytes += buffer.readableBytesView }
        let parsed = try #require(RawResponse.parse(&bytes))
        #expect(parsed.status == 404)
        #expect(channel.isActive)
        _ = try await channel.finish(acceptAlreadyClosed: true)
    }

    @Test func fileShrunkAfterHeadFailsAndCloses() async throws {
        let response = try #require(files.response(for: request(.GET, "/big.bin")))
        try Data(fixture.bigBytes.prefix(1000)).write(to: URL(fileURLWithPath: fixture.root + "/big.bin"))
        let channel = try await Self.encodingChannel()
        await #expect(throws: StaticWriteError.self) {
            try await Self.write(response, head: request(.GET, "/big.bin"), to: channel, fileIO: fileIO)
        }
        try await channel.closeFuture.get()
    }

    /// A connected channel with an HTTP response encoder, and a handler behind it to write from.
    static func encodingChannel() async throws -> NIOAsyncTestingChannel {
        let channel = try await NIOAsyncTestingChannel { channel in
            try channel.pipeline.syncOperations.addHandlers(HTTPResponseEncoder(), WriterHandler())
        }
        try await channel.connect(to: .init(ipAddress: "127.0.0.1", port: 1)).get()
        return channel
    }

    /// Writes `response` from the context of the channel's ``WriterHandler``.
    static func write(
        _ response: StaticResponse, head: HTTPRequestHead, to channel: NIOAsyncTestingChannel, fileIO: NonBlockingFileIO
    ) async throws {
        try await channel.eventLoop.flatSubmit {
            let context = try! channel.pipeline.syncOperations.context(handlerType: WriterHandler.self)
            return writeStaticResponse(response, head: head, to: context, fileIO: fileIO)
        }.get()
    }

    /// Writes nothing itself: its context is where a test writes from.
    final class WriterHandler: ChannelOutboundHandler, Sendable {
        typealias OutboundIn = HTTPServerResponsePart
    }
}

