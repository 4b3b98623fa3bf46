import NIOCore
import SwitchboardCore

/// What the application sends, before the codec writes it.
enum OutgoingFrame: Sendable, Hashable {
    case message(Message)
    /// The echo of heartbeat n (docs/protocol.md §2.1, client column).
    case heartbeat(Int)
    /// Acknowledged delivery (docs/protocol.md §11): message number n of the session.
    case numbered(Int, Message)
    /// `~a~<n>`: the socket has received n of the server's messages (§11).
    case acknowledge(Int)
    /// `~b~<n>`: the messages that follow are numbered from n + 1 (§11).
    case base(Int)
}

/// What the socket tells the application; each case is one event of `Specs/socket.yaml`.
enum SocketEmission: Sendable, Hashable {
    case connect
    case connecting(String)
    /// Every transport tried, with why it failed.
    case connectFailed([TransportFailure])
    case message(Message)
    case close
    case disconnect
    case reconnecting(TimeAmount, Int)
    case reconnect(String, Int)
    case reconnectFailed
}

/// The client side of a session as a pure state machine (docs/protocol.md §1, §2.1, §5, §8).
///
/// It chooses transports, recognises the handshake, echoes heartbeats, queues what the application
/// sends until a connection can carry it (then sends the queue as one payload), keeps at most one
/// POST in flight on the HTTP transports, and re-attaches a dropped session with backoff. It performs
/// no I/O: each ``event(_:now:)`` returns the actions the driver performs, in order, and
/// ``nextDeadline`` says when to send ``Event/tick``.
struct SocketStateMachine: Sendable {
    struct Configuration: Sendable {
        /// The transports to try, in order, with their kinds (the kind decides how writes travel).
        var transports: [(name: String, kind: TransportKind)]
        /// The codec's rule for reading the session id out of the first message.
        var payloadProtocol: PayloadProtocol = .framed
        var connectTimeout: TimeAmount = .seconds(5)
        var tryTransportsOnConnectTimeout = true
        var reconnect = true
        var reconnectionDelay: TimeAmount = .milliseconds(500)
        var maxReconnectionAttempts = 10
        /// Whether the socket asks for acknowledged delivery (docs/protocol.md §11; framed codec only).
        var acknowledged = false
    }

    typealias ConnectionID = Int

    enum Event: Sendable, Hashable {
        /// The application asks for a session; `preferred` is tried first when it is one of the transports.
        case connect(preferred: String?)
        /// The application ends the session.
        case disconnect
        /// The application sends messages.
        case send([Message])
        /// The connection was accepted: 101, a stream's `200` head, or a poll request on the wire.
        case opened(ConnectionID)
        /// A payload arrived on the connection, decoded.
        case received(ConnectionID, [InboundFrame])
        /// A POST of this connection was answered `200`.
        case sent(ConnectionID)
        /// The connection could not be opened, or one of its requests failed.
        case failed(ConnectionID, ConnectionFailure)
        /// An open connection ended.
        case closed(ConnectionID)
        /// Time passed (see ``nextDeadline``).
        case tick
    }

    enum Action: Sendable, Hashable {
        /// Open a connection of this transport: a new session when `sessionId` is nil, else a
        /// re-attachment; with `acknowledged`, the count of the server's messages received (§11).
        case open(ConnectionID, transport: String, sessionId: String?, acknowledged: Int?)
        /// Send one payload made of these frames on the connection.
        case write(ConnectionID, [OutgoingFrame])
        /// Close the connection (and whatever requests belong to it).
        case close(ConnectionID)
        /// Tell the application.
        case emit(SocketEmission)
    }

    enum Phase: Sendable, Hashable {
        /// Not asked to connect yet.
        case idle
        /// Trying `transports[index]` for a new session; it fails at `deadline` without a session id.
        case opening(index: Int, ConnectionID, deadline: NIODeadline)
        /// Connected with an open connection.
        case open(ConnectionID)
        /// Connected, no connection: re-attachment attempt `attempt` starts at `until`.
        case waiting(attempt: Int, until: NIODeadline)
        /// Connected, re-attachment attempt `attempt` in progress until `deadline`.
        case reattaching(attempt: Int, ConnectionID, deadline: NIODeadline)
        /// The session is over (or never came).
        case disconnected
    }

    private(set) var configuration: Configuration
    private(set) var phase: Phase = .idle
    /// The session id, from the handshake until the session is over.
    private(set) var sessionId: String?
    /// The transport of the current session (or of the current attempt).
    private(set) var transport: String?
    /// What waits for a connection; leaves as one payload when one opens.
    private(set) var queue: [OutgoingFrame] = []
    /// HTTP transports: the frames of the POST in flight, and what waits for it to be answered.
    private(set) var inFlight: [OutgoingFrame]?
    private(set) var outbox: [OutgoingFrame] = []
    private var order: [(name: String, kind: TransportKind)] = []
    private var failures: [TransportFailure] = []
    private var lastID = 0
    /// Acknowledged delivery (docs/protocol.md §11): the server's messages received, the socket's
    /// messages numbered so far, and those written on a socket that the server has not acknowledged.
    private(set) var received = 0
    private var numbered = 0
    private var awaiting: [OutgoingFrame] = []
    /// An acknowledgement waits for the POST in flight.
    private var acknowledgementDue = false

    init(configuration: Configuration) {
        self.configuration = configuration
        self.order = configuration.transports
    }

    /// Whether the session is connected: from its handshake until it is over (also while re-attaching).
    var isConnected: Bool {
        switch phase {
        case .open, .waiting, .reattaching: return true
        case .idle, .opening, .disconnected: return false
        }
    }

    /// Whether a new session is being opened.
    var isConnecting: Bool {
        if case .opening = phase { return true }
        return false
    }

    /// The earliest time at which ``Event/tick`` has something to do.
    var nextDeadline: NIODeadline? {
        switch phase {
        case .opening(_, _, let deadline), .reattaching(_, _, let deadline): return deadline
        case .waiting(_, let until): return until
        case .idle, .open, .disconnected: return nil
        }
    }

    mutating func event(_ event: Event, now: NIODeadline) -> [Action] {
        switch event {
        case .connect(let preferred): return connect(preferred: preferred, now: now)
        case .disconnect: return disconnect()
        case .send(let messages): return send(number(messages))
        case .opened(let id): return opened(id)
        case .received(let id, let frames): return received(id, frames, now: now)
        case .sent(let id): return sent(id)
        case .failed(let id, let failure): return failed(id, failure, now: now)
        case .closed(let id): return failed(id, .closed, now: now)
        case .tick: return tick(now: now)
        }
    }

    // MARK: Opening a session

    private mutating func connect(preferred: String?, now: NIODeadline) -> [Action] {
        switch phase {
        case .idle, .disconnected: break
        default: return []
        }
        order = configuration.transports
        if let preferred, let index = order.firstIndex(where: { $0.name == preferred }) {
            order.insert(order.remove(at: index), at: 0)
        }
        sessionId = nil
        failures = []
        guard !order.isEmpty else {
            phase = .disconnected
            return [.emit(.connectFailed([]))]
        }
        return tryTransport(0, now: now)
    }

    private mutating func tryTransport(_ index: Int, now: NIODeadline) -> [Action] {
        let id = nextID()
        let name = order[index].name
        transport = name
        phase = .opening(index: index, id, deadline: now + configuration.connectTimeout)
        received = 0
        numbered = 0
        awaiting = []
        return [.emit(.connecting(name)), .open(id, transport: name, sessionId: nil, acknowledged: acknowledgedCount)]
    }

    private mutating func opened(_ id: ConnectionID) -> [Action] {
        guard case .reattaching(let attempt, id, _) = phase else { return [] }
        phase = .open(id)
        return [.emit(.reconnect(transport ?? "", attempt))] + flushQueue(id)
    }

    private mutating func received(_ id: ConnectionID, _ frames: [InboundFrame], now: NIODeadline) -> [Action] {
        var actions: [Action] = []
        var frames = frames[...]
        switch phase {
        case .opening(_, id, _):
            guard let first = frames.first else { return [] }
            guard case .message(let message) = first,
                let sid = Self.sessionId(in: message, protocol: configuration.payloadProtocol)
            else {
                return failed(id, .protocolError("the first message is not a session id"), now: now)
            }
            frames = frames.dropFirst()
            sessionId = sid
            phase = .open(id)
            actions += [.emit(.connect)] + flushQueue(id)
        case .reattaching(_, id, _):
            // An answer on the re-attached connection: it was accepted.
            actions += opened(id)
        case .open(id):
            break
        default:
            return []
        }
        // The number of the message before the next one, and whether a base left a gap (§11).
        var cursor = received
        var gap = false
        var delivered = false
        for frame in frames {
            switch frame {
            case .heartbeat(let n):
                actions += write([.heartbeat(n)], on: id)
            case .message(let message):
                if configuration.acknowledged {
                    cursor += 1
                    guard !gap, cursor > received else { continue }
                    received = cursor
                    delivered = true
                }
                actions.append(.emit(.message(message)))
            case .acknowledge(let n):
                awaiting.removeAll { if case .numbered(let number, _) = $0 { number <= n } else { false } }
            case .base(let n):
                gap = n > received
                cursor = n
            }
        }
        // A socket or a stream is told what arrived; a poll says it in its next request.
        if delivered, currentKind != .poll {
            actions += write([], on: id, acknowledging: true)
        }
        return actions
    }

    /// The count of the server's messages received, for a connection's `ack=<n>` (§11).
    var acknowledgedCount: Int? {
        configuration.acknowledged ? received : nil
    }

    /// The application's messages, numbered when acknowledged delivery is on.
    private mutating func number(_ messages: [Message]) -> [OutgoingFrame] {
        guard configuration.acknowledged else { return messages.map(OutgoingFrame.message) }
        return messages.map { message in
            numbered += 1
            return .numbered(numbered, message)
        }
    }

    /// One payload's frames as they leave: with acknowledged delivery, `~a~<received>` first and
    /// `~b~<base>` before the first message (§11).
    private func decorated(_ frames: [OutgoingFrame]) -> [OutgoingFrame] {
        guard configuration.acknowledged else { return frames }
        var payload: [OutgoingFrame] = [.acknowledge(received)]
        for frame in frames {
            if case .numbered(let n, _) = frame, !payload.contains(where: { if case .base = $0 { true } else { false } }) {
                payload.append(.base(n - 1))
            }
            payload.append(frame)
        }
        return payload
    }

    /// The session id in the first message of a session: the message itself in the framed codec,
    /// the string `{"sessionid":"<SID>"}` in the envelope codec.
    static func sessionId(in message: Message, protocol payloadProtocol: PayloadProtocol) -> String? {
        guard case .text(let text) = message, !text.isEmpty else { return nil }
        switch payloadProtocol {
        case .framed: return text
        case .envelope: return EnvelopeCodec.sessionId(inHandshake: text)
        }
    }

    // MARK: Sending

    private mutating func send(_ frames: [OutgoingFrame]) -> [Action] {
        guard !frames.isEmpty else { return [] }
        if case .open(let id) = phase { return write(frames, on: id) }
        queue += frames
        return []
    }

    /// A payload for the open connection: at once on a socket; on HTTP, at once unless a POST is in
    /// flight (then it waits and leaves with whatever joins it). `acknowledging` sends one even
    /// without frames, for its `~a~` (§11).
    private mutating func write(_ frames: [OutgoingFrame], on id: ConnectionID, acknowledging: Bool = false) -> [Action] {
        guard !frames.isEmpty || (acknowledging && configuration.acknowledged) else { return [] }
        if currentKind == .upgrade {
            awaiting += frames.filter { if case .numbered = $0 { true } else { false } }
            return [.write(id, decorated(frames))]
        }
        if inFlight != nil {
            outbox += frames
            acknowledgementDue = acknowledgementDue || acknowledging
            return []
        }
        inFlight = frames
        acknowledgementDue = false
        return [.write(id, decorated(frames))]
    }

    private mutating func flushQueue(_ id: ConnectionID) -> [Action] {
        let frames = queue
        queue = []
        return write(frames, on: id)
    }

    private mutating func sent(_ id: ConnectionID) -> [Action] {
        guard case .open(id) = phase, inFlight != nil else { return [] }
        inFlight = nil
        let waiting = outbox
        outbox = []
        return write(waiting, on: id, acknowledging: acknowledgementDue)
    }

    private var currentKind: TransportKind? {
        order.first { $0.name == transport }?.kind
    }

    // MARK: Failures, reconnection, the end

    private mutating func failed(_ id: ConnectionID, _ failure: ConnectionFailure, now: NIODeadline) -> [Action] {
        switch phase {
        case .opening(let index, id, _):
            failures.append(TransportFailure(transport: order[index].name, failure: failure))
            if configuration.tryTransportsOnConnectTimeout, index + 1 < order.count {
                return [.close(id)] + tryTransport(index + 1, now: now)
            }
            phase = .disconnected
            transport = nil
            return [.close(id), .emit(.connectFailed(failures))]
        case .reattaching(let attempt, id, _):
            if failure.isUnknownSession { return [.close(id)] + sessionOver() }
            // The session is not tied to its transport (docs/protocol.md §3): the next attempt
            // tries the next transport of the list, with the same session.
            if let index = order.firstIndex(where: { $0.name == transport }) {
                transport = order[(index + 1) % order.count].name
            }
            return [.close(id)] + retry(after: attempt, now: now)
        case .open(id):
            if failure.isUnknownSession { return [.close(id)] + sessionOver() }
            // Whatever was not confirmed goes first on the next connection (in acknowledged
            // delivery, what a socket wrote and the server did not acknowledge too, first).
            queue = awaiting + (inFlight ?? []) + outbox + queue
            awaiting = []
            inFlight = nil
            outbox = []
            var actions: [Action] = [.close(id), .emit(.close)]
            if configuration.reconnect, configuration.maxReconnectionAttempts > 0 {
                actions += schedule(attempt: 1, now: now)
            } else {
                actions += sessionOver()
            }
            return actions
        default:
            return []
        }
    }

    private mutating func retry(after attempt: Int, now: NIODeadline) -> [Action] {
        guard attempt < configuration.maxReconnectionAttempts else {
            return [.emit(.reconnectFailed)] + sessionOver()
        }
        return schedule(attempt: attempt + 1, now: now)
    }

    private mutating func schedule(attempt: Int, now: NIODeadline) -> [Action] {
        let delay = Self.backoff(configuration.reconnectionDelay, attempt: attempt)
        phase = .waiting(attempt: attempt, until: now + delay)
        return [.emit(.reconnecting(delay, attempt))]
    }

    /// `delay`, doubled for each attempt after the first.
    static func backoff(_ delay: TimeAmount, attempt: Int) -> TimeAmount {
        let doublings = min(max(attempt - 1, 0), 20)
        return .nanoseconds(delay.nanoseconds.multipliedReportingOverflow(by: 1 << doublings).partialValue)
    }

    private mutating func tick(now: NIODeadline) -> [Action] {
        switch phase {
        case .opening(_, let id, let deadline) where now >= deadline:
            return failed(id, .timedOut, now: now)
        case .reattaching(_, let id, let deadline) where now >= deadline:
            return failed(id, .timedOut, now: now)
        case .waiting(let attempt, let until) where now >= until:
            let id = nextID()
            phase = .reattaching(attempt: attempt, id, deadline: now + configuration.connectTimeout)
            return [.open(id, transport: transport ?? "", sessionId: sessionId, acknowledged: acknowledgedCount)]
        default:
            return []
        }
    }

    private mutating func disconnect() -> [Action] {
        switch phase {
        case .idle, .disconnected:
            return []
        case .opening(_, let id, _):
            phase = .disconnected
            transport = nil
            return [.close(id)]
        case .open(let id), .reattaching(_, let id, _):
            return [.close(id)] + sessionOver()
        case .waiting:
            return sessionOver()
        }
    }

    /// The session ended: nothing more is sent on it.
    private mutating func sessionOver() -> [Action] {
        phase = .disconnected
        sessionId = nil
        transport = nil
        queue = []
        inFlight = nil
        outbox = []
        awaiting = []
        return [.emit(.disconnect)]
    }

    private mutating func nextID() -> ConnectionID {
        lastID += 1
        return lastID
    }
}
