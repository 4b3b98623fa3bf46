import NIOCore
import NIOEmbedded
import SwitchboardCore
import SwitchboardTestKit
import Testing

@testable import SwitchboardCore

/// The deadlines of a loop's sessions in one heap, in virtual time.
@Suite("loop timers")
struct LoopTimersTests {
    @Test("2,000 sessions on one loop: one heap entry each, all served at their deadline by the loop's one task")
    func manySessions() throws {
        let loop = EmbeddedEventLoop()
        let listener = try Listener(transports: TransportRegistry([]))
        let ended = Recorded<DisconnectReason>()
        listener.on(.clientDisconnect) { _, reason in ended.append(reason) }
        for _ in 0..<2000 { _ = try #require(listener.createSession(on: loop)) }
        loop.run()  // each session arms its first deadline on the next tick
        let timers = listener.loopTimers(for: loop)
        #expect(timers.count == 2000)
        loop.advanceTime(by: .seconds(9))
        #expect(ended.all.isEmpty)
        // No connection ever came: each session ends at its handshake deadline (10 s).
        loop.advanceTime(by: .seconds(1))
        #expect(ended.all.count == 2000)
        #expect(timers.count == 0)
    }
}

