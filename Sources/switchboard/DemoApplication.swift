import ArgumentParser
import NIOConcurrencyHelpers
import SwitchboardCore

/// The demo applications of the host.
enum DemoApplication: String, ExpressibleByArgument, CaseIterable, CustomStringConvertible {
    /// A chat room: the page in `Public/` talks to it.
    case chat
    /// Sends every message back to its sender; `broadcast:<text>` goes to every other client instead.
    case echo

    var description: String { rawValue }

    func install(on listener: Listener) {
        switch self {
        case .chat: ChatRoom().install(on: listener)
        case .echo: Self.installEcho(on: listener)
        }
    }

    static func installEcho(on listener: Listener) {
        listener.on(.clientMessage) { message, client in
            if case .text(let text) = message, text.hasPrefix("broadcast:") {
                client.broadcast(.text(String(text.dropFirst("broadcast:".count))))
            } else {
                client.send(message)
            }
        }
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
