import Logging
import NIOCore
import NIOEmbedded
@testable import SwitchboardCore
import SwitchboardTestKit
import SwitchboardXHRPolling
import Testing

@testable import SwitchboardServer

/// The request timeouts on the whole Switchboard pipeline (`configureSwitchboard`), fed raw bytes
/// on an `EmbeddedChannel` whose loop's time the tests advance (docs/protocol.md §9.4).
@Suite("request timeouts on a connection, in virtual time")
struct RequestTimeoutHandlerTests {
    final class Harness {
        let channel = EmbeddedChannel()
        let logs = CapturedLogs()
        let listener: Listener
        var loop: EmbeddedEventLoop { channel.embeddedEventLoop }

        init(_ configure: (inout ListenerOptions) -> Void = { _ in }) throws {
            var options = ListenerOptions()
            options.log = logs.logger()
            configure(&options)
            listener = try Listener(options: options, transports: TransportRegistry(SwitchboardXHRPollingTransports.all))
            try channel.pipeline.syncOperations.configureSwitchboard([listener])
            try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 9)).wait()
        }

        func send(_ text: String) throws {
            try channel.writeInbound(ByteBuffer(string: text))
        }

        /// Everything written so far, as text.
        func written() throws -> String {
            var text = ""
            while var buffer = try channel.readOutbound(as: ByteBuffer.self) {
                text += buffer.readString(length: buffer.readableBytes) ?? ""
            }
            return text
        }

        func advance(_ amount: TimeAmount) {
            loop.advanceTime(by: amount)
        }

        var closed: Bool { !channel.isActive }

        func warnings() -> [String] { logs.messages(at: .warning) }

        /// Whether the connection was answered `408` for `reason`, and nothing else: the HTTP
        /// decoder's complaint about the request the close cut short is not answered.
        func answered408(_ reason: String) throws -> Bool {
            try written() == String(decoding: RequestTimeoutHandler.requestTimeout(reason: reason), as: UTF8.self)
        }
    }

    @Test("a connection that sends nothing is closed after idleTimeout, without an answer")
    func silent() throws {
        let h = try Harness()
        h.advance(.seconds(59))
        #expect(!h.closed)
        h.advance(.seconds(1))
        #expect(h.closed)
        #expect(try h.written() == "")
        #expect(h.logs.messages(at: .debug).contains("no request within 60000 ms; closing the idle connection"))
    }

    @Test("a malformed request is answered 400 with a close, once, and logged")
    func malformed() throws {
        let h = try Harness()
        try? h.send("GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n")
        h.loop.run()
        #expect(try h.written() == "HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")
        #expect(h.closed)
        #expect(h.warnings().count == 1)
        #expect(h.warnings().first?.hasPrefix("malformed HTTP request") == true)
    }

    @Test("a connection's deadline is one entry in its loop's timers (the sessions'); a closed connection's does nothing when it comes")
    func sharedTimers() throws {
        let h = try Harness()
        let timers = h.listener.loopTimers(for: h.loop)
        #expect(timers.count == 1, "the idle deadline")
        try h.send("GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(timers.count <= 2, "a deadline that moves later waits for the earlier one to come")
        _ = try h.channel.finish()
        h.advance(.seconds(61))
        #expect(h.logs.messages(at: .debug).allSatisfy { !$0.contains("closing the idle connection") })
    }

    @Test("a partial head gets 408 and a close requestHeadTimeout after its first byte")
    func partialHead() throws {
        let h = try Harness()
        h.advance(.seconds(30))
        try h.send("GET /socket.io/xhr-polling//1 HT")
        h.advance(.milliseconds(9999))
        #expect(!h.closed)
        h.advance(.milliseconds(1))
        #expect(h.closed)
        #expect(try h.answered408("request head not complete within 10000 ms"))
        #expect(h.warnings() == ["408 Request Timeout: request head not complete within 10000 ms; closing the connection"])
    }

    @Test("a head dribbled a byte every 5 s is cut at requestHeadTimeout")
    func dribbledHead() throws {
        let h = try Harness()
        for byte in "GET /socket.io/xhr-polling//1".prefix(2) {
            try h.send(String(byte))
            h.advance(.seconds(5))
        }
        #expect(h.closed)
        #expect(try h.answered408("request head not complete within 10000 ms"))
    }

    @Test("a POST whose body stops arriving gets 408 requestBodyTimeout after its last part")
    func stalledBody() throws {
        let h = try Harness()
        try h.send("POST /anything HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nab")
        h.advance(.seconds(9))
        try h.send("cd")
        h.advance(.seconds(9))
        #expect(!h.closed, "each part restarts the wait")
        h.advance(.seconds(1))
        #expect(h.closed)
        #expect(try h.answered408("no part of the request body within 10000 ms"))
        #expect(h.warnings() == ["408 Request Timeout: no part of the request body within 10000 ms; closing the connection"])
    }

    @Test("a held poll outlives every limit; the idle limit starts when it is answered")
    func heldPoll() throws {
        let h = try Harness {
            $0.requestHeadTimeout = .seconds(1)
            $0.requestBodyTimeout = .seconds(1)
            $0.idleTimeout = .seconds(1)
        }
        try h.send("GET /socket.io/xhr-polling//1 HTTP/1.1\r\nHost: x\r\n\r\n")
        let handshake = try h.written()
        #expect(handshake.hasPrefix("HTTP/1.1 200 OK\r\n"))
        let sid = try #require(h.listener.clients.first?.sessionId)
        h.advance(.milliseconds(900))
        try h.send("GET /socket.io/xhr-polling/\(sid)/2 HTTP/1.1\r\nHost: x\r\n\r\n")
        h.advance(.seconds(19))
        #expect(!h.closed)
        #expect(try h.written() == "", "held for duration (20 s)")
        h.advance(.seconds(1))
        #expect(try h.written().hasPrefix("HTTP/1.1 200 OK\r\n"), "answered empty after duration")
        h.advance(.milliseconds(999))
        #expect(!h.closed)
        h.advance(.milliseconds(1))
        #expect(h.closed, "then idle")
    }

    @Test("keep-alive: requests on time keep the connection; idleTimeout counts from the last answer")
    func keepAlive() throws {
        let h = try Harness()
        for _ in 0..<3 {
            h.advance(.seconds(50))
            try h.send("GET /socket.io/xhr-polling/unknown/1 HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try h.written().hasPrefix("HTTP/1.1 404 Not Found\r\n"))
        }
        h.advance(.seconds(59))
        #expect(!h.closed)
        h.advance(.seconds(1))
        #expect(h.closed)
    }

    @Test("limits of 0 turn the timeouts off")
    func off() throws {
        let h = try Harness {
            $0.requestHeadTimeout = .zero
            $0.idleTimeout = .zero
        }
        h.advance(.seconds(3600))
        try h.send("GET / HT")
        h.advance(.seconds(3600))
        #expect(!h.closed)
    }
}
