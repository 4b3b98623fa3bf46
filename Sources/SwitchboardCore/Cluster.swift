import SwitchboardWire

/// The seam between a listener and the other nodes of its cluster (docs/cluster.md). The core
/// defines it and never depends on an implementation: `SwitchboardPostgres` provides one over a
/// PostgreSQL database. Without a bus a listener is a cluster of one, as before.
public protocol ClusterBus: AnyObject, Sendable {
    /// This node's tag: it ends the session ids of the sessions this node owns (``SessionID``).
    var nodeTag: String { get }
    /// This node's name, for people (logs, the echo app's `node?`).
    var nodeName: String { get }
    /// Sends a message to every other node, in the order of the calls. Returns at once; the bus
    /// delivers it when it can (docs/cluster.md says what happens while the database is away).
    func publish(_ message: ClusterMessage)
    /// Whether a node tag names a node that is alive now.
    func isAlive(nodeTag: String) -> Bool
    /// Where the messages of the other nodes go, in the order each sent them. Set once, before
    /// the bus runs.
    func setReceiver(_ receiver: @escaping @Sendable (ClusterMessage) -> Void)
}

/// What one node tells the others. Its text form (``encoded`` / ``init(encoded:)``) is compact
/// JSON, the same on every node.
public enum ClusterMessage: Sendable, Hashable {
    /// A message for an audience on every node, except the sessions listed.
    case send(Message, to: Audience, except: Set<String>)

    /// The message as text for the bus.
    public var encoded: String {
        switch self {
        case .send(let message, let audience, let except):
            var object: [String: JSONValue] = ["k": "send"]
            switch message {
            case .text(let text): object["t"] = .string(text)
            case .json(let json): object["j"] = .object(json)
            }
            if case .room(let room) = audience { object["r"] = .string(room) }
            if !except.isEmpty { object["x"] = .array(except.sorted().map(JSONValue.string)) }
            return (try? JSONText.encode(object)) ?? "{}"
        }
    }

    /// The message of a text from ``encoded``, or nil when it is not one.
    public init?(encoded text: String) {
        guard let object = try? JSONText.decode([String: JSONValue].self, from: text),
            case .string("send")? = object["k"]
        else { return nil }
        let message: Message
        switch (object["t"], object["j"]) {
        case (.string(let text)?, nil): message = .text(text)
        case (nil, .object(let json)?): message = .json(json)
        default: return nil
        }
        var audience = Audience.everyone
        switch object["r"] {
        case nil: break
        case .string(let room)?: audience = .room(room)
        default: return nil
        }
        var except: Set<String> = []
        switch object["x"] {
        case nil: break
        case .array(let ids)?:
            for id in ids {
                guard case .string(let id) = id else { return nil }
                except.insert(id)
            }
        default: return nil
        }
        self = .send(message, to: audience, except: except)
    }
}
