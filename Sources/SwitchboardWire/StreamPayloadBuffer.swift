/// Why the bytes of a stream are not the writes of its transport.
public struct UnreadableStream: Error, Sendable, Hashable, CustomStringConvertible {
    /// What was wrong, for the connection's failure.
    public var reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { reason }
}

/// The bytes of a stream as they arrive: the prelude is checked and skipped, then every complete
/// write gives one payload.
public struct StreamPayloadBuffer: Sendable {
    public let reader: WrappedPayloadReader
    /// The most bytes one write may take; a longer one fails the stream.
    public let maxPayloadSize: Int
    private var queue = ByteQueue()
    private var preludeDone: Bool

    public init(reader: WrappedPayloadReader, maxPayloadSize: Int) {
        self.reader = reader
        self.maxPayloadSize = maxPayloadSize
        self.preludeDone = reader.prelude.isEmpty
    }

    /// Adds bytes; returns the payloads now complete, or why the stream is not this transport's.
    public mutating func append(_ more: some Sequence<UInt8>) -> Result<[String], UnreadableStream> {
        queue.append(more)
        var payloads: [String] = []
        if !preludeDone {
            let available = queue.unread.prefix(reader.prelude.count)
            guard available.elementsEqual(reader.prelude.prefix(available.count)) else {
                return .failure(UnreadableStream("the stream does not start with the transport's prelude"))
            }
            guard available.count == reader.prelude.count else { return .success([]) }
            queue.consume(reader.prelude.count)
            preludeDone = true
        }
        while queue.count > 0 {
            switch reader.read(queue.unread, complete: false) {
            case .payload(let payload, let consumed):
                // The limit holds however the bytes arrive: a write that came whole is no exception.
                guard consumed <= maxPayloadSize else {
                    return .failure(UnreadableStream("a write larger than \(maxPayloadSize) bytes"))
                }
                payloads.append(payload)
                queue.consume(consumed)
            case .needMore:
                // The write is at least one byte longer than what has arrived of it.
                if queue.count >= maxPayloadSize {
                    return .failure(UnreadableStream("a write larger than \(maxPayloadSize) bytes"))
                }
                queue.compact()
                return .success(payloads)
            case .malformed(let reason):
                return .failure(UnreadableStream("unreadable stream: \(reason)"))
            }
        }
        queue.compact()
        return .success(payloads)
    }
}
