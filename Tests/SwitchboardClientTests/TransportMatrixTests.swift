import NIOCore
import NIOPosix
import SwitchboardClient
import SwitchboardCore
import SwitchboardJSON
import SwitchboardServerTestSupport
import SwitchboardTestKit
import Testing

/// One row per transport (all seven), over loopback against the real server (issue 5's matrix).
@Suite("Socket over every transport")
struct TransportMatrixTests {
    /// All seven, in default order.
    static let transports = TestServer.transports.names
    /// Text that each wrapper must carry intact: script end, line breaks, quotes, astral and U+2028.
    static let hostile = "</script>\r\n\"quoted\" back\\slash 😀 ünï€ \u{2028} ~m~3~m~ {payload}"

    @Test("handshake and SID; strings, JSON and Codable both ways", arguments: transports)
    func bothDirections(transport: String) async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        let socket = try Socket(port: server.port, options: socketOptions(transport))
        let probe = Probe(socket)
        try await socket.connect()
        let sid = try #require(socket.sessionId)
        #expect(socket.connected && socket.transport == transport)
        #expect(probe.events == ["connecting:\(transport)", "connect"])
        try await eventually { server.recorder.connected == [sid] }
        let client = try #require(server.listener.client(sid))
        #expect(client.transport == transport)

        let chat = Chat(user: "ada", text: Self.hostile, count: 3)
        socket.send(Self.hostile)
        socket.send(json: ["a": [1, "x"], "b": ["c": true]])
        try socket.send(encoding: chat)
        socket.send(["list", "= two"])
        let sent: [Message] = [
            .text(Self.hostile), .json(["a": [1, "x"], "b": ["c": true]]), try Message(encoding: chat), "list", "= two",
        ]
        try await eventually { server.recorder.messages(from: sid).count == 5 }
        #expect(server.recorder.messages(from: sid) == sent, "the server got each message once, in order")
        #expect(try await probe.messages(count: 5) == sent, "the echoes came back")
        #expect(try probe.messages[2].decode(Chat.self) == chat)

        client.send("from the server")
        client.send(json: ["n": 2.5])
        try client.send(encoding: chat)
        let fromServer = try await probe.messages(count: 8).suffix(3)
        #expect(Array(fromServer) == ["from the server", .json(["n": 2.5]), try Message(encoding: chat)])
        socket.disconnect()
    }

    @Test("server broadcast reaches every socket; a socket's broadcast skips its sender", arguments: transports)
    func broadcasts(transport: String) async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        let a = try Socket(port: server.port, options: socketOptions(transport))
        let b = try Socket(port: server.port, options: socketOptions(transport))
        let (probeA, probeB) = (Probe(a), Probe(b))
        try await a.connect()
        try await b.connect()
        try await eventually { server.listener.clientCount == 2 }
        server.listener.broadcast("to all")
        try await probeA.messages(count: 1)
        try await probeB.messages(count: 1)
        a.send("broadcast:from a")
        #expect(try await probeB.messages(count: 2).last == "from a")
        let sidA = try #require(a.sessionId)
        try #require(server.listener.client(sidA)).send("sentinel")
        #expect(
            try await probeA.messages(count: 2) == ["to all", "sentinel"], "the sender got nothing of its broadcast")
        a.disconnect()
        b.disconnect()
    }

    @Test("1,000 messages each way, in order", arguments: transports)
    func thousandEachWay(transport: String) async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        let socket = try Socket(port: server.port, options: socketOptions(transport))
        let probe = Probe(socket)
        try await socket.connect()
        let sid = try #require(socket.sessionId)
        let up = (0..<1000).map { "up \($0)" }
        for text in up { socket.send(text) }
        try await probe.messages(count: 1000, timeout: .seconds(10))
        #expect(server.recorder.messages(from: sid).compactMap(\.text) == up)
        #expect(probe.texts == up, "the echoes, in order")
        let client = try #require(server.listener.client(sid))
        let down = (0..<1000).map { "down \($0)" }
        for text in down { client.send(text) }
        try await probe.messages(count: 2000, timeout: .seconds(10))
        #expect(Array(probe.texts.dropFirst(1000)) == down)
        socket.disconnect()
    }

    @Test(
        "the server's disconnect ends the session: disconnect fires and no re-attachment lingers", arguments: transports
    )
    func serverDisconnect(transport: String) async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        let socket = try Socket(port: server.port, options: socketOptions(transport))
        let probe = Probe(socket)
        try await socket.connect()
        let sid = try #require(socket.sessionId)
        try #require(server.listener.client(sid)).disconnect()
        try await probe.waitFor("disconnect")
        #expect(!socket.connected && socket.sessionId == nil)
        #expect(server.recorder.disconnected.map(\.1) == [.serverDisconnect])
        #expect(!probe.events.contains("reconnect:\(transport)"), "the SID is gone: no re-attachment: \(probe.events)")
        #expect(server.listener.clientCount == 0)
    }

    @Test(
        "heartbeats are echoed: the session and its connection outlive several short heartbeat timeouts",
        arguments: transports)
    func heartbeats(transport: String) async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let server = try await TestServer.start(group: group) {
            TestServer.heartbeats(&$0, interval: .milliseconds(100), timeout: .milliseconds(500))
            $0.timeout = .milliseconds(300)
        }
        defer {
            Task {
                await server.stop()
                try? await group.shutdownGracefully()
            }
        }
        // No re-attachment: a heartbeat that went unanswered would end the session.
        let socket = try Socket(
            port: server.port, options: socketOptions(transport) { $0.reconnect = false }, group: group)
        let probe = Probe(socket)
        try await socket.connect()
        let sid = try #require(socket.sessionId)
        // A witness that never echoes: once the server has ended its session (heartbeat timeout,
        // then the grace), several heartbeat cycles have passed for the socket too. The timers'
        // logic is tested in virtual time (`VirtualTimeTests`, `SessionHTTPHandlerTests`,
        // `WebSocketSessionHandlerTests`).
        let witness = try await WebSocketTestClient.connect(port: server.port, path: "/socket.io/websocket")
        let witnessSid = String(try await witness.receiveText().dropFirst(8))
        try await eventually { server.recorder.disconnected.contains { $0.0 == witnessSid } }
        #expect(probe.events == ["connecting:\(transport)", "connect"])
        #expect(socket.connected && socket.sessionId == sid)
        #expect(server.recorder.disconnected.map(\.0) == [witnessSid])
        let client = try #require(server.listener.client(sid))
        if TestServer.transports[transport]?.descriptor.kind != .poll {
            #expect(client.connections == 1, "the same connection all along")
        }
        socket.send("still here")
        #expect(try await probe.messages(count: 1) == ["still here"])
        socket.disconnect()
    }

    @Test("for await message in socket.messages")
    func asyncMessages() async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        let socket = try Socket(port: server.port, options: socketOptions("websocket"))
        let messages = socket.messages
        try await socket.connect()
        socket.send(["one", "two", "three"])
        var received: [Message] = []
        for await message in messages {
            received.append(message)
            if received.count == 3 { socket.disconnect() }
        }
        #expect(received == ["one", "two", "three"], "the stream ends with the session")
    }
}
