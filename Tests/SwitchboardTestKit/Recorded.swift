import Synchronization

/// What event handlers saw, in order; safe to append to from any thread.
public final class Recorded<Item: Sendable>: Sendable {
    private let items = Mutex<[Item]>([])

    public init() {}

    public func append(_ item: Item) { items.withLock { $0.append(item) } }

    /// Everything appended so far.
    public var all: [Item] { items.withLock { $0 } }
}
