import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import PostgresNIO
import SwitchboardCore

/// A cluster bus on one PostgreSQL database (docs/cluster.md): `NOTIFY` carries the messages on
/// one channel, a table carries those over `NOTIFY`'s 8000-byte limit, and a table of nodes with
/// their heartbeats tells which nodes are alive. Nothing else: no broker of its own.
///
/// ```swift
/// let bus = try PostgresClusterBus(url: "postgres://switchboard@db:5432/switchboard", nodeName: "node-1")
/// listener.attach(cluster: bus)
/// Task { await bus.run() }
/// ```
///
/// While the database is away, messages wait in an outbox (up to `maxOutbox`, then the oldest are
/// dropped, counted and logged) and go out in order once the bus has reconnected; the bus
/// reconnects by itself, with a growing pause.
public final class PostgresClusterBus: ClusterBus, Sendable {
    /// Where the database is and how the bus keeps time.
    public struct Configuration: Sendable {
        public var host: String
        public var port: Int
        public var username: String
        public var password: String?
        public var database: String?
        /// How often a node writes its heartbeat and reads who is alive.
        public var heartbeatInterval: Duration = .seconds(1)
        /// A node without a heartbeat for this long is dead: its sessions are unknown everywhere.
        public var nodeTimeout: Duration = .seconds(5)
        /// Messages that may wait while the database is away.
        public var maxOutbox = 10_000

        /// A configuration from a URL: `postgres://USER[:PASSWORD]@HOST[:PORT][/DATABASE]`.
        public init(url: String) throws {
            guard let parsed = DatabaseURL(url) else { throw PostgresClusterBusError.badURL(url) }
            (host, port, username, password, database) = (parsed.host, parsed.port, parsed.username, parsed.password, parsed.database)
        }
    }

    public let nodeTag: String
    /// This node's name in the table of nodes; set it before ``run()`` when it was not known at init.
    public var nodeName: String {
        get { state.withLockedValue { $0.nodeName } }
        set { state.withLockedValue { $0.nodeName = newValue } }
    }
    /// How many messages the outbox dropped because the database was away too long.
    public var droppedMessages: Int { state.withLockedValue { $0.dropped } }
    /// Whether the bus is connected to the database now.
    public var isConnected: Bool { state.withLockedValue { $0.connected } }

    private let configuration: Configuration
    private let logger: Logger
    private let eventLoopGroup: any EventLoopGroup
    private let state = NIOLockedValueBox(State())

    /// The channel every node listens on.
    static let channel = "switchboard"
    /// The largest notification payload sent as it is; a larger one goes through the table.
    static let maxNotification = 7900

    private struct State {
        var nodeName = ""
        var receiver: (@Sendable (ClusterMessage) -> Void)?
        var alive: Set<String> = []
        var outbox: [String] = []
        var dropped = 0
        var connected = false
        var wake: AsyncStream<Void>.Continuation?
        var connectedWaiters: [CheckedContinuation<Void, Never>] = []
    }

    public init(
        configuration: Configuration, nodeName: String, logger: Logger = Logger(label: "switchboard.cluster"),
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) {
        self.configuration = configuration
        self.nodeTag = SessionID.generateNodeTag()
        self.logger = logger
        self.eventLoopGroup = eventLoopGroup
        self.nodeName = nodeName
    }

    public convenience init(url: String, nodeName: String, logger: Logger = Logger(label: "switchboard.cluster")) throws {
        self.init(configuration: try Configuration(url: url), nodeName: nodeName, logger: logger)
    }

    // MARK: ClusterBus

    public func publish(_ message: ClusterMessage) {
        let line = nodeTag + " " + message.encoded
        let firstDrop: Bool = state.withLockedValue { state in
            state.outbox.append(line)
            guard state.outbox.count > configuration.maxOutbox else {
                state.wake?.yield()
                return false
            }
            state.outbox.removeFirst()
            state.dropped += 1
            return state.dropped == 1 || state.dropped % 1000 == 0
        }
        if firstDrop {
            logger.warning("cluster outbox full while the database is away: oldest messages dropped", metadata: ["dropped": "\(droppedMessages)"])
        }
    }

    public func isAlive(nodeTag: String) -> Bool {
        nodeTag == self.nodeTag || state.withLockedValue { $0.alive.contains(nodeTag) }
    }

    public func setReceiver(_ receiver: @escaping @Sendable (ClusterMessage) -> Void) {
        state.withLockedValue { $0.receiver = receiver }
    }

    // MARK: Running

    /// Runs the bus until the task is cancelled: connects, listens, beats, sends the outbox, and
    /// reconnects after any failure, pausing 0.25 s, then twice as long each time up to 5 s.
    public func run() async {
        var pause = Duration.milliseconds(250)
        while !Task.isCancelled {
            do {
                try await runConnected { pause = .milliseconds(250) }
            } catch is CancellationError {
                break
            } catch {
                logger.warning("cluster bus lost the database; reconnecting", metadata: ["error": "\(String(reflecting: error))", "pause": "\(pause)"])
            }
            setConnected(false)
            try? await Task.sleep(for: pause)
            pause = min(pause * 2, .seconds(5))
        }
        setConnected(false)
    }

    /// Waits until the bus is connected, or `timeout` passed; true when it is connected.
    public func waitUntilConnected(timeout: Duration) async -> Bool {
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                await withCheckedContinuation { continuation in
                    let now = self.state.withLockedValue { state -> Bool in
                        if state.connected { return true }
                        state.connectedWaiters.append(continuation)
                        return false
                    }
                    if now { continuation.resume() }
                }
            }
            group.addTask { try? await Task.sleep(for: timeout) }
            await group.next()
            group.cancelAll()
        }
        if !isConnected {
            // Release a waiter left behind by the timeout.
            let waiters = state.withLockedValue { state in defer { state.connectedWaiters = [] }; return state.connectedWaiters }
            for waiter in waiters { waiter.resume() }
        }
        return isConnected
    }

    private func setConnected(_ connected: Bool) {
        let waiters = state.withLockedValue { state -> [CheckedContinuation<Void, Never>] in
            state.connected = connected
            if !connected { state.wake = nil }
            guard connected else { return [] }
            defer { state.connectedWaiters = [] }
            return state.connectedWaiters
        }
        for waiter in waiters { waiter.resume() }
    }

    private func connect() async throws -> PostgresConnection {
        var config = PostgresConnection.Configuration(
            host: configuration.host, port: configuration.port, username: configuration.username,
            password: configuration.password, database: configuration.database, tls: .disable)
        config.options.connectTimeout = .seconds(5)
        return try await PostgresConnection.connect(
            on: eventLoopGroup.next(), configuration: config, id: 1, logger: Logger(label: "switchboard.cluster.postgres"))
    }

    /// One connected period: two connections (one listens, one writes), until one fails.
    private func runConnected(connected: () -> Void) async throws {
        let listening = try await connect()
        let writing: PostgresConnection
        do {
            writing = try await connect()
        } catch {
            try? await listening.close()
            throw error
        }
        defer {
            Task {
                try? await listening.close()
                try? await writing.close()
            }
        }
        try await Schema.create(on: writing, logger: logger)
        try await beat(on: writing)
        let (wakeups, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        state.withLockedValue { $0.wake = wake }
        wake.yield()  // what waited in the outbox
        setConnected(true)
        connected()
        logger.info("cluster bus connected", metadata: ["node": "\(nodeName)", "tag": "\(nodeTag)"])

        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await listening.listen(on: Self.channel) { notifications in
                    for try await notification in notifications {
                        try await self.handle(notification.payload, fetchingOn: listening)
                    }
                }
                throw PostgresClusterBusError.listenEnded
            }
            group.addTask {
                for await _ in wakeups {
                    try await self.sendOutbox(on: writing)
                }
            }
            group.addTask {
                while true {
                    try await Task.sleep(for: self.configuration.heartbeatInterval)
                    try await self.beat(on: writing)
                }
            }
            defer { group.cancelAll() }
            try await group.next()
        }
    }

    // MARK: Messages

    /// Sends what waits in the outbox, in order, several small ones per statement (one statement
    /// is one transaction: its notifications arrive in order). A message leaves the outbox once
    /// its statement succeeded.
    private func sendOutbox(on connection: PostgresConnection) async throws {
        while true {
            let batch = state.withLockedValue { Array($0.outbox.prefix(64)) }
            guard !batch.isEmpty else { return }
            var sql = "SELECT "
            var binds = PostgresBindings()
            var count = 0
            for line in batch {
                if line.utf8.count > Self.maxNotification {
                    if count > 0 { break }
                    try await sendLarge(line, on: connection)
                    count = 1
                    break
                }
                binds.append(line)
                sql += (count == 0 ? "" : ", ") + "pg_notify('\(Self.channel)', $\(binds.count))"
                count += 1
            }
            if binds.count > 0 {
                _ = try await connection.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger).collect()
            }
            state.withLockedValue { $0.outbox.removeFirst(min(count, $0.outbox.count)) }
        }
    }

    /// A message over `NOTIFY`'s limit: its body goes into the table, the notification carries the row's id.
    private func sendLarge(_ line: String, on connection: PostgresConnection) async throws {
        let body = String(line.dropFirst(nodeTag.count + 1))
        let rows = try await connection.query(
            "INSERT INTO switchboard_payloads (origin, body) VALUES (\(nodeTag), \(body)) RETURNING id", logger: logger)
        var id: Int64?
        for try await row in rows.decode(Int64.self) { id = row }
        guard let id else { throw PostgresClusterBusError.noRowId }
        _ = try await connection.query("SELECT pg_notify(\(Self.channel), \(nodeTag + " #" + String(id)))", logger: logger).collect()
    }

    /// A notification: `<origin tag> <message>`, or `<origin tag> #<row id>` for a large one.
    /// The node's own notifications come back to it too, and are skipped.
    private func handle(_ payload: String, fetchingOn connection: PostgresConnection) async throws {
        guard let space = payload.firstIndex(of: " ") else { return }
        guard payload[..<space] != nodeTag else { return }
        var body = String(payload[payload.index(after: space)...])
        if body.hasPrefix("#"), let id = Int64(body.dropFirst()) {
            let rows = try await connection.query("SELECT body FROM switchboard_payloads WHERE id = \(id)", logger: logger)
            var fetched: String?
            for try await row in rows.decode(String.self) { fetched = row }
            guard let fetched else {
                logger.warning("cluster message #\(id) is gone from the table (pruned?)")
                return
            }
            body = fetched
        }
        guard let message = ClusterMessage(encoded: body) else {
            logger.warning("cluster message that does not decode", metadata: ["bytes": "\(body.utf8.count)"])
            return
        }
        state.withLockedValue { $0.receiver }?(message)
    }

    // MARK: Nodes

    /// Writes this node's heartbeat, reads which nodes are alive, prunes what is old.
    private func beat(on connection: PostgresConnection) async throws {
        _ = try await connection.query(
            """
            INSERT INTO switchboard_nodes (tag, name, last_seen) VALUES (\(nodeTag), \(nodeName), now())
            ON CONFLICT (tag) DO UPDATE SET last_seen = now()
            """, logger: logger
        ).collect()
        let timeout = Double(configuration.nodeTimeout.components.seconds) + Double(configuration.nodeTimeout.components.attoseconds) / 1e18
        let rows = try await connection.query(
            "SELECT tag FROM switchboard_nodes WHERE last_seen > now() - make_interval(secs => \(timeout))", logger: logger)
        var alive: Set<String> = []
        for try await tag in rows.decode(String.self) { alive.insert(tag) }
        let before = state.withLockedValue { state in defer { state.alive = alive }; return state.alive }
        for tag in before.subtracting(alive) { logger.warning("cluster node is gone", metadata: ["tag": "\(tag)"]) }
        _ = try await connection.query(
            "DELETE FROM switchboard_payloads WHERE origin = \(nodeTag) AND created < now() - interval '60 seconds'", logger: logger
        ).collect()
    }
}

/// What went wrong with the bus.
public enum PostgresClusterBusError: Error, CustomStringConvertible {
    case badURL(String)
    case listenEnded
    case noRowId

    public var description: String {
        switch self {
        case .badURL(let url): return "not a postgres:// URL: \(url)"
        case .listenEnded: return "the LISTEN connection ended"
        case .noRowId: return "INSERT returned no id"
        }
    }
}

/// The bus's tables, created when missing (by one node at a time).
enum Schema {
    static func create(on connection: PostgresConnection, logger: Logger) async throws {
        for statement in [
            "BEGIN",
            "SELECT pg_advisory_xact_lock(7274)",
            """
            CREATE TABLE IF NOT EXISTS switchboard_nodes (
                tag text PRIMARY KEY, name text NOT NULL, started timestamptz NOT NULL DEFAULT now(),
                last_seen timestamptz NOT NULL)
            """,
            """
            CREATE TABLE IF NOT EXISTS switchboard_payloads (
                id bigserial PRIMARY KEY, origin text NOT NULL, created timestamptz NOT NULL DEFAULT now(),
                body text NOT NULL)
            """,
            "DELETE FROM switchboard_nodes WHERE last_seen < now() - interval '1 hour'",
            "COMMIT",
        ] {
            _ = try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger).collect()
        }
    }
}

/// The parts of `postgres://USER[:PASSWORD]@HOST[:PORT][/DATABASE]`.
struct DatabaseURL: Equatable {
    var host: String
    var port: Int
    var username: String
    var password: String?
    var database: String?

    init?(_ text: String) {
        var rest = Substring(text)
        guard let scheme = ["postgres://", "postgresql://"].first(where: { rest.hasPrefix($0) }) else { return nil }
        rest = rest.dropFirst(scheme.count)
        if let slash = rest.firstIndex(of: "/") {
            let name = rest[rest.index(after: slash)...]
            database = name.isEmpty ? nil : String(name).removingPercentEncodingIfPossible
            rest = rest[..<slash]
        }
        guard let at = rest.lastIndex(of: "@") else { return nil }
        let user = rest[..<at]
        if let colon = user.firstIndex(of: ":") {
            username = String(user[..<colon]).removingPercentEncodingIfPossible
            password = String(user[user.index(after: colon)...]).removingPercentEncodingIfPossible
        } else {
            username = String(user).removingPercentEncodingIfPossible
        }
        let address = rest[rest.index(after: at)...]
        if let colon = address.lastIndex(of: ":"), let number = Int(address[address.index(after: colon)...]) {
            host = String(address[..<colon])
            port = number
        } else {
            host = String(address)
            port = 5432
        }
        guard !host.isEmpty, !username.isEmpty else { return nil }
    }
}

extension String {
    /// `%XX` decoded when the text is valid percent-encoding, else the text as it is.
    fileprivate var removingPercentEncodingIfPossible: String {
        var bytes: [UInt8] = []
        var utf8 = self.utf8[...]
        while let byte = utf8.popFirst() {
            if byte == UInt8(ascii: "%"), utf8.count >= 2,
                let value = UInt8(String(decoding: utf8.prefix(2), as: UTF8.self), radix: 16)
            {
                bytes.append(value)
                utf8 = utf8.dropFirst(2)
            } else {
                bytes.append(byte)
            }
        }
        return String(validating: bytes, as: UTF8.self) ?? self
    }
}
