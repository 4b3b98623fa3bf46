import CoreMetrics
import NIOConcurrencyHelpers
import Synchronization

/// A listener's metrics, through swift-metrics (docs/metrics.md): whatever backend the
/// application bootstraps (the host's `--metrics` exports Prometheus text), nothing by default.
/// Every metric object is made once, here, so that counting costs an increment.
/// The same counts are kept for ``Listener/statistics`` (the status page).
final class ListenerMetrics: Sendable {
    private let sessions: [String: SessionTally]
    let opened = Tally("switchboard_sessions_opened_total")
    private let closed: [DisconnectReason: Counter]
    let received = Tally("switchboard_messages_received_total")
    let sent = Tally("switchboard_messages_sent_total")
    let broadcasts = Tally("switchboard_broadcasts_total")
    let heartbeatTimeouts = Tally("switchboard_heartbeat_timeouts_total")
    let queueOverflows = Tally("switchboard_queue_overflows_total")
    private let refusals = NIOLockedValueBox<[Int: Counter]>([:])
    private let refused = Synchronization.Atomic<Int>(0)

    init(transports: [String]) {
        sessions = Dictionary(uniqueKeysWithValues: transports.map { ($0, SessionTally(transport: $0)) })
        closed = Dictionary(
            uniqueKeysWithValues: DisconnectReason.allCases.map {
                ($0, Counter(label: "switchboard_sessions_closed_total", dimensions: [("reason", $0.rawValue.replacingOccurrences(of: " ", with: "_"))]))
            })
    }

    /// A session's current transport changed (from nil when it first attaches, to nil when it ends).
    func sessionMoved(from old: String?, to new: String?) {
        guard old != new else { return }
        if let old { sessions[old]?.add(-1) }
        if let new { sessions[new]?.add(1) }
    }

    func closed(_ reason: DisconnectReason) {
        closed[reason]?.increment()
        if reason == .queueOverflow { queueOverflows.increment() }
    }

    /// A request refused with `status` (docs/protocol.md §9.3).
    public func refused(status: Int) {
        let counter = refusals.withLockedValue { counters in
            if let counter = counters[status] { return counter }
            let counter = Counter(label: "switchboard_requests_refused_total", dimensions: [("status", String(status))])
            counters[status] = counter
            return counter
        }
        counter.increment()
        refused.add(1, ordering: .relaxed)
    }

    /// The counts now.
    var statistics: ListenerStatistics {
        ListenerStatistics(
            sessions: sessions.mapValues { $0.count.load(ordering: .relaxed) }.filter { $0.value != 0 },
            sessionsOpened: opened.total, messagesReceived: received.total, messagesSent: sent.total, broadcasts: broadcasts.total,
            requestsRefused: refused.load(ordering: .relaxed), heartbeatTimeouts: heartbeatTimeouts.total,
            queueOverflows: queueOverflows.total)
    }
}

/// The sessions of one transport: a swift-metrics meter and its value for reading.
final class SessionTally: Sendable {
    let meter: Meter
    let count = Synchronization.Atomic<Int>(0)

    init(transport: String) {
        meter = Meter(label: "switchboard_sessions", dimensions: [("transport", transport)])
    }

    /// One more session (`1`) or one fewer (`-1`).
    func add(_ amount: Int) {
        // A meter takes no negative increment.
        if amount < 0 { meter.decrement(by: Double(-amount)) } else { meter.increment(by: Double(amount)) }
        count.add(amount, ordering: .relaxed)
    }
}

/// A swift-metrics counter that also keeps its total for reading.
final class Tally: Sendable {
    private let counter: Counter
    private let count = Synchronization.Atomic<Int>(0)

    init(_ label: String) {
        counter = Counter(label: label)
    }

    func increment(by amount: Int = 1) {
        counter.increment(by: Int64(amount))
        count.add(amount, ordering: .relaxed)
    }

    var total: Int { count.load(ordering: .relaxed) }
}

/// What a listener has counted since it started (the numbers of docs/metrics.md), for a status
/// page or a health check.
public struct ListenerStatistics: Sendable, Hashable, Codable {
    /// Sessions by the transport of their latest connection (none listed: zero).
    public var sessions: [String: Int]
    public var sessionsOpened: Int
    public var messagesReceived: Int
    public var messagesSent: Int
    public var broadcasts: Int
    public var requestsRefused: Int
    public var heartbeatTimeouts: Int
    public var queueOverflows: Int

    /// The statistics as a JSON object, keyed by their names here (a status page's message).
    public var json: JSONValue {
        (try? JSONText.decode(JSONValue.self, from: JSONText.encode(self))) ?? .object([:])
    }
}
