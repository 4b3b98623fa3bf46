import SwitchboardWire

/// The seam between a listener and the other nodes of its cluster (docs/cluster.md). The core
/// defines it and never depends on an implementation: `SwitchboardPostgres` provides one over a
/// PostgreSQL database. Without a bus a listener is a cluster of one, as before.
public protocol ClusterBus: AnyObject, Sendable {
    /// This node's tag: it ends the session ids of the sessions this node owns (``SessionID``).
    var nodeTag: String { get }
    /// This node's name, for people (logs, the echo app's `node?`).
    var nodeName: String { get }
    /// Sends a message to every other node. Returns at once; the bus delivers it when it can,
    /// after every message this node sent before it.
    func publish(_ message: ClusterMessage)
    /// Sends a message to one node (by its tag), after every message this node sent before it.
    func send(_ message: ClusterMessage, to nodeTag: String)
    /// Whether a node tag names a node that is alive now.
    func isAlive(nodeTag: String) -> Bool
    /// The names of the live nodes, this one included (a status page shows them).
    var liveNodes: Set<String> { get }
    /// Where the bus reports: each message of another node, in the order that node sent them, and
    /// each node that is gone. Set once, before the bus runs.
    func setReceiver(_ receiver: @escaping @Sendable (ClusterEvent) -> Void)
}

extension ClusterBus {
    public var liveNodes: Set<String> { [nodeName] }
}

/// What a bus reports to its listener.
public enum ClusterEvent: Sendable, Hashable {
    /// A message from the node with this tag.
    case message(ClusterMessage, from: String)
    /// The node with this tag stopped beating: its sessions are unknown now.
    case nodeGone(String)
}

/// What one node tells another. A request that reaches a node for a session that another node
/// owns is served where it arrived and relayed: the serving node sends the owner the connection's
/// events (`attach`, `detach`, `writable`, `receive`, `exists`) and the owner's session answers
/// with what it does to the connection (`accepted`, `write`, `complete`, `close`, `reject`,
/// `verdict`). Connection and request numbers are the serving node's.
public enum ClusterMessage: Sendable, Hashable {
    /// A message for an audience on every node, except the sessions listed.
    case send(Message, to: Audience, except: Set<String>)

    case attach(sessionId: String, connection: UInt64, transport: String, style: ConnectionStyle, acknowledged: Int?)
    case detach(connection: UInt64)
    case writable(connection: UInt64, Bool)
    case receive(sessionId: String, payload: String, request: UInt64)
    case exists(sessionId: String, request: UInt64)

    case accepted(connection: UInt64)
    case write(connection: UInt64, payload: String, sequence: Int)
    case complete(connection: UInt64, payload: String, sequence: Int)
    /// Close the connection; `goingAway` when the owner is shutting down (a WebSocket says 1001).
    case close(connection: UInt64, goingAway: Bool)
    case reject(connection: UInt64)
    case verdict(request: UInt64, PayloadVerdict)
}

// MARK: Text form

extension ClusterMessage {
    /// The message as compact JSON for the bus: `{"k":<kind>, ...}`, the same on every node.
    public var encoded: String {
        var o: [String: JSONValue] = [:]
        func number(_ n: some BinaryInteger) -> JSONValue { .int(Int(n)) }
        switch self {
        case .send(let message, let audience, let except):
            o["k"] = "send"
            switch message {
            case .text(let text): o["t"] = .string(text)
            case .json(let json): o["j"] = .object(json)
            }
            if case .room(let room) = audience { o["r"] = .string(room) }
            if !except.isEmpty { o["x"] = .array(except.sorted().map(JSONValue.string)) }
        case .attach(let sessionId, let connection, let transport, let style, let acknowledged):
            (o["k"], o["s"], o["c"], o["t"], o["p"]) = ("attach", .string(sessionId), number(connection), .string(transport), .bool(style == .poll))
            if let acknowledged { o["a"] = number(acknowledged) }
        case .detach(let connection):
            (o["k"], o["c"]) = ("detach", number(connection))
        case .writable(let connection, let writable):
            (o["k"], o["c"], o["w"]) = ("writable", number(connection), .bool(writable))
        case .receive(let sessionId, let payload, let request):
            (o["k"], o["s"], o["d"], o["q"]) = ("receive", .string(sessionId), .string(payload), number(request))
        case .exists(let sessionId, let request):
            (o["k"], o["s"], o["q"]) = ("exists", .string(sessionId), number(request))
        case .accepted(let connection):
            (o["k"], o["c"]) = ("accepted", number(connection))
        case .write(let connection, let payload, let sequence):
            (o["k"], o["c"], o["d"], o["n"]) = ("write", number(connection), .string(payload), number(sequence))
        case .complete(let connection, let payload, let sequence):
            (o["k"], o["c"], o["d"], o["n"]) = ("complete", number(connection), .string(payload), number(sequence))
        case .close(let connection, let goingAway):
            (o["k"], o["c"]) = ("close", number(connection))
            if goingAway { o["g"] = .bool(true) }
        case .reject(let connection):
            (o["k"], o["c"]) = ("reject", number(connection))
        case .verdict(let request, let verdict):
            (o["k"], o["q"]) = ("verdict", number(request))
            switch verdict {
            case .taken: o["v"] = "taken"
            case .refused(let reason): (o["v"], o["e"]) = ("refused", .string(reason))
            case .unknownSession: o["v"] = "unknown"
            }
        }
        return (try? JSONText.encode(o)) ?? "{}"
    }

    /// The message of a text from ``encoded``, or nil when it is not one.
    public init?(encoded text: String) {
        guard let o = try? JSONText.decode([String: JSONValue].self, from: text), case .string(let kind)? = o["k"] else { return nil }
        func string(_ key: String) -> String? {
            if case .string(let value)? = o[key] { return value }
            return nil
        }
        func int(_ key: String) -> Int? {
            if case .int(let value)? = o[key] { return value }
            return nil
        }
        func id(_ key: String) -> UInt64? { int(key).flatMap { $0 >= 0 ? UInt64($0) : nil } }
        func bool(_ key: String) -> Bool? {
            if case .bool(let value)? = o[key] { return value }
            return nil
        }
        switch kind {
        case "send":
            let message: Message
            switch (o["t"], o["j"]) {
            case (.string(let text)?, nil): message = .text(text)
            case (nil, .object(let json)?): message = .json(json)
            default: return nil
            }
            var except: Set<String> = []
            if let ids = o["x"] {
                guard case .array(let ids) = ids else { return nil }
                for id in ids {
                    guard case .string(let id) = id else { return nil }
                    except.insert(id)
                }
            }
            if o["r"] != nil, string("r") == nil { return nil }
            self = .send(message, to: string("r").map(Audience.room) ?? .everyone, except: except)
        case "attach":
            guard let s = string("s"), let c = id("c"), let t = string("t"), let p = bool("p") else { return nil }
            if o["a"] != nil, int("a") == nil { return nil }
            self = .attach(sessionId: s, connection: c, transport: t, style: p ? .poll : .persistent, acknowledged: int("a"))
        case "detach":
            guard let c = id("c") else { return nil }
            self = .detach(connection: c)
        case "writable":
            guard let c = id("c"), let w = bool("w") else { return nil }
            self = .writable(connection: c, w)
        case "receive":
            guard let s = string("s"), let d = string("d"), let q = id("q") else { return nil }
            self = .receive(sessionId: s, payload: d, request: q)
        case "exists":
            guard let s = string("s"), let q = id("q") else { return nil }
            self = .exists(sessionId: s, request: q)
        case "accepted":
            guard let c = id("c") else { return nil }
            self = .accepted(connection: c)
        case "write", "complete":
            guard let c = id("c"), let d = string("d"), let n = int("n") else { return nil }
            self = kind == "write" ? .write(connection: c, payload: d, sequence: n) : .complete(connection: c, payload: d, sequence: n)
        case "close":
            guard let c = id("c") else { return nil }
            if o["g"] != nil, bool("g") == nil { return nil }
            self = .close(connection: c, goingAway: bool("g") ?? false)
        case "reject":
            guard let c = id("c") else { return nil }
            self = .reject(connection: c)
        case "verdict":
            guard let q = id("q") else { return nil }
            switch string("v") {
            case "taken": self = .verdict(request: q, .taken)
            case "refused": self = .verdict(request: q, .refused(string("e") ?? ""))
            case "unknown": self = .verdict(request: q, .unknownSession)
            default: return nil
            }
        default:
            return nil
        }
    }
}
