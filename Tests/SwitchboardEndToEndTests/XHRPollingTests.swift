import SwitchboardCore
import SwitchboardServerTestSupport
import SwitchboardTestKit
import Testing

@Suite("xhr-polling transport over loopback")
struct XHRPollingTests {
    @Test("the handshake returns the SID alone, even when the app sends on connection")
    func handshake() async throws {
        let server = try await TestServer.start()
        server.listener.on(.connection) { client in client.send("welcome") }
        defer { Task { await server.stop() } }
        let http = try await server.http()
        let response = try await http.request("GET", "/socket.io/xhr-polling//1795716587721")
        #expect(response.status == 200)
        #expect(response.headers["Content-Type"] == "text/plain; charset=UTF-8")
        #expect(response.headers["Cache-Control"] == "no-cache")
        #expect(response.headers["Content-Length"] == String(response.body.count))
        #expect(response.body.count == "~m~22~m~".count + 22)
        let sid = String(response.bodyString.dropFirst("~m~22~m~".count))
        #expect(server.listener.clientsIndex[sid] != nil)
        #expect(try await server.poll(http, sid).bodyString == framed("welcome"), "what was sent on connection comes in the next poll")
    }

    @Test("a held poll is answered by a send")
    func heldPollAnswered() async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        let http = try await server.http()
        let sid = try await server.pollingSession(http)
        async let held = server.poll(http, sid)
        try await eventually { server.listener.client(sid)?.isOpen == true }
        try await server.send(sid, "answer")
        #expect(try await held.bodyString == framed("answer"))
    }

    @Test("an idle poll ends after duration with an empty body")
    func idlePoll() async throws {
        let server = try await TestServer.start {
            var options = TransportOptions()
            options.duration = .milliseconds(200)
            $0.transportOptions["xhr-polling"] = options
        }
        defer { Task { await server.stop() } }
        let http = try await server.http()
        let sid = try await server.pollingSession(http)
        let clock = ContinuousClock()
        let start = clock.now
        let response = try await server.poll(http, sid)
        #expect(response.status == 200)
        #expect(response.body.isEmpty)
        #expect(response.headers["Content-Length"] == "0")
        #expect(clock.now - start >= .milliseconds(150))
    }

    @Test("a second poll releases the first with an empty body; the second is held")
    func secondPoll() async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        let setup = try await server.http()
        let sid = try await server.pollingSession(setup)
        let one = try await server.http(), two = try await server.http()
        async let first = server.poll(one, sid)
        try await eventually { server.listener.client(sid)?.isOpen == true }
        let secondConnection = two
        let second = Task { try await server.poll(secondConnection, sid) }
        #expect(try await first.body.isEmpty)
        try await server.send(sid, "to the second")
        #expect(try await second.value.bodyString == framed("to the second"))
    }

    @Test("messages sent between polls are queued and leave as one payload")
    func bufferedBetweenPolls() async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        let http = try await server.http()
        let sid = try await server.pollingSession(http)
        try await server.send(sid, "one")
        try await server.send(sid, .json(["two": 2]))
        #expect(try await server.poll(http, sid).bodyString == framed("one", #"~j~{"two":2}"#))
    }

    @Test("POST delivers messages in order, JSON included; the answer is 200 ok")
    func post() async throws {
        let server = try await TestServer.start(echo: false)
        defer { Task { await server.stop() } }
        let http = try await server.http()
        let sid = try await server.pollingSession(http)
        let response = try await server.post(http, sid, payload: framed("first", #"~j~{"x":1}"#, "third"))
        #expect(response.status == 200)
        #expect(response.bodyString == "ok")
        #expect(response.headers["Content-Type"] == "text/plain; charset=UTF-8")
        try await eventually { server.recorder.messages.count == 3 }
        #expect(server.recorder.messages == ["first", .json(["x": 1]), "third"])
    }

    @Test("form bodies decode fully: + is a space, %E2%82%AC is €")
    func formDecoding() async throws {
        let server = try await TestServer.start(echo: false)
        defer { Task { await server.stop() } }
        let http = try await server.http()
        let sid = try await server.pollingSession(http)
        let body = Array("data=~m~5~m~a+b+%E2%82%AC".utf8)
        let response = try await http.request(
            "POST", "/socket.io/xhr-polling/\(sid)/send",
            headers: [("Content-Type", "application/x-www-form-urlencoded")], body: body)
        #expect(response.status == 200)
        try await eventually { !server.recorder.messages.isEmpty }
        #expect(server.recorder.messages == ["a b €"])
    }

    @Test("bad bodies get 400: broken percent-encoding, no data field, nothing decodable")
    func badBodies() async throws {
        let server = try await TestServer.start(echo: false)
        defer { Task { await server.stop() } }
        let http = try await server.http()
        let sid = try await server.pollingSession(http)
        for body in ["data=%E2%82", "other=1", "data=hello"] {
            let response = try await http.request("POST", "/socket.io/xhr-polling/\(sid)/send", body: Array(body.utf8))
            #expect(response.status == 400, "\(body)")
        }
        #expect(server.listener.client(sid) != nil, "the session survives bad input")
    }

    @Test("a POST over maxHttpBufferSize gets 413")
    func tooLarge() async throws {
        let server = try await TestServer.start { $0.maxHttpBufferSize = 1000 }
        defer { Task { await server.stop() } }
        let http = try await server.http()
        let sid = try await server.pollingSession(http)
        let response = try await server.post(http, sid, payload: framed(String(repeating: "x", count: 2000)))
        #expect(response.status == 413)
        let other = try await server.http()
        #expect(try await server.post(other, sid, payload: framed("fine")).status == 200, "the session is not disturbed")
    }

    @Test("a heartbeat echo and a user message in one POST both arrive")
    func echoAndMessageInOnePost() async throws {
        let server = try await TestServer.start(echo: false) {
            var timers = TransportOptions()
            timers.heartbeatInterval = .milliseconds(100)
            timers.timeout = .milliseconds(3000)
            $0.transportOptions["websocket"] = timers
        }
        defer { Task { await server.stop() } }
        let (socket, sid) = try await server.webSocket()
        #expect(try await socket.receiveText() == "~m~4~m~~h~1")
        let http = try await server.http()
        #expect(try await server.post(http, sid, payload: "~m~4~m~~h~1" + framed("hello")).status == 200)
        #expect(try await socket.receiveText() == "~m~4~m~~h~2", "the echo counted")
        try await eventually { server.recorder.messages == ["hello"] }
    }

    @Test("a session resumed over another transport keeps its queue and its id")
    func crossTransportResume() async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        let (socket, sid) = try await server.webSocket()
        try await socket.close()
        try await eventually { server.listener.client(sid)?.isOpen == false }
        try await server.send(sid, "queued")
        let http = try await server.http()
        #expect(try await server.poll(http, sid).bodyString == framed("queued"))
        #expect(server.listener.client(sid)?.transport == "xhr-polling")
    }

    @Test("the grace expires after the last poll: clientDisconnect, then 404")
    func graceExpires() async throws {
        let server = try await TestServer.start { $0.timeout = .milliseconds(150) }
        defer { Task { await server.stop() } }
        let http = try await server.http()
        let sid = try await server.pollingSession(http)
        try await eventually { server.recorder.disconnected.first?.0 == sid }
        #expect(server.recorder.disconnected.first?.1 == .closeTimeout)
        #expect(try await server.poll(http, sid).status == 404)
    }
}
