/// Bytes that arrive in pieces and are read from the front, for the readers of streams and
/// frames; what was read is dropped now and then, not on every read.
struct ByteQueue: Sendable {
    private(set) var bytes: [UInt8] = []
    /// Where the unread bytes start.
    private(set) var start = 0

    /// The bytes not read yet.
    var unread: ArraySlice<UInt8> { bytes[start...] }
    var count: Int { bytes.count - start }

    mutating func append(_ more: some Sequence<UInt8>) {
        bytes.append(contentsOf: more)
    }

    /// Marks `count` bytes as read.
    mutating func consume(_ count: Int) {
        start += count
    }

    /// Drops what was read: all of it when nothing is left, otherwise once it is more than 64 KiB.
    mutating func compact() {
        if start == bytes.count {
            bytes.removeAll(keepingCapacity: true)
            start = 0
        } else if start > 65_536 {
            bytes.removeFirst(start)
            start = 0
        }
    }
}
