import Logging
import NIOConcurrencyHelpers
import NIOCore
import Synchronization

/// One session on the server, as the application sees it.
///
/// A client lives on one event loop; its state changes happen there. Its methods may be called
/// from any thread.
///
/// ```swift
/// listener.on(.clientConnect) { client in
///     client.send("welcome")
///     client.broadcast("someone joined")
/// }
/// ```
public final class Client: SessionHandle, LoopTimerOwner, @unchecked Sendable {
    /// The session id, sent to the client as the first message.
    public let sessionId: String
    /// The listener this client belongs to.
    public let listener: Listener
    /// The event loop this session lives on.
    public let eventLoop: any EventLoop

    // Confined to `eventLoop`.
    private var machine: SessionStateMachine
    private var attached = AttachedConnections()
    /// The last `isOpen` written to `status` (it is read under a lock from other threads).
    private var publishedOpen = false
    /// The deadline this session waits for in its loop's ``LoopTimers``.
    package private(set) var armedDeadline: NIODeadline?
    private let timers: LoopTimers
    // Readable from any thread.
    /// Whether the session's payloads carry acknowledged delivery's control frames (set once).
    private let acknowledgedMode = Atomic<Bool>(false)
    private let status = NIOLockedValueBox(Status())

    struct Status {
        var connected = true
        var open = false
        var connections = 0
        var transport: String?
        /// This client's event handlers, under the status lock (a lock and a box of their own would be two more allocations per session).
        var handlers = ClientEventHandlers()
    }

    init(sessionId: String, listener: Listener, eventLoop: any EventLoop, codec: any PayloadCodec) {
        self.sessionId = sessionId
        self.listener = listener
        self.eventLoop = eventLoop
        self.timers = listener.loopTimers(for: eventLoop)
        self.machine = SessionStateMachine(
            sessionId: sessionId,
            codec: codec,
            limits: .init(
                maxMessages: listener.options.maxBufferedMessages,
                maxBytes: listener.options.maxBufferedBytes
            ),
            // A session whose connection never attaches (a hixie-76 client that left before its
            // key bytes) ends like one whose connection left: after the listener's timeout, but
            // never sooner than 10 s, which a slow network needs between a head and its key bytes.
            handshakeDeadline: eventLoop.now + max(listener.options.timeout, .seconds(10))
        )
        // Next tick: by then the connection that created the session has usually attached and
        // its own deadlines are the ones to keep.
        eventLoop.execute { self.rescheduleTimer() }
    }

    // MARK: Public API

    /// Whether the session is connected: from its handshake until it is disconnected.
    public var connected: Bool { status.withLockedValue { $0.connected } }

    /// Whether a transport connection can take a write right now (otherwise sends are queued).
    public var isOpen: Bool { status.withLockedValue { $0.open } }

    /// How many transport connections this session has had.
    public var connections: Int { status.withLockedValue { $0.connections } }

    /// The transport of the most recent connection, e.g. `xhr-polling`.
    public var transport: String? { status.withLockedValue { $0.transport } }

    /// Sends a message: at once when a connection is open, otherwise queued for the next one.
    public func send(_ message: Message) {
        sendEncoded([listener.codec.frame(message)])
    }

    /// Sends a string message.
    public func send(_ text: String) {
        send(.text(text))
    }

    /// Sends several messages; they leave together when they have to wait.
    public func send(_ messages: [Message]) {
        sendEncoded(messages.map(listener.codec.frame))
    }

    /// Sends a JSON object (`~j~` in the framed codec).
    public func send(json object: [String: JSONValue]) {
        send(.json(object))
    }

    /// Sends a message to every other connected client.
    public func broadcast(_ message: Message) {
        listener.broadcast(message, except: [sessionId])
    }

    /// Sends a message to every other member of `room` (this client need not be one).
    public func broadcast(_ message: Message, to room: String) {
        listener.broadcast(message, to: room, except: [sessionId])
    }

    // MARK: Rooms

    /// Joins a room; the membership ends with the session (or ``leave(_:)``).
    public func join(_ room: String) {
        listener.join(self, room)
    }

    /// Leaves a room.
    public func leave(_ room: String) {
        listener.leave(self, room)
    }

    /// The rooms this client is in.
    public var rooms: Set<String> {
        listener.rooms(of: self)
    }

    /// Ends the session now and closes its connection.
    public func disconnect() {
        onLoop { $0.perform($0.machine.disconnect(.serverDisconnect)) }
    }

    /// Ends the session because the server is shutting down (docs/protocol.md §9.8): a held poll
    /// is answered, a stream ends, a WebSocket closes with 1001 (going away).
    public func shutdown() {
        onLoop { $0.perform($0.machine.disconnect(.listenerShutdown), goingAway: true) }
    }

    /// Adds a handler for one of this client's events; keep the result to remove it.
    @discardableResult
    public func on<Handler>(_ event: ClientEvent<Handler>, _ handler: Handler) -> Subscription {
        status.withLockedValue { $0.handlers.add(handler, to: event.handlers) }
    }

    /// Removes a handler added with ``on(_:_:)``.
    public func removeListener(_ subscription: Subscription) {
        status.withLockedValue { $0.handlers.remove(subscription.id) }
    }

    // MARK: Transports

    /// A transport connection arrives for this session; it receives what is queued, or the handshake.
    /// - Parameter acknowledged: the `ack=<n>` of the connection's request, when it has one
    ///   (acknowledged delivery, docs/protocol.md §11; `TransportURL.acknowledged(in:)` reads it).
    /// - Returns: the connection's id, to ``detach(_:)`` it when it closes.
    @discardableResult
    public func attach(_ connection: any SessionConnection, style: ConnectionStyle, acknowledged: Int? = nil) -> ConnectionID {
        let id = ConnectionID.next()
        attach(connection, id: id, style: style, acknowledged: acknowledged)
        return id
    }

    /// Attaches a connection under an id the caller made (``ConnectionID/next()``).
    func attach(_ connection: any SessionConnection, id: ConnectionID, style: ConnectionStyle, acknowledged: Int?) {
        let timers = listener.timers(forTransport: connection.transportName)
        onLoop { client in
            client.attached[id] = connection
            let previous = client.status.withLockedValue { status in
                defer {
                    status.connections += 1
                    status.transport = connection.transportName
                }
                return status.transport
            }
            client.listener.metrics.sessionMoved(from: previous, to: connection.transportName)
            client.log(.trace, "connection attached", ["transport": "\(connection.transportName)"])
            let actions = client.machine.attach(id, style: style, timers: timers, acknowledged: acknowledged, now: client.eventLoop.now)
            // Before the handshake goes out, so that the client's first POST is read in this mode.
            if client.machine.isAcknowledged { client.acknowledgedMode.store(true, ordering: .relaxed) }
            if !actions.contains(.reject(id)) { connection.accepted() }
            client.perform(actions)
        }
    }

    /// A transport connection closed; the grace starts when it was the open one.
    public func detach(_ id: ConnectionID) {
        onLoop { client in
            guard client.attached.removeValue(forKey: id) != nil else { return }
            client.perform(client.machine.detach(id, now: client.eventLoop.now))
        }
    }

    /// A persistent connection's writability changed (NIO's `channelWritabilityChanged`): while
    /// its unflushed bytes are above their high-water mark, the session queues instead of writing.
    public func writabilityChanged(_ id: ConnectionID, isWritable: Bool) {
        onLoop { $0.perform($0.machine.writabilityChanged(id, isWritable: isWritable)) }
    }

    /// A payload arrived from the client. It is decoded at once (the result tells whether it was
    /// valid) and its frames are handled on the session's loop, in order. A payload that decodes
    /// may still be refused whole by the session (acknowledged delivery, docs/protocol.md §11.2):
    /// `verdict`, when given, says so on the session's loop (not called when the payload did not
    /// decode).
    @discardableResult
    public func receive(payload: String, verdict: (@Sendable (PayloadVerdict) -> Void)? = nil) -> DecodedPayload {
        let decoded =
            acknowledgedMode.load(ordering: .relaxed)
            ? listener.codec.decodeAcknowledged(payload) ?? listener.codec.decode(payload) : listener.codec.decode(payload)
        for warning in decoded.warnings { log(.warning, "\(warning)") }
        if let problem = decoded.problem {
            log(.warning, "bad payload from client: \(problem)")
        }
        if !decoded.frames.isEmpty {
            let frames = decoded.frames
            // On the session's loop (a WebSocket's usually is) without a closure: once per message.
            if eventLoop.inEventLoop {
                receiveOnLoop(frames, verdict: verdict)
            } else {
                eventLoop.execute { self.receiveOnLoop(frames, verdict: verdict) }
            }
        } else if decoded.problem == nil {
            verdict?(.taken)
        }
        return decoded
    }

    private func receiveOnLoop(_ frames: [InboundFrame], verdict: (@Sendable (PayloadVerdict) -> Void)?) {
        if let refusal = machine.refusal(of: frames) {
            log(.warning, "payload refused: \(refusal)")
            verdict?(.refused(refusal))
            return
        }
        perform(machine.receive(frames, now: eventLoop.now))
        verdict?(.taken)
    }

    /// Sends frames the codec already encoded.
    func sendEncoded(_ frames: [String]) {
        listener.metrics.sent.increment(by: frames.count)
        // Without a closure when on the session's loop: an echo sends from there.
        if eventLoop.inEventLoop {
            perform(machine.send(frames, now: eventLoop.now))
        } else {
            eventLoop.execute { self.perform(self.machine.send(frames, now: self.eventLoop.now)) }
        }
    }

    /// Sends a frame encoded once for many sessions (a broadcast). Call on the session's loop.
    func sendSharedOnLoop(_ frame: SharedFrame) {
        eventLoop.assertInEventLoop()
        perform(machine.send(frames: [.shared(frame)], now: eventLoop.now))
    }

    // MARK: Driving the machine

    /// Logs through the listener's logger with this session's id (kept out of the session's
    /// memory: a logger per session would cost hundreds of bytes each).
    private func log(_ level: Logger.Level, _ message: Logger.Message, _ metadata: @autoclosure () -> Logger.Metadata = [:]) {
        guard listener.logger.logLevel <= level else { return }
        var metadata = metadata()
        metadata["sid"] = "\(sessionId)"
        listener.logger.log(level: level, message, metadata: metadata)
    }

    private func onLoop(_ body: @escaping @Sendable (Client) -> Void) {
        eventLoop.runOnLoop { body(self) }
    }

    private func perform(_ actions: [SessionStateMachine.Action], goingAway: Bool = false) {
        for action in actions {
            switch action {
            case .write(let id, let payload):
                attached[id]?.write(payload)
            case .complete(let id, let payload):
                attached.removeValue(forKey: id)?.complete(payload)
            case .close(let id):
                attached.removeValue(forKey: id)?.close(goingAway: goingAway)
            case .reject(let id):
                attached.removeValue(forKey: id)?.reject()
            case .connected:
                listener.metrics.opened.increment()
                log(.debug, "session opened", ["transport": "\(status.withLockedValue { $0.transport } ?? "")"])
                listener.emitConnected(self)
            case .deliver(let messages):
                listener.metrics.received.increment(by: messages.count)
                let handlers = status.withLockedValue { $0.handlers }
                for message in messages {
                    handlers.emitMessage(message)
                    listener.emitMessage(message, from: self)
                }
            case .disconnected(let reason):
                finish(reason)
            }
        }
        let open = machine.isOpen
        if open != publishedOpen {
            publishedOpen = open
            status.withLockedValue { $0.open = open }
        }
        rescheduleTimer()
    }

    private func finish(_ reason: DisconnectReason) {
        let transport = status.withLockedValue { status in
            status.connected = false
            return status.transport
        }
        listener.metrics.sessionMoved(from: transport, to: nil)
        listener.metrics.closed(reason)
        for connection in attached.values { connection.close() }
        attached.removeAll()
        // A session the server had to drop is worth a warning (docs/protocol.md §5); the others are routine.
        log(reason == .queueOverflow ? .warning : .debug, "session closed", ["reason": "\(reason)"])
        listener.remove(self)
        // The handlers still see the session's rooms (``rooms``); nothing more reaches it.
        status.withLockedValue { $0.handlers }.emitDisconnect(reason)
        listener.emitDisconnected(self, reason: reason)
        listener.leaveAllRooms(self)
    }

    private func rescheduleTimer() {
        let deadline = machine.nextDeadline
        guard deadline != armedDeadline else { return }
        let old = armedDeadline
        armedDeadline = deadline
        timers.rearm(self, from: old, to: deadline)
    }

    /// The deadline this session armed has come (``LoopTimers``).
    package func timerFired() {
        armedDeadline = nil
        let actions = machine.tick(now: eventLoop.now)
        // A tick closes a connection only when its heartbeat went unanswered.
        if actions.contains(where: { if case .close = $0 { return true } else { return false } }) {
            listener.metrics.heartbeatTimeouts.increment()
        }
        perform(actions)
    }
}

/// A session's attached connections by id: one inline (a session rarely has more), the others in
/// a dictionary that allocates only when used.
struct AttachedConnections {
    private var first: (id: ConnectionID, connection: any SessionConnection)?
    private var others: [ConnectionID: any SessionConnection] = [:]

    subscript(id: ConnectionID) -> (any SessionConnection)? {
        get { first?.id == id ? first?.connection : others[id] }
        set {
            if first?.id == id || (first == nil && newValue != nil) {
                first = newValue.map { (id, $0) }
            } else {
                others[id] = newValue
            }
        }
    }

    /// Removes the connection with `id`; the one removed.
    mutating func removeValue(forKey id: ConnectionID) -> (any SessionConnection)? {
        guard first?.id == id else { return others.removeValue(forKey: id) }
        defer { first = nil }
        return first?.connection
    }

    /// Every attached connection.
    var values: [any SessionConnection] {
        (first.map { [$0.connection] } ?? []) + others.values
    }

    mutating func removeAll() {
        first = nil
        others = [:]
    }
}
