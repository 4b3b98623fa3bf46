/// The hixie-76 handshake (draft-hixie-thewebsocketprotocol-76), spoken by the browsers and the
/// Flash WebSocket shim of 2010 (docs/protocol.md §6.1): two keys that each hide a number, 8 bytes
/// after the request's headers, and a 16-byte answer after the response's.
///
/// ```swift
/// let number = Hixie76.keyNumber("4 @1  46546xW%0l 1 5")   // 829309203
/// let answer = Hixie76.answer(key1: number!, key2: 259_970_620, key3: Array("^n:ds[4U".utf8)) {
///     Array(Insecure.MD5.hash(data: $0))
/// }
/// ```
public enum Hixie76 {
    /// The number a key stands for: its digits read as one number, divided by its count of spaces.
    /// Nil when it has no spaces, the division is not exact, or the result does not fit 32 bits.
    public static func keyNumber(_ key: String) -> UInt32? {
        var digits: UInt64 = 0
        var spaces: UInt64 = 0
        for byte in key.utf8 {
            switch byte {
            case UInt8(ascii: " "):
                spaces += 1
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                guard digits <= (UInt64.max - 9) / 10 else { return nil }
                digits = digits * 10 + UInt64(byte - UInt8(ascii: "0"))
            default:
                continue
            }
        }
        guard spaces > 0, digits % spaces == 0, digits / spaces <= UInt64(UInt32.max) else { return nil }
        return UInt32(digits / spaces)
    }

    /// The 16-byte answer: the MD5 of key1's number, key2's number (each 4 bytes, big-endian) and
    /// key3. `md5` is the caller's MD5 (swift-crypto's `Insecure.MD5`): this module hashes nothing.
    public static func answer(key1: UInt32, key2: UInt32, key3: [UInt8], md5: ([UInt8]) -> [UInt8]) -> [UInt8] {
        var input: [UInt8] = []
        for number in [key1, key2] {
            input += [UInt8(number >> 24), UInt8(number >> 16 & 0xFF), UInt8(number >> 8 & 0xFF), UInt8(number & 0xFF)]
        }
        return md5(input + key3)
    }

    /// A random key for a client and the number it hides (§4.1): the number times 1 to 12 spaces,
    /// with 1 to 12 other characters and the spaces inserted, never first or last.
    public static func makeKey(using generator: inout some RandomNumberGenerator) -> (key: String, number: UInt32) {
        let spaces = UInt32.random(in: 1...12, using: &generator)
        let number = UInt32.random(in: 0...(UInt32.max / spaces), using: &generator)
        var characters = Array(String(UInt64(number) * UInt64(spaces)))
        let fillers = Array("!\"#$%&'()*+,-./:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~")
        for _ in 0..<Int.random(in: 1...12, using: &generator) {
            characters.insert(
                fillers.randomElement(using: &generator)!, at: Int.random(in: 0...characters.count, using: &generator))
        }
        for _ in 0..<spaces {
            characters.insert(" ", at: Int.random(in: 1..<characters.count, using: &generator))
        }
        return (String(characters), number)
    }

    /// A client's request head; the 8 bytes of key3 follow it.
    public static func requestHead(path: String, host: String, origin: String, key1: String, key2: String) -> String {
        "GET \(path) HTTP/1.1\r\nHost: \(host)\r\nUpgrade: WebSocket\r\nConnection: Upgrade\r\n"
            + "Origin: \(origin)\r\nSec-WebSocket-Key1: \(key1)\r\nSec-WebSocket-Key2: \(key2)\r\n\r\n"
    }

    /// The server's response head, written before the 8 key bytes arrive (proxies hold them back);
    /// the 16-byte answer follows it.
    /// - Parameters:
    ///   - host: The request's `Host` (`localhost` when it has none).
    ///   - uri: The request's URI, for `Sec-WebSocket-Location`.
    ///   - origin: The request's `Origin`, echoed as `Sec-WebSocket-Origin`.
    ///   - subprotocol: The request's `Sec-WebSocket-Protocol`, echoed.
    public static func responseHead(host: String?, uri: String, origin: String?, subprotocol: String?) -> String {
        var lines = [
            "HTTP/1.1 101 WebSocket Protocol Handshake",
            "Upgrade: WebSocket",
            "Connection: Upgrade",
        ]
        if let origin { lines.append("Sec-WebSocket-Origin: \(origin)") }
        lines.append("Sec-WebSocket-Location: ws://\(host ?? "localhost")\(uri)")
        if let subprotocol { lines.append("Sec-WebSocket-Protocol: \(subprotocol)") }
        return lines.joined(separator: "\r\n") + "\r\n\r\n"
    }
}
