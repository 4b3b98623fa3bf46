import NIOCore
import NIOHTTP1

/// A transport of the `upgrade` kind: after the server answers the HTTP upgrade, it carries the
/// session over the raw channel.
public protocol UpgradeTransport: Transport {
    /// Installs the handlers that carry `session` over `channel`; they attach to the session
    /// (which sends the handshake to a new session) once added.
    func configure(channel: any Channel, request: HTTPRequestHead, session: Client) -> EventLoopFuture<Void>
}
