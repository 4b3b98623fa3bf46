import Logging
import SwitchboardCore
import SwitchboardServerTestSupport
import SwitchboardTestKit
import Testing

/// The request timeouts over loopback (docs/protocol.md §9.4), one hostile shape each, with short
/// limits; a held poll, a stream and both WebSockets outlive them. The limits are short, but long
/// enough that a loaded machine's pauses do not reach them between a test's own steps.
@Suite("request timeouts over real sockets")
struct RequestTimeoutTests {
    static let head = 1000, body = 1000, idle = 3000
    /// Longer than every limit.
    static let pollDuration = 4000

    static func start(_ logs: CapturedLogs) async throws -> TestServer {
        try await TestServer.start {
            $0.log = logs.logger()
            $0.requestHeadTimeout = .milliseconds(Int64(head))
            $0.requestBodyTimeout = .milliseconds(Int64(body))
            $0.idleTimeout = .milliseconds(Int64(idle))
            $0.transportOptions["xhr-polling", default: TransportOptions()].duration = .milliseconds(Int64(pollDuration))
        }
    }

    /// A server, its log, and a raw connection to it.
    static func connect() async throws -> (TestServer, CapturedLogs, RawTCPClient) {
        let logs = CapturedLogs()
        let server = try await start(logs)
        return (server, logs, try await RawTCPClient.connect(port: server.port))
    }

    /// What the server sent until it closed.
    static func untilClosed(_ tcp: RawTCPClient) async throws -> String {
        String(decoding: try await tcp.readUntilClose(timeout: .seconds(10)), as: UTF8.self)
    }

    /// How long `body` took.
    static func timed<T>(_ body: () async throws -> T) async rethrows -> (T, Duration) {
        let clock = ContinuousClock()
        let start = clock.now
        let result = try await body()
        return (result, clock.now - start)
    }

    static func expect408(_ text: String, reason: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(text.hasPrefix("HTTP/1.1 408 Request Timeout\r\n"), sourceLocation: sourceLocation)
        #expect(text.contains("\r\nConnection: close\r\n"), sourceLocation: sourceLocation)
        #expect(text.hasSuffix("\r\n\r\n408 Request Timeout: \(reason)\n"), sourceLocation: sourceLocation)
    }

    @Test("a connection that sends nothing is closed after idleTimeout, with a log line")
    func silentConnection() async throws {
        let logs = CapturedLogs()
        let server = try await Self.start(logs)
        defer { Task { await server.stop() } }
        // Timed from before the connection: the server's wait starts later, when it accepts it.
        let (text, after) = try await Self.timed { try await Self.untilClosed(try await RawTCPClient.connect(port: server.port)) }
        #expect(text == "")
        #expect(after >= .milliseconds(Self.idle))
        try await eventually { logs.messages(at: .debug).contains("no request within \(Self.idle) ms; closing the idle connection") }
    }

    @Test("a partial head gets 408 and a close")
    func partialHead() async throws {
        let (server, logs, tcp) = try await Self.connect()
        defer { Task { await server.stop() } }
        try await tcp.write("GET /socket.io/xhr-polling//1 HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        let text = try await Self.untilClosed(tcp)
        let reason = "request head not complete within \(Self.head) ms"
        Self.expect408(text, reason: reason)
        #expect(logs.messages(at: .warning).contains("408 Request Timeout: \(reason); closing the connection"))
        #expect(server.listener.clientCount == 0)
    }

    @Test("a POST whose body never arrives gets 408 and a close")
    func bodyNeverArrives() async throws {
        let logs = CapturedLogs()
        let server = try await Self.start(logs)
        defer { Task { await server.stop() } }
        let sid = try await server.pollingSession(try await server.http())
        let tcp = try await RawTCPClient.connect(port: server.port)
        try await tcp.write(
            "POST /socket.io/xhr-polling/\(sid)/send HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                + "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\ndata=~m~")
        let text = try await Self.untilClosed(tcp)
        let reason = "no part of the request body within \(Self.body) ms"
        Self.expect408(text, reason: reason)
        #expect(logs.messages(at: .warning).contains("408 Request Timeout: \(reason); closing the connection"))
        #expect(server.recorder.messages(from: sid).isEmpty)
    }

    @Test("a keep-alive connection with no request in flight is closed after idleTimeout")
    func idleKeepAlive() async throws {
        let (server, logs, tcp) = try await Self.connect()
        defer { Task { await server.stop() } }
        // Timed from before the request: the server's wait starts later, when its answer ends.
        let (text, after) = try await Self.timed {
            try await tcp.write("GET /socket.io/xhr-polling/unknown/1 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            return try await Self.untilClosed(tcp)
        }
        #expect(text.hasPrefix("HTTP/1.1 404 Not Found\r\n"))
        #expect(text.contains("\r\nConnection: keep-alive\r\n"))
        #expect(text.hasSuffix("\r\n\r\n404 Not Found: unknown session\n"), "closed without a second answer")
        #expect(after >= .milliseconds(Self.idle))
        try await eventually { logs.messages(at: .debug).contains("no request within \(Self.idle) ms; closing the idle connection") }
    }

    @Test("a held poll longer than every limit is answered at its duration, and its connection serves the next poll")
    func heldPollIsNotCut() async throws {
        let server = try await Self.start(CapturedLogs())
        defer { Task { await server.stop() } }
        let sid = try await server.pollingSession(try await server.http())
        let connection = try await server.http()
        let (held, after) = try await Self.timed { try await server.poll(connection, sid) }
        #expect(held.status == 200)
        #expect(held.bodyString == "")
        #expect(after >= .milliseconds(Self.pollDuration - 100), "held for duration, not cut at a limit")
        try await server.send(sid, "after")
        #expect(try await server.poll(connection, sid).bodyString == framed("after"))
    }

    @Test("a stream, a WebSocket and a hixie-76 socket outlive every limit")
    func persistentConnectionsLiveOn() async throws {
        let server = try await Self.start(CapturedLogs())
        defer { Task { await server.stop() } }
        let streamConnection = try await server.http()
        let stream = try await streamConnection.startRequest("GET", "/socket.io/htmlfile")
        _ = try await stream.nextChunkString()  // the prelude
        let handshake = try #require(try await stream.nextChunkString())
        let streamSid = String(handshake.split(separator: "~m~")[2].prefix(22))
        let (socket, _) = try await server.webSocket()
        let hixie = try await HixieClient.connect(port: server.port, path: "/socket.io/websocket")
        _ = try await hixie.receive()

        // A witness: a keep-alive connection left idle. Once the server has closed it, the
        // longest limit (idleTimeout) has passed for the connections above too.
        let witness = try await RawTCPClient.connect(port: server.port)
        _ = try await Self.untilClosed(witness)

        try await server.send(streamSid, "stream")
        #expect(try await stream.nextChunkString()?.contains(framed("stream")) == true)
        try await socket.send(text: framed("socket"))
        #expect(try await socket.receiveText() == framed("socket"))
        try await hixie.send(framed("hixie"))
        #expect(try await hixie.receive() == framed("hixie"))
    }
}
