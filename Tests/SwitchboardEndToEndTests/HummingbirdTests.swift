import SwitchboardServerTestSupport
import SwitchboardTestKit
import Testing

/// Examples/hummingbird-chat: Switchboard inside a Hummingbird 2 application, on its router's port.
@Suite("Switchboard in a Hummingbird application")
struct HummingbirdTests {
    @Test("the router answers /health and /, Switchboard the chat over websocket and xhr-polling, on one port")
    func chat() async throws {
        let app = try await HostProcess([], executable: "hummingbird-chat")
        let http = try await HTTPTestConnection.connect(port: app.port)
        #expect(try await http.request("GET", "/health").status == 200)
        let page = try await http.request("GET", "/")
        #expect(page.status == 200 && page.bodyString.contains("/socket.io/socket.io.js"))
        #expect(try await http.request("GET", "/nope").status == 404, "the router's own 404")
        #expect(try await http.request("GET", "/socket.io/socket.io.js").status == 200, "Switchboard's browser client")

        let a = try await WebSocketTestClient.connect(port: app.port, path: "/socket.io/websocket")
        let b = try await WebSocketTestClient.connect(port: app.port, path: "/socket.io/websocket")
        _ = try await a.receiveText()
        _ = try await b.receiveText()
        try await a.send(text: framed("hello from a"))
        #expect(try await a.receiveText() == framed("hello from a"))
        #expect(try await b.receiveText() == framed("hello from a"))

        let handshake = try await http.request("GET", "/socket.io/xhr-polling//1").bodyString
        #expect(handshake.hasPrefix("~m~22~m~"))
        let sid = String(handshake.dropFirst(8))
        let post = try await HTTPTestConnection.connect(port: app.port)
        #expect(try await post.request("POST", "/socket.io/xhr-polling/\(sid)/send", body: formBody([("data", framed("from a poll"))])).bodyString == "ok")
        #expect(try await b.receiveText() == framed("from a poll"))
        #expect(try await http.request("GET", "/socket.io/xhr-polling/\(sid)/2").bodyString == framed("from a poll"))
        #expect(try await http.request("GET", "/health").status == 200, "the router still answers on a connection Switchboard used")

        // SIGTERM: the application shuts down gracefully, Switchboard's sessions with it.
        let clock = ContinuousClock()
        let start = clock.now
        async let status = Task.detached { app.terminateAndWait() }.value
        #expect(try await a.waitForClose() == 1001)
        #expect(await status == 0)
        #expect(clock.now - start < .seconds(5))
    }
}
