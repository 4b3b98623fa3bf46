/// One application message: a string, or a JSON object (sent as `~j~` in the framed codec).
///
/// ```swift
/// client.send("hello")
/// client.send(.json(["user": "ada", "count": 2]))
/// ```
public enum Message: Sendable, Hashable {
    case text(String)
    case json([String: JSONValue])

    /// The string, if this is a text message.
    public var text: String? {
        if case .text(let value) = self { return value }
        return nil
    }

    /// The object, if this is a JSON message.
    public var json: [String: JSONValue]? {
        if case .json(let value) = self { return value }
        return nil
    }
}

extension Message: ExpressibleByStringLiteral, CustomStringConvertible {
    public init(stringLiteral value: String) { self = .text(value) }

    public var description: String {
        switch self {
        case .text(let value): return value
        case .json(let value): return (try? JSONText.encode(value)) ?? "{}"
        }
    }
}

/// Why a session ended.
public enum DisconnectReason: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// No transport re-attached within the grace (`timeout` / `closeTimeout`).
    case closeTimeout = "close timeout"
    /// The application called ``Client/disconnect()``.
    case serverDisconnect = "server disconnect"
    /// More messages were queued than `maxBufferedMessages` or `maxBufferedBytes` allow.
    case queueOverflow = "queue overflow"
    /// The listener was shut down.
    case listenerShutdown = "listener shutdown"

    public var description: String { rawValue }
}
