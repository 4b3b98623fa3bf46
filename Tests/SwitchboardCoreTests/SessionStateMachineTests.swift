import NIOCore
import SwitchboardWire
import Testing

@testable import SwitchboardCore

/// The session machine driven by hand with a fake clock: no sockets, no sleeping.
@Suite("session state machine")
struct SessionStateMachineTests {
    let a = ConnectionID(1), b = ConnectionID(2), p1 = ConnectionID(3), p2 = ConnectionID(4)

    let socketTimers = SessionTimers(heartbeatInterval: .seconds(10), heartbeatTimeout: .seconds(8), closeTimeout: .seconds(8))
    let pollTimers = SessionTimers(closeTimeout: .seconds(8), pollDuration: .seconds(20))
    func at(_ seconds: Int64) -> NIODeadline { .uptimeNanoseconds(UInt64(seconds) * 1_000_000_000 + 1_000) }
    func machine(maxMessages: Int = 100, maxBytes: Int = 10_000, codec: any PayloadCodec = FramedCodec()) -> SessionStateMachine {
        SessionStateMachine(sessionId: "SID", codec: codec, limits: .init(maxMessages: maxMessages, maxBytes: maxBytes))
    }
    /// A payload of the framed codec: `texts` framed and joined, numbered `sequence`.
    func payload(_ sequence: Int, _ texts: String...) -> OutboundPayload {
        OutboundPayload(.text(texts.map(Framed.frame).joined()), sequence: sequence)
    }

    @Test("the first write of a persistent connection is the handshake, then the session is connected; later sends go at once")
    func handshakeFirst() {
        var m = machine()
        #expect(m.attach(a, style: .persistent, timers: socketTimers, now: at(0)) == [.write(a, payload(1, "SID")), .connected])
        #expect(m.send(["~m~1~m~x"], now: at(1)) == [.write(a, payload(2, "x"))])
        #expect(m.isOpen)
    }

    @Test("the handshake poll carries the SID alone; what was sent meanwhile leaves in the next poll")
    func pollHandshake() {
        var m = machine()
        #expect(m.attach(p1, style: .poll, timers: pollTimers, now: at(0)) == [.complete(p1, payload(1, "SID")), .connected])
        #expect(m.send(["~m~1~m~a"], now: at(0)) == [])
        #expect(m.send(["~m~1~m~b"], now: at(0)) == [])
        #expect(m.queued == [.encoded("~m~1~m~a"), .encoded("~m~1~m~b")])
        #expect(m.attach(p2, style: .poll, timers: pollTimers, now: at(1)) == [.complete(p2, payload(2, "a", "b"))])
    }

    @Test("what the application sent before the first connection follows the handshake on a socket")
    func queuedBeforeHandshake() {
        var m = machine()
        _ = m.send(["~m~5~m~early"], now: at(0))
        #expect(m.attach(a, style: .persistent, timers: socketTimers, now: at(0)) == [.write(a, payload(1, "SID", "early")), .connected])
    }

    @Test("a held poll is answered by a send; an idle poll ends after duration with an empty payload")
    func heldPoll() {
        var m = machine()
        _ = m.attach(p1, style: .poll, timers: pollTimers, now: at(0))
        #expect(m.attach(p2, style: .poll, timers: pollTimers, now: at(1)) == [])
        #expect(m.send(["~m~2~m~hi"], now: at(2)) == [.complete(p2, payload(2, "hi"))])
        #expect(m.attach(p1, style: .poll, timers: pollTimers, now: at(3)) == [])
        #expect(m.nextDeadline == at(23))
        #expect(m.tick(now: at(22)) == [])
        #expect(m.tick(now: at(23)) == [.complete(p1, OutboundPayload(.text(""), sequence: 2))], "empty answers take no number")
    }

    @Test("a second poll releases the first with an empty payload")
    func secondPollReleasesFirst() {
        var m = machine()
        _ = m.attach(p1, style: .poll, timers: pollTimers, now: at(0))
        _ = m.attach(p1, style: .poll, timers: pollTimers, now: at(1))
        #expect(m.attach(p2, style: .poll, timers: pollTimers, now: at(2)) == [.complete(p1, OutboundPayload(.text(""), sequence: 1))])
        #expect(m.openConnection == p2)
    }

    @Test("the envelope codec answers an idle poll with an empty envelope")
    func envelopeEmptyPoll() {
        var m = machine(codec: EnvelopeCodec())
        _ = m.attach(p1, style: .poll, timers: pollTimers, now: at(0))
        _ = m.attach(p2, style: .poll, timers: pollTimers, now: at(1))
        #expect(m.tick(now: at(21)) == [.complete(p2, OutboundPayload(.text(#"{"messages":[]}"#), sequence: 1))])
    }

    @Test("messages sent during the grace arrive first, as one payload, when the client re-attaches")
    func bufferedDuringGrace() {
        var m = machine()
        _ = m.attach(a, style: .persistent, timers: socketTimers, now: at(0))
        #expect(m.detach(a, now: at(1)) == [])
        #expect(m.send(["~m~3~m~one"], now: at(2)) == [])
        #expect(m.send(["~m~3~m~two"], now: at(3)) == [])
        #expect(m.attach(b, style: .persistent, timers: socketTimers, now: at(4)) == [.write(b, payload(2, "one", "two"))])
        #expect(m.tick(now: at(100)) != [.disconnected(.closeTimeout)], "re-attaching cancels the grace")
    }

    @Test("the grace expires: disconnected with closeTimeout, queue dropped")
    func graceExpires() {
        var m = machine()
        _ = m.attach(a, style: .persistent, timers: socketTimers, now: at(0))
        _ = m.detach(a, now: at(1))
        _ = m.send(["~m~4~m~lost"], now: at(2))
        #expect(m.nextDeadline == at(9))
        #expect(m.tick(now: at(8)) == [])
        #expect(m.tick(now: at(9)) == [.disconnected(.closeTimeout)])
        #expect(!m.isConnected)
        #expect(m.queued.isEmpty)
        #expect(m.attach(b, style: .persistent, timers: socketTimers, now: at(10)) == [.reject(b)])
        #expect(m.nextDeadline == nil)
    }

    @Test("heartbeats: numbered from 1, an echo counts only with the last number, a missing echo closes the connection")
    func heartbeats() {
        var m = machine()
        _ = m.attach(a, style: .persistent, timers: socketTimers, now: at(0))
        #expect(m.nextDeadline == at(10))
        #expect(m.tick(now: at(10)) == [.write(a, payload(2, "~h~1"))])
        #expect(m.receive([.heartbeat(7)], now: at(11)) == [], "a stale echo does not count")
        #expect(m.receive([.heartbeat(1), .message("after")], now: at(12)) == [.deliver(["after"])], "the rest of the batch is kept")
        #expect(m.nextDeadline == at(22))
        #expect(m.tick(now: at(22)) == [.write(a, payload(3, "~h~2"))])
        #expect(m.tick(now: at(30)) == [.close(a)], "no echo within the timeout")
        #expect(m.isConnected, "the grace starts; the session is not over yet")
        #expect(m.tick(now: at(38)) == [.disconnected(.closeTimeout)])
    }

    @Test("polls have no heartbeats, and the envelope codec has none")
    func noHeartbeats() {
        var m = machine()
        _ = m.attach(p1, style: .poll, timers: pollTimers, now: at(0))
        _ = m.attach(p2, style: .poll, timers: pollTimers, now: at(1))
        #expect(m.nextDeadline == at(21))
        var envelope = machine(codec: EnvelopeCodec())
        _ = envelope.attach(a, style: .persistent, timers: socketTimers, now: at(0))
        #expect(envelope.tick(now: at(10)) == [])
    }

    @Test("a new persistent connection replaces and closes the old one")
    func replaceSocket() {
        var m = machine()
        _ = m.attach(a, style: .persistent, timers: socketTimers, now: at(0))
        #expect(m.attach(b, style: .persistent, timers: socketTimers, now: at(1)) == [.close(a)])
        #expect(m.detach(a, now: at(2)) == [], "the old one leaving does not start the grace")
        #expect(m.send(["~m~1~m~x"], now: at(3)) == [.write(b, payload(2, "x"))])
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

    @Test("a lone broadcast frame keeps its shared bytes on every kind of connection; queued, it counts its bytes")
    func sharedFrames() {
        let frame = SharedFrame(message: "news", codec: FramedCodec())
        #expect(frame.payloadText == "~m~4~m~news")
        #expect(frame.payloadBytes.readableBytesView.elementsEqual("~m~4~m~news".utf8))
        var m = machine(maxBytes: 25)
        _ = m.attach(a, style: .persistent, timers: socketTimers, now: at(0))
        #expect(m.send(frames: [.shared(frame)], now: at(1)) == [.write(a, OutboundPayload(.shared(frame), sequence: 2))])
        _ = m.detach(a, now: at(2))
        _ = m.attach(p1, style: .poll, timers: pollTimers, now: at(2))
        #expect(m.send(frames: [.shared(frame)], now: at(2)) == [.complete(p1, OutboundPayload(.shared(frame), sequence: 3))])
        #expect(m.send(frames: [.shared(frame)], now: at(3)) == [])
        #expect(m.send(["12345"], now: at(3)) == [])
        #expect(m.attach(b, style: .persistent, timers: socketTimers, now: at(4)) == [.write(b, OutboundPayload(.text("~m~4~m~news12345"), sequence: 4))])
        _ = m.detach(b, now: at(5))
        _ = m.send(frames: [.shared(frame), .shared(frame)], now: at(6))
        #expect(m.send(frames: [.shared(frame)], now: at(6)) == [.disconnected(.queueOverflow)], "3 x 11 bytes > 25")
    }

    @Test("a session that no connection attaches to by its handshake deadline ends")
    func handshakeDeadline() {
        var m = SessionStateMachine(sessionId: "SID", codec: FramedCodec(), limits: .init(maxMessages: 10, maxBytes: 100), handshakeDeadline: at(8))
        #expect(m.nextDeadline == at(8))
        #expect(m.tick(now: at(7)) == [])
        #expect(m.tick(now: at(8)) == [.disconnected(.closeTimeout)])
        var attached = SessionStateMachine(sessionId: "SID", codec: FramedCodec(), limits: .init(maxMessages: 10, maxBytes: 100), handshakeDeadline: at(8))
        _ = attached.attach(a, style: .persistent, timers: socketTimers, now: at(1))
        #expect(attached.tick(now: at(9)) == [], "attaching replaces the deadline")
    }

    @Test("a connection that cannot take writes (a slow reader) makes frames wait; they leave as one payload when it drains")
    func blockedConnection() {
        var m = machine()
        _ = m.attach(a, style: .persistent, timers: socketTimers, now: at(0))
        #expect(m.writabilityChanged(a, isWritable: false) == [])
        #expect(!m.isOpen)
        #expect(m.openConnection == a)
        #expect(m.send(["~m~1~m~x"], now: at(1)) == [])
        #expect(m.send(["~m~1~m~y"], now: at(1)) == [])
        #expect(m.writabilityChanged(b, isWritable: true) == [], "another connection's writability is not this one's")
        #expect(m.writabilityChanged(a, isWritable: true) == [.write(a, payload(2, "x", "y"))])
        #expect(m.send(["~m~1~m~z"], now: at(2)) == [.write(a, payload(3, "z"))])
    }

    @Test("what waits for a blocked connection is bounded: overflowing it ends the session")
    func blockedOverflow() {
        var m = machine(maxBytes: 20)
        _ = m.attach(a, style: .persistent, timers: socketTimers, now: at(0))
        _ = m.writabilityChanged(a, isWritable: false)
        #expect(m.send(["~m~10~m~0123456789"], now: at(1)) == [])
        #expect(m.send(["~m~10~m~0123456789"], now: at(1)) == [.close(a), .disconnected(.queueOverflow)])
    }

    @Test("a blocked connection still gets its heartbeat; without the echo it is closed at once, and what waits stays for the next one")
    func blockedHeartbeatTimeout() {
        var m = machine()
        _ = m.attach(a, style: .persistent, timers: socketTimers, now: at(0))
        _ = m.writabilityChanged(a, isWritable: false)
        _ = m.send(["~m~4~m~kept"], now: at(1))
        #expect(m.tick(now: at(10)) == [.write(a, payload(2, "~h~1"))])
        #expect(m.tick(now: at(18)) == [.close(a)])
        #expect(m.queued == [.encoded("~m~4~m~kept")])
        #expect(m.attach(b, style: .persistent, timers: socketTimers, now: at(19)) == [.write(b, payload(3, "kept"))])
    }

    @Test("a blocked connection replaced by a new one is closed; the new one gets what waited")
    func blockedReplaced() {
        var m = machine()
        _ = m.attach(a, style: .persistent, timers: socketTimers, now: at(0))
        _ = m.writabilityChanged(a, isWritable: false)
        _ = m.send(["~m~1~m~q"], now: at(1))
        #expect(m.attach(p1, style: .poll, timers: pollTimers, now: at(2)) == [.close(a), .complete(p1, payload(2, "q"))])
        #expect(m.writabilityChanged(p1, isWritable: false) == [], "a poll writes once: it is never blocked")
    }

    // MARK: Acknowledged delivery (docs/protocol.md §11)

    @Test("acknowledged mode: payloads start with ~a~, messages follow ~b~ and stay until the client has them")
    func acknowledgedReplay() {
        var m = machine()
        #expect(m.attach(a, style: .persistent, timers: socketTimers, acknowledged: 0, now: at(0)) == [.write(a, payload(1, "SID", "~a~0")), .connected])
        #expect(m.isAcknowledged)
        #expect(m.send(["~m~1~m~x"], now: at(1)) == [.write(a, payload(2, "~a~0", "~b~0", "x"))])
        #expect(m.send(["~m~1~m~y"], now: at(1)) == [.write(a, payload(3, "~a~0", "~b~1", "y"))])
        _ = m.detach(a, now: at(2))
        _ = m.send(["~m~1~m~z"], now: at(2))
        #expect(
            m.attach(b, style: .persistent, timers: socketTimers, acknowledged: 1, now: at(3)) == [.write(b, payload(4, "~a~0", "~b~1", "y", "z"))],
            "the client had x: y is written again, then z")
        #expect(m.receive([.acknowledge(3)], now: at(4)) == [])
        _ = m.detach(b, now: at(5))
        #expect(m.attach(a, style: .poll, timers: pollTimers, acknowledged: 3, now: at(6)) == [], "nothing is left to write: the poll is held")
        #expect(
            m.attach(b, style: .persistent, timers: socketTimers, acknowledged: 3, now: at(7)) == [.complete(a, OutboundPayload(.text(""), sequence: 4)), .write(b, payload(5, "~a~0"))],
            "a socket or stream is told at once that it is attached, and what the session has")
    }

    @Test("acknowledged mode: the client's messages are numbered; what the session has is dropped; a socket is told what arrived")
    func acknowledgedReceive() {
        var m = machine()
        _ = m.attach(a, style: .persistent, timers: socketTimers, acknowledged: 0, now: at(0))
        #expect(m.receive([.base(0), .message("a"), .message("b")], now: at(1)) == [.deliver(["a", "b"]), .write(a, payload(2, "~a~2"))])
        #expect(m.receive([.base(1), .message("b"), .message("c")], now: at(1)) == [.deliver(["c"]), .write(a, payload(3, "~a~3"))], "b again is dropped")
        #expect(m.receive([.message("d")], now: at(1)) == [.deliver(["d"]), .write(a, payload(4, "~a~4"))], "without a base, messages continue")
    }

    @Test("acknowledged mode: a payload whose base leaves a gap, or that acknowledges what was never written, is refused whole")
    func acknowledgedRefusals() {
        var m = machine()
        _ = m.attach(a, style: .persistent, timers: socketTimers, acknowledged: 0, now: at(0))
        _ = m.receive([.base(0), .message("a"), .message("b")], now: at(1))
        _ = m.send(["~m~1~m~x"], now: at(1))
        #expect(m.refusal(of: [.base(2), .message("c")]) == nil)
        #expect(m.refusal(of: [.base(0), .message("a"), .message("b"), .message("c"), .base(3), .message("d")]) == nil, "a base up to what the payload brought")
        #expect(m.refusal(of: [.base(3), .message("z")]) == "base 3 beyond the 2 messages received")
        #expect(m.refusal(of: [.base(2), .message("c"), .base(4)]) == "base 4 beyond the 3 messages received")
        #expect(m.refusal(of: [.acknowledge(1)]) == nil)
        #expect(m.refusal(of: [.acknowledge(2)]) == "acknowledgement of 2 messages, 1 written")
        #expect(m.receive([.base(1), .message("b"), .message("c"), .base(9), .message("z")], now: at(2)) == [], "nothing of it is taken")
        #expect(m.receive([.base(2), .message("c")], now: at(3)) == [.deliver(["c"]), .write(a, payload(4, "~a~3"))], "c was not counted")
        #expect(machine().refusal(of: [.message("~b~9")]) == nil, "no refusal outside acknowledged mode")
    }

    @Test("acknowledged mode: the handshake poll carries the SID and ~a~0; the next poll gets the queue; a lost answer is written again")
    func acknowledgedPolls() {
        var m = machine()
        #expect(m.attach(p1, style: .poll, timers: pollTimers, acknowledged: 0, now: at(0)) == [.complete(p1, payload(1, "SID", "~a~0")), .connected])
        _ = m.send(["~m~5~m~hello"], now: at(0))
        #expect(m.attach(p2, style: .poll, timers: pollTimers, acknowledged: 0, now: at(1)) == [.complete(p2, payload(2, "~a~0", "~b~0", "hello"))])
        #expect(m.attach(p1, style: .poll, timers: pollTimers, acknowledged: 0, now: at(2)) == [.complete(p1, payload(3, "~a~0", "~b~0", "hello"))], "the answer was lost")
        #expect(m.attach(p2, style: .poll, timers: pollTimers, acknowledged: 1, now: at(3)) == [], "held")
    }

    @Test("acknowledged mode: what the client has not acknowledged counts against the bytes limit")
    func acknowledgedLimits() {
        var m = machine(maxBytes: 20)
        _ = m.attach(a, style: .persistent, timers: socketTimers, acknowledged: 0, now: at(0))
        _ = m.send(["~m~10~m~0123456789"], now: at(1))
        #expect(m.send(["~m~10~m~0123456789"], now: at(1)).last == .disconnected(.queueOverflow))
        var acked = machine(maxBytes: 20)
        _ = acked.attach(a, style: .persistent, timers: socketTimers, acknowledged: 0, now: at(0))
        for n in 1...5 {
            _ = acked.send(["~m~10~m~0123456789"], now: at(1))
            _ = acked.receive([.acknowledge(n)], now: at(1))
        }
        #expect(acked.isConnected, "acknowledged messages are released")
    }

    @Test("without ack the session is classic: ~a~ and ~b~ never appear")
    func classicUnchanged() {
        var m = machine()
        #expect(m.attach(a, style: .persistent, timers: socketTimers, now: at(0)) == [.write(a, payload(1, "SID")), .connected])
        #expect(!m.isAcknowledged)
        #expect(m.receive([.message("a")], now: at(1)) == [.deliver(["a"])])
    }

    @Test("connection ids are plain values, unique in the process")
    func connectionIDs() {
        let ids = (0..<100).map { _ in ConnectionID.next() }
        #expect(Set(ids).count == 100)
    }
}
