import SwitchboardCore
import SwitchboardServerTestSupport
import SwitchboardTestKit
import Testing

/// A payload with a bad frame is refused whole over POST (docs/protocol.md §2.1, §2.2, §3): `400`,
/// and nothing of it reaches the application, least of all as something else.
@Suite("bad payloads over POST")
struct BadPayloadTests {
    @Test("a bad ~j~ over POST gets 400 and is never delivered, not even the good frames before it")
    func badJSONOverPost() async throws {
        let server = try await TestServer.start(echo: false)
        defer { Task { await server.stop() } }
        let connection = try await server.http()
        let sid = try await server.pollingSession(connection)
        for payload in [framed("~j~{x"), framed("~j~[1]"), framed("first", "~j~{x"), framed("~j~{x", "after")] {
            #expect(try await server.post(connection, sid, payload: payload).status == 400, "\(payload)")
        }
        #expect(try await server.post(connection, sid, payload: framed("ok", "~j~{}")).status == 200)
        try await eventually { server.recorder.messages.count == 2 }
        #expect(server.recorder.messages == ["ok", .json([:])], "only the valid POST, its real {} included")
    }

    @Test("the envelope codec refuses a payload with an element that is neither a string nor an object")
    func badEnvelopeOverPost() async throws {
        let server = try await TestServer.start(echo: false) { $0.protocol = .envelope }
        defer { Task { await server.stop() } }
        let connection = try await server.http()
        _ = try await connection.request("GET", "/socket.io/xhr-polling//1")
        let sid = try #require(server.listener.clients.first?.sessionId)
        #expect(try await server.post(connection, sid, payload: #"["a",1]"#).status == 400)
        #expect(try await server.post(connection, sid, payload: #"["b",{"c":1}]"#).status == 200)
        try await eventually { server.recorder.messages.count == 2 }
        #expect(server.recorder.messages == ["b", .json(["c": 1])], "never \"a\", never \"1\"")
    }
}
