extension Framed {
    /// Why the bytes at some offset are not a frame.
    public enum FrameProblem: Error, Sendable, Hashable, CustomStringConvertible {
        /// The bytes do not start with `~m~`.
        case noMarker
        /// The length's digits already exceed the maximum.
        case lengthAbove(Int)
        /// `~m~` is not followed by a decimal length.
        case lengthNotANumber
        /// The length is not followed by `~m~`.
        case lengthNotFollowedByMarker
        /// Fewer UTF-16 units follow than the length says.
        case runsPastEnd(length: Int)
        /// The length ends between the two halves of a surrogate pair.
        case splitsSurrogatePair

        public var description: String {
            switch self {
            case .noMarker: return "payload does not start with ~m~"
            case .lengthAbove(let maximum): return "frame length above \(maximum)"
            case .lengthNotANumber: return "frame length is not a number"
            case .lengthNotFollowedByMarker: return "frame length not followed by ~m~"
            case .runsPastEnd(let length): return "frame length \(length) runs past the end of the payload"
            case .splitsSurrogatePair: return "frame length splits a surrogate pair"
            }
        }
    }

    /// One step of reading a framed payload's UTF-8 bytes (``scan(_:at:maxFrameLength:)``).
    public enum Scan: Sendable, Hashable {
        /// A frame whose text is the bytes `text`; the next frame would start at `next`.
        case frame(text: Range<Int>, next: Int)
        /// The offset is the end of the bytes.
        case end
        /// No valid frame starts at the offset.
        case bad(FrameProblem)
    }

    /// Reads the frame that starts at `offset` of a payload's UTF-8 bytes, counting its length in
    /// UTF-16 units as it steps over the text's scalars. Lengths above `maxFrameLength` are bad.
    ///
    /// One reader for every side: the server's and the client's codecs read strings through it
    /// (``split(_:maxFrameLength:)``), a load generator reads its socket's bytes in place.
    public static func scan(_ bytes: UnsafeRawBufferPointer, at offset: Int, maxFrameLength: Int) -> Scan {
        guard offset < bytes.count else { return .end }
        guard hasMarker(bytes, at: offset) else { return .bad(.noMarker) }
        var index = offset + 3
        var length = 0
        var digits = 0
        while index < bytes.count, (0x30...0x39).contains(bytes[index]) {
            let (tens, overflow) = length.multipliedReportingOverflow(by: 10)
            length = tens &+ Int(bytes[index] - 0x30)
            digits += 1
            index += 1
            if overflow || length < 0 || length > maxFrameLength { return .bad(.lengthAbove(maxFrameLength)) }
        }
        guard digits > 0 else { return .bad(.lengthNotANumber) }
        guard hasMarker(bytes, at: index) else { return .bad(.lengthNotFollowedByMarker) }
        index += 3
        let start = index
        var units = 0
        // ASCII first: one byte is one unit, nothing to split (most texts are all ASCII).
        while units < length, index < bytes.count, bytes[index] < 0x80 {
            units += 1
            index += 1
        }
        while units < length {
            guard index < bytes.count else { return .bad(.runsPastEnd(length: length)) }
            let (size, width) = scalarSize(lead: bytes[index])
            guard index + size <= bytes.count else { return .bad(.runsPastEnd(length: length)) }
            guard units + width <= length else { return .bad(.splitsSurrogatePair) }
            units += width
            index += size
        }
        return .frame(text: start..<index, next: index)
    }

    /// Whether `~m~` stands at `offset`.
    static func hasMarker(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> Bool {
        offset + 3 <= bytes.count && bytes[offset] == 0x7E && bytes[offset + 1] == 0x6D && bytes[offset + 2] == 0x7E
    }

    /// The UTF-8 bytes and UTF-16 units of the scalar that starts with `lead` (a stray
    /// continuation byte counts as one of each).
    static func scalarSize(lead: UInt8) -> (bytes: Int, units: Int) {
        switch lead {
        case ..<0xC0: return (1, 1)
        case ..<0xE0: return (2, 1)
        case ..<0xF0: return (3, 1)
        default: return (4, 2)
        }
    }
}
