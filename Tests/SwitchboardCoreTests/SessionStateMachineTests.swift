import NIOCore
import Testing

@testable import SwitchboardCore

/// The session machine driven by hand with a fake clock: no sockets, no sleeping.
@Suite("session state machine")
struct SessionStateMachineTests {
    final class Connection {}
    let socketA = Connection(), socketB = Connection(), pollA = Connection(), pollB = Connection()
    var a: ConnectionID { ObjectIdentifier(socketA) }
    var b: ConnectionID { ObjectIdentifier(socketB) }
    var p1: ConnectionID { ObjectIdentifier(pollA) }
    var p2: ConnectionID { ObjectIdentifier(pollB) }

    let socketTimers = SessionTimers(heartbeatInterval: .seconds(10), heartbeatTimeout: .seconds(8), closeTimeout: .seconds(8))
    let pollTimers = SessionTimers(closeTimeout: .seconds(8), pollDuration: .seconds(20))
    func at(_ seconds: Int64) -> NIODeadline { .uptimeNanoseconds(UInt64(seconds) * 1_000_000_000 + 1_000) }
    func machine(maxMessages: Int = 100, maxBytes: Int = 10_000) -> SessionStateMachine {
        SessionStateMachine(limits: .init(maxMessages: maxMessages, maxBytes: maxBytes))
    }

    @Test("the first write of a persistent connection is the handshake; later sends go at once")
    func handshakeFirst() {
        var m = machine()
        #expect(m.attach(a, style: .persistent, timers: socketTimers, now: at(0)) == [.write(a, [.handshake])])
        #expect(m.send(["x"], now: at(1)) == [.write(a, [.encoded("x")])])
        #expect(m.phase == .connected)
    }

    @Test("the handshake poll carries the SID alone; what was sent meanwhile leaves in the next poll")
    func pollHandshake() {
        var m = machine()
        #expect(m.attach(p1, style: .poll, timers: pollTimers, now: at(0)) == [.complete(p1, [.handshake])])
        #expect(m.send(["a"], now: at(0)) == [])
        #expect(m.send(["b"], now: at(0)) == [])
        #expect(m.attach(p2, style: .poll, timers: pollTimers, now: at(1)) == [.complete(p2, [.encoded("a"), .encoded("b")])])
    }

    @Test("a held poll is answered by a send; an idle poll ends after duration with an empty payload")
    func heldPoll() {
        var m = machine()
        _ = m.attach(p1, style: .poll, timers: pollTimers, now: at(0))
        #expect(m.attach(p2, style: .poll, timers: pollTimers, now: at(1)) == [])
        #expect(m.send(["hi"], now: at(2)) == [.complete(p2, [.encoded("hi")])])
        #expect(m.attach(p1, style: .poll, timers: pollTimers, now: at(3)) == [])
        #expect(m.nextDeadline == at(23))
        #expect(m.tick(now: at(22)) == [])
        #expect(m.tick(now: at(23)) == [.complete(p1, [])])
    }

    @Test("a second poll releases the first with an empty payload")
    func secondPollReleasesFirst() {
        var m = machine()
        _ = m.attach(p1, style: .poll, timers: pollTimers, now: at(0))
        _ = m.attach(p1, style: .poll, timers: pollTimers, now: at(1))
        #expect(m.attach(p2, style: .poll, timers: pollTimers, now: at(2)) == [.complete(p1, [])])
        #expect(m.openConnection == p2)
    }

    @Test("messages sent during the grace arrive first, as one payload, when the client re-attaches")
    func bufferedDuringGrace() {
        var m = machine()
        _ = m.attach(a, style: .persistent, timers: socketTimers, now: at(0))
        #expect(m.detach(a, now: at(1)) == [])
        #expect(m.send(["one"], now: at(2)) == [])
        #expect(m.send(["two"], now: at(3)) == [])
        #expect(m.attach(b, style: .persistent, timers: socketTimers, now: at(4)) == [.write(b, [.encoded("one"), .encoded("two")])])
        #expect(m.tick(now: at(100)) != [.disconnected(.closeTimeout)], "re-attaching cancels the grace")
    }

    @Test("the grace expires: disconnected with closeTimeout, queue dropped")
    func graceExpires() {
        var m = machine()
        _ = m.attach(a, style: .persistent, timers: socketTimers, now: at(0))
        _ = m.detach(a, now: at(1))
        _ = m.send(["lost"], now: at(2))
        #expect(m.nextDeadline == at(9))
        #expect(m.tick(now: at(8)) == [])
        #expect(m.tick(now: at(9)) == [.disconnected(.closeTimeout)])
        #expect(!m.isConnected)
        #expect(m.queue.isEmpty)
        #expect(m.attach(b, style: .persistent, timers: socketTimers, now: at(10)) == [.reject(b)])
        #expect(m.nextDeadline == nil)
    }

    @Test("heartbeats: numbered from 1, an echo counts only with the last number, a missing echo closes the connection")
    func heartbeats() {
        var m = machine()
        _ = m.attach(a, style: .persistent, timers: socketTimers, now: at(0))
        #expect(m.nextDeadline == at(10))
        #expect(m.tick(now: at(10)) == [.write(a, [.heartbeat(1)])])
        #expect(m.receive([.heartbeat(7)], now: at(11)) == [], "a stale echo does not count")
        #expect(m.receive([.heartbeat(1), .message("after")], now: at(12)) == [.deliver(["after"])], "the rest of the batch is kept")
        #expect(m.nextDeadline == at(22))
        #expect(m.tick(now: at(22)) == [.write(a, [.heartbeat(2)])])
        #expect(m.tick(now: at(30)) == [.close(a)], "no echo within the timeout")
        #expect(m.isConnected, "the grace starts; the session is not over yet")
        #expect(m.tick(now: at(38)) == [.disconnected(.closeTimeout)])
    }

    @Test("polls have no heartbeats")
    func pollsHaveNoHeartbeats() {
        var m = machine()
        _ = m.attach(p1, style: .poll, timers: pollTimers, now: at(0))
        _ = m.attach(p2, style: .poll, timers: pollTimers, now: at(1))
        #expect(m.nextDeadline == at(21))
    }

    @Test("a new persistent connection replaces and closes the old one")
    func replaceSocket() {
        var m = machine()
        _ = m.attach(a, style: .persistent, timers: socketTimers, now: at(0))
        #expect(m.attach(b, style: .persistent, timers: socketTimers, now: at(1)) == [.close(a)])
        #expect(m.detach(a, now: at(2)) == [], "the old one leaving does not start the grace")
        #expect(m.send(["x"], now: at(3)) == [.write(b, [.encoded("x")])])
    }

    @Test("the queue is bounded: overflowing it disconnects the session")
    func queueBounds() {
        var m = machine(maxMessages: 2)
        _ = m.attach(p1, style: .poll, timers: pollTimers, now: at(0))
        #expect(m.send(["1"], now: at(0)) == [])
        #expect(m.send(["2"], now: at(0)) == [])
        #expect(m.send(["3"], now: at(0)) == [.disconnected(.queueOverflow)])
        var bytes = machine(maxBytes: 5)
        _ = bytes.attach(p1, style: .poll, timers: pollTimers, now: at(0))
        #expect(bytes.send(["123456"], now: at(0)) == [.disconnected(.queueOverflow)])
    }

    @Test("server disconnect closes the open connection and ends the session")
    func serverDisconnect() {
        var m = machine()
        _ = m.attach(a, style: .persistent, timers: socketTimers, now: at(0))
        #expect(m.disconnect(.serverDisconnect) == [.close(a), .disconnected(.serverDisconnect)])
        #expect(m.send(["x"], now: at(1)) == [])
        #expect(m.disconnect(.serverDisconnect) == [])
    }

    @Test("a broadcast frame is written as it is when open, queued like any other when not, and counts its bytes")
    func sharedFrames() {
        let frame = SharedFrame(message: "news", codec: FramedCodec())
        #expect(frame.payloadText == "~m~4~m~news")
        #expect(frame.payloadBytes.readableBytesView.elementsEqual("~m~4~m~news".utf8))
        var m = machine(maxBytes: 25)
        _ = m.attach(a, style: .persistent, timers: socketTimers, now: at(0))
        #expect(m.send(frames: [.shared(frame)], now: at(1)) == [.write(a, [.shared(frame)])])
        _ = m.detach(a, now: at(2))
        #expect(m.send(frames: [.shared(frame)], now: at(3)) == [])
        #expect(m.send(["12345"], now: at(3)) == [])
        #expect(m.attach(b, style: .persistent, timers: socketTimers, now: at(4)) == [.write(b, [.shared(frame), .encoded("12345")])])
        _ = m.detach(b, now: at(5))
        _ = m.send(frames: [.shared(frame), .shared(frame)], now: at(6))
        #expect(m.send(frames: [.shared(frame)], now: at(6)) == [.disconnected(.queueOverflow)], "3 x 11 bytes > 25")
    }
}
