import SwitchboardWire

/// Session ids: 128 bits from the system's secure generator, base64url without padding (22
/// characters), then in a cluster the owning node's tag (docs/protocol.md §1, docs/cluster.md).
public enum SessionID {
    /// The characters of the random part.
    public static let randomLength = 22

    /// A new random session id, ending with `nodeTag` (empty outside a cluster).
    public static func generate(nodeTag: String = "") -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes: [UInt8] = (0..<16).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return Base64.encode(bytes, urlSafe: true) + nodeTag
    }

    /// The node tag a session id ends with (empty when it has none).
    public static func nodeTag(of sessionId: some StringProtocol) -> Substring {
        Substring(sessionId.dropFirst(randomLength))
    }

    /// A node tag: 8 random base64url characters (48 bits), new each time a node starts.
    public static func generateNodeTag() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes: [UInt8] = (0..<6).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return Base64.encode(bytes, urlSafe: true)
    }

    /// Whether text has the shape of a session id (`[A-Za-z0-9_-]`, 1 to 64 characters).
    public static func isWellFormed(_ text: Substring) -> Bool {
        !text.isEmpty && text.utf8.count <= 64 && text.utf8.allSatisfy { Base64.urlSafeAlphabet.contains($0) }
    }
}
