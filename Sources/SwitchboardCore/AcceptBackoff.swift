import Logging
import NIOCore
import NIOPosix

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Accepting at the open-file limit (docs/protocol.md §9.4): when `accept` fails for want of a
/// descriptor or of memory, the server socket stops accepting for ``interval`` and logs one warning,
/// instead of retrying at once, thousands of times a second, on a full core. Connections wait in
/// the socket's backlog meanwhile, and are accepted once descriptors are free again.
///
/// NIO's `AcceptBackoffHandler` is not enough here: it delays the channel's next `read`, but a
/// server channel whose `accept` throws keeps its read pending and its socket registered for
/// reading, so the (level-triggered) selector wakes it again at once and the next `read` never
/// comes. Pausing `autoRead` takes the socket out of the selector; resuming puts it back.
public enum AcceptBackoff {
    /// How long a server socket waits before it tries to accept again.
    public static let interval: TimeAmount = .seconds(1)

    /// The wait after an `accept` that failed with `error`: ``interval`` when the process or the
    /// system is out of descriptors or memory (`EMFILE`, `ENFILE`, `ENOBUFS`, `ENOMEM`), nil (no
    /// wait) otherwise (a peer that gave up before it was accepted, `ECONNABORTED`).
    public static func delay(after error: IOError) -> TimeAmount? {
        switch error.errnoCode {
        case EMFILE, ENFILE, ENOBUFS, ENOMEM: return interval
        default: return nil
        }
    }

    /// The handler of a server socket that backs off: on an `accept` that failed for want of
    /// descriptors it logs one warning and stops accepting for ``delay(after:)``, then tries again.
    /// - Parameter server: what the socket serves, for the log line (`HTTP`, `Flash policy`).
    public static func handler(logger: Logger, server: String) -> any ChannelHandler {
        Handler(logger: logger, server: server)
    }

    final class Handler: ChannelInboundHandler, RemovableChannelHandler {
        typealias InboundIn = any Channel
        typealias InboundOut = any Channel

        private let logger: Logger
        private let server: String
        /// While backing off: when accepting resumes.
        private var resumption: Scheduled<Void>?

        init(logger: Logger, server: String) {
            self.logger = logger
            self.server = server
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            guard let ioError = error as? IOError, let delay = AcceptBackoff.delay(after: ioError) else {
                return context.fireErrorCaught(error)
            }
            guard resumption == nil else { return }
            logger.warning("\(server) server cannot accept connections: \(ioError); not accepting for \(delay.nanoseconds / 1_000_000) ms")
            context.channel.setOption(.autoRead, value: false).whenFailure { [logger] error in
                logger.error("could not pause accepting: \(error)")
            }
            resumption = context.eventLoop.assumeIsolated().scheduleTask(in: delay) { [self] in
                resumption = nil
                resume(context.channel)
            }
        }

        func channelInactive(context: ChannelHandlerContext) {
            resumption?.cancel()
            resumption = nil
            context.fireChannelInactive()
        }

        func handlerRemoved(context: ChannelHandlerContext) {
            guard let resumption else { return }
            resumption.cancel()
            self.resumption = nil
            resume(context.channel)
        }

        private func resume(_ channel: any Channel) {
            guard channel.isActive else { return }
            channel.setOption(.autoRead, value: true).whenFailure { [logger] error in
                logger.error("could not resume accepting: \(error)")
            }
        }
    }
}

extension ServerBootstrap {
    /// This bootstrap with a server socket that backs off accepting when the process is out of
    /// descriptors (``AcceptBackoff``).
    public func backingOffAccepts(logger: Logger, server: String) -> ServerBootstrap {
        serverChannelInitializer { channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandler(AcceptBackoff.handler(logger: logger, server: server))
            }
        }
    }
}
