import Testing

@testable import SwitchboardTestKit

func withHTTPServer(_ body: (TestHTTPServer) async throws -> Void) async throws {
    let server = try await TestHTTPServer.start()
    do {
        try await body(server)
    } catch {
        await server.stop()
        throw error
    }
    await server.stop()
}

func withRawServer(_ steps: [RawScriptServer.Step], _ body: (RawScriptServer) async throws -> Void) async throws {
    let server = try await RawScriptServer.start(steps)
    do {
        try await body(server)
    } catch {
        await server.stop()
        throw error
    }
    await server.stop()
}

@Suite struct HTTPTestConnectionTests {
    @Test func keepAliveReusesTheConnection() async throws {
        try await withHTTPServer { server in
            let connection = try await HTTPTestConnection.connect(port: server.port)
            let first = try await connection.request("GET", "/echo")
            let second = try await connection.request("POST", "/echo", body: Array("hi".utf8))
            let third = try await connection.request("GET", "/echo")
            #expect(first.status == 200)
            #expect(first.headers["x-connection-id"] == second.headers["X-Connection-ID"])
            #expect(third.headers["X-Connection-ID"] == first.headers["X-Connection-ID"])
            #expect([first, second, third].map { $0.headers["X-Request-Count"] } == ["1", "2", "3"])
            #expect(second.bodyString == "hi")
            #expect(!connection.isClosed)
            await connection.close()
            #expect(connection.isClosed)
        }
    }

    @Test func contentLengthBodyAndHeaders() async throws {
        try await withHTTPServer { server in
            let connection = try await HTTPTestConnection.connect(port: server.port)
            let payload = Array("data=~m~5~m~hello".utf8)
            let response = try await connection.request(
                "POST",
                "/echo",
                headers: [("Content-Type", "application/x-www-form-urlencoded")],
                body: payload
            )
            #expect(response.status == 200)
            #expect(response.reason == "OK")
            #expect(response.version == "HTTP/1.1")
            #expect(!response.isChunked)
            #expect(response.body == payload)
            #expect(response.headers["CONTENT-LENGTH"] == "\(payload.count)")
            #expect(response.headers["content-type"] == "text/plain; charset=UTF-8")
            #expect(response.headers["X-Method"] == "POST")
            // ordered as sent by the server
            let names = response.headers.names.map { $0.lowercased() }
            #expect(names.firstIndex(of: "content-type")! < names.firstIndex(of: "x-method")!)
            #expect(response.chunks.isEmpty)
            await connection.close()
        }
    }

    @Test func headResponseHasNoBodyAndKeepsFraming() async throws {
        try await withHTTPServer { server in
            let connection = try await HTTPTestConnection.connect(port: server.port)
            let head = try await connection.request("HEAD", "/echo")
            #expect(head.status == 200)
            #expect(head.body.isEmpty)
            let noContent = try await connection.request("GET", "/no-content")
            #expect(noContent.status == 204)
            let next = try await connection.request("POST", "/echo", body: Array("after".utf8))
            #expect(next.bodyString == "after")
            await connection.close()
        }
    }

    @Test func chunkedBodyKeepsChunkBoundaries() async throws {
        try await withHTTPServer { server in
            let connection = try await HTTPTestConnection.connect(port: server.port)
            let response = try await connection.request("GET", "/chunked?sizes=256,1,1000,7&delay=5")
            #expect(response.isChunked)
            #expect(response.chunks.map(\.count) == [256, 1, 1000, 7])
            #expect(response.body.count == 1264)
            #expect(response.chunks[1] == [UInt8(ascii: "b")])
            // all chunks written in one flush: still separated exactly as framed
            let burst = try await connection.request("GET", "/chunked-burst?sizes=256,3,70000,1")
            #expect(burst.chunks.map(\.count) == [256, 3, 70000, 1])
            await connection.close()
        }
    }

    @Test func streamingGivesEachChunkAsFramed() async throws {
        try await withHTTPServer { server in
            let connection = try await HTTPTestConnection.connect(port: server.port)
            let stream = try await connection.startRequest("GET", "/chunked?sizes=256,10,300&delay=40")
            #expect(stream.head.status == 200)
            #expect(stream.isChunked)
            #expect(stream.head.headers["Transfer-Encoding"] == "chunked")
            let first = try await stream.nextChunk()
            #expect(first?.count == 256)
            #expect(try await stream.nextChunk()?.count == 10)
            #expect(try await stream.nextChunkString() == String(repeating: "c", count: 300))
            #expect(try await stream.nextChunk() == nil)
            #expect(try await stream.nextChunk() == nil)
            #expect(stream.isFinished)
            // connection reusable after the stream ended
            let after = try await connection.request("GET", "/echo")
            #expect(after.headers["X-Request-Count"] == "2")
            await connection.close()
        }
    }

    @Test func requestWhileStreamOpenIsRejected() async throws {
        try await withHTTPServer { server in
            let connection = try await HTTPTestConnection.connect(port: server.port)
            let stream = try await connection.startRequest("GET", "/chunked?sizes=5,5&delay=20")
            await #expect(throws: TestKitError.self) { try await connection.request("GET", "/echo") }
            #expect(try await stream.readToEnd().map(\.count) == [5, 5])
            #expect(try await connection.request("GET", "/echo").status == 200)
            await connection.close()
        }
    }

    @Test func closeDetection() async throws {
        try await withHTTPServer { server in
            let connection = try await HTTPTestConnection.connect(port: server.port)
            let response = try await connection.request("GET", "/close")
            #expect(response.bodyString == "bye")
            #expect(response.headers.hasToken("close", in: "Connection"))
            try await connection.waitForClose(timeout: .seconds(2))
            #expect(connection.isClosed)

            let keepAlive = try await HTTPTestConnection.connect(port: server.port)
            _ = try await keepAlive.request("GET", "/echo")
            await #expect(throws: TestKitError.timeout) { try await keepAlive.waitForClose(timeout: .milliseconds(150)) }
            #expect(!keepAlive.isClosed)
            await keepAlive.close()
        }
    }

    @Test func timeoutsThrowInsteadOfHanging() async throws {
        try await withHTTPServer { server in
            let clock = ContinuousClock()
            let connection = try await HTTPTestConnection.connect(port: server.port)
            let start = clock.now
            await #expect(throws: TestKitError.timeout) {
                try await connection.request("GET", "/hang", timeout: .milliseconds(200))
            }
            #expect(clock.now - start < .seconds(2))

            let streaming = try await HTTPTestConnection.connect(port: server.port)
            let stream = try await streaming.startRequest("GET", "/chunked?sizes=1,1&delay=3000")
            #expect(try await stream.nextChunk()?.count == 1)
            await #expect(throws: TestKitError.timeout) { try await stream.nextChunk(timeout: .milliseconds(100)) }
            await connection.close()
            await streaming.close()
        }
    }

    @Test func malformedRequestViaSendRaw() async throws {
        try await withHTTPServer { server in
            let connection = try await HTTPTestConnection.connect(port: server.port)
            try await connection.sendRaw("GARBAGE\r\n\r\n")
            let response = try await connection.readResponse()
            #expect(response.status == 400)
            #expect(response.headers.hasToken("close", in: "connection"))
            await connection.close()  // (NIO's server leaves the socket open after its 400)
            await #expect(throws: TestKitError.connectionClosed) { try await connection.request("GET", "/echo") }
        }
    }

    @Test func notFoundAndSendThenRead() async throws {
        try await withHTTPServer { server in
            let connection = try await HTTPTestConnection.connect(port: server.port)
            try await connection.send("GET", "/missing")
            let response = try await connection.readResponse()
            #expect(response.status == 404)
            #expect(response.bodyString == "not found: /missing")
            await connection.close()
        }
    }
}

@Suite struct HTTPParserEdgeCaseTests {
    @Test func closeDelimitedBody() async throws {
        try await withRawServer([.write("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nhello "), .pause(milliseconds: 30), .write("world"), .close]) { server in
            let connection = try await HTTPTestConnection.connect(port: server.port)
            let response = try await connection.request("GET", "/")
            #expect(response.bodyString == "hello world")
            #expect(connection.isClosed)
        }
    }

    @Test func closeDelimitedStream() async throws {
        try await withRawServer([.write("HTTP/1.0 200 OK\r\n\r\nab"), .pause(milliseconds: 30), .write("cd"), .close]) { server in
            let connection = try await HTTPTestConnection.connect(port: server.port)
            let stream = try await connection.startRequest("GET", "/")
            #expect(stream.head.version == "HTTP/1.0")
            #expect(try await stream.readToEnd().flatMap { $0 } == Array("abcd".utf8))
        }
    }

    @Test func chunkExtensionsTrailersAndSplitChunks() async throws {
        let script: [RawScriptServer.Step] = [
            .write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"),
            .write("5;name=value\r\nhel"),
            .pause(milliseconds: 30),
            .write("lo\r\n"),
            .write("A\r\n0123456789\r\n"),
            .write("0\r\nX-Trailer: yes\r\n\r\n"),
        ]
        try await withRawServer(script) { server in
            let connection = try await HTTPTestConnection.connect(port: server.port)
            let response = try await connection.request("GET", "/")
            #expect(response.chunks.map { String(decoding: $0, as: UTF8.self) } == ["hello", "0123456789"])
            #expect(response.trailers["x-trailer"] == "yes")
            await connection.close()
        }
    }

    @Test func interimResponsesAreSkippedAndBareLFIsAccepted() async throws {
        try await withRawServer([.write("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\nContent-Length: 2\nX-Folded: a\n b\n\nok")]) { server in
            let connection = try await HTTPTestConnection.connect(port: server.port)
            let response = try await connection.request("POST", "/", body: [1, 2, 3])
            #expect(response.status == 201)
            #expect(response.reason == "Created")
            #expect(response.headers["X-Folded"] == "a b")
            #expect(response.bodyString == "ok")
            await connection.close()
        }
    }

    @Test func malformedResponsesThrow() async throws {
        try await withRawServer([.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n")]) { server in
            let connection = try await HTTPTestConnection.connect(port: server.port)
            await #expect(throws: TestKitError.self) { try await connection.request("GET", "/") }
            await connection.close()
        }
        try await withRawServer([.write("SSH-2.0-nope\r\n\r\n")]) { server in
            let connection = try await HTTPTestConnection.connect(port: server.port)
            await #expect(throws: TestKitError.self) { try await connection.request("GET", "/") }
            await connection.close()
        }
    }

    @Test func truncatedBodyIsConnectionClosed() async throws {
        try await withRawServer([.write("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"), .close]) { server in
            let connection = try await HTTPTestConnection.connect(port: server.port)
            await #expect(throws: TestKitError.connectionClosed) { try await connection.request("GET", "/") }
        }
    }
}
