import NIOConcurrencyHelpers

/// A registered event handler, with the id that removes it.
public struct HandlerEntry<Handler: Sendable>: Sendable {
    /// The id given at registration; pass it to `remove(_:)`.
    public let id: Int
    /// The handler.
    public let handler: Handler

    /// An entry for `handler`, removable by `id`.
    public init(id: Int, handler: Handler) {
        self.id = id
        self.handler = handler
    }
}

/// The handlers of one event, in registration order.
///
/// The generated `<Component>EventHandlers` structs hold one list per event of the component's
/// spec and bind each event's `emit<Event>(...)` to ``emit(_:)``; a typed event's key path
/// (`ListenerEvent.clientMessage.handlers`) points at its list.
///
/// ```swift
/// var handlers = HandlerList<@Sendable (String) -> Void>()
/// handlers.append(HandlerEntry(id: 1, handler: { print($0) }))
/// handlers.emit { $0("hello") }
/// handlers.remove(1)
/// ```
public struct HandlerList<Handler: Sendable>: Sendable, RandomAccessCollection {
    private var entries: [HandlerEntry<Handler>] = []

    /// No handlers.
    public init() {}

    public var startIndex: Int { entries.startIndex }
    public var endIndex: Int { entries.endIndex }
    public subscript(position: Int) -> HandlerEntry<Handler> { entries[position] }

    /// Adds a handler after the others.
    public mutating func append(_ entry: HandlerEntry<Handler>) {
        entries.append(entry)
    }

    /// Removes the handler registered with `id`, if this list has it.
    public mutating func remove(_ id: Int) {
        entries.removeAll { $0.id == id }
    }

    /// Calls `call` with every handler, in registration order (`call` passes the payload).
    public func emit(_ call: (Handler) -> Void) {
        for entry in entries { call(entry.handler) }
    }
}

/// The handler lists of one component's events: the generated `<Component>EventHandlers`.
public protocol EventHandlerSet: Sendable {
    /// No handlers.
    init()
    /// Removes the handler registered with `id`, whichever event it is for.
    mutating func remove(_ id: Int)
}

extension EventHandlerSet {
    /// Adds `handler` to the list at `list`; the subscription removes it again.
    public mutating func add<Handler>(_ handler: Handler, to list: WritableKeyPath<Self, HandlerList<Handler>>) -> Subscription {
        let subscription = Subscription.next()
        self[keyPath: list].append(HandlerEntry(id: subscription.id, handler: handler))
        return subscription
    }
}

/// A registered event handler; pass it to `removeListener` (or `off`) to remove it.
public struct Subscription: Sendable, Hashable {
    public let id: Int

    private static let counter = NIOLockedValueBox(0)

    /// A new, unique subscription (for components outside the core that register handlers too).
    public static func next() -> Subscription {
        Subscription(id: counter.withLockedValue { $0 += 1; return $0 })
    }
}

/// A component's event handlers, shared by every thread: added and removed under a lock, emitted
/// from a copy (``current``), so a handler may add or remove handlers while it runs.
///
/// ```swift
/// private let handlers = EventHandlers<ClientEventHandlers>()
/// public func on<Handler>(_ event: ClientEvent<Handler>, _ handler: Handler) -> Subscription {
///     handlers.add(handler, to: event.handlers)
/// }
/// ```
public final class EventHandlers<Handlers: EventHandlerSet>: Sendable {
    private let handlers = NIOLockedValueBox(Handlers())

    public init() {}

    /// Adds `handler` to the list at `list`; the subscription removes it again.
    public func add<Handler>(_ handler: Handler, to list: WritableKeyPath<Handlers, HandlerList<Handler>> & Sendable) -> Subscription {
        handlers.withLockedValue { $0.add(handler, to: list) }
    }

    /// Removes the handler added with `subscription`.
    public func remove(_ subscription: Subscription) {
        handlers.withLockedValue { $0.remove(subscription.id) }
    }

    /// The handlers now.
    public var current: Handlers { handlers.withLockedValue { $0 } }
}
