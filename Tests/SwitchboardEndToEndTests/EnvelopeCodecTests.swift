import SwitchboardCore
import SwitchboardServerTestSupport
import SwitchboardTestKit
import Testing

/// The seed's first wire format (docs/protocol.md §2.2), chosen with `protocol: envelope`.
@Suite("envelope codec over every transport")
struct EnvelopeCodecTests {
    static func start(echo: Bool = true) async throws -> TestServer {
        try await TestServer.start(echo: echo) { $0.protocol = .envelope }
    }

    func handshake(_ sid: String) -> String { #"{"messages":["{\"sessionid\":\"\#(sid)\"}"]}"# }

    @Test("websocket: byte-exact first write, JSON arrays in, one envelope per write")
    func websocket() async throws {
        let server = try await Self.start()
        defer { Task { await server.stop() } }
        let socket = try await WebSocketTestClient.connect(port: server.port, path: "/socket.io/websocket")
        let first = try await socket.receiveText()
        let sid = try #require(server.listener.clients.first?.sessionId)
        #expect(first == handshake(sid))
        try await socket.send(text: #"["a",{"b":1}]"#)
        #expect(try await socket.receiveText() == #"{"messages":["a"]}"#)
        #expect(try await socket.receiveText() == #"{"messages":[{"b":1}]}"#)
        #expect(server.recorder.messages == ["a", .json(["b": 1])])
    }

    @Test("xhr-polling: the handshake poll, a queued batch as one envelope, a posted array as two messages")
    func polling() async throws {
        let server = try await Self.start(echo: false)
        defer { Task { await server.stop() } }
        let http = try await server.http()
        let first = try await http.request("GET", "/socket.io/xhr-polling//1").bodyString
        let sid = try #require(server.listener.clients.first?.sessionId)
        #expect(first == handshake(sid))
        try await server.send(sid, "one")
        try await server.send(sid, .json(["two": 2]))
        #expect(try await server.poll(http, sid).bodyString == #"{"messages":["one",{"two":2}]}"#)
        #expect(try await server.post(http, sid, payload: #"["a",{"b":1}]"#).status == 200)
        try await eventually { server.recorder.messages == ["a", .json(["b": 1])] }
        #expect(try await server.post(http, sid, payload: "~m~1~m~a").status == 400, "not a JSON array")
    }

    @Test("streams and jsonp-polling carry the same envelope inside their wrappers",
          arguments: ["htmlfile", "xhr-multipart", "server-events"])
    func streams(transport: String) async throws {
        let server = try await Self.start()
        defer { Task { await server.stop() } }
        let connection = try await server.http()
        let stream = try await connection.startRequest("GET", "/socket.io/\(transport)//1")
        if transport != "server-events" { _ = try await stream.nextChunkString() }
        let first = try Wire.payload(of: try #require(try await stream.nextChunkString()), transport: transport)
        let sid = try #require(server.listener.clients.first?.sessionId)
        #expect(first == handshake(sid))
        let post = try await server.http()
        _ = try await post.request("POST", "/socket.io/\(transport)/\(sid)/send", body: formBody([("data", #"["</script> 😀"]"#)]))
        let echo = try Wire.payload(of: try #require(try await stream.nextChunkString()), transport: transport)
        #expect(echo == #"{"messages":["</script> 😀"]}"#)
    }

    @Test("jsonp-polling: the envelope as the callback's string")
    func jsonp() async throws {
        let server = try await Self.start()
        defer { Task { await server.stop() } }
        let http = try await server.http()
        let body = try await http.request("GET", "/socket.io/jsonp-polling//1/0").bodyString
        let sid = try #require(server.listener.clients.first?.sessionId)
        #expect(try Wire.payload(of: body, transport: "jsonp-polling") == handshake(sid))
    }

    @Test("no heartbeats are sent with the envelope codec, whatever a transport's options say")
    func noHeartbeats() throws {
        var options = ListenerOptions()
        options.protocol = .envelope
        options.transportOptions["websocket", default: TransportOptions()].heartbeatInterval = .milliseconds(50)
        let listener = try Listener(options: options, transports: TestServer.transports)
        #expect(listener.timers(forTransport: "websocket").heartbeatInterval == nil)
        // The machine sends none either: `SessionStateMachineTests` ("the envelope codec has none").
    }
}
