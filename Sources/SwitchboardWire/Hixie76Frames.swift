extension Hixie76 {
    /// The first byte of a text frame.
    public static let frameStart: UInt8 = 0x00
    /// The last byte of a text frame.
    public static let frameEnd: UInt8 = 0xFF
    /// The closing handshake, sent by either side and answered the same way.
    public static let closeFrame: [UInt8] = [0xFF, 0x00]

    /// The bytes of one text frame: `0x00`, the text's UTF-8, `0xFF`.
    public static func frame(_ text: String) -> [UInt8] {
        [frameStart] + Array(text.utf8) + [frameEnd]
    }
}

/// Reads hixie-76 frames from a connection's bytes as they arrive: `0x00 <UTF-8> 0xFF` is a text
/// frame, `0xFF 0x00` the closing handshake; any other frame type (the draft's length-prefixed
/// frames), a text frame that is not strict UTF-8 and one longer than the limit are refused. The
/// same reader serves the server's and the client's handlers.
///
/// ```swift
/// var reader = Hixie76FrameReader(maxFrameSize: 1 << 20)
/// reader.append([0x00, 0x68, 0x69, 0xFF, 0xFF])
/// reader.next()   // .text("hi")
/// reader.next()   // nil: the close frame is not complete yet
/// ```
public struct Hixie76FrameReader: Sendable {
    /// What the bytes read so far hold next.
    public enum Frame: Sendable, Hashable {
        case text(String)
        /// `0xFF 0x00`: the peer closes.
        case close
        /// A frame type other than text or close.
        case unknownType(UInt8)
        /// A text frame longer than `maxFrameSize` bytes, or gone past it without its end.
        case tooLarge
        /// A text frame whose bytes are not UTF-8 (overlong forms, surrogates, cut sequences).
        case notUTF8
    }

    /// The largest text frame accepted, in bytes (its two framing bytes included).
    public let maxFrameSize: Int
    private var queue = ByteQueue()

    /// A reader that refuses text frames longer than `maxFrameSize` bytes.
    public init(maxFrameSize: Int) {
        self.maxFrameSize = maxFrameSize
    }

    /// Adds bytes that arrived.
    public mutating func append(_ more: some Sequence<UInt8>) {
        queue.compact()
        queue.append(more)
    }

    /// Takes the next `count` bytes as they are (hixie-76's 8 key bytes after the request head),
    /// or nil until that many have arrived.
    public mutating func take(_ count: Int) -> [UInt8]? {
        guard queue.count >= count else { return nil }
        defer { queue.consume(count) }
        return Array(queue.unread.prefix(count))
    }

    /// The next complete frame, or nil until more bytes arrive. After anything but `text` the
    /// connection is over: read no further.
    public mutating func next() -> Frame? {
        let unread = queue.unread
        guard let type = unread.first else { return nil }
        switch type {
        case Hixie76.frameStart:
            guard let end = unread.dropFirst().firstIndex(of: Hixie76.frameEnd) else {
                // Its end byte is still to come: with it, the frame would pass the limit.
                return unread.count + 1 > maxFrameSize ? .tooLarge : nil
            }
            let length = end + 1 - unread.startIndex
            guard length <= maxFrameSize else { return .tooLarge }
            guard let text = String(validating: unread[(unread.startIndex + 1)..<end], as: UTF8.self) else { return .notUTF8 }
            queue.consume(length)
            return .text(text)
        case Hixie76.frameEnd:
            // 0xFF starts a length-prefixed frame; a length of 0 is the closing handshake.
            guard unread.count >= 2 else { return nil }
            guard unread[unread.startIndex + 1] == 0x00 else { return .unknownType(type) }
            queue.consume(2)
            return .close
        default:
            return .unknownType(type)
        }
    }
}
