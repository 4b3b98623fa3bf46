/// Errors thrown by SwitchboardTestKit clients.
///
/// `Equatable`, so a test can write `#expect(throws: TestKitError.timeout) { ... }`.
public enum TestKitError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A wait (connect, read, write, close, `eventually`) did not finish before its timeout.
    case timeout
    /// The peer closed the TCP connection (or it was reset) before the expected data arrived.
    case connectionClosed
    /// The WebSocket upgrade was answered with something other than `101`; carries the full response.
    case upgradeRefused(TestHTTPResponse)
    /// The server answered `101` but the handshake is wrong (bad `Sec-WebSocket-Accept`, missing
    /// `Upgrade`/`Connection` tokens); carries the reason and the response.
    case handshakeFailed(String, TestHTTPResponse)
    /// The server's HTTP response could not be parsed.
    case malformedResponse(String)
    /// The server broke RFC 6455 framing rules (only checked when `WebSocketTestOptions.strict`).
    case protocolViolation(String)
    /// `receiveText` got a message that is not text (carries it).
    case unexpectedMessage(WebSocketMessage)
    /// The client was used wrongly (concurrent reads, a request while a stream is still open, ...).
    case invalidState(String)

    public var description: String {
        switch self {
        case .timeout: return "TestKitError.timeout"
        case .connectionClosed: return "TestKitError.connectionClosed"
        case .upgradeRefused(let r): return "TestKitError.upgradeRefused(\(r.status) \(r.reason), body: \(r.bodyString.debugDescription))"
        case .handshakeFailed(let why, let r): return "TestKitError.handshakeFailed(\(why), status \(r.status))"
        case .malformedResponse(let why): return "TestKitError.malformedResponse(\(why))"
        case .protocolViolation(let why): return "TestKitError.protocolViolation(\(why))"
        case .unexpectedMessage(let m): return "TestKitError.unexpectedMessage(\(m))"
        case .invalidState(let why): return "TestKitError.invalidState(\(why))"
        }
    }
}
