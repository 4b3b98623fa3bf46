import NIOCore
import NIOPosix
import SwitchboardClient
import SwitchboardCore
import SwitchboardServerTestSupport
import SwitchboardTestKit
import SwitchboardWire
import Testing

@Suite("Socket resumes a session across dropped connections")
struct ResumeTests {
    /// The server's side of the connection closes (here: a proxy between them cuts it and refuses
    /// new connections for a while). Meanwhile the application sends 3 messages and so does the
    /// socket; once connections get through again the socket re-attaches with its SID.
    @Test(
        "messages sent by either side while the connection is down arrive once, in order, on the same SID",
        arguments: TransportMatrixTests.transports)
    func resume(transport: String) async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        let proxy = try await TCPProxy.start(to: server.port)
        let socket = try Socket(port: proxy.port, options: socketOptions(transport))
        let probe = Probe(socket)
        try await socket.connect()
        let sid = try #require(socket.sessionId)
        let client = try #require(server.listener.client(sid))
        // A poll that reached the server after the cut would carry the server's messages away on a
        // dying connection (nothing acknowledges a payload: docs/protocol.md §1); so cut while one is held.
        try await eventually { client.isOpen }

        await proxy.cut()
        try await probe.waitFor("close")
        try await eventually { !client.isOpen }
        client.send("server 1")
        client.send(.json(["server": 2]))
        client.send("server 3")
        socket.send("client 1")
        socket.send(json: ["client": 2])
        socket.send("client 3")
        try await probe.waitFor("reconnecting:2")  // at least one attempt was refused
        try await proxy.restore()

        try await probe.waitFor("reconnect:\(transport)")
        #expect(socket.sessionId == sid && socket.connected)
        let expected: [Message] = [
            "server 1", .json(["server": 2]), "server 3", "client 1", .json(["client": 2]), "client 3",
        ]
        try await eventually { server.recorder.messages(from: sid).count == 3 }
        #expect(server.recorder.messages(from: sid) == Array(expected.suffix(3)), "the socket's queue, once, in order")
        #expect(try await probe.messages(count: 6) == expected, "the server's queue first, then the echoes")
        // Nothing twice: a last message's echo comes next, after everything the session had to send.
        socket.send("last")
        #expect(try await probe.messages(count: 7) == expected + ["last"], "nothing twice")
        #expect(server.recorder.messages(from: sid) == Array(expected.suffix(3)) + ["last"])
        #expect(server.recorder.connected == [sid], "one session throughout")
        #expect(probe.events.filter { $0 == "connect" }.count == 1)
        socket.disconnect()
        await proxy.cut()
    }

    @Test("after maxReconnectionAttempts: reconnect_failed, then disconnect")
    func reconnectFailed() async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        let proxy = try await TCPProxy.start(to: server.port)
        let socket = try Socket(
            port: proxy.port, options: socketOptions("websocket") { $0.maxReconnectionAttempts = 3 })
        let probe = Probe(socket)
        try await socket.connect()
        await proxy.cut()
        try await probe.waitFor("disconnect")
        #expect(
            probe.events == [
                "connecting:websocket", "connect", "close", "reconnecting:1", "reconnecting:2", "reconnecting:3",
                "reconnect_failed", "disconnect",
            ])
        #expect(!socket.connected)
    }

    @Test(
        "a session the server forgot (grace over) is not re-attached: 404, then disconnect",
        arguments: ["websocket", "xhr-polling"])
    func graceOver(transport: String) async throws {
        // A short grace, but long enough that a loaded machine does not miss it between two polls.
        let server = try await TestServer.start { $0.timeout = .milliseconds(500) }
        defer { Task { await server.stop() } }
        let proxy = try await TCPProxy.start(to: server.port)
        let socket = try Socket(
            port: proxy.port, options: socketOptions(transport) { $0.reconnectionDelay = .milliseconds(400) })
        let probe = Probe(socket)
        try await socket.connect()
        let sid = try #require(socket.sessionId)
        await proxy.cut()
        try await eventually { server.recorder.disconnected.map(\.0) == [sid] }
        try await proxy.restore()
        try await probe.waitFor("disconnect")
        #expect(!probe.events.contains("reconnect_failed"))
        #expect(!socket.connected)
        await proxy.cut()
    }
}

@Suite("Socket with the envelope codec")
struct EnvelopeTests {
    @Test(
        "the seed's first wire format: handshake, strings and JSON both ways", arguments: ["websocket", "xhr-polling"])
    func envelope(transport: String) async throws {
        let server = try await TestServer.start { $0.protocol = .envelope }
        defer { Task { await server.stop() } }
        let socket = try Socket(port: server.port, options: socketOptions(transport) { $0.protocol = .envelope })
        let probe = Probe(socket)
        try await socket.connect()
        let sid = try #require(socket.sessionId)
        #expect(server.listener.client(sid) != nil, "the SID came out of {\"sessionid\":...}")
        socket.send(["a", .json(["b": 1]), "</script> 😀"])
        try await eventually { server.recorder.messages(from: sid).count == 3 }
        #expect(server.recorder.messages(from: sid) == ["a", .json(["b": 1]), "</script> 😀"])
        #expect(try await probe.messages(count: 3) == ["a", .json(["b": 1]), "</script> 😀"])
        socket.disconnect()
    }
}

@Suite("Socket: failures to connect end in an error, never a hang")
struct ConnectFailureTests {
    @Test("nothing listening: every transport is unreachable; connect() throws and connect_failed fires")
    func nothingListening() async throws {
        let port = try await closedPort()
        // A refused connection fails at once, not at connectTimeout: with a long one, ending well
        // before it shows that no transport waited for it (the margin is for a loaded machine).
        let socket = try Socket(port: port, options: socketOptions(configure: { $0.connectTimeout = .seconds(60) }))
        let probe = Probe(socket)
        let clock = ContinuousClock()
        let start = clock.now
        let error = await #expect(throws: SocketError.self) { try await socket.connect() }
        #expect(clock.now - start < .seconds(30))
        guard case .connectFailed(let failures)? = error else { return }
        #expect(failures.map(\.transport) == TransportMatrixTests.transports + ["xhr-streaming"], "every transport it knows")
        #expect(failures.allSatisfy { if case .unreachable = $0.failure { true } else { false } })
        #expect(probe.events.last == "connect_failed")
        #expect(!socket.connected && !socket.connecting)
    }

    @Test("an HTTP 404 (the resource is not served) on every transport")
    func notFound() async throws {
        let server = try await TestServer.start(application: false)
        defer { Task { await server.stop() } }
        let socket = try Socket(port: server.port, options: socketOptions { $0.resource = "elsewhere" })
        let error = await #expect(throws: SocketError.self) { try await socket.connect() }
        guard case .connectFailed(let failures)? = error else { return }
        #expect(failures.count == 8)
        #expect(failures.allSatisfy { $0.failure == .httpStatus(404) }, "\(failures)")
    }

    @Test(
        "a refused upgrade (the server does not offer websocket) fails it; the next transport connects and is remembered"
    )
    func refusedUpgradeFallsBack() async throws {
        let server = try await TestServer.start { $0.transports = ["xhr-polling"] }
        defer { Task { await server.stop() } }
        let only = try Socket(port: server.port, options: socketOptions("websocket"))
        let error = await #expect(throws: SocketError.self) { try await only.connect() }
        #expect(
            error == .connectFailed([.init(transport: "websocket", failure: .httpStatus(200))]),
            "the application's page is no 101")

        let options = socketOptions("websocket", "xhr-polling") { $0.rememberTransport = true }
        let socket = try Socket(port: server.port, options: options)
        let probe = Probe(socket)
        try await socket.connect()
        #expect(probe.events == ["connecting:websocket", "connecting:xhr-polling", "connect"])
        #expect(socket.transport == "xhr-polling")
        socket.disconnect()

        let next = try Socket(port: server.port, options: options)
        let nextProbe = Probe(next)
        try await next.connect()
        #expect(nextProbe.events == ["connecting:xhr-polling", "connect"], "the transport that worked is tried first")
        next.disconnect()
    }

    @Test("a server that never answers: each transport times out after connectTimeout, then connect_failed")
    func silent() async throws {
        let silent = try await silentServer()
        defer { silent.close(promise: nil) }
        let port = try #require(silent.localAddress?.port)
        let socket = try Socket(
            port: port,
            options: socketOptions("websocket", "htmlfile", "xhr-polling") { $0.connectTimeout = .milliseconds(200) })
        let probe = Probe(socket)
        let connect = { socket.connect() }  // the seed's style, events only (in a synchronous context)
        connect()
        try await probe.waitFor("connect_failed", timeout: .seconds(3))
        #expect(
            probe.events == ["connecting:websocket", "connecting:htmlfile", "connecting:xhr-polling", "connect_failed"])
    }

    @Test("disconnect() while connecting ends connect() with an error")
    func disconnectWhileConnecting() async throws {
        let silent = try await silentServer()
        defer { silent.close(promise: nil) }
        let socket = try Socket(port: try #require(silent.localAddress?.port), options: socketOptions("websocket"))
        let connecting = Task { try await socket.connect() }
        try await eventually { socket.connecting }
        socket.disconnect()
        await #expect(throws: SocketError.disconnected) { try await connecting.value }
    }
}

@Suite("Socket: hixie-76 and the Flash policy")
struct LegacyWebSocketTests {
    @Test("hixie-76 handshake and frames, both ways, heartbeats echoed", arguments: ["websocket", "flashsocket"])
    func hixie(transport: String) async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let server = try await TestServer.start(group: group) {
            // The echo window is wide for a loaded machine: a beat comes only after the last one's echo.
            TestServer.heartbeats(&$0, interval: .milliseconds(100), timeout: .seconds(3))
        }
        defer {
            Task {
                await server.stop()
                try? await group.shutdownGracefully()
            }
        }
        // The proxy sees the heartbeat echoes go by; its port also serves the Flash policy inline.
        let proxy = try await TCPProxy.start(to: server.port)
        let socket = try Socket(
            port: proxy.port,
            options: socketOptions(transport) {
                $0.webSocketDraft = .hixie76
                $0.reconnect = false
            },
            group: group)
        let probe = Probe(socket)
        try await socket.connect()
        let sid = try #require(socket.sessionId)
        socket.send([.text(TransportMatrixTests.hostile), .json(["a": 1])])
        #expect(try await probe.messages(count: 2) == [.text(TransportMatrixTests.hostile), .json(["a": 1])])
        #expect(server.recorder.messages(from: sid).count == 2)
        // Five heartbeat cycles, each echoed in time, on the one connection.
        try await eventually { proxy.clientSent(Array(Framed.frame(Framed.heartbeat(5)).utf8)) }
        #expect(socket.connected && server.listener.client(sid)?.connections == 1, "\(probe.events)")
        #expect(!probe.events.contains("close"))
        socket.disconnect()
        await proxy.cut()
    }

    @Test("flashsocket gives up when the Flash policy does not allow the port")
    func policyRefuses() async throws {
        let server = try await TestServer.start { $0.origins = ["example.com:80"] }
        defer { Task { await server.stop() } }
        let socket = try Socket(port: server.port, options: socketOptions("flashsocket"))
        let error = await #expect(throws: SocketError.self) { try await socket.connect() }
        guard case .connectFailed(let failures)? = error, case .refused(let reason)? = failures.first?.failure else {
            Issue.record("expected a refusal, got \(String(describing: error))")
            return
        }
        #expect(reason.contains("Flash policy"))

        let unchecked = try Socket(
            port: server.port, options: socketOptions("flashsocket") { $0.flashPolicyCheck = false })
        try await unchecked.connect()
        unchecked.disconnect()
    }
}
