/// Base64 (RFC 4648), for the keys of the RFC 6455 handshake and for session ids.
public enum Base64 {
    /// `A–Z a–z 0–9 + /`, the standard alphabet.
    static let standard = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    /// `A–Z a–z 0–9 - _`, the URL-safe alphabet.
    public static let urlSafeAlphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    /// The base64 text of `bytes`: the standard alphabet padded with `=`, or with `urlSafe` the
    /// URL-safe alphabet without padding.
    public static func encode(_ bytes: some Sequence<UInt8>, urlSafe: Bool = false) -> String {
        let alphabet = urlSafe ? urlSafeAlphabet : standard
        let input = Array(bytes)
        var out: [UInt8] = []
        out.reserveCapacity((input.count + 2) / 3 * 4)
        for start in stride(from: 0, to: input.count, by: 3) {
            let group = input[start..<min(start + 3, input.count)]
            var n: UInt32 = 0
            for (offset, byte) in group.enumerated() { n |= UInt32(byte) << UInt32(16 - 8 * offset) }
            for position in 0...group.count { out.append(alphabet[Int(n >> UInt32(18 - 6 * position) & 63)]) }
            if !urlSafe { out += Array(repeating: UInt8(ascii: "="), count: 3 - group.count) }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
