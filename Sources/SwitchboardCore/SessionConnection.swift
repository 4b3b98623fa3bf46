/// One transport connection carrying a session: a WebSocket, a stream, or a held poll.
///
/// The session calls these on its own event loop; implementations hop to their channel's loop.
public protocol SessionConnection: AnyObject, Sendable {
    /// The transport this connection belongs to, e.g. `websocket`.
    var transportName: String { get }
    /// Writes one payload (persistent connections). `sequence` counts the session's payloads from 1.
    func write(payload: String, sequence: Int)
    /// Answers the poll with one payload, possibly empty, and ends the response (poll connections).
    func complete(payload: String, sequence: Int)
    /// Closes the connection (a poll is answered empty first).
    func close()
    /// Refuses the connection because its session is over (a poll gets 404).
    func reject()
}
