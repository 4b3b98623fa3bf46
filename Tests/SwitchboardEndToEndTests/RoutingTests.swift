import SwitchboardCore
import SwitchboardServer
import SwitchboardServerTestSupport
import SwitchboardTestKit
import SwitchboardWebSocket
import SwitchboardXHRPolling
import Testing

@Suite("server routing over loopback (docs/protocol.md §3, §7)")
struct RoutingTests {
    @Test("the server starts and the listener has its defaults")
    func initialisation() async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        #expect(server.port > 0)
        #expect(server.listener.options.resource == "socket.io")
        #expect(
            server.listener.transports.names
                == ["websocket", "server-events", "flashsocket", "htmlfile", "xhr-multipart", "xhr-polling", "jsonp-polling"],
            "every linked transport, in the default order of docs/protocol.md §8")
        #expect(server.listener.clients.isEmpty)
    }

    @Test("requests that are not Switchboard's reach the application's handler")
    func applicationRequests() async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        let http = try await server.http()
        let response = try await http.request("GET", "/hello?x=1")
        #expect(response.status == 200)
        #expect(response.bodyString == "app:GET /hello?x=1")
        let again = try await http.request("GET", "/socket.io")
        #expect(again.bodyString == "app:GET /socket.io", "keep-alive serves a second request on the same connection")
    }

    @Test("an application request with a body over the limit (1 MiB) is answered 413 and its connection closes; others go on")
    func applicationBodyLimit() async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        let http = try await server.http()
        let small = try await http.request("POST", "/upload", body: Array(repeating: UInt8(ascii: "x"), count: 1000))
        #expect(small.bodyString == "app:POST /upload")
        let declared = try await server.http()
        try await declared.sendRaw("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 2000000000\r\n\r\nxxxx")
        let refused = try await declared.readResponse(requestMethod: "POST")
        #expect(refused.status == 413)
        try await declared.waitForClose()
        // Chunked, with no length said: refused once the bytes pass the limit.
        let chunked = try await server.http()
        try await chunked.sendRaw("POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
        let chunk = "10000\r\n" + String(repeating: "y", count: 65536) + "\r\n"
        for _ in 0..<17 { try? await chunked.sendRaw(chunk) }
        #expect(try await chunked.readResponse(requestMethod: "POST").status == 413)
        try await chunked.waitForClose()
        #expect(try await http.request("GET", "/still").bodyString == "app:GET /still", "another connection is not disturbed")
    }

    @Test("an unknown transport path falls through to the application")
    func unknownTransport() async throws {
        let server = try await TestServer.start { $0.transports = ["xhr-polling"] }
        defer { Task { await server.stop() } }
        let http = try await server.http()
        #expect(try await http.request("GET", "/socket.io/nonsense/1").bodyString == "app:GET /socket.io/nonsense/1")
        #expect(
            try await http.request("GET", "/socket.io/websocket").bodyString == "app:GET /socket.io/websocket",
            "a transport that is not enabled is not ours")
    }

    @Test("a server composed with only some transport modules serves exactly those; the others are the app's")
    func composedServer() async throws {
        let server = try await TestServer.start(
            transports: TransportRegistry(SwitchboardWebSocketTransports.all + SwitchboardXHRPollingTransports.all))
        defer { Task { await server.stop() } }
        #expect(server.listener.transports.names == ["websocket", "xhr-polling"])
        let http = try await server.http()
        for path in ["/socket.io/htmlfile//1", "/socket.io/server-events//1", "/socket.io/jsonp-polling//1/0",
                     "/socket.io/xhr-multipart/", "/socket.io/flashsocket"] {
            #expect(try await http.request("GET", path).bodyString == "app:GET \(path)")
        }
        #expect(try await http.request("GET", "/socket.io/xhr-polling//1").bodyString.hasPrefix("~m~22~m~"))
        let tcp = try await RawTCPClient.connect(port: server.port)
        try await tcp.write(Array("<policy-file-request/>\0".utf8))
        let answer = String(decoding: try await tcp.readUntilClose(), as: UTF8.self)
        #expect(!answer.contains("cross-domain-policy"), "no Flash policy without flashsocket")
        #expect(answer.hasPrefix("HTTP/1.1 400"), "it is malformed HTTP: 400, then the connection closes")
    }

    @Test("the browser client at /<resource>/socket.io.js: JavaScript, the transport table first, ETag and 304")
    func browserClient() async throws {
        let server = try await TestServer.start { $0.resource = "rt" }
        defer { Task { await server.stop() } }
        let http = try await server.http()
        let script = try await http.request("GET", "/rt/socket.io.js")
        #expect(script.status == 200)
        #expect(script.headers["Content-Type"] == "text/javascript; charset=UTF-8")
        #expect(script.bodyString.hasPrefix(#"(self.io = self.io || {}).Transport = {"resource":"rt","table":{"#))
        #expect(script.bodyString.contains(#""xhr-polling":{"closeTimeout":8000,"duration":20000,"#))
        #expect(script.bodyString.contains("io.Socket"))
        let etag = try #require(script.headers["ETag"])
        #expect(etag.hasPrefix("\"") && etag.hasSuffix("\""))
        #expect(try await http.request("GET", "/rt/socket.io.js", headers: [("If-None-Match", etag)]).status == 304)
        #expect(try await http.request("GET", "/socket.io/socket.io.js").bodyString == "app:GET /socket.io/socket.io.js",
            "only under the listener's own resource")
    }

    @Test("an Upgrade: IRC request is refused and the connection closed")
    func foreignUpgrade() async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        for path in ["/socket.io/websocket", "/anything"] {
            let tcp = try await RawTCPClient.connect(port: server.port)
            try await tcp.write("GET \(path) HTTP/1.1\r\nHost: x\r\nUpgrade: IRC\r\nConnection: Upgrade\r\n\r\n")
            let answer = String(decoding: try await tcp.readUntilClose(), as: UTF8.self)
            #expect(answer.hasPrefix("HTTP/1.1 400"), "\(answer)")
            #expect(!answer.contains("app:"), "never passed on to the application")
        }
    }

    @Test("an unknown SID gets 404 and creates no session")
    func unknownSession() async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        let http = try await server.http()
        let poll = try await http.request("GET", "/socket.io/xhr-polling/unknownsid/1")
        #expect(poll.status == 404)
        #expect(poll.headers["Content-Type"] == "text/plain; charset=UTF-8")
        let post = try await server.post(http, "unknownsid", payload: framed("x"))
        #expect(post.status == 404)
        do {
            _ = try await WebSocketTestClient.connect(port: server.port, path: "/socket.io/websocket/unknownsid")
            Issue.record("the upgrade was accepted")
        } catch TestKitError.upgradeRefused(let response) {
            #expect(response.status == 404)
        }
        #expect(server.listener.clients.isEmpty)
        #expect(server.recorder.connected.isEmpty)
    }

    @Test("methods other than GET, POST and OPTIONS get 405; OPTIONS is a CORS preflight")
    func methods() async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        let http = try await server.http()
        #expect(try await http.request("DELETE", "/socket.io/xhr-polling/x/send").status == 405)
        let preflight = try await http.request(
            "OPTIONS", "/socket.io/xhr-polling/x/send",
            headers: [("Origin", "http://example.com"), ("Access-Control-Request-Headers", "content-type")])
        #expect(preflight.status == 204)
        #expect(preflight.headers["Access-Control-Allow-Origin"] == "http://example.com")
        #expect(preflight.headers["Access-Control-Allow-Methods"] == "GET, POST, OPTIONS")
        #expect(preflight.headers["Access-Control-Allow-Headers"] == "content-type")
    }

    @Test("origins: an allowed origin gets CORS headers, another gets 403 and no upgrade")
    func origins() async throws {
        let server = try await TestServer.start { $0.origins = ["good.example:*"] }
        defer { Task { await server.stop() } }
        let http = try await server.http()
        let good = try await http.request("GET", "/socket.io/xhr-polling//1", headers: [("Origin", "http://good.example")])
        #expect(good.status == 200)
        #expect(good.headers["Access-Control-Allow-Origin"] == "http://good.example")
        #expect(good.headers["Access-Control-Allow-Credentials"] == "true")
        let bad = try await http.request("GET", "/socket.io/xhr-polling//1", headers: [("Origin", "http://evil.example")])
        #expect(bad.status == 403)
        do {
            _ = try await WebSocketTestClient.connect(
                port: server.port, path: "/socket.io/websocket", headers: [("Origin", "http://evil.example")])
            Issue.record("the upgrade was accepted")
        } catch TestKitError.upgradeRefused(let response) {
            #expect(response.status == 403)
        }
    }

    @Test("maxSessions: the next new session gets 503")
    func maxSessions() async throws {
        let server = try await TestServer.start { $0.maxSessions = 1 }
        defer { Task { await server.stop() } }
        let http = try await server.http()
        _ = try await server.pollingSession(http)
        #expect(try await http.request("GET", "/socket.io/xhr-polling//2").status == 503)
    }
}
