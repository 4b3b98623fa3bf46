import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import ServiceLifecycle
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
    /// How long a graceful shutdown may take before what is left is closed.
    public let shutdownTimeout: Duration
    /// TLS, when the server speaks https:// and wss:// on its port.
    private let tls: NIOSSLContext?
    private let files: StaticFiles?
    private let group: any EventLoopGroup
    private let state = NIOLockedValueBox(State())

    private let connections = ConnectionTracker()

    private struct State {
        var listeners: [Listener] = []
        var channel: (any Channel)?
        /// Succeeded when the server has stopped: ``run()`` returns then.
        var stopped: EventLoopPromise<Void>?
        /// What the transports run beside HTTP (the Flash policy server).
        var services: [any Channel] = []
    }

    /// - Parameters:
    ///   - host: the address to bind, `127.0.0.1` by default.
    ///   - port: the port to bind; 0 picks a free one (see ``port`` after ``start()``).
    ///   - publicDirectory: a folder served as static files after the application's routes.
    ///   - maxRequestBodySize: the largest body a request to the application may have (1 MiB by
    ///     default); a larger one is answered `413` and the connection closes.
    ///   - shutdownTimeout: how long a graceful shutdown may take (10 s by default).
    ///   - tls: a TLS configuration (swift-nio-ssl), and the port serves https:// and wss:// only:
    ///     every transport, the static files and the application. Plain HTTP sent to it is refused.
    ///   - application: the application's own routes.
    public init(
        host: String = "127.0.0.1",
        port: Int = 8080,
        publicDirectory: String? = nil,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger = Logger(label: "switchboard.http"),
        maxRequestBodySize: Int = 1 << 20,
        shutdownTimeout: Duration = .seconds(10),
        tls: TLSConfiguration? = nil,
        application: HTTPApplication? = nil
    ) throws {
        self.tls = try tls.map { try NIOSSLContext(configuration: $0) }
        self.maxRequestBodySize = maxRequestBodySize
        self.shutdownTimeout = shutdownTimeout
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
        let connections = self.connections
        let tls = self.tls
        let channel = try await ServerBootstrap(group: group)
            .backingOffAccepts(logger: logger, server: "HTTP")
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            // Most sessions are idle most of the time: start reads small, grow when traffic does.
            .childChannelOption(.recvAllocator, value: AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 512, maximum: 65_536))
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls {
                        try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls))
                        try channel.pipeline.syncOperations.addHandler(TLSRefusal(logger: logger))
                    }
                    connections.track(channel)
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
        let stopped = channel.eventLoop.makePromise(of: Void.self)
        channel.closeFuture.whenComplete { _ in stopped.succeed() }
        state.withLockedValue {
            $0.channel = channel
            $0.services = services
            $0.stopped = stopped
        }
        logger.info("listening on \(tls == nil ? "http" : "https")://\(host):\(channel.localAddress?.port ?? requestedPort)/")
    }

    /// Starts (if needed) and serves until the server is shut down. As a service of a
    /// `ServiceGroup` (swift-service-lifecycle), a graceful shutdown (SIGTERM, SIGINT) runs
    /// ``shutdownGracefully(timeout:)`` and `run` returns when it is done.
    public func run() async throws {
        if state.withLockedValue({ $0.channel }) == nil { try await start() }
        guard let channel = state.withLockedValue({ $0.channel }) else { return }
        let stopped = state.withLockedValue { $0.stopped?.futureResult } ?? channel.closeFuture
        try await withGracefulShutdownHandler {
            try await stopped.get()
        } onGracefulShutdown: { [self] in
            Task { await shutdownGracefully(timeout: shutdownTimeout) }
        }
    }

    /// Stops accepting connections and disconnects every session at once.
    public func shutdown() async throws {
        let (channel, listeners, services) = state.withLockedValue { ($0.channel, $0.listeners, $0.services) }
        for listener in listeners { listener.disconnectAll() }
        for service in services { try? await service.close() }
        try await channel?.close()
    }

    /// Shuts down gracefully (docs/protocol.md §9.9): stops accepting connections, ends every
    /// session as going away (a held poll answered, a stream ended, a WebSocket closed with 1001,
    /// what waits flushed where a connection can take it), waits for the connections to close,
    /// closes those left (idle keep-alive connections), and then ``run()`` returns. After
    /// `timeout` whatever is still open is closed.
    public func shutdownGracefully(timeout: Duration) async {
        let (channel, listeners, services, stopped) = state.withLockedValue { ($0.channel, $0.listeners, $0.services, $0.stopped) }
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        logger.info("shutting down: no new connections; ending \(listeners.map(\.clientCount).reduce(0, +)) sessions")
        // Stop accepting, without ending run() yet.
        try? await channel?.setOption(.autoRead, value: false)
        for service in services { try? await service.close() }
        for listener in listeners { listener.shutdown() }
        // Every connection is asked to quiesce: NIO's HTTP pipeline handler closes an idle
        // keep-alive connection at once and a busy one after its response (a held poll's answer).
        connections.quiesceAll()
        // Real time: connections close as their last bytes go out, at the peers' pace.
        while clock.now < deadline, connections.count > 0 {
            try? await Task.sleep(for: .milliseconds(20))
        }
        if connections.count > 0 {
            logger.warning("shutdown timeout: closing \(connections.count) connections still open")
            connections.closeAll()
        }
        try? await channel?.close()
        stopped?.succeed()
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
            // HTTPExchangeObserver answers malformed requests, where NIO's error handler would be.
            withErrorHandling: false
        )
        let timeouts = RequestTimeoutHandler(
            limits: RequestTimeoutLimits(listeners.map(\.options)), logger: listeners.first?.logger ?? Logger(label: "switchboard"),
            timers: listeners.first)
        try addHandler(HTTPExchangeObserver(timeouts), position: .before(try handler(type: HTTPServerUpgradeHandler.self)))
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

extension HTTPServer: Service {}

/// Right after the TLS handler: a connection whose TLS fails (plain HTTP sent to a TLS port, a
/// handshake the server cannot accept) is logged and closed, and nothing else sees the error.
final class TLSRefusal: ChannelInboundHandler, Sendable {
    typealias InboundIn = NIOAny
    let logger: Logger
    init(logger: Logger) { self.logger = logger }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard error is NIOSSLError || error is BoringSSLError else { return context.fireErrorCaught(error) }
        logger.info("TLS refused from \(context.remoteAddress.map { "\($0)" } ?? "?"): \(error); closing")
        context.close(promise: nil)
    }
}
