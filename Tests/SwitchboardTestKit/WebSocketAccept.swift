import Crypto
import SwitchboardWire

/// The `Sec-WebSocket-Accept` value for a `Sec-WebSocket-Key` (RFC 6455 §4.2.2):
/// base64(SHA-1(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")).
public func webSocketAccept(forKey key: String) -> String {
    RFC6455.acceptValue(key: key) { Array(Insecure.SHA1.hash(data: $0)) }
}
