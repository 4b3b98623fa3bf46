import SwitchboardCore
import SwitchboardServerTestSupport
import SwitchboardTestKit
import Testing

/// Acknowledged delivery over loopback (docs/protocol.md §11): a client that asks with `ack=<n>`
/// gets what it has not acknowledged again on its next connection, and its own messages are
/// delivered once however often it sends them.
@Suite("acknowledged delivery")
struct AcknowledgedDeliveryTests {
    @Test("xhr-polling: a poll answer that was lost is written again; a POST sent twice is delivered once")
    func polling() async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        let http = try await server.http()
        let handshake = try await http.request("GET", "/socket.io/xhr-polling//1?ack=0").bodyString
        #expect(handshake.hasPrefix("~m~22~m~") && handshake.hasSuffix(framed("~a~0")))
        let sid = String(handshake.dropFirst(8).prefix(22))

        try await server.send(sid, "hello", "world")
        let first = try await http.request("GET", "/socket.io/xhr-polling/\(sid)/2?ack=0").bodyString
        #expect(first == framed("~a~0", "~b~0", "hello", "world"))
        let again = try await http.request("GET", "/socket.io/xhr-polling/\(sid)/3?ack=0").bodyString
        #expect(again == first, "ack=0: the client did not get them; they come again")

        let post = formBody([("data", framed("~b~0", "hi"))])
        for _ in 0..<2 {
            #expect(try await http.request("POST", "/socket.io/xhr-polling/\(sid)/send", body: post).bodyString == "ok")
        }
        try await eventually { server.recorder.messages(from: sid).count == 1 }
        #expect(server.recorder.messages(from: sid) == ["hi"], "the second POST repeated message 1: dropped")
        try await server.send(sid, "next")
        #expect(
            try await http.request("GET", "/socket.io/xhr-polling/\(sid)/4?ack=2").bodyString == framed("~a~1", "~b~2", "hi", "next"),
            "hello and world acknowledged; the echo of hi and next follow")
    }

    @Test("websocket: messages are acknowledged as they arrive; a resumed socket gets what was not acknowledged")
    func websocket() async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        let socket = try await WebSocketTestClient.connect(port: server.port, path: "/socket.io/websocket?ack=0")
        let handshake = try await socket.receiveText()
        let sid = String(handshake.dropFirst(8).prefix(22))
        #expect(handshake == framed(sid, "~a~0"))
        try await socket.send(text: framed("~b~0", "hi"))
        #expect(try await socket.receiveText() == framed("~a~1", "~b~0", "hi"), "the echo, numbered 1")
        #expect(try await socket.receiveText() == framed("~a~1"), "told at once that message 1 arrived")
        try await server.send(sid, "x")
        #expect(try await socket.receiveText() == framed("~a~1", "~b~1", "x"))
        try await socket.close()
        try await eventually { server.listener.client(sid)?.isOpen == false }

        let resumed = try await WebSocketTestClient.connect(port: server.port, path: "/socket.io/websocket/\(sid)?ack=0")
        #expect(try await resumed.receiveText() == framed("~a~1", "~b~0", "hi", "x"), "nothing was acknowledged")
        try await resumed.send(text: framed("~a~1", "~b~0", "hi", "there"))
        #expect(try await resumed.receiveText() == framed("~a~2", "~b~2", "there"), "hi acknowledged; the echo of there")
        #expect(try await resumed.receiveText() == framed("~a~2"))
        #expect(server.recorder.messages(from: sid) == ["hi", "there"], "hi once, then there")
    }

    @Test("a payload whose base leaves a gap is refused whole: a POST with 400, a WebSocket with 1007; the session goes on")
    func gaps() async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        let http = try await server.http()
        let handshake = try await http.request("GET", "/socket.io/xhr-polling//1?ack=0").bodyString
        let sid = String(handshake.dropFirst(8).prefix(22))
        let gap = try await http.request("POST", "/socket.io/xhr-polling/\(sid)/send", body: formBody([("data", framed("~b~0", "a", "~b~5", "z"))]))
        #expect(gap.status == 400, "message 6 after 1: messages 2 to 5 would be missing")
        let ack = try await http.request("POST", "/socket.io/xhr-polling/\(sid)/send", body: formBody([("data", framed("~a~3"))]))
        #expect(ack.status == 400, "nothing was written: nothing can be acknowledged")
        #expect(try await http.request("POST", "/socket.io/xhr-polling/\(sid)/send", body: formBody([("data", framed("~b~0", "a"))])).bodyString == "ok")
        #expect(server.recorder.messages(from: sid) == ["a"], "the POST's ok comes once the session has its messages; nothing of the refused one")

        let socket = try await WebSocketTestClient.connect(port: server.port, path: "/socket.io/websocket/\(sid)?ack=0")
        #expect(try await socket.receiveText() == framed("~a~1", "~b~0", "a"), "the echo of a")
        try await socket.send(text: framed("~b~1", "b", "~b~7", "h"))
        #expect(try await socket.waitForClose() == 1007)
        #expect(server.recorder.messages(from: sid) == ["a"])
        #expect(server.listener.client(sid) != nil, "the session waits for its next connection")
    }

    @Test("a client that does not ask sees the classic protocol, ~a~ and ~b~ included as text")
    func classic() async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        let socket = try await WebSocketTestClient.connect(port: server.port, path: "/socket.io/websocket")
        let sid = String(try await socket.receiveText().dropFirst(8))
        try await socket.send(text: framed("~b~0", "~a~5"))
        try await eventually { server.recorder.messages(from: sid).count == 2 }
        #expect(server.recorder.messages(from: sid) == ["~b~0", "~a~5"])
    }
}
