import SwitchboardServerTestSupport
import SwitchboardTestKit
import Testing

/// A peer that stops reading while others keep sending to it: the server holds at most the
/// session's limits for it, then ends its session (docs/protocol.md §5, §9.4), on every kind of
/// persistent connection. Measured on the host binary, so its memory is the server's alone.
@Suite("slow and stalled readers", .serialized)
struct SlowReaderTests {
    static let requests: [String: String] = [
        "websocket": "GET /socket.io/websocket HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
        "htmlfile": "GET /socket.io/htmlfile HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
        "xhr-multipart": "GET /socket.io/xhr-multipart HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
        "server-events": "GET /socket.io/server-events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
    ]

    @Test(
        "a stalled reader costs the server no more than its limits, and its session ends",
        arguments: ["websocket", "htmlfile", "xhr-multipart", "server-events"])
    func stalledReader(transport: String) async throws {
        // The sender never echoes heartbeats: give its transport none within the test's time.
        let host = try await HostProcess([
            "--app", "echo", "--option", "maxBufferedBytes=1000000", "--transport-option", "websocket.heartbeatInterval=600000",
        ])
        defer { host.stop() }
        let stalled = try StalledReader(port: host.port, request: Array(Self.requests[transport]!.utf8))
        let sender = try await WebSocketTestClient.connect(port: host.port, path: "/socket.io/websocket")
        _ = try await sender.receiveText()
        try await sender.send(text: framed("warm up"))
        _ = try await sender.receiveText()
        let before = try #require(host.residentKiB)

        // 10 MB for the stalled reader: without a bound the server would hold all of it.
        let text = "broadcast:" + String(repeating: "x", count: 10_000)
        for _ in 0..<10 { try await sender.send(texts: Array(repeating: framed(text), count: 100)) }
        try await sender.send(text: framed("done"))
        #expect(try await sender.receiveText() == framed("done"), "every broadcast was handled")

        let after = try #require(host.residentKiB)
        print("server RSS grew by \(after - before) KiB for a stalled \(transport) reader (10 MB sent to it)")
        #expect(after - before < 6_000, "server RSS grew by \(after - before) KiB for a stalled reader")
        #expect(stalled.drainUntilClosed(), "the stalled session was ended and its connection closed")
        try await sender.send(text: framed("still here"))
        #expect(try await sender.receiveText() == framed("still here"), "the other session is undisturbed")
    }
}
