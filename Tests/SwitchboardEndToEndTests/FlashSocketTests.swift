import NIOCore
import NIOPosix
import SwitchboardCore
import SwitchboardFlashSocket
import SwitchboardServerTestSupport
import SwitchboardTestKit
import SwitchboardWebSocket
import SwitchboardWire
import Testing

/// A hixie-76 client on a raw TCP connection.
struct HixieClient {
    let tcp: RawTCPClient
    let head: String

    /// The example of draft-hixie-thewebsocketprotocol-76 §1.3, with its expected answer (SwitchboardWireTests
    /// checks the key numbers and the answer).
    static let key1 = "4 @1  46546xW%0l 1 5", key2 = "12998 5 Y3 1  .P00", key3 = Array("^n:ds[4U".utf8)
    static let expectedAnswer = Array("8jKS'y:G*Co,Wxa-".utf8)

    /// Sends the handshake; reads the response head before sending the 8 key bytes; checks the answer.
    static func connect(port: Int, path: String) async throws -> HixieClient {
        let tcp = try await RawTCPClient.connect(port: port)
        try await tcp.write(
            "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nUpgrade: WebSocket\r\nConnection: Upgrade\r\n"
                + "Origin: http://example.com\r\nSec-WebSocket-Key1: \(key1)\r\nSec-WebSocket-Key2: \(key2)\r\n\r\n")
        let head = String(decoding: try await tcp.read(until: "\r\n\r\n"), as: UTF8.self)
        try await tcp.write(key3)
        #expect(try await tcp.read(exactly: 16) == expectedAnswer)
        return HixieClient(tcp: tcp, head: head)
    }

    func send(_ payload: String) async throws {
        try await tcp.write([0x00] + Array(payload.utf8) + [0xFF])
    }

    func receive() async throws -> String {
        let frame = try await tcp.read(until: [0xFF])
        #expect(frame.first == 0x00)
        return String(decoding: frame.dropFirst().dropLast(), as: UTF8.self)
    }
}

@Suite("flashsocket transport, hixie-76 and the Flash policy file")
struct FlashSocketTests {
    static let policy = """
        <?xml version="1.0"?>
        <!DOCTYPE cross-domain-policy SYSTEM "http://www.macromedia.com/xml/dtds/cross-domain-policy.dtd">
        <cross-domain-policy>
        <allow-access-from domain="*" to-ports="*"/>
        </cross-domain-policy>

        """

    @Test("a raw client sending <policy-file-request/>\\0 to the HTTP port gets the policy and a close")
    func inlinePolicy() async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        #expect(try await Self.policy(from: server.port) == Self.policy)
        let http = try await server.http()
        #expect(try await http.request("GET", "/plain").bodyString == "app:GET /plain", "HTTP is untouched")
    }

    @Test("the policy server on flashPolicyPort answers; a port that cannot be bound is logged, not fatal")
    func policyServer() async throws {
        let port = try await Self.freePort()
        let server = try await Self.start(policyPort: port)
        defer { Task { await server.stop() } }
        #expect(try await Self.policy(from: port) == Self.policy)

        let second = try await Self.start(policyPort: port)  // taken by the first server
        defer { Task { await second.stop() } }
        #expect(try await Self.policy(from: second.port) == Self.policy)
    }

    @Test("the policy server binds the HTTP server's address, and both answers list exactly the configured origins")
    func policyFollowsHostAndOrigins() async throws {
        let port = try await Self.freePort()
        let server = try await Self.start(policyPort: port) { $0.origins = ["example.com:8080", "*.example.org", ":80"] }
        defer { Task { await server.stop() } }
        let expected = """
            <?xml version="1.0"?>
            <!DOCTYPE cross-domain-policy SYSTEM "http://www.macromedia.com/xml/dtds/cross-domain-policy.dtd">
            <cross-domain-policy>
            <allow-access-from domain="example.com" to-ports="8080"/>
            <allow-access-from domain="*.example.org" to-ports="*"/>
            <allow-access-from domain="" to-ports="80"/>
            </cross-domain-policy>

            """
        for answering in [port, server.port] {  // the policy port, and inline on the HTTP port
            #expect(try await Self.policy(from: answering) == expected, "port \(answering)")
        }
        // The HTTP server is bound to 127.0.0.1 (TestServer's host): another loopback address
        // reaches neither it nor the policy port.
        for unreachable in [port, server.port] {
            await #expect(throws: (any Error).self, "port \(unreachable) on 127.0.0.2") {
                try await RawTCPClient.connect(host: "127.0.0.2", port: unreachable, timeout: .seconds(5))
            }
        }
    }

    @Test("the policy port closes a connection whose request is not complete within requestHeadTimeout")
    func policyServerTimeout() async throws {
        let port = try await Self.freePort()
        let server = try await Self.start(policyPort: port) { $0.requestHeadTimeout = .milliseconds(500) }
        defer { Task { await server.stop() } }
        let tcp = try await RawTCPClient.connect(port: port)
        try await tcp.write(Array(FlashPolicy.request.prefix(5)))
        #expect(try await tcp.readUntilClose(timeout: .seconds(10)).isEmpty)
    }

    @Test("hixie-76: the headers come before the key bytes, then the 16-byte answer, then messages both ways",
          arguments: ["flashsocket", "websocket"])
    func hixieSession(transport: String) async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        let client = try await HixieClient.connect(port: server.port, path: "/socket.io/\(transport)")
        #expect(client.head.hasPrefix("HTTP/1.1 101 WebSocket Protocol Handshake\r\n"))
        #expect(client.head.contains("Upgrade: WebSocket\r\n"))
        #expect(client.head.contains("Sec-WebSocket-Origin: http://example.com\r\n"))
        #expect(client.head.contains("Sec-WebSocket-Location: ws://127.0.0.1:\(server.port)/socket.io/\(transport)\r\n"))
        let sid = try Wire.sessionId(inHandshake: try await client.receive())
        #expect(server.listener.client(sid)?.transport == transport)
        try await client.send(framed(StreamTransportTests.hostile, #"~j~{"a":1}"#))
        #expect(try await client.receive() == framed(StreamTransportTests.hostile))
        #expect(try await client.receive() == framed(#"~j~{"a":1}"#))
    }

    @Test("hixie-76 with a bad key gets no 101")
    func hixieBadKey() async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        let tcp = try await RawTCPClient.connect(port: server.port)
        try await tcp.write(
            "GET /socket.io/flashsocket HTTP/1.1\r\nHost: x\r\nUpgrade: WebSocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Key1: 1234\r\nSec-WebSocket-Key2: 12 34\r\n\r\n12345678")
        let answer = String(decoding: try await tcp.read(until: "\r\n\r\n"), as: UTF8.self)
        #expect(answer.hasPrefix("HTTP/1.1 400"))
        #expect(server.listener.clientCount == 0)
    }

    @Test("RFC 6455 on the flashsocket path: handshake, tracking, broadcast, buffered resume")
    func rfc6455() async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        let a = try await WebSocketTestClient.connect(port: server.port, path: "/socket.io/flashsocket")
        let sidA = try Wire.sessionId(inHandshake: try await a.receiveText())
        let b = try await WebSocketTestClient.connect(port: server.port, path: "/socket.io/flashsocket")
        _ = try await b.receiveText()
        try await eventually { server.listener.clientCount == 2 }
        try await a.send(text: framed("broadcast:hi b"))
        #expect(try await b.receiveText() == framed("hi b"))
        try await a.close()
        try await eventually { server.listener.client(sidA)?.isOpen == false }
        try await server.send(sidA, "while away")
        let resumed = try await WebSocketTestClient.connect(port: server.port, path: "/socket.io/flashsocket/\(sidA)")
        #expect(try await resumed.receiveText() == framed("while away"))
    }

    @Test("heartbeat timeout over hixie-76 closes the connection and ends the session")
    func hixieHeartbeatTimeout() async throws {
        let server = try await TestServer.start {
            var timers = TransportOptions()
            timers.heartbeatInterval = .milliseconds(100)
            timers.timeout = .milliseconds(3000)
            $0.transportOptions["flashsocket"] = timers
            $0.timeout = .milliseconds(150)
        }
        defer { Task { await server.stop() } }
        let client = try await HixieClient.connect(port: server.port, path: "/socket.io/flashsocket")
        let sid = try Wire.sessionId(inHandshake: try await client.receive())
        #expect(try await client.receive() == "~m~4~m~~h~1")
        try await client.send("~m~4~m~~h~1")
        #expect(try await client.receive() == "~m~4~m~~h~2")
        _ = try await client.tcp.readUntilClose(timeout: .seconds(10))
        try await eventually { server.recorder.disconnected.map(\.0) == [sid] }
    }

    /// A test server with the policy server on `policyPort`.
    static func start(policyPort: Int, _ configure: (inout ListenerOptions) -> Void = { _ in }) async throws -> TestServer {
        try await TestServer.start {
            var flash = TransportOptions()
            flash.flashPolicyServer = true
            flash.flashPolicyPort = policyPort
            $0.transportOptions["flashsocket"] = flash
            configure(&$0)
        }
    }

    /// The answer of `port` to the policy request, until it closes.
    static func policy(from port: Int) async throws -> String {
        let tcp = try await RawTCPClient.connect(port: port)
        try await tcp.write(FlashPolicy.request)
        return String(decoding: try await tcp.readUntilClose(timeout: .seconds(5)), as: UTF8.self)
    }

    static func freePort() async throws -> Int {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0).get()
        let port = try #require(channel.localAddress?.port)
        try await channel.close()
        return port
    }
}
