import SwitchboardCore
import SwitchboardServerTestSupport
import SwitchboardTestKit
import Testing

/// htmlfile, xhr-multipart and server-events: transports of the `stream` kind, defined by spec alone.
@Suite("stream transports over loopback")
struct StreamTransportTests {
    static let streams = ["htmlfile", "xhr-multipart", "server-events"]
    static let hostile = "</script>\r\n\"quoted\" back\\slash 😀 \u{2028}"

    @Test("handshake first, then both directions with strings, JSON and hostile text", arguments: streams)
    func bothDirections(transport: String) async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        let session = try await StreamSession.open(server, transport)
        #expect(server.listener.client(session.sessionId)?.transport == transport)
        let http = try await server.http()
        let post = try await http.request(
            "POST", "/socket.io/\(transport)/\(session.sessionId)/send",
            body: formBody([("data", framed(Self.hostile, #"~j~{"k":"</script>"}"#))]))
        #expect(post.status == 200)
        #expect(try await session.next() == framed(Self.hostile))
        #expect(try await session.next() == framed(#"~j~{"k":"</script>"}"#))
        #expect(server.recorder.messages == [.text(Self.hostile), .json(["k": "</script>"])])
    }

    @Test("response headers come from the spec", arguments: streams)
    func headers(transport: String) async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        let session = try await StreamSession.open(server, transport)
        let headers = session.stream.headers
        let expected = [
            "htmlfile": "text/html; charset=UTF-8",
            "xhr-multipart": #"multipart/x-mixed-replace;boundary="socketio""#,
            "server-events": "text/event-stream; charset=UTF-8",
        ]
        #expect(headers["Content-Type"] == expected[transport])
        #expect(headers["X-Content-Type-Options"] == "nosniff")
        #expect(headers["Cache-Control"] == "no-cache")
        #expect(headers["Connection"] == "keep-alive")
        #expect(session.stream.isChunked)
    }

    @Test("htmlfile: the first chunk is exactly 256 bytes with <html><body>; every later chunk is one script")
    func htmlfilePrelude() async throws {
        let server = try await TestServer.start(echo: false)
        defer { Task { await server.stop() } }
        let session = try await StreamSession.open(server, "htmlfile")
        let prelude = try #require(session.prelude)
        #expect(prelude.utf8.count == 256)
        #expect(prelude.hasPrefix("<html><body>"))
        try await server.send(session.sessionId, "</script><script>alert(1)</script>")
        let raw = try #require(try await session.nextRaw())
        #expect(raw == #"<script>parent.s._("~m~34~m~\u003c/script>\u003cscript>alert(1)\u003c/script>", document);</script>"#)
    }

    @Test("xhr-multipart and server-events write the exact bytes of docs/protocol.md §6")
    func exactWrites() async throws {
        let server = try await TestServer.start(echo: false)
        defer { Task { await server.stop() } }
        let multipart = try await StreamSession.open(server, "xhr-multipart")
        #expect(multipart.prelude == "--socketio\n")
        try await server.send(multipart.sessionId, "hi")
        #expect(try await multipart.nextRaw() == "Content-Type: text/plain\n\n~m~2~m~hi\n--socketio\n")

        let events = try await StreamSession.open(server, "server-events")
        try await server.send(events.sessionId, "a\nb")
        #expect(try await events.nextRaw() == "id: \(events.sessionId).2\ndata: \"~m~3~m~a\\nb\"\n\n")
    }

    @Test("clients tracking, and a client's broadcast skips the sender", arguments: streams)
    func broadcast(transport: String) async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        let a = try await StreamSession.open(server, transport)
        try await eventually { server.listener.clientCount == 1 }
        let b = try await StreamSession.open(server, transport)
        try await eventually { server.listener.clientCount == 2 }
        let http = try await server.http()
        _ = try await http.request("POST", "/socket.io/\(transport)/\(a.sessionId)/send", body: formBody([("data", framed("broadcast:news"))]))
        #expect(try await b.next() == framed("news"))
        try await server.send(a.sessionId, "sentinel")
        #expect(try await a.next() == framed("sentinel"), "the sender got nothing before the sentinel")
        server.listener.broadcast("all")
        #expect(try await a.next() == framed("all"))
        #expect(try await b.next() == framed("all"))
    }

    @Test("messages sent while away arrive first, as one payload, on re-attachment with the SID", arguments: streams)
    func bufferedAcrossReattachment(transport: String) async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        let first = try await StreamSession.open(server, transport)
        let sid = first.sessionId
        await first.close()
        try await eventually { server.listener.client(sid)?.isOpen == false }
        try await server.send(sid, "one", .json(["two": 2]))
        let resumed = try await StreamSession.open(server, transport, resume: sid)
        #expect(try await resumed.next() == framed("one", #"~j~{"two":2}"#), "no second SID; the queue as one payload")
        #expect(server.recorder.connected == [sid])
    }

    @Test("heartbeats: the echo by POST keeps the stream; no echo closes it and the session ends", arguments: streams)
    func heartbeatTimeout(transport: String) async throws {
        let server = try await TestServer.start {
            var timers = TransportOptions()
            timers.heartbeatInterval = .milliseconds(100)
            timers.timeout = .milliseconds(3000)
            $0.transportOptions[transport] = timers
            $0.timeout = .milliseconds(150)
        }
        defer { Task { await server.stop() } }
        let session = try await StreamSession.open(server, transport)
        #expect(try await session.next() == "~m~4~m~~h~1")
        let http = try await server.http()
        _ = try await http.request("POST", "/socket.io/\(transport)/\(session.sessionId)/send", body: formBody([("data", "~m~4~m~~h~1")]))
        #expect(try await session.next() == "~m~4~m~~h~2")
        #expect(try await session.stream.nextChunk(timeout: .seconds(10)) == nil, "no echo: the server ends the stream")
        try await eventually { server.recorder.disconnected.map(\.0) == [session.sessionId] }
        #expect(server.listener.clientCount == 0)
    }

    @Test("server-events: a reconnect carrying Last-Event-ID: <SID>.<n> resumes the session")
    func lastEventID() async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        let first = try await StreamSession.open(server, "server-events")
        let sid = first.sessionId
        await first.close()
        try await eventually { server.listener.client(sid)?.isOpen == false }
        try await server.send(sid, "missed")
        let resumed = try await StreamSession.open(
            server, "server-events", resumeHeaders: [("Last-Event-ID", "\(sid).1")])
        #expect(try await resumed.next() == framed("missed"))
        #expect(server.recorder.connected == [sid])
        #expect(server.listener.client(sid)?.connections == 2)
    }

    @Test("a stream for an unknown SID gets 404")
    func unknownSession() async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        let http = try await server.http()
        for transport in Self.streams {
            #expect(try await http.request("GET", "/socket.io/\(transport)/nosuchsession").status == 404)
        }
        #expect(try await http.request("GET", "/socket.io/server-events", headers: [("Last-Event-ID", "nosuch.3")]).status == 404)
    }
}
