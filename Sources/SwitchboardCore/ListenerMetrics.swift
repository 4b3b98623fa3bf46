import CoreMetrics
import NIOConcurrencyHelpers

/// A listener's metrics, through swift-metrics (docs/metrics.md): whatever backend the
/// application bootstraps (the host's `--metrics` exports Prometheus text), nothing by default.
/// Every metric object is made once, here, so that counting costs an increment.
final class ListenerMetrics: Sendable {
    private let sessions: [String: Meter]
    let opened = Counter(label: "switchboard_sessions_opened_total")
    private let closed: [DisconnectReason: Counter]
    let received = Counter(label: "switchboard_messages_received_total")
    let sent = Counter(label: "switchboard_messages_sent_total")
    let broadcasts = Counter(label: "switchboard_broadcasts_total")
    let heartbeatTimeouts = Counter(label: "switchboard_heartbeat_timeouts_total")
    let queueOverflows = Counter(label: "switchboard_queue_overflows_total")
    private let refusals = NIOLockedValueBox<[Int: Counter]>([:])

    init(transports: [String]) {
        sessions = Dictionary(uniqueKeysWithValues: transports.map { ($0, Meter(label: "switchboard_sessions", dimensions: [("transport", $0)])) })
        closed = Dictionary(
            uniqueKeysWithValues: DisconnectReason.allCases.map {
                ($0, Counter(label: "switchboard_sessions_closed_total", dimensions: [("reason", $0.rawValue.replacingOccurrences(of: " ", with: "_"))]))
            })
    }

    /// A session's current transport changed (from nil when it first attaches, to nil when it ends).
    func sessionMoved(from old: String?, to new: String?) {
        guard old != new else { return }
        if let old { sessions[old]?.decrement() }
        if let new { sessions[new]?.increment() }
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
    }
}
