/// The RFC 6455 facts both ends share (docs/protocol.md §6.1, §9.3): the client's key and
/// request head, the server's accept value, the answer to a close frame, and the checks whose
/// failure fails a connection with a close code (the same rules on the server and the Swift client).
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
    /// The close code of an endpoint that is going away: a server shutting down (§7.4.1).
    public static let goingAway: UInt16 = 1001
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

    /// The code to answer a close frame with (§5.5.1): the peer's code, or a normal closure when it
    /// gave none (`nil`, or 1005).
    public static func closeReply(to code: UInt16?) -> UInt16 {
        guard let code, code != noStatusReceived else { return normalClosure }
        return code
    }
}

// MARK: Failing a connection (RFC 6455 §5, §7; docs/protocol.md §9.3)

extension RFC6455 {
    /// The close code of a protocol error (§7.4.1).
    public static let protocolError: UInt16 = 1002
    /// The close code of data an endpoint cannot accept: a binary message where only text is spoken.
    public static let unsupportedData: UInt16 = 1003
    /// The close code of data inconsistent with its message's type: text that is not UTF-8.
    public static let invalidPayloadData: UInt16 = 1007
    /// The close code of a policy violation.
    public static let policyViolation: UInt16 = 1008
    /// The close code of a message too big to process.
    public static let messageTooBig: UInt16 = 1009

    /// Why an endpoint fails the WebSocket connection (§7.1.7): the code of the close frame it
    /// sends before closing the TCP connection, and a reason for the log.
    public struct Failure: Error, Sendable, Hashable, CustomStringConvertible {
        public var code: UInt16
        public var reason: String

        public init(_ code: UInt16, _ reason: String) {
            self.code = code
            self.reason = reason
        }

        public var description: String { "\(reason) (close \(code))" }
    }

    /// The two ends of a connection: a client masks every frame it sends, a server none (§5.1).
    public enum Endpoint: Sendable {
        case client, server
    }

    /// The checks of §5.1–§5.2 on one frame's header, before any reassembly: `rsv` is the three
    /// reserved bits (RSV1 = 0b100), `opcode` the low four bits of the first byte, `masked` the
    /// mask bit, `sender` the end that sent it. Nil when the header is acceptable. No extension is
    /// ever negotiated, so every reserved bit is an error. (Control frames that are fragmented or
    /// longer than 125 bytes, and broken fragmentation, are checked by the core's `RFC6455MessageReader`.)
    public static func checkHeader(rsv: UInt8, opcode: UInt8, masked: Bool, sentBy sender: Endpoint) -> Failure? {
        switch sender {
        case .client where !masked: return Failure(protocolError, "unmasked frame from the client")
        case .server where masked: return Failure(protocolError, "masked frame from the server")
        default: break
        }
        if rsv != 0 { return Failure(protocolError, "reserved bits \(rsv) set without a negotiated extension") }
        switch opcode {
        case 0x0, 0x1, 0x2, 0x8, 0x9, 0xA: return nil
        default: return Failure(protocolError, "reserved opcode \(opcode)")
        }
    }

    /// Whether a peer may send `code` in a close frame (§7.4): the codes defined for use in a frame
    /// (1000–1003, 1007–1011, and 1012–1014 registered since), and 3000–4999 (libraries,
    /// applications). 1004, 1005, 1006 and 1015 are reserved and never sent; other values below
    /// 3000 are unassigned, above 4999 out of range.
    public static func isValidCloseCode(_ code: UInt16) -> Bool {
        switch code {
        case 1000...1003, 1007...1014, 3000...4999: return true
        default: return false
        }
    }

    /// The code of a close frame's payload (§5.5.1): nil for an empty payload; otherwise a valid
    /// code (``isValidCloseCode(_:)``) in its first two bytes, then a reason in UTF-8. A 1-byte
    /// payload or an invalid code is a protocol error (1002), a reason that is not UTF-8 1007.
    public static func closeCode(ofPayload payload: some Collection<UInt8>) -> Result<UInt16?, Failure> {
        guard let first = payload.first else { return .success(nil) }
        let rest = payload.dropFirst()
        guard let second = rest.first else { return .failure(Failure(protocolError, "close frame with a 1-byte payload")) }
        let code = UInt16(first) << 8 | UInt16(second)
        guard isValidCloseCode(code) else { return .failure(Failure(protocolError, "invalid close code \(code)")) }
        guard String(validating: rest.dropFirst(), as: UTF8.self) != nil else {
            return .failure(Failure(invalidPayloadData, "close reason is not UTF-8"))
        }
        return .success(code)
    }

    /// The text of a text message (§5.6, §8.1): its bytes must be well-formed UTF-8 — no overlong
    /// forms, no surrogates, nothing above U+10FFFF, no sequence cut short — or the connection
    /// fails with 1007. Nothing is ever replaced by U+FFFD.
    public static func text(ofMessage payload: some Collection<UInt8>) -> Result<String, Failure> {
        guard let text = String(validating: payload, as: UTF8.self) else {
            return .failure(Failure(invalidPayloadData, "text message is not UTF-8"))
        }
        return .success(text)
    }
}
