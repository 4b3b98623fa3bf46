import SwitchboardCore
import SwitchboardServerTestSupport
import SwitchboardTestKit
import Testing

@Suite("jsonp-polling transport over loopback")
struct JSONPPollingTests {
    func poll(_ http: HTTPTestConnection, sid: String = "", index: String = "0") async throws -> TestHTTPResponse {
        try await http.request("GET", "/socket.io/jsonp-polling/\(sid)/\(TestServer.now())/\(index)")
    }

    @Test("the handshake is io.JSONP[<index>]._(\"<SID frame>\"); then messages both ways")
    func handshakeAndMessages() async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        let http = try await server.http()
        let handshake = try await poll(http, index: "3")
        #expect(handshake.headers["Content-Type"] == "text/javascript; charset=UTF-8")
        #expect(handshake.bodyString.hasPrefix("io.JSONP[3]._(\"~m~22~m~"))
        let sid = try Wire.sessionId(inHandshake: try Wire.payload(of: handshake.bodyString, transport: "jsonp-polling"))
        let hostile = StreamTransportTests.hostile
        // Forms post to any path of the session.
        let post = try await http.request(
            "POST", "/socket.io/jsonp-polling/\(sid)/\(TestServer.now())/1",
            body: formBody([("data", framed(hostile, #"~j~{"a":1}"#))]))
        #expect(post.status == 200)
        let answer = try await poll(http, sid: sid, index: "4")
        #expect(answer.bodyString.hasPrefix("io.JSONP[4]._("))
        #expect(try Wire.payload(of: answer.bodyString, transport: "jsonp-polling") == framed(hostile, #"~j~{"a":1}"#))
    }

    @Test("an idle poll is answered io.JSONP[<index>]._(\"\"); after duration")
    func emptyAnswer() async throws {
        let server = try await TestServer.start {
            var options = TransportOptions()
            options.duration = .milliseconds(100)
            $0.transportOptions["jsonp-polling"] = options
        }
        defer { Task { await server.stop() } }
        let http = try await server.http()
        let sid = try Wire.sessionId(inHandshake: try Wire.payload(of: try await poll(http).bodyString, transport: "jsonp-polling"))
        #expect(try await poll(http, sid: sid, index: "12").bodyString == #"io.JSONP[12]._("");"#)
    }

    @Test("a non-numeric index gets 400", arguments: ["x", "1;alert(1)", "", "%31"])
    func badIndex(index: String) async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        let http = try await server.http()
        #expect(try await poll(http, index: index).status == 400)
        #expect(server.listener.clientCount == 0)
    }

    @Test("a form body with + decodes to spaces")
    func plusIsSpace() async throws {
        let server = try await TestServer.start(echo: false)
        defer { Task { await server.stop() } }
        let http = try await server.http()
        let sid = try Wire.sessionId(inHandshake: try Wire.payload(of: try await poll(http).bodyString, transport: "jsonp-polling"))
        let response = try await http.request(
            "POST", "/socket.io/jsonp-polling/\(sid)/1/0", body: Array("data=~m~11~m~hello+world".utf8))
        #expect(response.status == 200)
        try await eventually { server.recorder.messages == ["hello world"] }
    }

    @Test("buffered messages and client broadcast")
    func bufferedAndBroadcast() async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        let http = try await server.http()
        let a = try Wire.sessionId(inHandshake: try Wire.payload(of: try await poll(http).bodyString, transport: "jsonp-polling"))
        let b = try Wire.sessionId(inHandshake: try Wire.payload(of: try await poll(http).bodyString, transport: "jsonp-polling"))
        _ = try await http.request("POST", "/socket.io/jsonp-polling/\(a)/1/0", body: formBody([("data", framed("broadcast:hey"))]))
        try await server.send(b, .json(["after": true]))
        let answer = try await poll(http, sid: b)
        #expect(try Wire.payload(of: answer.bodyString, transport: "jsonp-polling") == framed("hey", #"~j~{"after":true}"#))
        #expect(server.listener.clientCount == 2)
    }
}
