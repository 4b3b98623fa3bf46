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
