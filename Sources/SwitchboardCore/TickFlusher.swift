import NIOConcurrencyHelpers
import NIOCore

/// A connection whose writes wait for one flush (docs/architecture.md §4): written
/// several times within one tick of its event loop, it is flushed once, at the end of the tick,
/// so N messages to one socket cost one system call.
public protocol TickFlushed: AnyObject {
    /// Flushes what was written. Called on the connection's loop by its ``TickFlusher``.
    func flushNow()
}

/// Flushes, at the end of the current tick of one event loop, the connections written in it:
/// the first connection of a tick schedules one task on the loop, which flushes them all. A
/// lone message waits only for the rest of the tick (the reads and tasks already under way).
/// Used on its loop only.
public final class TickFlusher: @unchecked Sendable {
    /// The loop whose ticks this flusher follows.
    public let eventLoop: any EventLoop
    private var pending: [any TickFlushed] = []
    private var spare: [any TickFlushed] = []

    init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    /// Flushes `connection` at the end of this tick. Call once per tick and connection (the
    /// connection remembers that it asked, until ``TickFlushed/flushNow()``).
    public func flushAtEndOfTick(_ connection: any TickFlushed) {
        eventLoop.assertInEventLoop()
        if pending.isEmpty { eventLoop.execute { self.flushAll() } }
        pending.append(connection)
    }

    private func flushAll() {
        swap(&pending, &spare)
        for connection in spare { connection.flushNow() }
        spare.removeAll(keepingCapacity: true)
    }
}

/// One value per event loop, made when first asked for (a loop's ``TickFlusher``, its
/// ``LoopTimers``).
final class PerLoop<Value: AnyObject & Sendable>: Sendable {
    private let values = NIOLockedValueBox([ObjectIdentifier: Value]())
    private let make: @Sendable (any EventLoop) -> Value

    init(_ make: @escaping @Sendable (any EventLoop) -> Value) {
        self.make = make
    }

    func value(for eventLoop: any EventLoop) -> Value {
        values.withLockedValue { values in
            if let value = values[ObjectIdentifier(eventLoop)] { return value }
            let value = make(eventLoop)
            values[ObjectIdentifier(eventLoop)] = value
            return value
        }
    }
}
