import NIOCore

/// The listener options `requestHeadTimeout`, `requestBodyTimeout` and `idleTimeout` as limits
/// (docs/protocol.md §9.4): nil where an option is 0, which means no limit.
public struct RequestTimeoutLimits: Sendable, Equatable {
    /// From a request's first byte to the end of its head.
    public var head: TimeAmount?
    /// Between the parts of a request's body.
    public var body: TimeAmount?
    /// With no request in flight.
    public var idle: TimeAmount?

    public init(head: TimeAmount?, body: TimeAmount?, idle: TimeAmount?) {
        (self.head, self.body, self.idle) = (head, body, idle)
    }

    /// A connection that may carry any of these listeners' requests runs with the shortest of
    /// each limit (the defaults when there is no listener).
    public init(_ options: [ListenerOptions]) {
        let all = options.isEmpty ? [ListenerOptions()] : options
        func shortest(_ limit: (ListenerOptions) -> TimeAmount) -> TimeAmount? {
            all.map(limit).filter { $0 > .zero }.min()
        }
        self.init(head: shortest(\.requestHeadTimeout), body: shortest(\.requestBodyTimeout), idle: shortest(\.idleTimeout))
    }
}
