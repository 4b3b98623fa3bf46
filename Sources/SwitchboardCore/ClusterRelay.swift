import NIOConcurrencyHelpers

/// A request for a session that another node owns, served here and relayed (docs/cluster.md): the
/// connection stays on this node, the session's machine runs on the owner, and the bus carries
/// what passes between them. Transports see it as any other ``SessionHandle``.
public final class RemoteSession: SessionHandle {
    public let sessionId: String
    public let listener: Listener
    /// The tag of the node that owns the session.
    public let owner: String
    private let relay: ClusterRelay

    init(sessionId: String, owner: String, listener: Listener, relay: ClusterRelay) {
        self.sessionId = sessionId
        self.owner = owner
        self.listener = listener
        self.relay = relay
    }

    @discardableResult
    public func attach(_ connection: any SessionConnection, style: ConnectionStyle, acknowledged: Int?) -> ConnectionID {
        relay.attach(connection, to: self, style: style, acknowledged: acknowledged)
    }

    public func detach(_ id: ConnectionID) {
        relay.detach(id, owner: owner)
    }

    /// Asks the owner whether it still has the session.
    func exists(_ answer: @escaping @Sendable (Bool) -> Void) {
        relay.exists(sessionId, owner: owner) { answer($0 == .taken) }
    }

    public func writabilityChanged(_ id: ConnectionID, isWritable: Bool) {
        relay.bus.send(.writable(connection: id.rawValue, isWritable), to: owner)
    }

    /// Decoded here to answer a bad payload at once; the owner decodes it again in its session's
    /// mode and gives the verdict.
    @discardableResult
    public func receive(payload: String, verdict: (@Sendable (PayloadVerdict) -> Void)?) -> DecodedPayload {
        let decoded = listener.codec.decode(payload)
        guard decoded.problem == nil else { return decoded }
        relay.receive(payload, for: self, verdict: verdict)
        return decoded
    }
}

/// The relay of one listener in a cluster: for requests served here for sessions of other nodes,
/// and for this node's sessions served elsewhere. It reacts to the bus's events.
final class ClusterRelay: Sendable {
    let bus: any ClusterBus
    private let state = NIOLockedValueBox(State())

    private struct State {
        // Served here, owned elsewhere: the connections by their number, the requests awaiting a verdict.
        var served: [UInt64: (owner: String, connection: any SessionConnection)] = [:]
        var awaiting: [UInt64: (owner: String, verdict: @Sendable (PayloadVerdict) -> Void)] = [:]
        var nextRequest: UInt64 = 0
        // Owned here, served elsewhere: each relayed connection's session and id here.
        var relayed: [Relayed.Key: (client: Client, id: ConnectionID)] = [:]
    }

    init(bus: any ClusterBus) {
        self.bus = bus
    }

    // MARK: Serving a session of another node

    func attach(_ connection: any SessionConnection, to session: RemoteSession, style: ConnectionStyle, acknowledged: Int?) -> ConnectionID {
        let id = ConnectionID.next()
        state.withLockedValue { $0.served[id.rawValue] = (session.owner, connection) }
        bus.send(
            .attach(sessionId: session.sessionId, connection: id.rawValue, transport: connection.transportName, style: style, acknowledged: acknowledged),
            to: session.owner)
        return id
    }

    func detach(_ id: ConnectionID, owner: String) {
        guard state.withLockedValue({ $0.served.removeValue(forKey: id.rawValue) }) != nil else { return }
        bus.send(.detach(connection: id.rawValue), to: owner)
    }

    func receive(_ payload: String, for session: RemoteSession, verdict: (@Sendable (PayloadVerdict) -> Void)?) {
        ask(session.owner, answer: verdict ?? { _ in }) { .receive(sessionId: session.sessionId, payload: payload, request: $0) }
    }

    /// Asks the owner whether it has the session; `answer` gets `.taken` or `.unknownSession`.
    func exists(_ sessionId: String, owner: String, answer: @escaping @Sendable (PayloadVerdict) -> Void) {
        ask(owner, answer: answer) { .exists(sessionId: sessionId, request: $0) }
    }

    /// Sends `owner` the message `request(number)` and keeps `answer` for its verdict.
    private func ask(_ owner: String, answer: @escaping @Sendable (PayloadVerdict) -> Void, _ request: (UInt64) -> ClusterMessage) {
        let number = state.withLockedValue { state -> UInt64 in
            state.nextRequest += 1
            state.awaiting[state.nextRequest] = (owner, answer)
            return state.nextRequest
        }
        bus.send(request(number), to: owner)
    }

    // MARK: Events

    func handle(_ event: ClusterEvent, listener: Listener) {
        switch event {
        case .message(let message, let origin):
            handle(message, from: origin, listener: listener)
        case .nodeGone(let tag):
            let (connections, verdicts, relayed) = state.withLockedValue { state in
                let connections = state.served.filter { $0.value.owner == tag }
                let verdicts = state.awaiting.filter { $0.value.owner == tag }
                let relayed = state.relayed.filter { $0.key.origin == tag }
                for key in connections.keys { state.served[key] = nil }
                for key in verdicts.keys { state.awaiting[key] = nil }
                for key in relayed.keys { state.relayed[key] = nil }
                return (connections.values.map(\.connection), verdicts.values.map(\.verdict), relayed.values)
            }
            // Its sessions are unknown now; the connections it served for ours are gone.
            for connection in connections { connection.reject() }
            for verdict in verdicts { verdict(.unknownSession) }
            for (client, id) in relayed { client.detach(id) }
        }
    }

    private func handle(_ message: ClusterMessage, from origin: String, listener: Listener) {
        switch message {
        case .send(let message, let audience, let except):
            listener.deliver(message, to: audience, except: except)

        // Owned here.
        case .attach(let sessionId, let number, let transport, let style, let acknowledged):
            guard let client = listener.client(sessionId) else {
                return bus.send(.reject(connection: number), to: origin)
            }
            let key = Relayed.Key(origin: origin, connection: number)
            let connection = Relayed(key: key, transportName: transport, relay: self)
            // Recorded before the session attaches it: the session may answer (and finish it) at once.
            let id = ConnectionID.next()
            state.withLockedValue { $0.relayed[key] = (client, id) }
            client.attach(connection, id: id, style: style, acknowledged: acknowledged)
        case .detach(let number):
            if let (client, id) = state.withLockedValue({ $0.relayed.removeValue(forKey: .init(origin: origin, connection: number)) }) {
                client.detach(id)
            }
        case .writable(let number, let writable):
            if let (client, id) = state.withLockedValue({ $0.relayed[.init(origin: origin, connection: number)] }) {
                client.writabilityChanged(id, isWritable: writable)
            }
        case .receive(let sessionId, let payload, let request):
            guard let client = listener.client(sessionId) else {
                return bus.send(.verdict(request: request, .unknownSession), to: origin)
            }
            let decoded = client.receive(payload: payload) { [bus] verdict in bus.send(.verdict(request: request, verdict), to: origin) }
            if let problem = decoded.problem { bus.send(.verdict(request: request, .refused(problem)), to: origin) }
        case .exists(let sessionId, let request):
            bus.send(.verdict(request: request, listener.client(sessionId) == nil ? .unknownSession : .taken), to: origin)

        // Served here.
        case .accepted(let number):
            state.withLockedValue { $0.served[number]?.connection }?.accepted()
        case .write(let number, let payload, let sequence):
            state.withLockedValue { $0.served[number]?.connection }?.write(OutboundPayload(.text(payload), sequence: sequence))
        case .complete(let number, let payload, let sequence):
            served(number)?.complete(OutboundPayload(.text(payload), sequence: sequence))
        case .close(let number, let goingAway):
            served(number)?.close(goingAway: goingAway)
        case .reject(let number):
            served(number)?.reject()
        case .verdict(let request, let verdict):
            state.withLockedValue { $0.awaiting.removeValue(forKey: request)?.verdict }?(verdict)
        }
    }

    /// A connection served here that the owner has finished with.
    private func served(_ number: UInt64) -> (any SessionConnection)? {
        state.withLockedValue { $0.served.removeValue(forKey: number)?.connection }
    }

    /// A relayed connection the owner's session has finished with.
    fileprivate func finished(_ key: Relayed.Key) {
        state.withLockedValue { _ = $0.relayed.removeValue(forKey: key) }
    }
}

/// A connection of this node's session that another node serves: what the session does to it
/// goes over the bus to that node.
private final class Relayed: SessionConnection {
    struct Key: Hashable, Sendable {
        var origin: String
        var connection: UInt64
    }

    let key: Key
    let transportName: String
    private let relay: ClusterRelay

    init(key: Key, transportName: String, relay: ClusterRelay) {
        self.key = key
        self.transportName = transportName
        self.relay = relay
    }

    private func send(_ message: ClusterMessage) {
        relay.bus.send(message, to: key.origin)
    }

    func accepted() { send(.accepted(connection: key.connection)) }
    func write(_ payload: OutboundPayload) { send(.write(connection: key.connection, payload: payload.text, sequence: payload.sequence)) }

    func complete(_ payload: OutboundPayload) {
        finish(.complete(connection: key.connection, payload: payload.text, sequence: payload.sequence))
    }

    func close() { finish(.close(connection: key.connection, goingAway: false)) }
    func closeGoingAway() { finish(.close(connection: key.connection, goingAway: true)) }
    func reject() { finish(.reject(connection: key.connection)) }

    /// The session is done with the connection: it is forgotten here, and the serving node told.
    private func finish(_ message: ClusterMessage) {
        relay.finished(key)
        send(message)
    }
}
