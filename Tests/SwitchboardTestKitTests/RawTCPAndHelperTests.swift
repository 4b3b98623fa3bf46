import Testing

@testable import SwitchboardTestKit

@Suite struct RawTCPClientTests {
    @Test func rawRequestAndReadUntilClose() async throws {
        try await withHTTPServer { server in
            let client = try await RawTCPClient.connect(port: server.port)
            try await client.write("GET /echo HTTP/1.1\r\nHost: x\r\n\r\n")
            let head = try await client.read(until: "\r\n\r\n")
            #expect(String(decoding: head, as: UTF8.self).hasPrefix("HTTP/1.1 200 OK\r\n"))
            try await client.write("GET /close HTTP/1.1\r\nHost: x\r\n\r\n")
            let rest = String(decoding: try await client.readUntilClose(), as: UTF8.self)
            #expect(rest.hasPrefix("HTTP/1.1 200 OK"))
            #expect(rest.hasSuffix("bye"))
            #expect(client.isClosed)
        }
    }

    @Test func readAtLeastExactlyAndTimeouts() async throws {
        try await withRawServer([.write("abc"), .pause(milliseconds: 30), .write("defgh")]) { server in
            let client = try await RawTCPClient.connect(port: server.port)
            try await client.write("X\r\n\r\n")
            let first = try await client.read(atLeast: 5)
            #expect(first.count >= 5)
            #expect(Array("abcdefgh".utf8).starts(with: first))
            await #expect(throws: TestKitError.timeout) { try await client.read(atLeast: 100, timeout: .milliseconds(100)) }
            await #expect(throws: TestKitError.timeout) { try await client.readUntilClose(timeout: .milliseconds(100)) }
            await client.close()
            #expect(client.isClosed)
        }
        try await withRawServer([.write("12345678"), .close]) { server in
            let client = try await RawTCPClient.connect(port: server.port)
            try await client.write("\r\n\r\n")
            #expect(try await client.read(exactly: 3) == Array("123".utf8))
            #expect(try await client.read(exactly: 5) == Array("45678".utf8))
            try await client.waitForClose()
            await #expect(throws: TestKitError.connectionClosed) { try await client.read(atLeast: 1) }
        }
    }

    @Test func upgradeIRCIsAnsweredOrClosed() async throws {
        // NIO's server does not know IRC: this only shows the raw flow a Switchboard test uses.
        try await withHTTPServer { server in
            let client = try await RawTCPClient.connect(port: server.port)
            try await client.write("GET /x HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: IRC\r\n\r\n")
            let answer = String(decoding: try await client.read(until: "\r\n"), as: UTF8.self)
            #expect(answer.hasPrefix("HTTP/1.1 "))
            await client.close()
        }
    }

    @Test func connectionRefusedThrows() async throws {
        let server = try await TestHTTPServer.start()
        let port = server.port
        await server.stop()
        await #expect(throws: (any Error).self) { try await RawTCPClient.connect(port: port, timeout: .seconds(1)) }
    }
}

@Suite struct HelperTests {
    @Test func formBodyEncoding() {
        let body = formBody([("data", "~m~11~m~hello wörld"), ("x&y", "a+b=c/é")])
        #expect(String(decoding: body, as: UTF8.self) == "data=%7Em%7E11%7Em%7Ehello+w%C3%B6rld&x%26y=a%2Bb%3Dc%2F%C3%A9")
        #expect(formURLEncode("A-z_0.9*") == "A-z_0.9*")
        #expect(formBody([]) == [])
    }

    @Test func eventuallySucceedsAndTimesOut() async throws {
        let clock = ContinuousClock()
        let start = clock.now
        var calls = 0
        try await eventually {
            calls += 1
            return clock.now - start > .milliseconds(30)
        }
        #expect(calls > 1)
        await #expect(throws: TestKitError.timeout) {
            try await eventually(timeout: .milliseconds(50)) { false }
        }
    }

    @Test func durationConversion() {
        #expect(Duration.milliseconds(1500).timeAmount == .milliseconds(1500))
        #expect(Duration.seconds(-1).timeAmount == .zero)
        #expect(Duration.seconds(Int64.max / 2).timeAmount > .seconds(1_000_000))
    }
}
