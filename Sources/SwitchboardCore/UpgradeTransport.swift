import NIOCore
import NIOHTTP1

/// A transport of the `upgrade` kind: after the server answers the HTTP upgrade, it carries the
/// session over the raw channel.
public protocol UpgradeTransport: Transport {
    /// Installs, at `position`, the handlers that carry `session` over `channel` after the server
    /// answered the upgrade; they attach to the session (a new one then sends its handshake).
    /// Called on the channel's event loop.
    /// - Parameter maxFrameSize: the largest message the client may send, in bytes.
    func configure(
        channel: any Channel, request: HTTPRequestHead, session: Client, maxFrameSize: Int,
        position: ChannelPipeline.SynchronousOperations.Position
    ) throws
}
