import NIOCore
import SwitchboardCore

/// What an HTTP connection waits for now, and so its one deadline (docs/protocol.md §9.4): the
/// rest of a request's head (`requestHeadTimeout`, from the head's first byte), the next part of
/// its body (`requestBodyTimeout`, from the head or the last chunk), the next request
/// (`idleTimeout`, from the last answer or the connection's start), or the server's answer: no
/// deadline, so a held poll or a stream lives as long as its session wants.
///
/// Pure: time comes in as an argument. ``RequestTimeoutHandler`` drives it on the channel's loop.
struct RequestTimeouts: Sendable {
    enum Phase: Equatable {
        /// No request in flight: waiting for the next one's first byte.
        case idle
        /// The first bytes of a head came: waiting for its end.
        case head
        /// The head came: waiting for the body's next part or its end.
        case body
        /// The request came whole: the server answers (the application, a held poll, a stream).
        case answering
        /// A limit ran out: the connection is closing.
        case expired
    }

    /// Which limit ran out.
    enum Expiry: Equatable, Sendable {
        case head, body, idle
    }

    /// What the driver does when a limit runs out.
    enum Action: Equatable, Sendable {
        /// Answer `408 Request Timeout` with `Connection: close`, then close.
        case answerAndClose(Expiry, after: TimeAmount)
        /// Close without an answer: nothing is asked (idle), or an answer was already written.
        case close(Expiry, after: TimeAmount)
    }

    let limits: RequestTimeoutLimits
    private(set) var phase = Phase.idle
    /// When the current phase's wait started (or its last body chunk came).
    private var since: NIODeadline
    /// Whether the current request's answer has begun, and ended (an early error before the body).
    private var answerStarted = false
    private var answerEnded = false
    /// Bytes that came while answering: the next request has begun (pipelined).
    private var nextRequestBegun = false

    /// A connection opened at `now`: idle until its first byte.
    init(limits: RequestTimeoutLimits, now: NIODeadline) {
        self.limits = limits
        self.since = now
    }

    /// When ``expire(now:)`` has something to do; nil while the server answers.
    var deadline: NIODeadline? {
        switch phase {
        case .idle: return limits.idle.map { since + $0 }
        case .head: return limits.head.map { since + $0 }
        case .body: return limits.body.map { since + $0 }
        case .answering, .expired: return nil
        }
    }

    // MARK: Events

    /// Bytes arrived on the connection (before HTTP parsing).
    mutating func bytesReceived(now: NIODeadline) {
        switch phase {
        case .idle: (phase, since) = (.head, now)
        case .answering: nextRequestBegun = true
        case .head, .body, .expired: break
        }
    }

    mutating func requestHead(now: NIODeadline) {
        guard phase != .expired else { return }
        (phase, since) = (.body, now)
        (answerStarted, answerEnded) = (false, false)
    }

    mutating func requestBody(now: NIODeadline) {
        if phase == .body { since = now }
    }

    mutating func requestEnd(now: NIODeadline) {
        guard phase == .body else { return }
        if answerEnded { nextRequest(now: now) } else { phase = .answering }
    }

    mutating func answerHead(now: NIODeadline) {
        answerStarted = true
    }

    mutating func answerEnd(now: NIODeadline) {
        switch phase {
        case .answering: nextRequest(now: now)
        case .body: answerEnded = true  // answered early; the body must still arrive (or the connection closes)
        case .idle, .head, .expired: break
        }
    }

    private mutating func nextRequest(now: NIODeadline) {
        (phase, since) = (nextRequestBegun ? .head : .idle, now)
        (nextRequestBegun, answerStarted, answerEnded) = (false, false, false)
    }

    /// At `now`, the limit that ran out, if one did; the connection is then over.
    mutating func expire(now: NIODeadline) -> Action? {
        guard let deadline, now >= deadline else { return nil }
        defer { phase = .expired }
        switch phase {
        case .idle: return .close(.idle, after: limits.idle ?? .zero)
        case .head: return .answerAndClose(.head, after: limits.head ?? .zero)
        case .body:
            let limit = limits.body ?? .zero
            return answerStarted ? .close(.body, after: limit) : .answerAndClose(.body, after: limit)
        case .answering, .expired: return nil
        }
    }
}

extension RequestTimeouts.Expiry {
    /// Why the connection closes, for the log and the 408's body.
    func reason(after limit: TimeAmount) -> String {
        let milliseconds = limit.nanoseconds / 1_000_000
        switch self {
        case .head: return "request head not complete within \(milliseconds) ms"
        case .body: return "no part of the request body within \(milliseconds) ms"
        case .idle: return "no request within \(milliseconds) ms"
        }
    }
}
