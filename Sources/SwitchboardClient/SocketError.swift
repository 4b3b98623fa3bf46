/// Why one transport connection could not be opened, or stopped.
public enum ConnectionFailure: Error, Sendable, Hashable, CustomStringConvertible {
    /// The TCP connection could not be made (nothing listening, no route).
    case unreachable(String)
    /// No session id (or, when re-attaching, no acceptance) within `connectTimeout`.
    case timedOut
    /// The server answered with this HTTP status instead of serving the transport (404: unknown
    /// session or resource, 403: origin refused, ...).
    case httpStatus(Int)
    /// The server or the Flash policy refused the connection.
    case refused(String)
    /// The server's answer broke the protocol (a bad handshake, an unreadable stream).
    case protocolError(String)
    /// The connection closed.
    case closed

    /// Whether the server said the session does not exist (any more).
    var isUnknownSession: Bool { self == .httpStatus(404) }

    public var description: String {
        switch self {
        case .unreachable(let reason): return "unreachable: \(reason)"
        case .timedOut: return "timed out"
        case .httpStatus(let status): return "HTTP status \(status)"
        case .refused(let reason): return "refused: \(reason)"
        case .protocolError(let reason): return "protocol error: \(reason)"
        case .closed: return "connection closed"
        }
    }
}

/// One transport that was tried for a new session, and why it did not deliver one.
public struct TransportFailure: Sendable, Hashable, CustomStringConvertible {
    /// The transport's name, e.g. `websocket`.
    public var transport: String
    public var failure: ConnectionFailure

    public init(transport: String, failure: ConnectionFailure) {
        self.transport = transport
        self.failure = failure
    }

    public var description: String { "\(transport): \(failure)" }
}

/// Errors of ``Socket``.
public enum SocketError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The option `transports` names a transport the client does not know.
    case unknownTransport(String)
    /// No transport delivered a session (the `connect_failed` event); each tried one says why.
    case connectFailed([TransportFailure])
    /// The socket was disconnected before the session opened.
    case disconnected

    public var description: String {
        switch self {
        case .unknownTransport(let name):
            return "unknown transport '\(name)' (known: \(ClientTransports.known.map(\.name).joined(separator: ", ")))"
        case .connectFailed(let failures):
            guard !failures.isEmpty else { return "could not connect: no transport to try" }
            return "could not connect: " + failures.map(\.description).joined(separator: "; ")
        case .disconnected:
            return "disconnected before the session opened"
        }
    }
}
