import NIOCore
import SwitchboardCore
import Testing

@testable import SwitchboardServer

/// The machine that decides an HTTP connection's one deadline (docs/protocol.md §9.4), with
/// made-up times.
@Suite("request timeouts: what a connection waits for, and until when")
struct RequestTimeoutsTests {
    static let limits = RequestTimeoutLimits(head: .seconds(10), body: .seconds(10), idle: .seconds(60))
    static let start = NIODeadline.uptimeNanoseconds(1_000_000_000)

    func at(_ seconds: Int64) -> NIODeadline { Self.start + .seconds(seconds) }

    /// A request that comes whole at `seconds`: its first byte, head and end.
    func request(_ machine: inout RequestTimeouts, at seconds: Int64) {
        machine.bytesReceived(now: at(seconds))
        machine.requestHead(now: at(seconds))
        machine.requestEnd(now: at(seconds))
    }

    @Test("a new connection that sends nothing is idle from its start")
    func silentConnection() {
        var machine = RequestTimeouts(limits: Self.limits, now: Self.start)
        #expect(machine.deadline == at(60))
        #expect(machine.expire(now: at(59)) == nil)
        #expect(machine.expire(now: at(60)) == .close(.idle, after: .seconds(60)))
        #expect(machine.deadline == nil, "expired once")
        #expect(machine.expire(now: at(100)) == nil)
    }

    @Test("the head must be complete within requestHeadTimeout of its first byte, however it dribbles")
    func headFromFirstByte() {
        var machine = RequestTimeouts(limits: Self.limits, now: Self.start)
        machine.bytesReceived(now: at(30))
        #expect(machine.deadline == at(40))
        machine.bytesReceived(now: at(35))
        machine.bytesReceived(now: at(39))
        #expect(machine.deadline == at(40), "more bytes of the head do not push it")
        #expect(machine.expire(now: at(40)) == .answerAndClose(.head, after: .seconds(10)))
    }

    @Test("a body must keep arriving: each part restarts requestBodyTimeout")
    func bodyBetweenParts() {
        var machine = RequestTimeouts(limits: Self.limits, now: Self.start)
        machine.bytesReceived(now: at(1))
        machine.requestHead(now: at(2))
        #expect(machine.deadline == at(12))
        machine.requestBody(now: at(11))
        #expect(machine.deadline == at(21))
        #expect(machine.expire(now: at(20)) == nil)
        #expect(machine.expire(now: at(21)) == .answerAndClose(.body, after: .seconds(10)))
    }

    @Test("while the server answers (a held poll, a stream) there is no deadline; after the answer, idle")
    func answeringHasNoDeadline() {
        var machine = RequestTimeouts(limits: Self.limits, now: Self.start)
        request(&machine, at: 1)
        #expect(machine.phase == .answering)
        #expect(machine.deadline == nil)
        #expect(machine.expire(now: at(1000)) == nil)
        machine.answerHead(now: at(1000))
        machine.answerEnd(now: at(1020))
        #expect(machine.phase == .idle)
        #expect(machine.deadline == at(1080), "idle from the end of the answer")
    }

    @Test("bytes of a pipelined request that came while answering start its head at the answer's end")
    func pipelined() {
        var machine = RequestTimeouts(limits: Self.limits, now: Self.start)
        request(&machine, at: 0)
        machine.bytesReceived(now: at(5))
        machine.answerEnd(now: at(20))
        #expect(machine.phase == .head)
        #expect(machine.deadline == at(30))
        request(&machine, at: 20)
        machine.answerEnd(now: at(21))
        #expect(machine.phase == .idle, "nothing came meanwhile")
    }

    @Test("an answer written before the body (a refusal) leaves the body's limit; its expiry closes without a second answer")
    func answeredEarly() {
        var machine = RequestTimeouts(limits: Self.limits, now: Self.start)
        machine.requestHead(now: at(0))
        machine.answerHead(now: at(0))
        machine.answerEnd(now: at(0))
        #expect(machine.phase == .body)
        #expect(machine.deadline == at(10))
        #expect(machine.expire(now: at(10)) == .close(.body, after: .seconds(10)))

        var finished = RequestTimeouts(limits: Self.limits, now: Self.start)
        finished.requestHead(now: at(0))
        finished.answerHead(now: at(0))
        finished.answerEnd(now: at(0))
        finished.requestEnd(now: at(3))
        #expect(finished.phase == .idle)
        #expect(finished.deadline == at(63))
    }

    @Test("a limit of 0 is none; several listeners give the shortest of each")
    func limitsFromOptions() {
        var options = ListenerOptions()
        #expect(RequestTimeoutLimits([options]) == Self.limits)
        #expect(RequestTimeoutLimits([]) == Self.limits, "the defaults without a listener")
        options.idleTimeout = .zero
        options.requestHeadTimeout = .milliseconds(500)
        let limits = RequestTimeoutLimits([options, ListenerOptions()])
        #expect(limits == RequestTimeoutLimits(head: .milliseconds(500), body: .seconds(10), idle: .seconds(60)))
        var machine = RequestTimeouts(limits: RequestTimeoutLimits([options]), now: Self.start)
        #expect(machine.deadline == nil, "no idle limit")
        #expect(machine.expire(now: at(10_000)) == nil)
    }

    @Test("the 408 is the error form of §7 with Connection: close")
    func answer() {
        let text = String(decoding: RequestTimeoutHandler.requestTimeout(reason: "request head not complete within 10000 ms"), as: UTF8.self)
        #expect(
            text == "HTTP/1.1 408 Request Timeout\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Length: 63\r\n"
                + "Cache-Control: no-cache\r\nConnection: close\r\n\r\n408 Request Timeout: request head not complete within 10000 ms\n")
    }
}
