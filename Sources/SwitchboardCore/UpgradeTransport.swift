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
        channel: any Channel, request: HTTPRequestHead, session: any SessionHandle, maxFrameSize: Int,
        position: ChannelPipeline.SynchronousOperations.Position
    ) throws

    /// For a connection whose upgrade the server's RFC 6455 handshake could not answer (hixie-76:
    /// `Sec-WebSocket-Key1/2` and 8 bytes after the headers): makes, for the session, the handlers
    /// that replace HTTP on it; the first writes the response. Nil when the request is no such
    /// handshake (the default), so no session is created for it.
    func legacyUpgradeHandlers(request: HTTPRequestHead, maxFrameSize: Int) -> (@Sendable (any SessionHandle) -> [any ChannelHandler])?
}

extension UpgradeTransport {
    /// Whether `request` is a handshake that ``legacyUpgradeHandlers(request:maxFrameSize:)`` answers.
    public func acceptsLegacyUpgrade(_ request: HTTPRequestHead) -> Bool {
        legacyUpgradeHandlers(request: request, maxFrameSize: 0) != nil
    }

    public func legacyUpgradeHandlers(request: HTTPRequestHead, maxFrameSize: Int) -> (@Sendable (any SessionHandle) -> [any ChannelHandler])? {
        nil
    }
}
