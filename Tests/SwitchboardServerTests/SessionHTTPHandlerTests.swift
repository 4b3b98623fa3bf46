import NIOCore
import NIOEmbedded
import NIOHTTP1
import SwitchboardCore
import SwitchboardHTMLFile
import SwitchboardXHRPolling
import SwitchboardTestKit
import Testing

@testable import SwitchboardServer

/// The HTTP handler carrying out the router's decisions on an `EmbeddedChannel`, its timers in
/// virtual time (`advanceTime`): polls held for `duration`, heartbeats, their timeout and the grace.
@Suite("session HTTP handler")
struct SessionHTTPHandlerTests {
    final class Harness {
        let listener: Listener
        let channel = EmbeddedChannel()
        var loop: EmbeddedEventLoop { channel.embeddedEventLoop }
        let disconnects = Recorded<DisconnectReason>()

        init() throws {
            listener = try Listener(transports: TransportRegistry(SwitchboardXHRPollingTransports.all + SwitchboardHTMLFileTransports.all))
            try channel.pipeline.syncOperations.addHandler(SessionHTTPHandler(listener: listener))
            try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 9)).wait()
            listener.on(.clientDisconnect) { [disconnects] _, reason in disconnects.append(reason) }
        }

        func request(_ method: HTTPMethod = .GET, _ uri: String, body: String? = nil) throws {
            var headers = HTTPHeaders()
            if let body { headers.add(name: "Content-Length", value: String(body.utf8.count)) }
            try channel.writeInbound(HTTPServerRequestPart.head(HTTPRequestHead(version: .http1_1, method: method, uri: uri, headers: headers)))
            if let body { try channel.writeInbound(HTTPServerRequestPart.body(ByteBuffer(string: body))) }
            try channel.writeInbound(HTTPServerRequestPart.end(nil))
        }

        /// The response parts written so far: the head, then the body's text, and whether it ended.
        func response() throws -> (head: HTTPResponseHead?, body: String, ended: Bool) {
            var head: HTTPResponseHead?
            var body = ""
            var ended = false
            while let part = try channel.readOutbound(as: HTTPServerResponsePart.self) {
                switch part {
                case .head(let h): head = h
                case .body(.byteBuffer(let buffer)): body += String(buffer: buffer)
                case .body: break
                case .end: ended = true
                }
            }
            return (head, body, ended)
        }
    }

    @Test("a new poll is answered with the SID frame alone; a poll with it is held, then answered empty after duration")
    func pollHeldForDuration() throws {
        let h = try Harness()
        try h.request(.GET, "/socket.io/xhr-polling//1")
        let first = try h.response()
        let client = try #require(h.listener.clients.first)
        #expect(first.head?.status == .ok)
        #expect(first.body == "~m~\(client.sessionId.utf16.count)~m~\(client.sessionId)")
        #expect(first.ended)

        try h.request(.GET, "/socket.io/xhr-polling/\(client.sessionId)/2")
        #expect(try h.response().head == nil, "held: nothing is queued")
        h.loop.advanceTime(by: .seconds(19))
        #expect(try h.response().head == nil)
        h.loop.advanceTime(by: .seconds(1))
        let empty = try h.response()
        #expect(empty.head?.status == .ok)
        #expect(empty.body == "")
        #expect(empty.ended)
    }

    @Test("a held poll is answered by the application's send; a POST delivers and is answered ok")
    func pollAnsweredBySend() throws {
        let h = try Harness()
        let received = Recorded<Message>()
        h.listener.on(.clientMessage) { message, _ in received.append(message) }
        try h.request(.GET, "/socket.io/xhr-polling//1")
        _ = try h.response()
        let client = try #require(h.listener.clients.first)
        try h.request(.GET, "/socket.io/xhr-polling/\(client.sessionId)/2")
        client.send("hi")
        #expect(try h.response().body == "~m~2~m~hi")
        try h.request(.POST, "/socket.io/xhr-polling/\(client.sessionId)/send", body: "data=~m~5~m~hello")
        #expect(try h.response().body == "ok")
        #expect(received.all == ["hello"])
    }

    @Test("without polls the grace runs out: the session ends with closeTimeout and its SID is unknown")
    func graceExpires() throws {
        let h = try Harness()
        try h.request(.GET, "/socket.io/xhr-polling//1")
        _ = try h.response()
        let client = try #require(h.listener.clients.first)
        h.loop.advanceTime(by: .seconds(7))
        #expect(client.connected)
        h.loop.advanceTime(by: .seconds(1))
        #expect(!client.connected)
        #expect(h.disconnects.all == [.closeTimeout])
        try h.request(.GET, "/socket.io/xhr-polling/\(client.sessionId)/3")
        #expect(try h.response().head?.status == .notFound)
    }

    @Test("a stream gets heartbeats; a missing echo ends the stream, and the grace then ends the session")
    func streamHeartbeats() throws {
        let h = try Harness()
        try h.request(.GET, "/socket.io/htmlfile")
        let opened = try h.response()
        let client = try #require(h.listener.clients.first)
        #expect(opened.head?.headers["Content-Type"] == ["text/html; charset=UTF-8"])
        #expect(opened.body.hasSuffix(#"<script>parent.s._("~m~\#(client.sessionId.utf16.count)~m~\#(client.sessionId)", document);</script>"#))
        h.loop.advanceTime(by: .seconds(10))
        #expect(try h.response().body == #"<script>parent.s._("~m~4~m~~h~1", document);</script>"#)
        try h.request(.POST, "/socket.io/htmlfile/\(client.sessionId)/send", body: "data=~m~4~m~~h~1")
        #expect(try h.response().body == "ok")
        h.loop.advanceTime(by: .seconds(10))
        #expect(try h.response().body == #"<script>parent.s._("~m~4~m~~h~2", document);</script>"#)
        h.loop.advanceTime(by: .seconds(8))
        #expect(try h.response().ended, "no echo within the timeout: the stream ends")
        #expect(client.connected, "the grace has begun")
        h.loop.advanceTime(by: .seconds(8))
        #expect(h.disconnects.all == [.closeTimeout])
    }

    @Test("requests that are not Switchboard's go on to the next handler unchanged")
    func forwarding() throws {
        let h = try Harness()
        try h.request(.GET, "/hello")
        guard case .head(let head) = try h.channel.readInbound(as: HTTPServerRequestPart.self) else {
            return #expect(Bool(false), "the head goes on")
        }
        #expect(head.uri == "/hello")
        #expect(try h.channel.readInbound(as: HTTPServerRequestPart.self) == .end(nil))
    }

    @Test("a refusal is a status with a one-line text body; the connection stays for the next request")
    func refusals() throws {
        let h = try Harness()
        try h.request(.PUT, "/socket.io/xhr-polling//1")
        let refused = try h.response()
        #expect(refused.head?.status == .methodNotAllowed)
        #expect(refused.head?.headers["Content-Type"] == ["text/plain; charset=UTF-8"])
        #expect(refused.body == "405 Method Not Allowed: method PUT is not allowed here\n")
        try h.request(.POST, "/socket.io/xhr-polling/nobody/send", body: "data=x")
        #expect(try h.response().head?.status == .notFound)
        #expect(h.channel.isActive)
        try h.request(.GET, "/socket.io/xhr-polling//1")
        #expect(try h.response().head?.status == .ok, "the next request is served")
    }

    @Test("a body larger than maxHttpBufferSize is refused with 413 and the connection closes")
    func oversizedBody() throws {
        let h = try Harness()
        try h.request(.GET, "/socket.io/xhr-polling//1")
        _ = try h.response()
        let client = try #require(h.listener.clients.first)
        let head = HTTPRequestHead(version: .http1_1, method: .POST, uri: "/socket.io/xhr-polling/\(client.sessionId)/send")
        try h.channel.writeInbound(HTTPServerRequestPart.head(head))
        try h.channel.writeInbound(HTTPServerRequestPart.body(ByteBuffer(repeating: UInt8(ascii: "a"), count: 1_000_001)))
        #expect(try h.response().head?.status == .payloadTooLarge)
        #expect(!h.channel.isActive)
    }
}
