import CoreMetrics
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import PostgresNIO
import ServiceLifecycle
import SwitchboardCore

/// A cluster bus on one PostgreSQL database (docs/cluster.md). Every message is written to a log
/// table and announced with `NOTIFY`, on one channel that every node listens to or on the channel
/// of one node; a table of nodes with their heartbeats tells which nodes are alive. Nothing else:
/// no broker of its own.
///
/// Each node numbers its messages per channel. A receiver delivers a message whose number follows
/// the last it delivered from that node on that channel at once, from the notification; after a
/// gap (it was not listening: its connection or the database restarted) it reads the missing ones
/// from the log first, and it reads the log again each time it reconnects. So messages arrive
/// once each and in order, across restarts of the database and reconnections, as long as they
/// are in the log (60 s). A message over `NOTIFY`'s 8000-byte limit is read from the log.
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
public final class PostgresClusterBus: ClusterBus, Service, Sendable {
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
    private let metrics = (
        sent: Counter(label: "switchboard_cluster_messages_sent_total"),
        received: Counter(label: "switchboard_cluster_messages_received_total"),
        dropped: Counter(label: "switchboard_cluster_messages_dropped_total"),
        nodes: Gauge(label: "switchboard_cluster_nodes")
    )
    private let eventLoopGroup: any EventLoopGroup
    private let state = NIOLockedValueBox(State())

    /// The channel every node listens on.
    static let channel = "switchboard"
    /// The channel of one node.
    static func channel(of nodeTag: String) -> String { "switchboard_" + nodeTag }
    /// The largest notification sent with its message; a larger message is read from the log.
    static let maxNotification = 7900

    /// A message to send: where, its number there, its text.
    struct Outgoing {
        var channel: String
        var number: Int64
        var body: String
    }

    private struct State {
        var nodeName = ""
        var receiver: (@Sendable (ClusterEvent) -> Void)?
        var alive: Set<String> = []
        /// The names of the live nodes, by tag, as of the last heartbeat.
        var names: [String: String] = [:]
        var outbox: [Outgoing] = []
        /// The number of the last message this node sent on each channel.
        var sent: [String: Int64] = [:]
        /// The number of the last message delivered from each node on each channel (`<tag> <channel>`).
        var delivered: [String: Int64] = [:]
        var dropped = 0
        var connected = false
        var wake: AsyncStream<Void>.Continuation?
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
        enqueue(message.encoded, on: Self.channel)
    }

    public func send(_ message: ClusterMessage, to nodeTag: String) {
        enqueue(message.encoded, on: Self.channel(of: nodeTag))
    }

    public func isAlive(nodeTag: String) -> Bool {
        nodeTag == self.nodeTag || state.withLockedValue { $0.alive.contains(nodeTag) }
    }

    public var liveNodes: Set<String> {
        state.withLockedValue { state in Set(state.alive.map { state.names[$0] ?? $0 }).union([state.nodeName]) }
    }

    public func setReceiver(_ receiver: @escaping @Sendable (ClusterEvent) -> Void) {
        state.withLockedValue { $0.receiver = receiver }
    }

    /// Numbers a message on its channel and adds it to the outbox.
    private func enqueue(_ body: String, on channel: String) {
        let firstDrop: Bool = state.withLockedValue { state in
            let number = state.sent[channel, default: 0] + 1
            state.sent[channel] = number
            state.outbox.append(Outgoing(channel: channel, number: number, body: body))
            guard state.outbox.count > configuration.maxOutbox else {
                state.wake?.yield()
                return false
            }
            state.outbox.removeFirst()
            state.dropped += 1
            metrics.dropped.increment()
            return state.dropped == 1 || state.dropped % 1000 == 0
        }
        if firstDrop {
            logger.warning("cluster outbox full while the database is away: oldest messages dropped", metadata: ["dropped": "\(droppedMessages)"])
        }
    }

    // MARK: Running

    /// Runs the bus until the task is cancelled or, in a `ServiceGroup`, until a graceful shutdown:
    /// connects, listens, beats, sends the outbox, and reconnects after any failure, pausing
    /// 0.25 s, then twice as long each time up to 5 s.
    public func run() async {
        try? await cancelWhenGracefulShutdown { await self.runUntilCancelled() }
    }

    private func runUntilCancelled() async {
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

    /// Waits until the bus is connected, or `timeout` passed; true when it is connected (for a
    /// host's start-up: it looks every 20 ms).
    public func waitUntilConnected(timeout: Duration) async -> Bool {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while !isConnected, clock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        return isConnected
    }

    private func setConnected(_ connected: Bool) {
        state.withLockedValue { state in
            state.connected = connected
            if !connected { state.wake = nil }
        }
    }

    private func connect() async throws -> PostgresConnection {
        var config = PostgresConnection.Configuration(
            host: configuration.host, port: configuration.port, username: configuration.username,
            password: configuration.password, database: configuration.database, tls: .disable)
        config.options.connectTimeout = .seconds(5)
        // Named in pg_stat_activity, so an operator (or a test) can find a node's connections.
        config.options.additionalStartupParameters = [("application_name", "switchboard \(nodeName)")]
        return try await PostgresConnection.connect(
            on: eventLoopGroup.next(), configuration: config, id: 1, logger: Logger(label: "switchboard.cluster.postgres"))
    }

    /// One connected period: two connections (one listens and reads the log, one writes), until
    /// one fails.
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

        // Both channels' notifications, in one line, read by one task: the log is read in order.
        let (notifications, arrived) = AsyncThrowingStream.makeStream(of: (channel: String, payload: String).self)
        let channels = [Self.channel, Self.channel(of: nodeTag)]
        let (listeningStarted, started) = AsyncStream.makeStream(of: Void.self)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for channel in channels {
                group.addTask {
                    try await listening.listen(on: channel) { stream in
                        started.yield()
                        for try await notification in stream { arrived.yield((channel, notification.payload)) }
                    }
                    throw PostgresClusterBusError.listenEnded
                }
            }
            group.addTask {
                // Once both channels listen: what the log holds that this node missed, then the
                // notifications as they come.
                var count = 0
                for await _ in listeningStarted {
                    count += 1
                    if count == channels.count { break }
                }
                try await self.catchUp(channels: channels, on: listening)
                for try await (channel, payload) in notifications {
                    try await self.handle(payload, on: channel, reading: listening)
                }
            }
            let (wakeups, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
            state.withLockedValue { $0.wake = wake }
            group.addTask {
                // Hello: this node's tag alone, then what waited in the outbox.
                _ = try await writing.query("SELECT pg_notify(\(Self.channel), \(self.nodeTag))", logger: self.logger).collect()
                for await _ in wakeups { try await self.sendOutbox(on: writing) }
            }
            group.addTask {
                while true {
                    try await Task.sleep(for: self.configuration.heartbeatInterval)
                    try await self.beat(on: writing)
                }
            }
            wake.yield()
            setConnected(true)
            connected()
            logger.info("cluster bus connected", metadata: ["node": "\(nodeName)", "tag": "\(nodeTag)"])
            defer { group.cancelAll() }
            try await group.next()
        }
    }

    // MARK: Sending

    /// Sends what waits in the outbox, in order, up to 64 messages per statement: one statement
    /// logs them and notifies (one transaction: its notifications arrive in order). A message
    /// leaves the outbox once its statement succeeded.
    private func sendOutbox(on connection: PostgresConnection) async throws {
        while true {
            let batch = state.withLockedValue { Array($0.outbox.prefix(64)) }
            guard !batch.isEmpty else { return }
            var rows: [String] = []
            var notifications: [String] = []
            var binds = PostgresBindings()
            func bind(_ value: some PostgresDynamicTypeEncodable) -> String {
                binds.append(value)
                return "$\(binds.count)"
            }
            let origin = bind(nodeTag)
            for message in batch {
                let channel = bind(message.channel)
                rows.append("(\(origin), \(channel), \(bind(message.number)), \(bind(message.body)))")
                let head = nodeTag + " " + String(message.number) + " "
                let inline = head.utf8.count + message.body.utf8.count <= Self.maxNotification
                notifications.append("pg_notify(\(channel), \(bind(head + (inline ? message.body : "#"))))")
            }
            let sql = "WITH logged AS (INSERT INTO switchboard_log (origin, channel, number, body) VALUES "
                + rows.joined(separator: ", ") + ") SELECT " + notifications.joined(separator: ", ")
            _ = try await connection.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger).collect()
            state.withLockedValue { $0.outbox.removeFirst(min(batch.count, $0.outbox.count)) }
            metrics.sent.increment(by: Int64(batch.count))
        }
    }

    // MARK: Receiving

    /// A notification: `<origin tag> <number> <message>` (`#` for a message read from the log),
    /// or `<origin tag>` alone, a node's hello when it connects. The node's own notifications
    /// come back to it too, and are skipped.
    private func handle(_ payload: String, on channel: String, reading connection: PostgresConnection) async throws {
        let parts = payload.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
        let origin = String(parts[0])
        guard origin != nodeTag else { return }
        // A node that sends is alive: a new node is known at its first word, its hello.
        state.withLockedValue { _ = $0.alive.insert(origin) }
        guard parts.count == 3, let number = Int64(parts[1]) else { return }
        let key = origin + " " + channel
        let last = state.withLockedValue { $0.delivered[key] }
        if let last, number <= last { return }
        if let last, number > last + 1 {
            // Notifications were missed: the log has them.
            for (missed, body) in try await readLog(origin: origin, channel: channel, after: last, through: number - 1, on: connection) {
                deliver(body, from: origin, key: key, number: missed)
            }
        }
        var body = String(parts[2])
        if body == "#" {
            guard let logged = try await readLog(origin: origin, channel: channel, after: number - 1, through: number, on: connection).first?.body else {
                logger.warning("cluster message no longer in the log", metadata: ["origin": "\(origin)", "number": "\(number)"])
                return
            }
            body = logged
        }
        deliver(body, from: origin, key: key, number: number)
    }

    /// After (re)connecting: the messages of the log that follow the last one delivered from each
    /// node this node has heard from.
    private func catchUp(channels: [String], on connection: PostgresConnection) async throws {
        let delivered = state.withLockedValue { $0.delivered }
        guard !delivered.isEmpty else { return }
        let rows = try await connection.query(
            """
            SELECT origin, channel, number, body FROM switchboard_log
            WHERE channel = \(channels[0]) OR channel = \(channels[1]) ORDER BY origin, channel, number
            """, logger: logger)
        var missed = 0
        for try await (origin, channel, number, body) in rows.decode((String, String, Int64, String).self) {
            let key = origin + " " + channel
            guard let last = state.withLockedValue({ $0.delivered[key] }), number > last else { continue }
            deliver(body, from: origin, key: key, number: number)
            missed += 1
        }
        if missed > 0 { logger.info("cluster bus read \(missed) missed messages from the log") }
    }

    private func readLog(origin: String, channel: String, after first: Int64, through last: Int64, on connection: PostgresConnection)
        async throws -> [(number: Int64, body: String)]
    {
        let rows = try await connection.query(
            """
            SELECT number, body FROM switchboard_log
            WHERE origin = \(origin) AND channel = \(channel) AND number > \(first) AND number <= \(last) ORDER BY number
            """, logger: logger)
        var found: [(number: Int64, body: String)] = []
        for try await (number, body) in rows.decode((Int64, String).self) { found.append((number, body)) }
        if found.count < last - first {
            logger.warning("cluster messages lost: older than the log keeps", metadata: ["origin": "\(origin)", "missing": "\(last - first - Int64(found.count))"])
        }
        return found
    }

    private func deliver(_ body: String, from origin: String, key: String, number: Int64) {
        let receiver = state.withLockedValue { state in
            state.delivered[key] = number
            return state.receiver
        }
        guard let message = ClusterMessage(encoded: body) else {
            logger.warning("cluster message that does not decode", metadata: ["bytes": "\(body.utf8.count)"])
            return
        }
        metrics.received.increment()
        receiver?(.message(message, from: origin))
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
            "SELECT tag, name FROM switchboard_nodes WHERE last_seen > now() - make_interval(secs => \(timeout))", logger: logger)
        var names: [String: String] = [:]
        for try await (tag, name) in rows.decode((String, String).self) { names[tag] = name }
        let alive = Set(names.keys)
        let (before, receiver) = state.withLockedValue { state in
            defer {
                state.alive = alive
                state.names = names
            }
            return (state.alive, state.receiver)
        }
        metrics.nodes.record(alive.count)
        for tag in before.subtracting(alive) where tag != nodeTag {
            logger.warning("cluster node is gone: its sessions are unknown now", metadata: ["tag": "\(tag)"])
            receiver?(.nodeGone(tag))
        }
        _ = try await connection.query(
            "DELETE FROM switchboard_log WHERE origin = \(nodeTag) AND created < now() - interval '60 seconds'", logger: logger
        ).collect()
    }
}

/// What went wrong with the bus.
public enum PostgresClusterBusError: Error, CustomStringConvertible {
    case badURL(String)
    case listenEnded

    public var description: String {
        switch self {
        case .badURL(let url): return "not a postgres:// URL: \(url)"
        case .listenEnded: return "the LISTEN connection ended"
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
            CREATE TABLE IF NOT EXISTS switchboard_log (
                origin text NOT NULL, channel text NOT NULL, number bigint NOT NULL,
                created timestamptz NOT NULL DEFAULT now(), body text NOT NULL,
                PRIMARY KEY (origin, channel, number))
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

    init(host: String, port: Int, username: String, password: String? = nil, database: String? = nil) {
        (self.host, self.port, self.username, self.password, self.database) = (host, port, username, password, database)
    }

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
