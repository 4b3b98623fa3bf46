import Logging
import NIOCore
import NIOPosix
import SwitchboardCore
import SwitchboardWire

/// First on every HTTP connection: answers a connection whose first bytes are exactly the policy
/// request (SwitchboardWire's ``FlashPolicy``) with the policy and closes it; on anything else it
/// steps aside, passing the bytes on.
final class FlashPolicySniffer: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let policy: String
    private var seen = ByteBuffer()

    init(policy: String) {
        self.policy = policy
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        seen.writeBuffer(&bytes)
        switch FlashPolicy.match(seen.readableBytesView) {
        case .request:
            context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: policy)))
                .whenComplete { [channel = context.channel] _ in channel.close(promise: nil) }
            seen.clear()
        case .other:
            // Not a policy request: hand everything seen to HTTP and leave.
            context.fireChannelRead(wrapInboundOut(seen))
            seen = ByteBuffer()
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        case .partial:
            break  // a prefix of the request: wait for more
        }
    }
}

/// The policy server on `flashPolicyPort`: answers the policy request with the policy and closes.
/// Its socket backs off accepting at the open-file limit (``AcceptBackoff``), and a connection
/// whose request is not complete within the listener's `requestHeadTimeout` is closed.
enum FlashPolicyServer {
    static func start(host: String, port: Int, listener: Listener, group: any EventLoopGroup) async throws -> any Channel {
        let policy = FlashPolicy.document(origins: listener.options.origins)
        let limit = RequestTimeoutLimits([listener.options]).head
        let logger = listener.logger
        return try await ServerBootstrap(group: group)
            .backingOffAccepts(logger: logger, server: "Flash policy")
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(FlashPolicySniffer(policy: policy))
                    try channel.pipeline.syncOperations.addHandler(ClosingHandler())
                    if let limit { closeUnanswered(channel, after: limit, logger: logger) }
                }
            }
            .bind(host: host, port: port)
            .get()
    }

    /// Closes `channel` if it is still open `limit` after it was accepted.
    static func closeUnanswered(_ channel: any Channel, after limit: TimeAmount, logger: Logger) {
        let timer = channel.eventLoop.scheduleTask(in: limit) {
            logger.warning("Flash policy request not complete within \(limit.nanoseconds / 1_000_000) ms; closing the connection")
            channel.close(promise: nil)
        }
        channel.closeFuture.whenComplete { _ in timer.cancel() }
    }

    /// Anything that is not a policy request closes the connection.
    final class ClosingHandler: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            context.close(promise: nil)
        }
    }
}
