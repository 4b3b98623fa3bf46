import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL
import SwitchboardCore
import SwitchboardJSON

/// A session with a Switchboard server (or any server of the Socket.IO 0.6 protocol): the seed's
/// `io.Socket` in Swift.
///
/// The socket tries the transports of `options.transports` in order until one delivers a session
/// id, exchanges messages over it, echoes the server's heartbeats, and re-attaches to the same
/// session when the connection drops (inside the server's grace, with backoff). What is sent while
/// no connection is open waits and leaves as one payload.
///
/// ```swift
/// let socket = try Socket(host: "127.0.0.1", port: 8080)
/// socket.on(.message) { message in print("got", message) }
/// try await socket.connect()
/// socket.send("hello")
/// socket.send(.json(["user": "ada"]))
/// for await message in socket.messages { print(message) }
/// ```
///
/// Handlers run on the socket's event loop, one at a time, in the order things happened. Every
/// method may be called from any thread. Every timer (`connectTimeout`, the reconnection delays)
/// reads the event loop's clock (`eventLoop.now`), so a test loop's virtual time drives them.
public final class Socket: @unchecked Sendable {
    /// The server's host name or address.
    public let host: String
    /// The server's HTTP port.
    public let port: Int
    /// The options given at creation, with their defaults.
    public let options: SocketOptions
    /// The loop the socket's connections, timers and handlers run on.
    public let eventLoop: any EventLoop

    private let descriptors: [String: TransportDescriptor]
    private let codec: ClientCodec
    private let logger: Logger
    /// Makes the socket's transport connections (tests put connections of their own in).
    private let connectionFactory: @Sendable (ConnectionSetup) -> any TransportConnection
    /// TLS for every connection, when `options.secure`.
    private let tls: NIOSSLContext?
    // Confined to `eventLoop`.
    private var machine: SocketStateMachine
    private var connections: [SocketStateMachine.ConnectionID: any TransportConnection] = [:]
    private var timer: Scheduled<Void>?
    private var timerDeadline: NIODeadline?
    private var waiters: [CheckedContinuation<Void, any Error>] = []
    // Readable from any thread.
    private let status = NIOLockedValueBox(Status())
    private let handlers = EventHandlers<SocketEventHandlers>()

    private struct Status {
        var connected = false
        var connecting = false
        var sessionId: String?
        var transport: String?
    }

    /// The transports the client speaks (every transport of the specs), in their default order.
    public static var knownTransports: [String] { ClientTransports.known.map(\.name) }

    /// Creates a socket; nothing happens until ``connect()``.
    /// - Parameters:
    ///   - host: The server's host name or address.
    ///   - port: The server's HTTP port.
    ///   - options: The socket's options (`Specs/socket.yaml`).
    ///   - group: Where the socket's event loop comes from.
    ///   - tlsConfiguration: TLS for `options.secure`: by default the system's trusted roots;
    ///     give one to trust another CA (`trustRoots`).
    /// - Throws: ``SocketError/unknownTransport(_:)`` when `options.transports` names a transport
    ///   the client does not know; a TLS error when `tlsConfiguration` cannot be used.
    public convenience init(
        host: String = "127.0.0.1", port: Int = 80, options: SocketOptions = SocketOptions(),
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton, tlsConfiguration: TLSConfiguration? = nil
    ) throws {
        try self.init(
            host: host, port: port, options: options, group: group, connections: makeConnection,
            tls: options.secure ? NIOSSLContext(configuration: tlsConfiguration ?? .makeClientConfiguration()) : nil)
    }

    /// A socket whose transport connections `connections` makes.
    init(
        host: String, port: Int, options: SocketOptions, group: any EventLoopGroup,
        connections: @escaping @Sendable (ConnectionSetup) -> any TransportConnection, tls: NIOSSLContext? = nil
    ) throws {
        self.tls = tls
        var descriptors: [String: TransportDescriptor] = [:]
        let names = options.transports.isEmpty ? ClientTransports.known.map(\.name) : options.transports
        for name in names {
            guard let descriptor = ClientTransports.descriptor(name) else { throw SocketError.unknownTransport(name) }
            descriptors[name] = descriptor
        }
        self.host = host
        self.port = port
        self.options = options
        self.eventLoop = group.next()
        self.descriptors = descriptors
        self.connectionFactory = connections
        let acknowledged = options.acknowledged && options.protocol == .framed
        self.codec = ClientCodec(options.protocol, maxFrameLength: options.maxPayloadSize, acknowledged: acknowledged)
        var logger = options.log
        logger[metadataKey: "server"] = "\(host):\(port)"
        self.logger = logger
        self.machine = SocketStateMachine(
            configuration: .init(
                transports: names.map { ($0, descriptors[$0]!.kind) },
                payloadProtocol: options.protocol,
                connectTimeout: options.connectTimeout,
                tryTransportsOnConnectTimeout: options.tryTransportsOnConnectTimeout,
                reconnect: options.reconnect,
                reconnectionDelay: options.reconnectionDelay,
                maxReconnectionAttempts: options.maxReconnectionAttempts,
                acknowledged: acknowledged
            ))
    }

    // MARK: State

    /// Whether the session is connected: from its handshake until it is over, re-attachments included.
    public var connected: Bool { status.withLockedValue { $0.connected } }

    /// Whether a new session is being opened.
    public var connecting: Bool { status.withLockedValue { $0.connecting } }

    /// The session id, while connected.
    public var sessionId: String? { status.withLockedValue { $0.sessionId } }

    /// The transport of the session (or of the attempt in progress), e.g. `websocket`.
    public var transport: String? { status.withLockedValue { $0.transport } }

    // MARK: Connecting

    /// Starts opening a session and returns at once; the events say what came of it (`connect`,
    /// or `connect_failed` once every transport failed). Does nothing while connecting or connected.
    ///
    /// In `async` code Swift chooses the `async throws` overload (`try await connect()`); this one is for
    /// synchronous code (a closure, a callback), as in the seed.
    public func connect() {
        onLoop { $0.startConnecting() }
    }

    /// Opens a session and returns once it is connected.
    ///
    /// ```swift
    /// try await socket.connect()
    /// ```
    /// - Throws: ``SocketError/connectFailed(_:)`` when no transport delivered a session (each
    ///   transport is given `connectTimeout`), ``SocketError/disconnected`` when ``disconnect()`` came first.
    public func connect() async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            onLoop { socket in
                if socket.machine.isConnected { return continuation.resume() }
                socket.waiters.append(continuation)
                socket.startConnecting()
            }
        }
    }

    /// Ends the session: closes the connection and drops what was waiting to be sent. The server
    /// lets the session go after its grace.
    public func disconnect() {
        onLoop { $0.perform($0.machine.event(.disconnect, now: $0.eventLoop.now)) }
    }

    private func startConnecting() {
        let preferred =
            options.rememberTransport ? ClientTransports.remembered.withLockedValue { $0[rememberKey] } : nil
        perform(machine.event(.connect(preferred: preferred), now: eventLoop.now))
    }

    private var rememberKey: String { "\(host):\(port)/\(options.resource)" }

    // MARK: Sending

    /// Sends a message: at once when a connection is open, otherwise when one opens (everything
    /// waiting leaves as one payload).
    public func send(_ message: Message) {
        send([message])
    }

    /// Sends a string message.
    public func send(_ text: String) {
        send([.text(text)])
    }

    /// Sends several messages (`send(["a", "b"])` is two messages), in one payload when they can.
    public func send(_ messages: [Message]) {
        onLoop { $0.perform($0.machine.event(.send(messages), now: $0.eventLoop.now)) }
    }

    /// Sends a JSON object (`~j~` in the framed codec).
    public func send(json object: [String: JSONValue]) {
        send(.json(object))
    }

    /// Sends a `Codable` value as a JSON message.
    /// - Throws: `TypedMessageError.notAnObject` when the value does not encode to a JSON object.
    public func send(encoding value: some Encodable) throws {
        send(try Message(encoding: value))
    }

    // MARK: Events

    /// Adds a handler for one of the socket's events; keep the result to remove it.
    ///
    /// ```swift
    /// socket.on(.reconnecting) { delay, attempt in print("attempt", attempt, "in", delay) }
    /// ```
    @discardableResult
    public func on<Handler>(_ event: SocketEvent<Handler>, _ handler: Handler) -> Subscription {
        handlers.add(handler, to: event.handlers)
    }

    /// Removes a handler added with ``on(_:_:)``.
    public func off(_ subscription: Subscription) {
        handlers.remove(subscription)
    }

    /// The seed's name for ``on(_:_:)``.
    @discardableResult
    public func addEvent<Handler>(_ event: SocketEvent<Handler>, _ handler: Handler) -> Subscription {
        on(event, handler)
    }

    /// The seed's name for ``off(_:)``.
    public func removeEvent(_ subscription: Subscription) {
        off(subscription)
    }

    /// The messages from the server, from now until the session is over (`disconnect`) or could
    /// not be opened (`connect_failed`). Each access makes a new stream.
    ///
    /// ```swift
    /// for await message in socket.messages { print(message) }
    /// ```
    public var messages: AsyncStream<Message> {
        let (stream, continuation) = AsyncStream.makeStream(of: Message.self)
        let subscriptions = [
            on(.message) { continuation.yield($0) },
            on(.disconnect) { continuation.finish() },
            on(.connectFailed) { continuation.finish() },
        ]
        continuation.onTermination = { [weak self] _ in
            for subscription in subscriptions { self?.off(subscription) }
        }
        return stream
    }

    // MARK: Driving the machine

    private func onLoop(_ body: @escaping @Sendable (Socket) -> Void) {
        // Always a hop, even on the loop: a handler that sends runs after the event that called it.
        eventLoop.execute { body(self) }
    }

    private func perform(_ actions: [SocketStateMachine.Action]) {
        for action in actions {
            switch action {
            case .open(let id, let name, let sessionId, let acknowledged):
                guard let descriptor = descriptors[name] else { continue }
                logger.debug(
                    "opening a connection", metadata: ["transport": "\(name)", "sid": "\(sessionId ?? "(new)")"])
                let setup = ConnectionSetup(
                    host: host, port: port, tls: tls, eventLoop: eventLoop, descriptor: descriptor,
                    paths: TransportPaths(resource: options.resource, descriptor: descriptor), options: options,
                    logger: logger,
                    report: { [self] report in eventLoop.execute { self.handle(report, from: id) } })
                let connection = connectionFactory(setup)
                connections[id] = connection
                connection.start(sessionId: sessionId, acknowledged: acknowledged)
            case .write(let id, let frames):
                guard let sessionId = machine.sessionId else { continue }
                connections[id]?.write(codec.encode(frames), sessionId: sessionId)
            case .close(let id):
                connections.removeValue(forKey: id)?.close()
            case .emit(let emission):
                emit(emission)
            }
        }
        updateStatus()
        if !waiters.isEmpty, machine.phase == .disconnected { resolveWaiters(.failure(SocketError.disconnected)) }
        rescheduleTimer()
    }

    private func handle(_ report: ConnectionReport, from id: SocketStateMachine.ConnectionID) {
        guard connections[id] != nil else { return }
        let now = eventLoop.now
        switch report {
        case .opened:
            perform(machine.event(.opened(id), now: now))
        case .payload(let payload):
            let decoded = codec.decode(payload)
            for warning in decoded.warnings { logger.warning("\(warning)") }
            if let problem = decoded.problem {
                // Refused whole, as the server refuses a bad payload (docs/protocol.md §2.1).
                logger.warning("bad payload from the server: \(problem)")
                return perform(machine.event(.failed(id, .protocolError(problem)), now: now))
            }
            perform(machine.event(.received(id, decoded.frames), now: now))
            connections[id]?.payloadHandled(sessionId: machine.sessionId, acknowledged: machine.acknowledgedCount)
        case .sent:
            perform(machine.event(.sent(id), now: now))
        case .failed(let failure):
            logger.debug("connection failed: \(failure)", metadata: ["transport": "\(machine.transport ?? "")"])
            perform(machine.event(.failed(id, failure), now: now))
        case .closed:
            logger.debug("connection closed", metadata: ["transport": "\(machine.transport ?? "")"])
            perform(machine.event(.closed(id), now: now))
        }
    }

    private func emit(_ emission: SocketEmission) {
        updateStatus()
        let handlers = self.handlers.current
        switch emission {
        case .connect:
            logger.debug(
                "connected", metadata: ["transport": "\(machine.transport ?? "")", "sid": "\(machine.sessionId ?? "")"])
            if options.rememberTransport, let transport = machine.transport {
                ClientTransports.remembered.withLockedValue { $0[rememberKey] = transport }
            }
            handlers.emitConnect()
            resolveWaiters(.success(()))
        case .connecting(let transport):
            handlers.emitConnecting(transport)
        case .connectFailed(let failures):
            logger.info("could not connect: \(failures.map(\.description).joined(separator: "; "))")
            handlers.emitConnectFailed()
            resolveWaiters(.failure(SocketError.connectFailed(failures)))
        case .message(let message):
            handlers.emitMessage(message)
        case .close:
            handlers.emitClose()
        case .disconnect:
            handlers.emitDisconnect()
            resolveWaiters(.failure(SocketError.disconnected))
        case .reconnecting(let delay, let attempt):
            handlers.emitReconnecting(delay, attempt)
        case .reconnect(let transport, let attempts):
            handlers.emitReconnect(transport, attempts)
        case .reconnectFailed:
            logger.info("could not re-attach the session")
            handlers.emitReconnectFailed()
        }
    }

    private func resolveWaiters(_ result: Result<Void, any Error>) {
        let waiting = waiters
        waiters = []
        for waiter in waiting { waiter.resume(with: result) }
    }

    private func updateStatus() {
        let snapshot = Status(
            connected: machine.isConnected, connecting: machine.isConnecting, sessionId: machine.sessionId,
            transport: machine.transport)
        status.withLockedValue { $0 = snapshot }
    }

    private func rescheduleTimer() {
        let deadline = machine.nextDeadline
        guard deadline != timerDeadline else { return }
        timer?.cancel()
        timerDeadline = deadline
        guard let deadline else {
            timer = nil
            return
        }
        timer = eventLoop.scheduleTask(deadline: deadline) { [self] in
            timerDeadline = nil
            perform(machine.event(.tick, now: eventLoop.now))
        }
    }
}
