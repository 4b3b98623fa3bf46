import SwitchboardCore
import SwitchboardServerTestSupport
import SwitchboardTestKit
import Testing

@Suite("websocket transport over loopback")
struct WebSocketTests {
    @Test("handshake first, then messages both ways; clients tracking 1 then 2")
    func handshakeAndTracking() async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        let (first, sid) = try await server.webSocket()
        #expect(sid.count == 22)
        try await eventually { server.listener.clients.count == 1 }
        #expect(server.listener.clientsIndex[sid] != nil)
        let (second, _) = try await server.webSocket()
        try await eventually { server.listener.clients.count == 2 }
        try await first.send(text: framed("hello"))
        #expect(try await first.receiveText() == framed("hello"))
        try await second.close()
        await first.disconnect()
    }

    @Test("JSON both ways")
    func json() async throws {
        let server = try await TestServer.start(echo: false)
        defer { Task { await server.stop() } }
        let (socket, sid) = try await server.webSocket()
        try await socket.send(text: framed(#"~j~{"a":[1,"x"],"b":{"c":true}}"#))
        try await eventually { !server.recorder.messages.isEmpty }
        #expect(server.recorder.messages == [.json(["a": [1, "x"], "b": ["c": true]])])
        try await server.send(sid, .json(["reply": 2]))
        #expect(try await socket.receiveText() == framed(#"~j~{"reply":2}"#))
    }

    @Test("astral characters are framed with UTF-16 lengths both ways")
    func astral() async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        let (socket, _) = try await server.webSocket()
        try await socket.send(text: "~m~6~m~ünï€😀")
        #expect(try await socket.receiveText() == "~m~6~m~ünï€😀")
        #expect(server.recorder.messages == ["ünï€😀"])
    }

    @Test("broadcast reaches every client; a client's broadcast skips the sender")
    func broadcasts() async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        let (a, sidA) = try await server.webSocket()
        let (b, _) = try await server.webSocket()
        let (c, _) = try await server.webSocket()
        try await eventually { server.listener.clients.count == 3 }
        server.listener.broadcast("to all")
        for socket in [a, b, c] { #expect(try await socket.receiveText() == framed("to all")) }

        try await a.send(text: framed("broadcast:from a"))
        #expect(try await b.receiveText() == framed("from a"))
        #expect(try await c.receiveText() == framed("from a"))
        try await server.send(sidA, "sentinel")
        #expect(try await a.receiveText() == framed("sentinel"), "the sender got nothing before the sentinel")
    }

    @Test("heartbeats: an echo keeps the session; no echo closes the socket and the client is removed")
    func heartbeatTimeout() async throws {
        let server = try await TestServer.start {
            var timers = TransportOptions()
            timers.heartbeatInterval = .milliseconds(100)
            timers.timeout = .milliseconds(3000)
            $0.transportOptions["websocket"] = timers
            $0.timeout = .milliseconds(150)
        }
        defer { Task { await server.stop() } }
        let (socket, sid) = try await server.webSocket()
        #expect(try await socket.receiveText() == "~m~4~m~~h~1")
        try await socket.send(text: "~m~4~m~~h~1")
        #expect(try await socket.receiveText() == "~m~4~m~~h~2", "the echo was matched; the next beat came")
        // No echo for beat 2: the server closes the socket, then the grace runs out.
        _ = try await socket.waitForClose(timeout: .seconds(10))
        try await eventually { server.recorder.disconnected.map(\.0) == [sid] }
        #expect(server.recorder.disconnected.first?.1 == .closeTimeout)
        #expect(server.listener.clients.isEmpty)
    }

    @Test("a message sent during the grace arrives first when the client re-attaches with its SID")
    func bufferedAcrossReconnect() async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        let (socket, sid) = try await server.webSocket()
        try await socket.close()
        _ = try await socket.waitForClose()
        try await eventually { server.listener.client(sid).map { !$0.isOpen } ?? false }
        try await server.send(sid, "while away")
        try await server.send(sid, .json(["n": 2]))
        let (resumed, _) = try await server.webSocket(resume: sid)
        #expect(try await resumed.receiveText() == framed("while away", #"~j~{"n":2}"#), "one payload, no second SID")
        try await resumed.send(text: framed("back"))
        #expect(try await resumed.receiveText() == framed("back"))
        #expect(server.recorder.connected == [sid], "the same session")
        #expect(server.listener.client(sid)?.connections == 2)
    }

    @Test("a text frame over maxHttpBufferSize closes with 1009")
    func oversizedFrame() async throws {
        let server = try await TestServer.start { $0.maxHttpBufferSize = 1000 }
        defer { Task { await server.stop() } }
        let (socket, _) = try await server.webSocket()
        try await socket.send(text: framed(String(repeating: "x", count: 2000)))
        #expect(try await socket.waitForClose() == 1009)
    }

    @Test("a fragmented message over maxHttpBufferSize closes with 1009")
    func oversizedFragments() async throws {
        let server = try await TestServer.start { $0.maxHttpBufferSize = 1000 }
        defer { Task { await server.stop() } }
        let (socket, _) = try await server.webSocket()
        try await socket.sendFrame(opcode: WebSocketOpcode.text, fin: false, payload: Array(repeating: 0x61, count: 800))
        try await socket.sendFrame(opcode: WebSocketOpcode.continuation, fin: true, payload: Array(repeating: 0x61, count: 800))
        #expect(try await socket.waitForClose() == 1009)
    }

    @Test("a binary frame closes with 1003, and no other session is disturbed")
    func binaryFrame() async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        let (bystander, _) = try await server.webSocket()
        let (socket, _) = try await server.webSocket()
        try await socket.send(binary: [1, 2, 3])
        #expect(try await socket.waitForClose() == 1003)
        try await bystander.send(text: framed("still here"))
        #expect(try await bystander.receiveText() == framed("still here"))
    }

    @Test("the server's disconnect closes the socket and fires clientDisconnect")
    func serverDisconnect() async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        let (socket, sid) = try await server.webSocket()
        server.listener.client(sid)?.disconnect()
        #expect(try await socket.waitForClose() == 1000)
        try await eventually { server.recorder.disconnected.first?.1 == .serverDisconnect }
        #expect(server.listener.clients.isEmpty)
    }
}
