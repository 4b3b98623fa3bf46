/// The RFC 6455 handshake facts both ends share (docs/protocol.md §6.1): the client's key and
/// request head, the server's accept value, and the answer to a close frame.
///
/// ```swift
/// RFC6455.acceptValue(key: "dGhlIHNhbXBsZSBub25jZQ==") { Array(Insecure.SHA1.hash(data: $0)) }
/// // "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
/// ```
public enum RFC6455 {
    /// The GUID appended to the key before hashing (RFC 6455 §1.3).
    public static let guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
    /// The close code of a normal closure.
    public static let normalClosure: UInt16 = 1000
    /// The close code of a protocol error.
    public static let protocolError: UInt16 = 1002
    /// The code that stands for "no code was given"; never sent.
    public static let noStatusReceived: UInt16 = 1005

    /// `Sec-WebSocket-Accept` for a key: base64(SHA-1(key + GUID)). `sha1` is the caller's SHA-1
    /// (swift-crypto's `Insecure.SHA1`): this module hashes nothing.
    public static func acceptValue(key: String, sha1: ([UInt8]) -> [UInt8]) -> String {
        Base64.encode(sha1(Array((key + guid).utf8)))
    }

    /// A random `Sec-WebSocket-Key`: 16 random bytes in base64 (§4.1).
    public static func makeKey(using generator: inout some RandomNumberGenerator) -> String {
        Base64.encode((0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) })
    }

    /// A client's upgrade request head for `path`, without subprotocols or extensions.
    public static func requestHead(path: String, host: String, key: String) -> String {
        "GET \(path) HTTP/1.1\r\nHost: \(host)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: \(key)\r\nSec-WebSocket-Version: 13\r\n\r\n"
    }

    /// The code to answer a close frame with (§5.5.1): the peer's code, a normal closure when it
    /// gave none (`nil`, or 1005), or a protocol error when its code is one no endpoint may send.
    public static func closeReply(to code: UInt16?) -> UInt16 {
        guard let code, code != noStatusReceived else { return normalClosure }
        return maySend(code) ? code : protocolError
    }

    /// Whether an endpoint may put `code` in a close frame (§7.4.1, §7.4.2, and the codes IANA
    /// registered since, up to 1014): not below 1000, not 1004–1006 or 1015, not the reserved
    /// 1016–2999, not from 5000.
    public static func maySend(_ code: UInt16) -> Bool {
        switch code {
        case 1000...1003, 1007...1014, 3000...4999: return true
        default: return false
        }
    }
}
