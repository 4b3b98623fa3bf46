import NIOConcurrencyHelpers
import NIOCore

/// The open connections of a server, so that a graceful shutdown can wait for them and close
/// the ones left (idle keep-alive connections). First in every connection's pipeline.
final class ConnectionTracker: Sendable {
    private let channels = NIOLockedValueBox<[ObjectIdentifier: any Channel]>([:])

    /// The handler that adds a connection while it is active.
    func handler() -> some ChannelInboundHandler { Handler(tracker: self) }

    var count: Int { channels.withLockedValue { $0.count } }

    /// Asks every connection to quiesce (`ChannelShouldQuiesceEvent`): NIO's HTTP server pipeline
    /// handler closes it when no request is in flight, or after the response of the one that is.
    func quiesceAll() {
        for channel in channels.withLockedValue({ Array($0.values) }) {
            channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        }
    }

    /// Closes every connection still open.
    func closeAll() {
        for channel in channels.withLockedValue({ Array($0.values) }) { channel.close(promise: nil) }
    }

    private final class Handler: ChannelInboundHandler, Sendable {
        typealias InboundIn = NIOAny
        let tracker: ConnectionTracker
        init(tracker: ConnectionTracker) { self.tracker = tracker }

        func channelActive(context: ChannelHandlerContext) {
            let channel = context.channel
            tracker.channels.withLockedValue { $0[ObjectIdentifier(channel)] = channel }
            context.fireChannelActive()
        }

        func channelInactive(context: ChannelHandlerContext) {
            let id = ObjectIdentifier(context.channel)
            tracker.channels.withLockedValue { _ = $0.removeValue(forKey: id) }
            context.fireChannelInactive()
        }
    }
}
