/// A session as a transport sees it: a ``Client`` of this node, or a session that another node of
/// the cluster owns (``RemoteSession``), whose machine runs there (docs/cluster.md). Transports
/// attach their connections and hand over payloads the same way to both.
public protocol SessionHandle: AnyObject, Sendable {
    /// The session id.
    var sessionId: String { get }
    /// The listener of this node that serves the request.
    var listener: Listener { get }
    /// A transport connection arrives for this session; it receives what is queued, or the
    /// handshake. The session calls ``SessionConnection/accepted()`` before anything else, or
    /// ``SessionConnection/reject()`` when the session is over.
    /// - Parameter acknowledged: the `ack=<n>` of the connection's request (docs/protocol.md §11).
    /// - Returns: the connection's id, to ``detach(_:)`` it when it closes.
    @discardableResult
    func attach(_ connection: any SessionConnection, style: ConnectionStyle, acknowledged: Int?) -> ConnectionID
    /// A transport connection closed; the grace starts when it was the open one.
    func detach(_ id: ConnectionID)
    /// A persistent connection's writability changed: while it cannot take writes, the session queues.
    func writabilityChanged(_ id: ConnectionID, isWritable: Bool)
    /// A payload arrived from the client. It is decoded at once (the result tells whether it
    /// decodes); `verdict`, when given, says later whether the session took it (not called when
    /// it did not decode).
    @discardableResult
    func receive(payload: String, verdict: (@Sendable (PayloadVerdict) -> Void)?) -> DecodedPayload
}

/// What became of a payload that decoded.
public enum PayloadVerdict: Sendable, Hashable {
    /// The session has its messages.
    case taken
    /// The session refused it whole, for this reason (acknowledged delivery, docs/protocol.md §11.2).
    case refused(String)
    /// There is no such session (it ended, or its node is gone).
    case unknownSession
}
