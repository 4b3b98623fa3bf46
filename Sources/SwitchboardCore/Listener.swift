import Logging
import NIOConcurrencyHelpers
import NIOCore

/// The server side of Switchboard: it owns the sessions of one resource and tells the application
/// what happens to them. Attach it to an HTTP server (`SwitchboardServer`) to serve it.
///
/// ```swift
/// let listener = try Listener(transports: .linked)
/// listener.on(.clientMessage) { message, client in
///     client.broadcast(message)
/// }
/// ```
public final class Listener: Sendable {
    /// The options given at creation, with their defaults.
    public let options: ListenerOptions
    /// The transports this listener serves, in default order.
    public let transports: TransportRegistry
    /// The codec chosen by `options.protocol`.
    public let codec: any PayloadCodec
    /// Where this listener logs (`options.log`).
    public var logger: Logger { options.log }

    private let state = NIOLockedValueBox(State())
    /// Its metrics (docs/metrics.md).
    let metrics: ListenerMetrics
    private let handlerSet = EventHandlers<ListenerEventHandlers>()
    private let flushers = PerLoop { TickFlusher(eventLoop: $0) }
    /// The timers of the sessions (and of the server's connections) on each loop.
    private let timersByLoop = PerLoop { LoopTimers(eventLoop: $0) }
    /// Each served transport's session timers, worked out once (every attach asks).
    private let transportTimers: [String: SessionTimers]

    private struct State {
        var sessions: [String: Client] = [:]
        var rooms = RoomMembership()
        /// The relay to the other nodes, and with it their bus (``attach(cluster:)``).
        var relay: ClusterRelay?
    }

    /// Creates a listener serving the transports of `registry` that `options.transports` enables
    /// (all of them when that list is empty).
    /// - Throws: ``ListenerError/unknownTransport(_:)`` when the options name a transport the registry lacks.
    public init(options: ListenerOptions = ListenerOptions(), transports registry: TransportRegistry) throws {
        for name in options.transports where registry[name] == nil {
            throw ListenerError.unknownTransport(name)
        }
        for name in options.transportOptions.keys where registry[name] == nil {
            throw ListenerError.unknownTransport(name)
        }
        self.options = options
        self.transports =
            options.transports.isEmpty
            ? registry : TransportRegistry(registry.transports.filter { options.transports.contains($0.descriptor.name) })
        self.codec = options.protocol.codec(maxFrameLength: options.maxHttpBufferSize)
        self.metrics = ListenerMetrics(transports: self.transports.names)
        let (options, transports, codec) = (self.options, self.transports, self.codec)
        self.transportTimers = Dictionary(
            uniqueKeysWithValues: transports.names.map { ($0, Self.timers(forTransport: $0, options: options, transports: transports, codec: codec)) })
    }

    /// What this listener has counted since it started (docs/metrics.md).
    public var statistics: ListenerStatistics {
        metrics.statistics
    }

    /// The flusher of `eventLoop`'s ticks, for the connections of this listener's sessions on it.
    public func tickFlusher(for eventLoop: any EventLoop) -> TickFlusher {
        flushers.value(for: eventLoop)
    }

    /// The timers of `eventLoop`'s sessions, which the server's connections on it share for their
    /// request timeouts.
    package func loopTimers(for eventLoop: any EventLoop) -> LoopTimers {
        timersByLoop.value(for: eventLoop)
    }

    /// Counts a request refused with `status` (docs/metrics.md); for the server's handlers.
    public func countRefusal(status: Int) {
        metrics.refused(status: status)
    }

    // MARK: Clients

    /// The connected clients.
    public var clients: [Client] {
        state.withLockedValue { Array($0.sessions.values) }
    }

    /// How many sessions are connected.
    public var clientCount: Int {
        state.withLockedValue { $0.sessions.count }
    }

    /// The connected clients by session id.
    public var clientsIndex: [String: Client] {
        state.withLockedValue { $0.sessions }
    }

    /// The connected client with this session id.
    public func client(_ sessionId: String) -> Client? {
        state.withLockedValue { $0.sessions[sessionId] }
    }

    /// Sends a message to every connected client except those whose session ids are listed.
    public func broadcast(_ message: Message, except: Set<String> = []) {
        send(message, to: .everyone, except: except)
    }

    /// Sends a message to every connected client except one.
    public func broadcast(_ message: Message, except sessionId: String) {
        broadcast(message, except: [sessionId])
    }

    /// Sends a message to every member of `room` except the sessions listed.
    public func broadcast(_ message: Message, to room: String, except: Set<String> = []) {
        send(message, to: .room(room), except: except)
    }

    /// A room, to send to: `listener.to("lobby").send("hello")`.
    public func to(_ room: String) -> Room {
        Room(name: room, listener: self)
    }

    /// Sends a message to an audience except the sessions listed, on every node of the cluster.
    /// The message is encoded once, to bytes that every socket writes as they are; each event
    /// loop gets one hop for all its clients.
    public func send(_ message: Message, to audience: Audience, except: Set<String> = []) {
        metrics.broadcasts.increment()
        cluster?.publish(.send(message, to: audience, except: except))
        deliver(message, to: audience, except: except)
    }

    /// Sends a message to the audience on this node only.
    func deliver(_ message: Message, to audience: Audience, except: Set<String>) {
        let frame = SharedFrame(message: message, codec: codec)
        var byLoop: [ObjectIdentifier: (loop: any EventLoop, clients: [Client])] = [:]
        for client in clients(of: audience) where !except.contains(client.sessionId) {
            byLoop[ObjectIdentifier(client.eventLoop), default: (client.eventLoop, [])].clients.append(client)
        }
        for (loop, group) in byLoop.values {
            metrics.sent.increment(by: group.count)
            loop.runOnLoop {
                for client in group { client.sendSharedOnLoop(frame) }
            }
        }
    }

    private func clients(of audience: Audience) -> [Client] {
        switch audience {
        case .everyone: return clients
        case .room(let room): return clients(in: room)
        }
    }

    // MARK: Cluster

    /// The bus to the other nodes, once ``attach(cluster:)`` gave one.
    public var cluster: (any ClusterBus)? {
        state.withLockedValue { $0.relay?.bus }
    }

    /// Makes this listener one node of a cluster (docs/cluster.md): its broadcasts and room sends
    /// reach the sessions of every node, theirs reach its sessions, its session ids end with the
    /// bus's node tag, and a request for a session of another node is served here and relayed.
    /// Call once, before the server starts.
    public func attach(cluster bus: any ClusterBus) {
        let relay = ClusterRelay(bus: bus)
        state.withLockedValue { $0.relay = relay }
        bus.setReceiver { [weak self] event in
            guard let self else { return }
            relay.handle(event, listener: self)
        }
    }

    /// The session a request names: a client of this node, or in a cluster a session that a live
    /// node owns (its machine runs there; the request is relayed). Nil when none can have it.
    public func session(_ sessionId: String) -> (any SessionHandle)? {
        if let client = client(sessionId) { return client }
        guard let relay = state.withLockedValue({ $0.relay }) else { return nil }
        let tag = String(SessionID.nodeTag(of: sessionId))
        guard !tag.isEmpty, tag != relay.bus.nodeTag, relay.bus.isAlive(nodeTag: tag) else { return nil }
        return RemoteSession(sessionId: sessionId, owner: tag, listener: self, relay: relay)
    }

    /// Whether a session exists: at once for this node's, by asking its owner for another node's.
    public func sessionExists(_ sessionId: String, answer: @escaping @Sendable (Bool) -> Void) {
        switch session(sessionId) {
        case let remote as RemoteSession: remote.exists(answer)
        case let local: answer(local != nil)
        }
    }

    // MARK: Rooms

    /// The connected clients in `room`, on this node.
    public func clients(in room: String) -> [Client] {
        state.withLockedValue { state in state.rooms.members(of: room).compactMap { state.sessions[$0] } }
    }

    /// The rooms that have members on this node.
    public var rooms: Set<String> {
        state.withLockedValue { $0.rooms.rooms }
    }

    /// Puts a connected client in a room (nothing when its session is over).
    func join(_ client: Client, _ room: String) {
        state.withLockedValue { state in
            guard state.sessions[client.sessionId] === client else { return }
            state.rooms.join(client.sessionId, room)
        }
    }

    func leave(_ client: Client, _ room: String) {
        state.withLockedValue { _ = $0.rooms.leave(client.sessionId, room) }
    }

    func rooms(of client: Client) -> Set<String> {
        state.withLockedValue { $0.rooms.rooms(of: client.sessionId) }
    }

    /// Disconnects every session.
    public func disconnectAll() {
        for client in clients { client.disconnect() }
    }

    /// Ends every session because the server is shutting down (``Client/shutdown()``).
    public func shutdown() {
        for client in clients { client.shutdown() }
    }

    // MARK: Events

    /// Adds a handler for one of the listener's events; keep the result to remove it.
    ///
    /// ```swift
    /// listener.on(.clientMessage) { message, client in print(message) }
    /// ```
    @discardableResult
    public func on<Handler>(_ event: ListenerEvent<Handler>, _ handler: Handler) -> Subscription {
        handlerSet.add(handler, to: event.handlers)
    }

    /// Removes a handler added with ``on(_:_:)``.
    public func removeListener(_ subscription: Subscription) {
        handlerSet.remove(subscription)
    }

    private var handlers: ListenerEventHandlers { handlerSet.current }

    func emitConnected(_ client: Client) {
        let handlers = self.handlers
        handlers.emitConnection(client)
        handlers.emitClientConnect(client)
    }

    func emitMessage(_ message: Message, from client: Client) {
        handlers.emitClientMessage(message, client)
    }

    func emitDisconnected(_ client: Client, reason: DisconnectReason) {
        handlers.emitClientDisconnect(client, reason)
    }

    // MARK: For transports

    /// Creates a session on `eventLoop`, or nil when `maxSessions` sessions exist (answer 503).
    public func createSession(on eventLoop: any EventLoop) -> Client? {
        let sessionId = SessionID.generate(nodeTag: cluster?.nodeTag ?? "")
        let client = Client(sessionId: sessionId, listener: self, eventLoop: eventLoop, codec: codec)
        let created = state.withLockedValue { state -> Bool in
            guard state.sessions.count < options.maxSessions else { return false }
            state.sessions[sessionId] = client
            return true
        }
        if !created {
            logger.warning("maxSessions (\(options.maxSessions)) reached, refusing a new session")
        }
        return created ? client : nil
    }

    /// Forgets a session that ended (its rooms stay until ``leaveAllRooms(_:)``).
    func remove(_ client: Client) {
        state.withLockedValue { _ = $0.sessions.removeValue(forKey: client.sessionId) }
    }

    /// Takes a session that ended out of its rooms.
    func leaveAllRooms(_ client: Client) {
        state.withLockedValue { $0.rooms.leaveAll(client.sessionId) }
    }

    /// The timers a connection of this transport runs with: the spec's defaults, the listener's
    /// `transportOptions` over them, and `timeout` as the grace unless the transport sets `closeTimeout`.
    public func timers(forTransport name: String) -> SessionTimers {
        transportTimers[name] ?? Self.timers(forTransport: name, options: options, transports: transports, codec: codec)
    }

    private static func timers(
        forTransport name: String, options: ListenerOptions, transports: TransportRegistry, codec: any PayloadCodec
    ) -> SessionTimers {
        let merged = options.merged(forTransport: name, defaults: transports[name]?.descriptor.defaults)
        return SessionTimers(
            heartbeatInterval: codec.heartbeatFrame(1) == nil ? nil : merged.heartbeatInterval,
            heartbeatTimeout: merged.timeout ?? options.timeout,
            closeTimeout: merged.closeTimeout ?? options.timeout,
            pollDuration: merged.duration
        )
    }

    /// A transport's options: the spec's defaults with the listener's `transportOptions` over them.
    public func options(forTransport name: String) -> TransportOptions {
        options.merged(forTransport: name, defaults: transports[name]?.descriptor.defaults)
    }

    /// Whether a request with this `Origin` header may use the listener (docs/protocol.md §6).
    public func allowsOrigin(_ origin: String?) -> Bool {
        OriginPolicy(patterns: options.origins).allows(origin)
    }
}

/// A listener could not be created as configured.
public enum ListenerError: Error, Equatable, CustomStringConvertible {
    /// The options name a transport that is not linked into this server.
    case unknownTransport(String)

    public var description: String {
        switch self {
        case .unknownTransport(let name): return "unknown transport '\(name)'"
        }
    }
}

extension ListenerOptions {
    /// A transport's options: `defaults` (its spec's) with `transportOptions[name]` over them.
    func merged(forTransport name: String, defaults: TransportOptions?) -> TransportOptions {
        var merged = defaults ?? TransportOptions()
        if let overrides = transportOptions[name] { merged.override(with: overrides) }
        return merged
    }
}
