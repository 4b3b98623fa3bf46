import HummingbirdCore
import Logging
import NIOCore
import NIOHTTPTypes
import NIOHTTPTypesHTTP1
import ServiceLifecycle
import SwitchboardCore
import SwitchboardServer

/// Switchboard inside a Hummingbird 2 application, on the port of its router: the connection's
/// HTTP/1.1 pipeline is Switchboard's (`configureSwitchboard`: its sessions' requests, every
/// transport, the WebSocket upgrade, the request timeouts), and every request that is not
/// Switchboard's goes on to Hummingbird's router.
///
/// ```swift
/// let listener = try Listener(transports: transports)
/// let app = Application(router: router, server: .switchboard(listener), configuration: .init(address: .hostname("127.0.0.1", port: 8080)))
/// try await app.runService()
/// ```
public struct SwitchboardChannel: ServerChildChannel, HTTPChannelHandler {
    public typealias Value = NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>

    /// The listeners served before the router, in order.
    public let listeners: [Listener]
    public let responder: HTTPChannelHandler.Responder

    public init(listeners: [Listener], responder: @escaping HTTPChannelHandler.Responder) {
        self.listeners = listeners
        self.responder = responder
    }

    public func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.configureSwitchboard(listeners)
            // What Switchboard passes on, as Hummingbird's HTTP types.
            try channel.pipeline.syncOperations.addHandler(HTTP1ToHTTPServerCodec(secure: false))
            return try NIOAsyncChannel(wrappingChannelSynchronously: channel, configuration: .init(isOutboundHalfClosureEnabled: true))
        }
    }

    /// Serves the connection. A graceful shutdown of the application ends every session as going
    /// away (docs/protocol.md §9.9), so that a connection a session holds (a WebSocket, a stream,
    /// a held poll) closes like any other.
    public func handle(value asyncChannel: Value, logger: Logger) async {
        await withGracefulShutdownHandler {
            await handleHTTP(asyncChannel: asyncChannel, logger: logger)
        } onGracefulShutdown: {
            for listener in listeners { listener.shutdown() }
        }
    }
}

extension HTTPServerBuilder {
    /// HTTP/1.1 with `listeners` served before the application's router (``SwitchboardChannel``).
    public static func switchboard(_ listeners: Listener...) -> HTTPServerBuilder {
        .init { responder in SwitchboardChannel(listeners: listeners, responder: responder) }
    }
}
