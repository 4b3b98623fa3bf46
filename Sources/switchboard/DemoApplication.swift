import ArgumentParser
import NIOConcurrencyHelpers
import SwitchboardCore

/// The demo applications of the host.
enum DemoApplication: String, ExpressibleByArgument, CaseIterable, CustomStringConvertible {
    /// A chat room: the page in `Public/` talks to it.
    case chat
    /// Sends every message back to its sender, except the commands of ``EchoCommand``.
    case echo

    var description: String { rawValue }

    /// Installs the application; `node` gives this node's name (`node?` answers it).
    func install(on listener: Listener, node: @escaping @Sendable () -> String) {
        switch self {
        case .chat: ChatRoom().install(on: listener)
        case .echo: Self.installEcho(on: listener, node: node)
        }
    }

    static func installEcho(on listener: Listener, node: @escaping @Sendable () -> String) {
        listener.on(.clientMessage) { message, client in
            guard case .text(let text) = message, let command = EchoCommand(text) else { return client.send(message) }
            switch command {
            case .broadcast(let text):
                client.broadcast(.text(text))
            case .node:
                client.send("node:\(node())")
            case .join(let room):
                client.join(room)
                client.send("joined:\(room)")
            case .leave(let room):
                client.leave(room)
                client.send("left:\(room)")
            case .to(let room, let text):
                client.broadcast(.text(text), to: room)
            }
        }
    }
}

/// The commands of the echo application, which black-box tests rely on; every other message is
/// echoed to its sender.
enum EchoCommand: Equatable {
    /// `broadcast:<text>`: the text to every other session.
    case broadcast(String)
    /// `node?`: answered `node:<name>`, the node that owns the session.
    case node
    /// `join:<room>`: answered `joined:<room>`.
    case join(String)
    /// `leave:<room>`: answered `left:<room>`.
    case leave(String)
    /// `to:<room>:<text>`: the text to every other member of the room; no answer.
    case to(room: String, text: String)

    init?(_ message: String) {
        if message == "node?" {
            self = .node
        } else if let text = message.dropPrefix("broadcast:") {
            self = .broadcast(text)
        } else if let room = message.dropPrefix("join:") {
            self = .join(room)
        } else if let room = message.dropPrefix("leave:") {
            self = .leave(room)
        } else if let rest = message.dropPrefix("to:"), let colon = rest.firstIndex(of: ":") {
            self = .to(room: String(rest[..<colon]), text: String(rest[rest.index(after: colon)...]))
        } else {
            return nil
        }
    }
}

extension String {
    /// The rest of the string after `prefix`, or nil when it does not start with it.
    fileprivate func dropPrefix(_ prefix: String) -> String? {
        hasPrefix(prefix) ? String(dropFirst(prefix.count)) : nil
    }
}

/// The chat demo: recent history for newcomers, a list of who is here, messages to everyone else.
final class ChatRoom: Sendable {
    private struct State {
        var history: [JSONValue] = []
        var nicknames: [String: String] = [:]
    }
    private let state = NIOLockedValueBox(State())
    private let historyLength = 20

    func install(on listener: Listener) {
        listener.on(.clientConnect) { [self] client in
            let history = state.withLockedValue { $0.history }
            client.send(.json(["buffer": .array(history)]))
            client.send(.json(["users": .array(names().map(JSONValue.string))]))
        }
        listener.on(.clientMessage) { [self] message, client in
            guard case .json(let object) = message else { return }
            if case .string(let nickname)? = object["nickname"] {
                let name = String(nickname.prefix(32))
                state.withLockedValue { $0.nicknames[client.sessionId] = name }
                announce("\(name) joined", users: true, on: listener)
            } else if case .string(let text)? = object["text"] {
                let from = state.withLockedValue { $0.nicknames[client.sessionId] } ?? "anonymous"
                let entry: JSONValue = ["from": .string(from), "text": .string(String(text.prefix(2000)))]
                state.withLockedValue {
                    $0.history.append(entry)
                    if $0.history.count > historyLength { $0.history.removeFirst() }
                }
                listener.broadcast(.json(["message": entry]))
            }
        }
        listener.on(.clientDisconnect) { [self] client, _ in
            guard let name = state.withLockedValue({ $0.nicknames.removeValue(forKey: client.sessionId) }) else { return }
            announce("\(name) left", users: true, on: listener)
        }
    }

    private func names() -> [String] {
        state.withLockedValue { Array($0.nicknames.values).sorted() }
    }

    private func announce(_ text: String, users: Bool, on listener: Listener) {
        listener.broadcast(.json(["announcement": .string(text), "users": .array(names().map(JSONValue.string))]))
    }
}
