import NIOConcurrencyHelpers
import NIOCore

/// The open connections of a server, so that a graceful shutdown can wait for them and close
/// the ones left (idle keep-alive connections).
final class ConnectionTracker: Sendable {
    private let channels = NIOLockedValueBox<[ObjectIdentifier: any Channel]>([:])

    /// Keeps `channel` until it closes. No handler: a WebSocket session's every read would pass
    /// through it, and its context would cost each session memory.
    func track(_ channel: any Channel) {
        let id = ObjectIdentifier(channel)
        channels.withLockedValue { $0[id] = channel }
        channel.closeFuture.whenComplete { [self] _ in
            channels.withLockedValue { _ = $0.removeValue(forKey: id) }
        }
    }

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
}
