import NIOCore
import Synchronization

/// Identifies one transport connection of a session: a plain number, unique in the process.
public struct ConnectionID: Sendable, Hashable, CustomStringConvertible {
    public let rawValue: UInt64

    public init(_ rawValue: UInt64) {
        self.rawValue = rawValue
    }

    private static let counter = Atomic<UInt64>(0)

    /// A new id, never handed out before in this process.
    public static func next() -> ConnectionID {
        ConnectionID(counter.add(1, ordering: .relaxed).newValue)
    }

    public var description: String { "#\(rawValue)" }
}

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

/// An application message on its way to a client, encoded by the codec.
public enum OutboundFrame: Sendable, Hashable {
    /// Encoded for this session alone.
    case encoded(String)
    /// Encoded once for many sessions (a broadcast).
    case shared(SharedFrame)

    /// The frame's text, as the codec wrote it.
    public var text: String {
        switch self {
        case .encoded(let text): return text
        case .shared(let frame): return frame.text
        }
    }
}

/// One write to a client: a whole payload of the codec, numbered.
public struct OutboundPayload: Sendable, Hashable {
    public enum Body: Sendable, Hashable {
        /// The payload's text, encoded for this session.
        case text(String)
        /// A payload that carries exactly one broadcast frame: the same bytes for every session.
        case shared(SharedFrame)
    }

    public var body: Body
    /// The session's count of non-empty payloads, this one included (server-events' `id`).
    public var sequence: Int

    public init(_ body: Body, sequence: Int) {
        self.body = body
        self.sequence = sequence
    }

    /// The payload as text.
    public var text: String {
        switch body {
        case .text(let text): return text
        case .shared(let frame): return frame.payloadText
        }
    }

}

/// The life of one session as a pure state machine (docs/protocol.md §1, §4, §5).
///
/// It owns the protocol of a session: the handshake, the queue, the open connection, the grace,
/// the heartbeats, the payloads' numbers and their encoding; it performs no I/O. Every event
/// takes the current time and returns the actions the driver must perform, in order.
/// ``nextDeadline`` tells the driver when to call ``tick(now:)``.
public struct SessionStateMachine: Sendable {
    public enum Action: Sendable, Hashable {
        /// Write one payload on a persistent connection.
        case write(ConnectionID, OutboundPayload)
        /// Answer a poll with one payload (possibly empty); the connection is no longer the session's.
        case complete(ConnectionID, OutboundPayload)
        /// Close this connection.
        case close(ConnectionID)
        /// Refuse a connection that came for a session that is over.
        case reject(ConnectionID)
        /// The handshake went out: the session is connected; tell the application.
        case connected
        /// Hand these messages from the client to the application.
        case deliver([Message])
        /// The session is over: tell the application and forget it.
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

    /// Frames waiting for the next connection, with their size.
    struct Queue: Sendable, Hashable {
        var frames: [OutboundFrame] = []
        var bytes = 0

        mutating func append(_ more: [OutboundFrame]) {
            frames += more
            bytes += more.reduce(0) { $0 + $1.text.utf8.count }
        }

        mutating func removeFirst(_ count: Int) {
            bytes -= frames.prefix(count).reduce(0) { $0 + $1.text.utf8.count }
            frames.removeFirst(count)
        }

        func exceeds(_ limits: Limits) -> Bool {
            frames.count > limits.maxMessages || bytes > limits.maxBytes
        }
    }

    /// A heartbeat whose echo is awaited.
    struct AwaitedEcho: Sendable, Hashable {
        var number: Int
        var deadline: NIODeadline
    }

    /// The connection that takes writes now.
    struct OpenConnection: Sendable, Hashable {
        var id: ConnectionID
        var style: ConnectionStyle
        var timers: SessionTimers
        /// When a held poll is answered empty.
        var pollDeadline: NIODeadline?
        /// When the next heartbeat goes out (none while an echo is awaited).
        var nextHeartbeat: NIODeadline?
        var awaitedEcho: AwaitedEcho?

        /// The earliest of this connection's deadlines.
        var nextDeadline: NIODeadline? {
            // Asked after every event: no array for three optionals.
            func earlier(_ a: NIODeadline?, _ b: NIODeadline?) -> NIODeadline? {
                guard let a else { return b }
                guard let b else { return a }
                return min(a, b)
            }
            return earlier(earlier(pollDeadline, nextHeartbeat), awaitedEcho?.deadline)
        }
    }

    enum State: Sendable, Hashable {
        /// Created; the SID has not been sent. What the application sends waits; a session that
        /// gets no connection by the deadline ends (its creator went away before attaching).
        case new(Queue, deadline: NIODeadline?)
        /// A connection takes writes now; nothing waits.
        case open(OpenConnection)
        /// A connection is attached, but its unflushed bytes passed their high-water mark (a slow
        /// or stalled reader): frames wait, counted against the limits, until it drains.
        case blocked(OpenConnection, Queue)
        /// No connection: frames wait until one comes back, or the grace ends the session.
        case waiting(Queue, graceDeadline: NIODeadline)
        case disconnected(DisconnectReason)
    }

    /// The session id, the first frame of every session.
    public let sessionId: String
    let codec: any PayloadCodec
    let limits: Limits
    private(set) var state: State
    /// Payloads written so far (each non-empty payload takes the next number).
    private var payloadCount = 0
    /// Heartbeats sent so far.
    private var heartbeatCount = 0
    /// Acknowledged delivery, when the client asked for it (docs/protocol.md §11).
    private(set) var delivery: Delivery?

    /// Whether the client asked for acknowledged delivery (docs/protocol.md §11): its payloads
    /// carry `~a~` and `~b~` control frames.
    public var isAcknowledged: Bool { delivery != nil }

    /// - Parameter handshakeDeadline: when the session ends if no connection has attached by then.
    public init(sessionId: String, codec: any PayloadCodec, limits: Limits, handshakeDeadline: NIODeadline? = nil) {
        self.sessionId = sessionId
        self.codec = codec
        self.limits = limits
        self.state = .new(Queue(), deadline: handshakeDeadline)
    }

    /// Whether a connection can take a write right now.
    public var isOpen: Bool {
        if case .open = state { return true }
        return false
    }

    /// Whether the session is connected (from its creation until it is disconnected).
    public var isConnected: Bool {
        if case .disconnected = state { return false }
        return true
    }

    /// The id of the connection attached now (open, or blocked by a slow reader).
    public var openConnection: ConnectionID? {
        switch state {
        case .open(let connection), .blocked(let connection, _): return connection.id
        case .new, .waiting, .disconnected: return nil
        }
    }

    /// The frames waiting for the next connection.
    public var queued: [OutboundFrame] {
        switch state {
        case .new(let queue, _), .waiting(let queue, _), .blocked(_, let queue): return queue.frames
        case .open, .disconnected: return []
        }
    }

    /// The earliest time at which ``tick(now:)`` has something to do.
    public var nextDeadline: NIODeadline? {
        switch state {
        case .disconnected: return nil
        case .new(_, let deadline): return deadline
        case .open(let connection), .blocked(let connection, _): return connection.nextDeadline
        case .waiting(_, let grace): return grace
        }
    }

    // MARK: Events

    /// A transport connection arrives for this session (the first one makes the handshake).
    /// - Parameter acknowledged: the `ack=<n>` of the connection's request: how many messages the
    ///   client has (docs/protocol.md §11). On the first connection it asks for acknowledged delivery.
    public mutating func attach(
        _ id: ConnectionID, style: ConnectionStyle, timers: SessionTimers, acknowledged: Int? = nil, now: NIODeadline
    ) -> [Action] {
        var actions: [Action] = []
        let queue: Queue
        if let acknowledged { delivery?.acknowledge(acknowledged) }
        switch state {
        case .disconnected:
            return [.reject(id)]
        case .new(let waiting, _):
            if acknowledged != nil { delivery = Delivery() }
            // The handshake poll carries the SID alone (docs/protocol.md §5); a socket or a
            // stream takes what waits after it.
            if style == .poll {
                state = .waiting(waiting, graceDeadline: now + timers.closeTimeout)
                return [.complete(id, payload(handshake: true, [])), .connected]
            }
            state = .open(OpenConnection(id: id, style: style, timers: timers, nextHeartbeat: timers.heartbeatInterval.map { now + $0 }))
            return [.write(id, payload(handshake: true, waiting.frames)), .connected]
        case .open(let old):
            actions.append(old.style == .poll ? .complete(old.id, emptyPayload) : .close(old.id))
            queue = Queue()
        case .blocked(let old, let waiting):
            actions.append(.close(old.id))
            queue = waiting
        case .waiting(let waiting, _):
            queue = waiting
        }
        // What the client has not acknowledged is written again first (docs/protocol.md §11); a
        // socket or stream of an acknowledged session always gets a first payload, `~a~` at least,
        // so the client knows it is attached and what the session has of its messages.
        let pending = !queue.frames.isEmpty || delivery?.retained.frames.isEmpty == false
        switch style {
        case .persistent:
            if pending || delivery != nil { actions.append(.write(id, payload(replaying: queue))) }
            state = .open(OpenConnection(id: id, style: style, timers: timers, nextHeartbeat: timers.heartbeatInterval.map { now + $0 }))
        case .poll:
            if !pending {
                state = .open(OpenConnection(id: id, style: style, timers: timers, pollDeadline: timers.pollDuration.map { now + $0 }))
            } else {
                actions.append(.complete(id, payload(replaying: queue)))
                state = .waiting(Queue(), graceDeadline: now + timers.closeTimeout)
            }
        }
        return actions + overflowCheck()
    }

    /// A transport connection closed (the peer left, or the poll's HTTP connection dropped).
    public mutating func detach(_ id: ConnectionID, now: NIODeadline) -> [Action] {
        switch state {
        case .open(let connection) where connection.id == id:
            state = .waiting(Queue(), graceDeadline: now + connection.timers.closeTimeout)
        case .blocked(let connection, let queue) where connection.id == id:
            state = .waiting(queue, graceDeadline: now + connection.timers.closeTimeout)
        default:
            break
        }
        return []
    }

    /// A persistent connection's unflushed bytes passed their high-water mark (`isWritable` false),
    /// or fell back below the low one (true). While it cannot take writes, frames wait in the
    /// queue, within the limits; when it can again, they leave as one payload.
    public mutating func writabilityChanged(_ id: ConnectionID, isWritable: Bool) -> [Action] {
        switch state {
        case .open(let connection) where connection.id == id && !isWritable && connection.style == .persistent:
            state = .blocked(connection, Queue())
            return []
        case .blocked(let connection, let queue) where connection.id == id && isWritable:
            state = .open(connection)
            return queue.frames.isEmpty ? [] : withOverflowCheck(.write(id, payload(queue.frames)))
        default:
            return []
        }
    }

    /// The application sends encoded messages.
    public mutating func send(_ messages: [String], now: NIODeadline) -> [Action] {
        send(frames: messages.map(OutboundFrame.encoded), now: now)
    }

    /// The application sends frames: written at once when a connection is open, queued otherwise.
    public mutating func send(frames: [OutboundFrame], now: NIODeadline) -> [Action] {
        guard !frames.isEmpty else { return [] }
        switch state {
        case .disconnected:
            return []
        case .open(let connection):
            switch connection.style {
            case .persistent:
                return withOverflowCheck(.write(connection.id, payload(frames)))
            case .poll:
                state = .waiting(Queue(), graceDeadline: now + connection.timers.closeTimeout)
                return withOverflowCheck(.complete(connection.id, payload(frames)))
            }
        case .new(var queue, let deadline):
            queue.append(frames)
            state = .new(queue, deadline: deadline)
            return overflows(queue) ? disconnect(.queueOverflow) : []
        case .waiting(var queue, let grace):
            queue.append(frames)
            state = .waiting(queue, graceDeadline: grace)
            return overflows(queue) ? disconnect(.queueOverflow) : []
        case .blocked(let connection, var queue):
            queue.append(frames)
            state = .blocked(connection, queue)
            return overflows(queue) ? disconnect(.queueOverflow) : []
        }
    }

    /// Why a payload from the client must be refused whole in acknowledged mode (docs/protocol.md
    /// §11.2): a base beyond the messages received would leave a gap, and an acknowledgement beyond
    /// the messages written acknowledges what was never sent. Nil when the payload may be taken.
    public func refusal(of frames: [InboundFrame]) -> String? {
        guard let delivery else { return nil }
        let written = delivery.acked + delivery.retained.frames.count
        var received = delivery.received
        var cursor = received
        for frame in frames {
            switch frame {
            case .base(let n):
                guard n <= received else { return "base \(n) beyond the \(received) messages received" }
                cursor = n
            case .message:
                cursor += 1
                received = max(received, cursor)
            case .acknowledge(let n):
                guard n <= written else { return "acknowledgement of \(n) messages, \(written) written" }
            case .heartbeat:
                break
            }
        }
        return nil
    }

    /// Frames arrived from the client; heartbeat echoes are matched, messages are delivered in order.
    /// In acknowledged mode (docs/protocol.md §11) messages the session already has are dropped,
    /// `~a~` releases what the client has, and an open socket or stream is told what arrived; a
    /// payload with a ``refusal(of:)`` changes nothing.
    public mutating func receive(_ frames: [InboundFrame], now: NIODeadline) -> [Action] {
        guard isConnected, refusal(of: frames) == nil else { return [] }
        var messages: [Message] = []
        // The number of the message before the next one.
        var cursor = delivery?.received ?? 0
        var carriedMessages = false
        for frame in frames {
            switch frame {
            case .message(let message):
                carriedMessages = true
                cursor += 1
                guard var delivery else {
                    messages.append(message)
                    continue
                }
                if cursor > delivery.received {
                    delivery.received = cursor
                    self.delivery = delivery
                    messages.append(message)
                }
            case .heartbeat(let n):
                updateConnection { connection in
                    guard connection.awaitedEcho?.number == n else { return }
                    connection.awaitedEcho = nil
                    connection.nextHeartbeat = connection.timers.heartbeatInterval.map { now + $0 }
                }
            case .acknowledge(let n):
                delivery?.acknowledge(n)
            case .base(let n):
                cursor = n
            }
        }
        var actions: [Action] = messages.isEmpty ? [] : [.deliver(messages)]
        // Messages, new or repeated, are acknowledged at once on an open socket or stream.
        if carriedMessages, delivery != nil, case .open(let connection) = state, connection.style == .persistent {
            actions.append(.write(connection.id, payload([])))
        }
        return actions
    }

    /// Time passed; acts on whichever deadline is due.
    public mutating func tick(now: NIODeadline) -> [Action] {
        let connection: OpenConnection
        let queue: Queue
        switch state {
        case .new(_, let deadline):
            return deadline.map { now >= $0 } == true ? disconnect(.closeTimeout) : []
        case .disconnected:
            return []
        case .waiting(_, let grace):
            return now >= grace ? disconnect(.closeTimeout) : []
        case .open(let open):
            (connection, queue) = (open, Queue())
        case .blocked(let blocked, let waiting):
            (connection, queue) = (blocked, waiting)
        }
        let grace = now + connection.timers.closeTimeout
        if let echo = connection.awaitedEcho, now >= echo.deadline {
            // Closed even while data is pending: what waits stays for the next connection.
            state = .waiting(queue, graceDeadline: grace)
            return [.close(connection.id)]
        }
        if let deadline = connection.pollDeadline, now >= deadline {
            state = .waiting(queue, graceDeadline: grace)
            return [.complete(connection.id, emptyPayload)]
        }
        if let due = connection.nextHeartbeat, now >= due, let frame = codec.heartbeatFrame(heartbeatCount + 1) {
            // Written even to a blocked connection: a slow reader that is alive echoes it.
            heartbeatCount += 1
            let number = heartbeatCount
            updateConnection {
                $0.nextHeartbeat = nil
                $0.awaitedEcho = AwaitedEcho(number: number, deadline: now + $0.timers.heartbeatTimeout)
            }
            return [.write(connection.id, payload(heartbeat: frame, []))]
        }
        return []
    }

    /// Changes the attached connection, open or blocked, in place.
    private mutating func updateConnection(_ change: (inout OpenConnection) -> Void) {
        switch state {
        case .open(var connection):
            change(&connection)
            state = .open(connection)
        case .blocked(var connection, let queue):
            change(&connection)
            state = .blocked(connection, queue)
        case .new, .waiting, .disconnected:
            break
        }
    }

    /// Ends the session now: drops the queue and closes what is open.
    public mutating func disconnect(_ reason: DisconnectReason) -> [Action] {
        let open = openConnection
        guard isConnected else { return [] }
        state = .disconnected(reason)
        return (open.map { [.close($0)] } ?? []) + [.disconnected(reason)]
    }

    // MARK: Payloads

    /// What a poll that ended with nothing to carry is answered with.
    private var emptyPayload: OutboundPayload {
        OutboundPayload(.text(codec.payload([])), sequence: payloadCount)
    }

    /// The next payload: the handshake first when asked, then the frames; a lone broadcast frame
    /// keeps its shared bytes. In acknowledged mode (docs/protocol.md §11) it starts with
    /// `~a~<received>`, its messages follow `~b~<base>`, and they are retained until acknowledged.
    private mutating func payload(handshake: Bool = false, heartbeat: String? = nil, _ frames: [OutboundFrame]) -> OutboundPayload {
        payloadCount += 1
        guard var delivery else {
            if !handshake, heartbeat == nil, frames.count == 1, case .shared(let frame) = frames[0] {
                return OutboundPayload(.shared(frame), sequence: payloadCount)
            }
            var texts: [String] = []
            texts.reserveCapacity(frames.count + 2)
            if handshake { texts.append(codec.handshakeFrame(sessionId: sessionId)) }
            if let heartbeat { texts.append(heartbeat) }
            for frame in frames { texts.append(frame.text) }
            return OutboundPayload(.text(codec.payload(texts)), sequence: payloadCount)
        }
        var texts = handshake ? [codec.handshakeFrame(sessionId: sessionId)] : []
        texts += [codec.acknowledgeFrame(delivery.received)].compactMap { $0 }
        texts += heartbeat.map { [$0] } ?? []
        if !frames.isEmpty {
            texts += [codec.baseFrame(delivery.acked + delivery.retained.frames.count)].compactMap { $0 }
            texts += frames.map(\.text)
            delivery.retained.append(frames)
            self.delivery = delivery
        }
        return OutboundPayload(.text(codec.payload(texts)), sequence: payloadCount)
    }

    /// The first payload of a new connection: in acknowledged mode everything the client has not
    /// acknowledged, again, then `queue`; otherwise `queue`.
    private mutating func payload(replaying queue: Queue) -> OutboundPayload {
        guard var delivery, !delivery.retained.frames.isEmpty else { return payload(queue.frames) }
        let replay = delivery.retained
        delivery.retained = Queue()
        self.delivery = delivery
        // Retained again, from the same base: the payload renumbers nothing.
        return payload(replay.frames + queue.frames)
    }

    /// Whether what waits in `queue` passes the limits; what the client has not acknowledged counts
    /// against the bytes (the memory it holds), not the messages: a burst to a client that is
    /// reading, and acknowledging one round trip later, is not a queue.
    private func overflows(_ queue: Queue) -> Bool {
        let retainedBytes = delivery?.retained.bytes ?? 0
        return queue.frames.count > limits.maxMessages || queue.bytes + retainedBytes > limits.maxBytes
    }

    /// Ends the session when what the client has not acknowledged passes the limits.
    private mutating func overflowCheck() -> [Action] {
        overflows(Queue()) ? disconnect(.queueOverflow) : []
    }

    /// `action`, then the overflow check's (one array on every send: this is the hot path).
    private mutating func withOverflowCheck(_ action: Action) -> [Action] {
        let overflow = overflowCheck()
        return overflow.isEmpty ? [action] : [action] + overflow
    }
}

/// Acknowledged delivery (docs/protocol.md §11): what the client has not acknowledged yet, and how
/// many of its messages the session has received.
struct Delivery: Sendable, Hashable {
    /// The client has acknowledged messages 1 … acked.
    var acked = 0
    /// Messages written but not acknowledged, numbered acked + 1, acked + 2, …
    var retained = SessionStateMachine.Queue()
    /// Messages received from the client (numbered 1 … received).
    var received = 0

    /// The client has messages 1 … n: they are released.
    mutating func acknowledge(_ n: Int) {
        let count = min(max(0, n - acked), retained.frames.count)
        guard count > 0 else { return }
        retained.removeFirst(count)
        acked += count
    }
}
