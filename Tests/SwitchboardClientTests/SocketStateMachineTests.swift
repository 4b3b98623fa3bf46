import NIOCore
import SwitchboardCore
import Testing

@testable import SwitchboardClient

/// The client's protocol logic with no sockets: a clock that the test moves by hand.
@Suite("Socket state machine")
struct SocketStateMachineTests {
    typealias Machine = SocketStateMachine
    static let t0 = NIODeadline.uptimeNanoseconds(1_000_000_000)

    static func machine(
        _ transports: [(String, TransportKind)] = [("websocket", .upgrade), ("xhr-polling", .poll)],
        _ configure: (inout Machine.Configuration) -> Void = { _ in }
    ) -> Machine {
        var configuration = Machine.Configuration(transports: transports.map { (name: $0.0, kind: $0.1) })
        configuration.connectTimeout = .seconds(5)
        configuration.reconnectionDelay = .milliseconds(100)
        configuration.maxReconnectionAttempts = 3
        configure(&configuration)
        return Machine(configuration: configuration)
    }

    /// A machine connected over its first transport with session `sid`; returns the connection id.
    static func connected(_ machine: inout Machine, sid: String = "SID") -> Int {
        _ = machine.event(.connect(preferred: nil), now: t0)
        guard case .opening(_, let id, _) = machine.phase else { preconditionFailure() }
        _ = machine.event(.opened(id), now: t0)
        _ = machine.event(.received(id, [.message(.text(sid))]), now: t0)
        return id
    }

    @Test("connect tries the first transport; the first message is the SID; the rest is delivered")
    func handshake() {
        var machine = Self.machine()
        #expect(
            machine.event(.connect(preferred: nil), now: Self.t0) == [
                .emit(.connecting("websocket")), .open(1, transport: "websocket", sessionId: nil, acknowledged: nil),
            ])
        #expect(machine.isConnecting && !machine.isConnected)
        #expect(machine.event(.opened(1), now: Self.t0) == [], "a new session waits for its id")
        let actions = machine.event(
            .received(1, [.message("SID"), .message("hello"), .message(.json(["a": 1]))]), now: Self.t0)
        #expect(actions == [.emit(.connect), .emit(.message("hello")), .emit(.message(.json(["a": 1])))])
        #expect(machine.sessionId == "SID" && machine.isConnected && machine.transport == "websocket")
        #expect(machine.nextDeadline == nil)
    }

    @Test("acknowledged delivery: messages are numbered and kept until acknowledged, sent again after a cut; what arrives twice is dropped")
    func acknowledgedDelivery() {
        var machine = Self.machine { $0.acknowledged = true }
        #expect(
            machine.event(.connect(preferred: nil), now: Self.t0).last == .open(1, transport: "websocket", sessionId: nil, acknowledged: 0))
        _ = machine.event(.received(1, [.message("SID"), .acknowledge(0)]), now: Self.t0)
        #expect(machine.event(.send(["a", "b"]), now: Self.t0) == [.write(1, [.acknowledge(0), .base(0), .numbered(1, "a"), .numbered(2, "b")])])
        // The server has a; its messages 1 and 2 arrive, 1 twice.
        #expect(
            machine.event(.received(1, [.acknowledge(1), .base(0), .message("x"), .message("y")]), now: Self.t0) == [
                .emit(.message("x")), .emit(.message("y")), .write(1, [.acknowledge(2)]),
            ])
        #expect(machine.event(.received(1, [.base(1), .message("y"), .message("z")]), now: Self.t0) == [
            .emit(.message("z")), .write(1, [.acknowledge(3)]),
        ])
        // Cut: b was never acknowledged; the re-attachment says what arrived and sends b again.
        _ = machine.event(.closed(1), now: Self.t0)
        let retry = Self.t0 + .seconds(1)
        #expect(machine.event(.tick, now: retry) == [.open(2, transport: "websocket", sessionId: "SID", acknowledged: 3)])
        #expect(machine.event(.opened(2), now: retry).last == .write(2, [.acknowledge(3), .base(1), .numbered(2, "b")]))
    }

    @Test("the envelope codec's first message is the string {\"sessionid\":...}")
    func envelopeHandshake() {
        var machine = Self.machine { $0.payloadProtocol = .envelope }
        _ = machine.event(.connect(preferred: nil), now: Self.t0)
        #expect(
            machine.event(.received(1, [.message(#"{"sessionid":"Zx8"}"#), .message("m")]), now: Self.t0) == [
                .emit(.connect), .emit(.message("m")),
            ])
        #expect(machine.sessionId == "Zx8")
    }

    @Test("a first message that is not a SID fails the transport")
    func notASessionId() {
        var machine = Self.machine { $0.payloadProtocol = .envelope }
        _ = machine.event(.connect(preferred: nil), now: Self.t0)
        let actions = machine.event(.received(1, [.message("plain text")]), now: Self.t0)
        #expect(actions.first == .close(1))
        #expect(actions.contains(.open(2, transport: "xhr-polling", sessionId: nil, acknowledged: nil)))
    }

    @Test("heartbeats are echoed at once, in the batch's order, and the rest of the batch goes on")
    func heartbeatEcho() {
        var machine = Self.machine()
        let id = Self.connected(&machine)
        #expect(
            machine.event(.received(id, [.heartbeat(1), .message("after")]), now: Self.t0) == [
                .write(id, [.heartbeat(1)]), .emit(.message("after")),
            ])
    }

    @Test("sends before the handshake wait and leave as one payload right after it")
    func queuedBeforeConnect() {
        var machine = Self.machine()
        #expect(machine.event(.send(["a"]), now: Self.t0) == [])
        _ = machine.event(.connect(preferred: nil), now: Self.t0)
        #expect(machine.event(.send(["b", .json(["c": 3])]), now: Self.t0) == [])
        #expect(
            machine.event(.received(1, [.message("SID")]), now: Self.t0) == [
                .emit(.connect), .write(1, [.message("a"), .message("b"), .message(.json(["c": 3]))]),
            ])
        #expect(machine.queue.isEmpty)
        #expect(machine.event(.send(["d"]), now: Self.t0) == [.write(1, [.message("d")])], "a socket writes at once")
    }

    @Test("HTTP transports keep one POST in flight; what comes meanwhile leaves together after it")
    func onePostAtATime() {
        var machine = Self.machine([("xhr-polling", .poll)])
        let id = Self.connected(&machine)
        #expect(machine.event(.send(["1"]), now: Self.t0) == [.write(id, [.message("1")])])
        #expect(machine.event(.send(["2"]), now: Self.t0) == [])
        #expect(machine.event(.received(id, [.heartbeat(4)]), now: Self.t0) == [], "the echo waits for the POST too")
        #expect(machine.event(.send(["3"]), now: Self.t0) == [])
        #expect(machine.event(.sent(id), now: Self.t0) == [.write(id, [.message("2"), .heartbeat(4), .message("3")])])
        #expect(machine.event(.sent(id), now: Self.t0) == [])
        #expect(machine.event(.send(["4"]), now: Self.t0) == [.write(id, [.message("4")])])
    }

    @Test(
        "a transport that fails or times out before the SID is followed by the next; the last failure is connect_failed"
    )
    func fallback() {
        var machine = Self.machine([("websocket", .upgrade), ("server-events", .stream), ("xhr-polling", .poll)])
        _ = machine.event(.connect(preferred: nil), now: Self.t0)
        #expect(machine.nextDeadline == Self.t0 + .seconds(5))
        #expect(machine.event(.tick, now: Self.t0 + .seconds(4)) == [], "not yet")
        #expect(
            machine.event(.tick, now: Self.t0 + .seconds(5)) == [
                .close(1), .emit(.connecting("server-events")), .open(2, transport: "server-events", sessionId: nil, acknowledged: nil),
            ])
        let later = Self.t0 + .seconds(6)
        #expect(
            machine.event(.failed(2, .httpStatus(404)), now: later) == [
                .close(2), .emit(.connecting("xhr-polling")), .open(3, transport: "xhr-polling", sessionId: nil, acknowledged: nil),
            ])
        #expect(
            machine.event(.closed(3), now: later) == [
                .close(3),
                .emit(
                    .connectFailed([
                        .init(transport: "websocket", failure: .timedOut),
                        .init(transport: "server-events", failure: .httpStatus(404)),
                        .init(transport: "xhr-polling", failure: .closed),
                    ])),
            ])
        #expect(!machine.isConnected && !machine.isConnecting && machine.nextDeadline == nil)
    }

    @Test("without tryTransportsOnConnectTimeout the first failure is connect_failed")
    func noFallback() {
        var machine = Self.machine { $0.tryTransportsOnConnectTimeout = false }
        _ = machine.event(.connect(preferred: nil), now: Self.t0)
        #expect(
            machine.event(.failed(1, .unreachable("refused")), now: Self.t0) == [
                .close(1), .emit(.connectFailed([.init(transport: "websocket", failure: .unreachable("refused"))])),
            ])
    }

    @Test("the remembered transport is tried first")
    func preferred() {
        var machine = Self.machine()
        #expect(
            machine.event(.connect(preferred: "xhr-polling"), now: Self.t0).last
                == .open(1, transport: "xhr-polling", sessionId: nil, acknowledged: nil))
    }

    @Test("a dropped connection: close, reconnecting with backoff, re-attach with the SID, reconnect, queue flushed; a failed attempt tries the next transport with the same session")
    func reattach() {
        var machine = Self.machine()
        let id = Self.connected(&machine)
        #expect(
            machine.event(.closed(id), now: Self.t0) == [
                .close(id), .emit(.close), .emit(.reconnecting(.milliseconds(100), 1)),
            ])
        #expect(machine.isConnected, "the session lives on while re-attaching")
        #expect(machine.event(.send(["x", "y"]), now: Self.t0) == [])
        #expect(machine.event(.tick, now: Self.t0 + .milliseconds(99)) == [])
        let t1 = Self.t0 + .milliseconds(100)
        #expect(machine.event(.tick, now: t1) == [.open(2, transport: "websocket", sessionId: "SID", acknowledged: nil)])
        #expect(machine.nextDeadline == t1 + .seconds(5))
        #expect(
            machine.event(.failed(2, .unreachable("refused")), now: t1) == [
                .close(2), .emit(.reconnecting(.milliseconds(200), 2)),
            ])
        let t2 = t1 + .milliseconds(200)
        #expect(machine.event(.tick, now: t2) == [.open(3, transport: "xhr-polling", sessionId: "SID", acknowledged: nil)])
        #expect(
            machine.event(.opened(3), now: t2) == [
                .emit(.reconnect("xhr-polling", 2)), .write(3, [.message("x"), .message("y")]),
            ])
        #expect(machine.transport == "xhr-polling")
        #expect(
            machine.event(.received(3, [.message("queued by the server")]), now: t2) == [
                .emit(.message("queued by the server"))
            ],
            "no second SID on a re-attached session")
    }

    @Test("a re-attaching poll that is answered at once counts as accepted")
    func reattachByAnswer() {
        var machine = Self.machine([("xhr-polling", .poll)])
        let id = Self.connected(&machine)
        _ = machine.event(.closed(id), now: Self.t0)
        _ = machine.event(.tick, now: Self.t0 + .seconds(1))
        #expect(
            machine.event(.received(2, [.message("m1"), .message("m2")]), now: Self.t0 + .seconds(1)) == [
                .emit(.reconnect("xhr-polling", 1)), .emit(.message("m1")), .emit(.message("m2")),
            ])
    }

    @Test("an unconfirmed POST goes first on the next connection")
    func postRequeued() {
        var machine = Self.machine([("xhr-polling", .poll)])
        let id = Self.connected(&machine)
        _ = machine.event(.send(["1"]), now: Self.t0)
        _ = machine.event(.send(["2"]), now: Self.t0)
        _ = machine.event(.failed(id, .closed), now: Self.t0)
        _ = machine.event(.send(["3"]), now: Self.t0)
        _ = machine.event(.tick, now: Self.t0 + .seconds(1))
        #expect(
            machine.event(.opened(2), now: Self.t0 + .seconds(1)).last
                == .write(2, [.message("1"), .message("2"), .message("3")]))
    }

    @Test("max attempts: reconnect_failed, then disconnect; the queue is dropped")
    func reconnectFailed() {
        var machine = Self.machine()
        let id = Self.connected(&machine)
        _ = machine.event(.closed(id), now: Self.t0)
        _ = machine.event(.send(["lost"]), now: Self.t0)
        var now = Self.t0
        var last: [Machine.Action] = []
        for attempt in 1...3 {
            now = now + .seconds(10)
            guard case .open(let attemptID, _, _, _)? = machine.event(.tick, now: now).first else {
                Issue.record("attempt \(attempt) did not open")
                return
            }
            last = machine.event(.tick, now: now + .seconds(5))  // timed out
            #expect(last.first == .close(attemptID))
        }
        #expect(last.dropFirst() == [.emit(.reconnectFailed), .emit(.disconnect)])
        #expect(
            !machine.isConnected && machine.sessionId == nil && machine.queue.isEmpty && machine.nextDeadline == nil)
    }

    @Test("an unknown SID (404) ends the session at once: while re-attaching and while polling")
    func unknownSession() {
        var machine = Self.machine()
        var id = Self.connected(&machine)
        _ = machine.event(.closed(id), now: Self.t0)
        _ = machine.event(.tick, now: Self.t0 + .seconds(1))
        #expect(
            machine.event(.failed(2, .httpStatus(404)), now: Self.t0 + .seconds(1)) == [.close(2), .emit(.disconnect)])

        var polling = Self.machine([("xhr-polling", .poll)])
        id = Self.connected(&polling)
        #expect(polling.event(.failed(id, .httpStatus(404)), now: Self.t0) == [.close(id), .emit(.disconnect)])
    }

    @Test("without reconnect a dropped connection ends the session")
    func noReconnect() {
        var machine = Self.machine { $0.reconnect = false }
        let id = Self.connected(&machine)
        #expect(machine.event(.closed(id), now: Self.t0) == [.close(id), .emit(.close), .emit(.disconnect)])
    }

    @Test("disconnect: closes, fires disconnect when there was a session, ignores stale connections after")
    func disconnect() {
        var machine = Self.machine()
        let id = Self.connected(&machine)
        #expect(machine.event(.disconnect, now: Self.t0) == [.close(id), .emit(.disconnect)])
        #expect(machine.event(.received(id, [.message("late")]), now: Self.t0) == [])
        #expect(machine.event(.closed(id), now: Self.t0) == [])
        #expect(machine.event(.disconnect, now: Self.t0) == [])

        var opening = Self.machine()
        _ = opening.event(.connect(preferred: nil), now: Self.t0)
        #expect(opening.event(.disconnect, now: Self.t0) == [.close(1)], "no session, no disconnect event")
        #expect(opening.phase == .disconnected)
        #expect(
            opening.event(.connect(preferred: nil), now: Self.t0).last
                == .open(2, transport: "websocket", sessionId: nil, acknowledged: nil),
            "a disconnected socket can connect again")
    }

    @Test("events for other connections are ignored")
    func staleConnections() {
        var machine = Self.machine()
        let id = Self.connected(&machine)
        #expect(machine.event(.received(id + 7, [.message("x")]), now: Self.t0) == [])
        #expect(machine.event(.failed(id + 7, .closed), now: Self.t0) == [])
        #expect(machine.event(.connect(preferred: nil), now: Self.t0) == [], "already connected")
    }

    @Test("backoff doubles per attempt")
    func backoff() {
        #expect(Machine.backoff(.milliseconds(500), attempt: 1) == .milliseconds(500))
        #expect(Machine.backoff(.milliseconds(500), attempt: 2) == .seconds(1))
        #expect(Machine.backoff(.milliseconds(500), attempt: 4) == .seconds(4))
    }
}
