import SwitchboardWire

/// Session ids: 128 bits from the system's secure generator, base64url without padding (22 characters).
public enum SessionID {
    /// A new random session id.
    public static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes: [UInt8] = (0..<16).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return Base64.encode(bytes, urlSafe: true)
    }

    /// Whether text has the shape of a session id (`[A-Za-z0-9_-]`, 1 to 64 characters).
    public static func isWellFormed(_ text: Substring) -> Bool {
        !text.isEmpty && text.utf8.count <= 64 && text.utf8.allSatisfy { Base64.urlSafeAlphabet.contains($0) }
    }
}
