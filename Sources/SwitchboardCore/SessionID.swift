/// Session ids: 128 bits from the system's secure generator, base64url without padding (22 characters).
public enum SessionID {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    /// A new random session id.
    public static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        var bytes: [UInt8] = (0..<16).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        bytes += [0, 0]  // pad to a multiple of 3 for the loop; the extra characters are dropped
        var out: [UInt8] = []
        out.reserveCapacity(24)
        for i in stride(from: 0, to: 18, by: 3) {
            let n = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2])
            for shift in [18, 12, 6, 0] { out.append(alphabet[Int((n >> UInt32(shift)) & 63)]) }
        }
        return String(decoding: out.prefix(22), as: UTF8.self)
    }

    /// Whether text has the shape of a session id (`[A-Za-z0-9_-]`, 1 to 64 characters).
    public static func isWellFormed(_ text: Substring) -> Bool {
        !text.isEmpty && text.utf8.count <= 64 && text.utf8.allSatisfy { alphabet.contains($0) }
    }
}
