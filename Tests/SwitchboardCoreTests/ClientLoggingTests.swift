import Logging
import NIOConcurrencyHelpers
import NIOEmbedded
import SwitchboardTestKit
import Testing

@testable import SwitchboardCore

/// A connection that does nothing: the session queues while it is detached.
final class IdleConnection: SessionConnection {
    let transportName = "test"
    func write(_ payload: OutboundPayload) {}
    func complete(_ payload: OutboundPayload) {}
    func close() {}
    func reject() {}
}

@Suite("what a session logs")
struct ClientLoggingTests {
    @Test("overflowing the queue disconnects the session with a warning that names it and the reason")
    func queueOverflowIsAWarning() throws {
        let logs = CapturedLogs()
        var options = ListenerOptions()
        options.log = logs.logger()
        options.maxBufferedMessages = 2
        let listener = try Listener(options: options, transports: TransportRegistry([]))
        let loop = EmbeddedEventLoop()
        let client = try #require(listener.createSession(on: loop))
        let connection = IdleConnection()
        client.attach(connection, style: .poll)  // the handshake poll is answered; nothing is open now
        for n in 1...3 { client.send("message \(n)") }
        #expect(!client.connected)
        let warning = try #require(logs.lines.withLockedValue { $0 }.first { $0.1 == "session closed" })
        #expect(warning.0 == .warning)
        #expect(warning.2["reason"] == "queue overflow")
        #expect(warning.2["sid"] == "\(client.sessionId)")
        #expect(listener.clientCount == 0)
    }

    @Test("a session created for a connection that never attaches ends after the listener's timeout")
    func unattachedSessionEnds() throws {
        let listener = try Listener(transports: TransportRegistry([]))
        let loop = EmbeddedEventLoop()
        let client = try #require(listener.createSession(on: loop))
        loop.run()
        loop.advanceTime(by: .milliseconds(7999))
        #expect(client.connected)
        loop.advanceTime(by: .milliseconds(1))
        #expect(!client.connected)
        #expect(listener.clientCount == 0)
    }
}
