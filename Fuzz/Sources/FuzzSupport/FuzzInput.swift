/// A deterministic generator seeded from an input (SplitMix64), for the choices a target makes
/// beside the input itself: where to cut a byte stream into reads, which limit to apply.
public struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    public init(seed: UInt64) {
        state = seed
    }

    /// Seeded with the FNV-1a hash of `bytes`: the same input makes the same choices.
    public init(hashing bytes: some Sequence<UInt8>) {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
        }
        state = hash
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// `bytes` cut into consecutive pieces of 1 to `maxPiece` bytes (a connection's reads).
public func pieces(of bytes: [UInt8], maxPiece: Int, using generator: inout SeededGenerator) -> [ArraySlice<UInt8>] {
    var result: [ArraySlice<UInt8>] = []
    var start = 0
    while start < bytes.count {
        let end = min(bytes.count, start + Int.random(in: 1...max(1, maxPiece), using: &generator))
        result.append(bytes[start..<end])
        start = end
    }
    return result
}

/// Reads an input from the front: single bytes for the choices a target makes, the rest as data.
public struct FuzzInput {
    public let bytes: [UInt8]
    public private(set) var offset = 0

    public init(_ buffer: UnsafeRawBufferPointer) {
        bytes = Array(buffer)
    }

    /// The next byte, or 0 past the end.
    public mutating func byte() -> UInt8 {
        guard offset < bytes.count else { return 0 }
        defer { offset += 1 }
        return bytes[offset]
    }

    /// The bytes not read yet.
    public var rest: ArraySlice<UInt8> { bytes[offset...] }
}

/// The lines of a text, without their `\r\n` or `\n`.
public func lines(of text: Substring) -> [Substring] {
    text.split(separator: "\n", omittingEmptySubsequences: false).map { line in
        line.hasSuffix("\r") ? line.dropLast() : line
    }
}
