import Foundation
import SwitchboardCore
import SwitchboardServerTestSupport
import SwitchboardTestKit
import Testing

@Suite("the switchboard host")
struct HostTests {
    @Test("with no app argument it serves the chat demo, and two clients chat through it")
    func chatDemo() async throws {
        let host = try await HostProcess([])
        defer { host.stop() }
        let http = try await HTTPTestConnection.connect(port: host.port)
        let page = try await http.request("GET", "/")
        #expect(page.status == 200)
        #expect(page.headers["Content-Type"] == "text/html; charset=UTF-8")
        #expect(page.bodyString.contains("Switchboard chat"))
        for asset in ["/chat.js", "/chat.css", "/socket.io/socket.io.js"] {
            #expect(try await http.request("GET", asset).status == 200, "\(asset)")
        }

        // Ada over WebSocket, Bob over xhr-polling.
        let ada = try await WebSocketTestClient.connect(port: host.port, path: "/socket.io/websocket")
        #expect(try await ada.receiveText().hasPrefix("~m~22~m~"))
        let bobHTTP = try await HTTPTestConnection.connect(port: host.port)
        let handshake = try await bobHTTP.request("GET", "/socket.io/xhr-polling//1").bodyString
        let bob = String(handshake.dropFirst("~m~22~m~".count))
        _ = try await bobHTTP.request("GET", "/socket.io/xhr-polling/\(bob)/2")  // history and users

        try await ada.send(text: framed(#"~j~{"nickname":"ada"}"#))
        var joined = ""
        while !joined.contains("ada joined #general") { joined = try await ada.receiveText() }
        #expect(joined.contains(#""joined":"ada""#))
        let post = try await HTTPTestConnection.connect(port: host.port)
        _ = try await post.request(
            "POST", "/socket.io/xhr-polling/\(bob)/send", body: formBody([("data", framed(#"~j~{"text":"hi ada"}"#))]))
        var heard = ""
        while !heard.contains("hi ada") { heard = try await ada.receiveText() }
        #expect(heard.contains(#""from":"anonymous""#))
        try await ada.send(text: framed(#"~j~{"text":"hello bob 😀"}"#))
        var polled = ""
        while !polled.contains("hello bob") {
            polled = try await bobHTTP.request("GET", "/socket.io/xhr-polling/\(bob)/3").bodyString
        }
        #expect(polled.contains(#""from":"ada""#))
    }

    @Test("--app echo answers strings as strings and JSON as JSON; broadcast: goes to the others")
    func echoApp() async throws {
        let host = try await HostProcess(["--app", "echo", "--transports", "websocket"])
        defer { host.stop() }
        let a = try await WebSocketTestClient.connect(port: host.port, path: "/socket.io/websocket")
        let b = try await WebSocketTestClient.connect(port: host.port, path: "/socket.io/websocket")
        _ = try await a.receiveText()
        _ = try await b.receiveText()
        try await a.send(text: framed("plain", #"~j~{"k":"v"}"#))
        #expect(try await a.receiveText() == framed("plain"))
        #expect(try await a.receiveText() == framed(#"~j~{"k":"v"}"#))
        try await a.send(text: framed("broadcast:news"))
        #expect(try await b.receiveText() == framed("news"))
        let http = try await HTTPTestConnection.connect(port: host.port)
        #expect(try await http.request("GET", "/socket.io/xhr-polling//1").status == 404, "xhr-polling is not enabled")
    }

    @Test("--app echo's room commands: node?, join:, leave:, to:<room>:<text> reaches the other members only")
    func echoRooms() async throws {
        let host = try await HostProcess(["--app", "echo", "--transports", "websocket", "--node", "alpha"])
        defer { host.stop() }
        var sockets: [WebSocketTestClient] = []
        for _ in 0..<3 {
            let socket = try await WebSocketTestClient.connect(port: host.port, path: "/socket.io/websocket")
            _ = try await socket.receiveText()
            sockets.append(socket)
        }
        let (a, b, c) = (sockets[0], sockets[1], sockets[2])
        try await a.send(text: framed("node?"))
        #expect(try await a.receiveText() == framed("node:alpha"))
        for socket in [a, b] {
            try await socket.send(text: framed("join:lobby"))
            #expect(try await socket.receiveText() == framed("joined:lobby"))
        }
        try await c.send(text: framed("to:lobby:from c, not a member"))
        #expect(try await a.receiveText() == framed("from c, not a member"))
        #expect(try await b.receiveText() == framed("from c, not a member"))
        try await a.send(text: framed("to:lobby:a: with a colon"))
        #expect(try await b.receiveText() == framed("a: with a colon"))
        try await b.send(text: framed("leave:lobby"))
        #expect(try await b.receiveText() == framed("left:lobby"))
        try await c.send(text: framed("to:lobby:only a now"))
        #expect(try await a.receiveText() == framed("only a now"))
        // Nothing else reached b or c (the sender): each echoes its own next message first.
        for socket in [b, c] {
            try await socket.send(text: framed("ping"))
            #expect(try await socket.receiveText() == framed("ping"))
        }
    }

    @Test("xhr-streaming, a transport defined by its YAML alone, serves a client end to end")
    func specOnlyTransport() async throws {
        let host = try await HostProcess(["--app", "echo", "--transports", "xhr-streaming"])
        defer { host.stop() }
        #expect(host.banner.contains("transports: xhr-streaming"))
        let connection = try await HTTPTestConnection.connect(port: host.port)
        let stream = try await connection.startRequest("GET", "/socket.io/xhr-streaming//1")
        #expect(stream.headers["Content-Type"] == "text/plain; charset=UTF-8")
        #expect(try await stream.nextChunkString() == String(repeating: " ", count: 2048))
        let handshake = try #require(try await stream.nextChunkString())
        #expect(handshake.hasPrefix("\"~m~22~m~") && handshake.hasSuffix("\"\n"))
        let sid = String(handshake.dropFirst("\"~m~22~m~".count).dropLast(2))
        let post = try await HTTPTestConnection.connect(port: host.port)
        _ = try await post.request(
            "POST", "/socket.io/xhr-streaming/\(sid)/send", body: formBody([("data", framed("two\nlines </script>"))]))
        #expect(try await stream.nextChunkString() == #""~m~19~m~two\nlines \u003c/script>""# + "\n")
    }

    @Test("a custom host links only websocket and xhr-polling, serves them and its own routes")
    func customHost() async throws {
        let host = try await HostProcess([], executable: "custom-host")
        defer { host.stop() }
        #expect(host.banner.hasSuffix("with websocket, xhr-polling\n"), "its registry holds exactly what it links")
        let http = try await HTTPTestConnection.connect(port: host.port)
        #expect(try await http.request("GET", "/health").bodyString == "ok")
        #expect(try await http.request("GET", "/socket.io/htmlfile//1").bodyString == "not mine: /socket.io/htmlfile//1")
        #expect(try await http.request("GET", "/socket.io/xhr-polling//1").bodyString.hasPrefix("~m~22~m~"))
        let socket = try await WebSocketTestClient.connect(port: host.port, path: "/socket.io/websocket")
        _ = try await socket.receiveText()
        try await socket.send(text: framed("custom"))
        #expect(try await socket.receiveText() == framed("custom"))
    }
}

@Suite("graceful shutdown of the host")
struct GracefulShutdownTests {
    @Test("shutdown: a half-read head is closed at once; a request whose body never ends is closed at the timeout, with a warning")
    func timeoutClosesWhatIsLeft() async throws {
        let logs = CapturedLogs()
        let server = try await TestServer.start { $0.log = logs.logger() }
        defer { Task { await server.stop() } }
        let sid = try await server.pollingSession(try await server.http())
        // Each gets a whole request first, answered: then the server has read what follows it in
        // the same write too.
        let answered = "GET /socket.io/xhr-polling/unknown/1 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
        let halfHead = try await RawTCPClient.connect(port: server.port)
        try await halfHead.write(answered + "GET /socket.io/socket.io.js HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        _ = try await halfHead.read(until: "unknown session\n")
        let halfBody = try await RawTCPClient.connect(port: server.port)
        try await halfBody.write(
            answered + "POST /socket.io/xhr-polling/\(sid)/send HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                + "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\ndata=~m~")
        _ = try await halfBody.read(until: "unknown session\n")

        // Before the fix, closing the half head made NIO's error handler write a 400 into a
        // quiesced pipeline, which stops the process.
        let clock = ContinuousClock()
        let start = clock.now
        await server.server.shutdownGracefully(timeout: .milliseconds(500))
        try await halfHead.waitForClose(timeout: .seconds(5))
        try await halfBody.waitForClose(timeout: .seconds(5))
        #expect(clock.now - start >= .milliseconds(500), "the body's request held the shutdown until its timeout")
        #expect(logs.messages(at: .warning).contains("shutdown timeout: closing 1 connections still open"))
    }

    @Test("SIGTERM: the WebSocket is closed with 1001, the held poll answered 200 (empty), a stream ended, new connections refused; exit 0 in time")
    func sigterm() async throws {
        let host = try await HostProcess(["--app", "echo", "--shutdown-timeout", "5", "--log-level", "trace"], keepErrors: true)
        let socket = try await WebSocketTestClient.connect(port: host.port, path: "/socket.io/websocket")
        _ = try await socket.receiveText()
        let http = try await HTTPTestConnection.connect(port: host.port)
        let handshake = try await http.request("GET", "/socket.io/xhr-polling//1").bodyString
        let sid = String(handshake.dropFirst(8))
        let poll = try await HTTPTestConnection.connect(port: host.port)
        try await poll.send("GET", "/socket.io/xhr-polling/\(sid)/2")
        let streamConnection = try await HTTPTestConnection.connect(port: host.port)
        let stream = try await streamConnection.startRequest("GET", "/socket.io/xhr-multipart//3")
        _ = try await stream.nextChunkString()  // the prelude
        _ = try await stream.nextChunkString()  // the handshake
        let idle = try await HTTPTestConnection.connect(port: host.port)
        #expect(try await idle.request("GET", "/socket.io/socket.io.js").status == 200)
        // The held poll must reach the server before the signal: its session logs it attached
        // (the handshake's request, then the poll).
        try await eventually {
            host.errorOutput.split(separator: "\n")
                .filter { $0.contains("connection attached") && $0.contains("transport=xhr-polling") }.count == 2
        }

        let clock = ContinuousClock()
        let start = clock.now
        async let status = Task.detached { host.terminateAndWait() }.value
        #expect(try await socket.waitForClose() == 1001, "going away")
        let answer = try await poll.readResponse()
        #expect(answer.status == 200 && answer.bodyString.isEmpty, "the held poll answered, empty")
        #expect(try await stream.readToEnd().isEmpty, "the stream ended")
        try await idle.waitForClose()
        #expect(await status == 0)
        let elapsed = clock.now - start
        print("graceful shutdown: exit 0 after \(elapsed)")
        #expect(elapsed < .seconds(5), "within --shutdown-timeout")
        #expect(!canConnect(port: host.port), "no new connections")
    }
}

@Suite("metrics of the host")
struct MetricsTests {
    /// The samples of a Prometheus text: `name{labels}` → value.
    static func samples(_ text: String) -> [String: Double] {
        var samples: [String: Double] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { continue }
            samples[String(line[..<space])] = value
        }
        return samples
    }

    @Test("--metrics: GET /metrics after known traffic gives exact counts, and docs/metrics.md lists every metric")
    func exactCounts() async throws {
        let host = try await HostProcess(["--app", "echo", "--metrics", "--option", "timeout=300"])
        defer { host.stop() }
        let a = try await WebSocketTestClient.connect(port: host.port, path: "/socket.io/websocket")
        let b = try await WebSocketTestClient.connect(port: host.port, path: "/socket.io/websocket")
        _ = try await a.receiveText()
        _ = try await b.receiveText()
        try await a.send(text: framed("one", "two", "three"))
        for text in ["one", "two", "three"] { #expect(try await a.receiveText() == framed(text)) }
        try await a.send(text: framed("broadcast:news"))
        #expect(try await b.receiveText() == framed("news"))
        let http = try await HTTPTestConnection.connect(port: host.port)
        #expect(try await http.request("POST", "/socket.io/xhr-polling/nobody/send", body: formBody([("data", "x")])).status == 404)
        #expect(try await http.request("GET", "/socket.io/nowhere").status == 404, "the application's 404 is not a refusal of Switchboard's")
        try await b.close()
        // b's session ends after the host's grace (300 ms).
        var samples: [String: Double] = [:]
        try await eventually(interval: .milliseconds(50)) {
            samples = Self.samples(try await http.request("GET", "/metrics").bodyString)
            return samples[#"switchboard_sessions_closed_total{reason="close_timeout"}"#] == 1
        }
        #expect(samples["switchboard_sessions_opened_total"] == 2)
        #expect(samples[#"switchboard_sessions{transport="websocket"}"#] == 1)
        #expect(samples[#"switchboard_sessions_closed_total{reason="close_timeout"}"#] == 1)
        #expect(samples["switchboard_messages_received_total"] == 4, "three and the broadcast command")
        #expect(samples["switchboard_messages_sent_total"] == 4, "three echoes and one delivery of the broadcast")
        #expect(samples["switchboard_broadcasts_total"] == 1)
        #expect(samples[#"switchboard_requests_refused_total{status="404"}"#] == 1)
        #expect(samples["switchboard_heartbeat_timeouts_total"] == 0)
        #expect(samples["switchboard_queue_overflows_total"] == 0)

        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let documented = try String(contentsOf: root.appendingPathComponent("docs/metrics.md"), encoding: .utf8)
        for name in Set(samples.keys.map { String($0.prefix { $0 != "{" }) }) {
            #expect(documented.contains("`\(name)`"), "\(name) is not in docs/metrics.md")
        }
    }
}
