import NIOCore

/// Identifies one transport connection of a session.
public typealias ConnectionID = ObjectIdentifier

/// Whether a connection carries many payloads or answers one poll.
public enum ConnectionStyle: Sendable, Hashable {
    /// A WebSocket or a stream: every payload is one write, heartbeats apply.
    case persistent
    /// A held poll: the first payload completes it.
    case poll
}

/// The timers of one transport connection (docs/protocol.md §4).
public struct SessionTimers: Sendable, Hashable {
    /// Wait after the last heartbeat cycle before the next `~h~`; nil for no heartbeats.
    public var heartbeatInterval: TimeAmount?
    /// Wait for the echo of a heartbeat before closing the connection.
    public var heartbeatTimeout: TimeAmount
    /// Grace after the session's last connection closes.
    public var closeTimeout: TimeAmount
    /// How long a poll is held when nothing is queued; nil for persistent connections.
    public var pollDuration: TimeAmount?

    public init(
        heartbeatInterval: TimeAmount? = nil,
        heartbeatTimeout: TimeAmount = .seconds(8),
        closeTimeout: TimeAmount = .seconds(8),
        pollDuration: TimeAmount? = nil
    ) {
        self.heartbeatInterval = heartbeatInterval
        self.heartbeatTimeout = heartbeatTimeout
        self.closeTimeout = closeTimeout
        self.pollDuration = pollDuration
    }
}

/// A frame on its way to a client, before the codec writes it.
public enum OutboundFrame: Sendable, Hashable {
    /// The session id; the first frame of every session.
    case handshake
    /// Heartbeat number n.
    case heartbeat(Int)
    /// An application message already encoded by the codec.
    case encoded(String)
    /// A message encoded once for many sessions (a broadcast).
    case shared(SharedFrame)

    /// The frame's text, as the codec wrote it (nil for the frames the codec writes per session).
    var text: String? {
        switch self {
        case .encoded(let text): return text
        case .shared(let frame): return frame.text
        case .handshake, .heartbeat: return nil
        }
    }
}

/// The life of one session as a pure state machine (docs/protocol.md §1, §4, §5).
///
/// It owns the queue, the open connection, the grace and the heartbeats; it performs no I/O.
/// Every event takes the current time and returns the actions the driver must perform, in order.
/// ``nextDeadline`` tells the driver when to call ``tick(now:)``.
public struct SessionStateMachine: Sendable {
    public enum Action: Sendable, Hashable {
        /// Write one payload on a persistent connection.
        case write(ConnectionID, [OutboundFrame])
        /// Answer a poll with one payload (possibly empty); the connection is no longer the session's.
        case complete(ConnectionID, [OutboundFrame])
        /// Close this connection.
        case close(ConnectionID)
        /// Refuse a connection that came for a session that is over.
        case reject(ConnectionID)
        /// Hand these messages from the client to the application.
        case deliver([Message])
        /// The session is over: tell the application and forget it.
        case disconnected(DisconnectReason)
    }

    /// Where the session is in its life.
    public enum Phase: Sendable, Hashable {
        /// Created; the SID has not been sent yet.
        case new
        /// The SID was sent; the session lives until the grace expires or it is disconnected.
        case connected
        case disconnected(DisconnectReason)
    }

    /// Bounds on what may wait for the client.
    public struct Limits: Sendable, Hashable {
        public var maxMessages: Int
        public var maxBytes: Int
        public init(maxMessages: Int, maxBytes: Int) {
            self.maxMessages = maxMessages
            self.maxBytes = maxBytes
        }
    }

    struct OpenConnection: Sendable, Hashable {
        var id: ConnectionID
        var style: ConnectionStyle
        var timers: SessionTimers
        var pollDeadline: NIODeadline?
        var nextHeartbeat: NIODeadline?
        var awaitedEcho: Int?
        var echoDeadline: NIODeadline?
    }

    public private(set) var phase: Phase = .new
    private(set) var open: OpenConnection?
    /// Frames waiting for the next connection.
    public private(set) var queue: [OutboundFrame] = []
    private var queuedBytes = 0
    private var graceDeadline: NIODeadline?
    private var lastTimers = SessionTimers()
    private var heartbeatCount = 0
    let limits: Limits

    public init(limits: Limits) {
        self.limits = limits
    }

    /// Whether a connection can take a write right now.
    public var isOpen: Bool { open != nil }

    /// Whether the session is connected (from its handshake until it is disconnected).
    public var isConnected: Bool {
        if case .disconnected = phase { return false }
        return true
    }

    /// The id of the connection that is open now.
    public var openConnection: ConnectionID? { open?.id }

    /// The earliest time at which ``tick(now:)`` has something to do.
    public var nextDeadline: NIODeadline? {
        guard isConnected else { return nil }
        return [graceDeadline, open?.pollDeadline, open?.nextHeartbeat, open?.echoDeadline]
            .compactMap { $0 }.min()
    }

    /// A transport connection arrives for this session (the first one makes the handshake).
    public mutating func attach(
        _ id: ConnectionID,
        style: ConnectionStyle,
        timers: SessionTimers,
        now: NIODeadline
    ) -> [Action] {
        guard isConnected else { return [.reject(id)] }
        var actions: [Action] = []
        if let old = open {
            actions.append(old.style == .poll ? .complete(old.id, []) : .close(old.id))
            open = nil
        }
        graceDeadline = nil
        lastTimers = timers

        var frames: [OutboundFrame] = []
        let isHandshake = phase == .new
        if isHandshake {
            phase = .connected
            frames.append(.handshake)
        }
        // The handshake poll carries the SID alone (docs/protocol.md §5); everything else flushes the queue.
        if !(isHandshake && style == .poll) {
            frames += queue
            queue.removeAll()
            queuedBytes = 0
        }

        switch style {
        case .persistent:
            if !frames.isEmpty { actions.append(.write(id, frames)) }
            open = OpenConnection(
                id: id,
                style: .persistent,
                timers: timers,
                nextHeartbeat: timers.heartbeatInterval.map { now + $0 }
            )
        case .poll:
            if frames.isEmpty {
                open = OpenConnection(
                    id: id,
                    style: .poll,
                    timers: timers,
                    pollDeadline: timers.pollDuration.map { now + $0 }
                )
            } else {
                actions.append(.complete(id, frames))
                graceDeadline = now + timers.closeTimeout
            }
        }
        return actions
    }

    /// A transport connection closed (the peer left, or the poll's HTTP connection dropped).
    public mutating func detach(_ id: ConnectionID, now: NIODeadline) -> [Action] {
        guard isConnected, open?.id == id else { return [] }
        open = nil
        graceDeadline = now + lastTimers.closeTimeout
        return []
    }

    /// The application sends encoded messages.
    public mutating func send(_ messages: [String], now: NIODeadline) -> [Action] {
        send(frames: messages.map(OutboundFrame.encoded), now: now)
    }

    /// The application sends frames: written at once when a connection is open, queued otherwise.
    public mutating func send(frames: [OutboundFrame], now: NIODeadline) -> [Action] {
        guard isConnected, !frames.isEmpty else { return [] }
        if let connection = open {
            switch connection.style {
            case .persistent:
                return [.write(connection.id, frames)]
            case .poll:
                open = nil
                graceDeadline = now + lastTimers.closeTimeout
                return [.complete(connection.id, frames)]
            }
        }
        queue += frames
        queuedBytes += frames.reduce(0) { $0 + ($1.text?.utf8.count ?? 0) }
        if queue.count > limits.maxMessages || queuedBytes > limits.maxBytes {
            return disconnect(.queueOverflow)
        }
        return []
    }

    /// Frames arrived from the client; heartbeat echoes are matched, messages are delivered in order.
    public mutating func receive(_ frames: [InboundFrame], now: NIODeadline) -> [Action] {
        guard isConnected else { return [] }
        var messages: [Message] = []
        for frame in frames {
            switch frame {
            case .message(let message):
                messages.append(message)
            case .heartbeat(let n):
                guard var connection = open, connection.awaitedEcho == n else { continue }
                connection.awaitedEcho = nil
                connection.echoDeadline = nil
                connection.nextHeartbeat = connection.timers.heartbeatInterval.map { now + $0 }
                open = connection
            }
        }
        return messages.isEmpty ? [] : [.deliver(messages)]
    }

    /// Time passed; acts on whichever deadline is due.
    public mutating func tick(now: NIODeadline) -> [Action] {
        guard isConnected else { return [] }
        if let grace = graceDeadline, now >= grace {
            return disconnect(.closeTimeout)
        }
        guard var connection = open else { return [] }
        if let deadline = connection.echoDeadline, now >= deadline {
            open = nil
            graceDeadline = now + lastTimers.closeTimeout
            return [.close(connection.id)]
        }
        if let deadline = connection.pollDeadline, now >= deadline {
            open = nil
            graceDeadline = now + lastTimers.closeTimeout
            return [.complete(connection.id, [])]
        }
        if let due = connection.nextHeartbeat, now >= due {
            heartbeatCount += 1
            connection.nextHeartbeat = nil
            connection.awaitedEcho = heartbeatCount
            connection.echoDeadline = now + connection.timers.heartbeatTimeout
            open = connection
            return [.write(connection.id, [.heartbeat(heartbeatCount)])]
        }
        return []
    }

    /// Ends the session now: drops the queue and closes what is open.
    public mutating func disconnect(_ reason: DisconnectReason) -> [Action] {
        guard isConnected else { return [] }
        phase = .disconnected(reason)
        queue.removeAll()
        queuedBytes = 0
        graceDeadline = nil
        var actions: [Action] = []
        if let connection = open {
            actions.append(.close(connection.id))
            open = nil
        }
        actions.append(.disconnected(reason))
        return actions
    }
}
