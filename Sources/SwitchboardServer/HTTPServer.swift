import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import SwitchboardCore
import SwitchboardStatic

/// An HTTP/1.1 server for an application, to which listeners attach: the seed's `io.listen(server)`.
///
/// ```swift
/// let server = HTTPServer(port: 8080) { request in
///     request.path == "/" ? HTTPResponse(body: "<h1>Hello world</h1>") : nil
/// }
/// let listener = try Listener.listen(server, transports: .linked)
/// listener.on(.clientMessage) { message, client in client.broadcast(message) }
/// try await server.run()
/// ```
public final class HTTPServer: Sendable {
    public let host: String
    public let requestedPort: Int
    public let logger: Logger
    private let application: HTTPApplication?
    /// The largest request body the application's routes get; a larger one is answered `413`.
    public let maxRequestBodySize: Int
    private let files: StaticFiles?
    private let group: any EventLoopGroup
    private let state = NIOLockedValueBox(State())

    private struct State {
        var listeners: [Listener] = []
        var channel: (any Channel)?
        /// What the transports run beside HTTP (the Flash policy server).
        var services: [any Channel] = []
    }

    /// - Parameters:
    ///   - host: the address to bind, `127.0.0.1` by default.
    ///   - port: the port to bind; 0 picks a free one (see ``port`` after ``start()``).
    ///   - publicDirectory: a folder served as static files after the application's routes.
    ///   - maxRequestBodySize: the largest body a request to the application may have (1 MiB by
    ///     default); a larger one is answered `413` and the connection closes.
    ///   - application: the application's own routes.
    public init(
        host: String = "127.0.0.1",
        port: Int = 8080,
        publicDirectory: String? = nil,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger = Logger(label: "switchboard.http"),
        maxRequestBodySize: Int = 1 << 20,
        application: HTTPApplication? = nil
    ) throws {
        self.maxRequestBodySize = maxRequestBodySize
        self.host = host
        self.requestedPort = port
        self.logger = logger
        self.application = application
        self.files = try publicDirectory.map { try StaticFiles(root: $0) }
        self.group = group
    }

    /// Attaches a listener; its resource's requests are served before the application's.
    /// Attach every listener before ``start()``.
    public func attach(_ listener: Listener) {
        state.withLockedValue { $0.listeners.append(listener) }
    }

    /// The port the server is bound to, once started.
    public var port: Int? {
        state.withLockedValue { $0.channel?.localAddress?.port }
    }

    /// Binds and starts serving; returns once the socket is bound.
    public func start() async throws {
        let listeners = state.withLockedValue { $0.listeners }
        let application = self.application
        let maxBody = self.maxRequestBodySize
        let files = self.files
        let logger = self.logger
        let fileIO = NonBlockingFileIO(threadPool: .singleton)
        let channel = try await ServerBootstrap(group: group)
            .backingOffAccepts(logger: logger, server: "HTTP")
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            // Most sessions are idle most of the time: start reads small, grow when traffic does.
            .childChannelOption(.recvAllocator, value: AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 512, maximum: 65_536))
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureSwitchboard(listeners)
                    try channel.pipeline.syncOperations.addHandler(
                        ApplicationHandler(application: application, files: files, fileIO: fileIO, logger: logger, maxBodySize: maxBody))
                }
            }
            .bind(host: host, port: requestedPort)
            .get()
        var services: [any Channel] = []
        for listener in listeners {
            for transport in listener.transports.transports {
                services += await transport.startServices(for: listener, host: host, group: group)
            }
        }
        state.withLockedValue {
            $0.channel = channel
            $0.services = services
        }
        logger.info("listening on http://\(host):\(channel.localAddress?.port ?? requestedPort)/")
    }

    /// Starts (if needed) and serves until the server is shut down.
    public func run() async throws {
        if state.withLockedValue({ $0.channel }) == nil { try await start() }
        try await state.withLockedValue { $0.channel }?.closeFuture.get()
    }

    /// Stops accepting connections and disconnects every session.
    public func shutdown() async throws {
        let (channel, listeners, services) = state.withLockedValue { ($0.channel, $0.listeners, $0.services) }
        for listener in listeners { listener.disconnectAll() }
        for service in services { try? await service.close() }
        try await channel?.close()
    }
}

extension Listener {
    /// Creates a listener and attaches it to `server`: the seed's `io.listen(server, options)`.
    public static func listen(
        _ server: HTTPServer, options: ListenerOptions = ListenerOptions(), transports: TransportRegistry
    ) throws -> Listener {
        let listener = try Listener(options: options, transports: transports)
        server.attach(listener)
        return listener
    }
}

extension ChannelPipeline.SynchronousOperations {
    /// Sets up an HTTP/1.1 server pipeline that serves these listeners and passes every other
    /// request on to the handlers added after it: the way to attach Switchboard to a NIO server
    /// you already run. After a WebSocket upgrade, frames are handled right after the HTTP upgrade
    /// handler and never reach the handlers added after this. The connection runs with the
    /// listeners' request timeouts (the shortest of each; docs/protocol.md §9.4).
    ///
    /// ```swift
    /// try channel.pipeline.syncOperations.configureSwitchboard([listener])
    /// try channel.pipeline.syncOperations.addHandler(MyApplicationHandler())
    /// ```
    public func configureSwitchboard(_ listeners: [Listener]) throws {
        try configureHTTPServerPipeline(
            withPipeliningAssistance: true,
            withServerUpgrade: (upgraders: [SessionUpgrader(listeners: listeners)], completionHandler: { _ in }),
            withErrorHandling: true
        )
        let timeouts = RequestTimeoutHandler(
            limits: RequestTimeoutLimits(listeners.map(\.options)), logger: listeners.first?.logger ?? Logger(label: "switchboard"))
        try addHandler(RequestTimeoutObserver(timeouts))
        for listener in listeners {
            try addHandler(SessionHTTPHandler(listener: listener))
        }
        // Transports that must see the first bytes of a connection go before HTTP, and the
        // request timeouts before them: they count every byte.
        let first = listeners.flatMap { listener in
            listener.transports.transports.flatMap { $0.connectionHandlers(for: listener) }
        }
        try addHandlers(first, position: .first)
        try addHandler(timeouts, position: .first)
    }
}
