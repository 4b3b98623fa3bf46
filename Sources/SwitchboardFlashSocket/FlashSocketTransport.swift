import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import SwitchboardCore
import SwitchboardWebSocket
import SwitchboardWire

/// The `flashsocket` transport: the websocket transport (RFC 6455 and hixie-76) on its own path,
/// with the Flash policy file answered inline on the HTTP port and by a policy server
/// (docs/protocol.md §6.2).
public struct FlashSocketTransport: UpgradeTransport {
    public let descriptor: TransportDescriptor
    private let webSocket: WebSocketTransport

    public init(descriptor: TransportDescriptor) {
        self.descriptor = descriptor
        self.webSocket = WebSocketTransport(descriptor: descriptor)
    }

    public func configure(
        channel: any Channel, request: HTTPRequestHead, session: any SessionHandle, maxFrameSize: Int,
        position: ChannelPipeline.SynchronousOperations.Position
    ) throws {
        try webSocket.configure(
            channel: channel, request: request, session: session, maxFrameSize: maxFrameSize, position: position)
    }

    public func legacyUpgradeHandlers(request: HTTPRequestHead, maxFrameSize: Int) -> (@Sendable (any SessionHandle) -> [any ChannelHandler])? {
        webSocket.legacyUpgradeHandlers(request: request, maxFrameSize: maxFrameSize)
    }

    public func connectionHandlers(for listener: Listener) -> [any ChannelHandler] {
        [FlashPolicySniffer(policy: FlashPolicy.document(origins: listener.options.origins))]
    }

    /// The policy server on `flashPolicyPort`, bound to the HTTP server's address.
    public func startServices(for listener: Listener, host: String, group: any EventLoopGroup) async -> [any Channel] {
        let options = listener.options(forTransport: descriptor.name)
        guard options.flashPolicyServer ?? false, let port = options.flashPolicyPort else { return [] }
        do {
            return [try await FlashPolicyServer.start(host: host, port: port, listener: listener, group: group)]
        } catch {
            listener.logger.warning("Flash policy server not started on port \(port): \(error); the HTTP port still answers policy requests")
            return []
        }
    }
}
