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
        // Each command starts with one of these letters; every other message is told at once.
        guard let first = message.utf8.first, "bjlnt".utf8.contains(first) else { return nil }
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

/// The chat demo: channels a user switches between, recent history for newcomers, who is here,
/// messages to everyone in the channel. Sends go through rooms, so the demo works unchanged on a
/// cluster: a channel's messages and its roll call reach every node. History is each node's own
/// (a demo keeps no database): a newcomer sees the recent messages its node has seen.
///
/// Who is here travels as messages, not server state: a user who enters a channel is announced
/// (`joined`, with its session id); every page in the channel answers `here`, which the server
/// sends on to the newcomer's own room (`session:<sid>`) as `present`.
final class ChatRoom: Sendable {
    static let channels = ["general", "random", "swift"]
    private struct State {
        var history: [String: [JSONValue]] = [:]
        var nicknames: [String: String] = [:]
        var channels: [String: String] = [:]
    }
    private let state = NIOLockedValueBox(State())
    private let historyLength = 20

    static func room(_ channel: String) -> String { "chat:" + channel }

    func install(on listener: Listener) {
        listener.on(.clientConnect) { [self] client in
            client.join("session:" + client.sessionId)
            enter(Self.channels[0], client: client, listener: listener)
        }
        listener.on(.clientMessage) { [self] message, client in
            guard case .json(let object) = message else { return }
            let channel = state.withLockedValue { $0.channels[client.sessionId] } ?? Self.channels[0]
            if case .string(let nickname)? = object["nickname"] {
                let name = String(nickname.prefix(32))
                state.withLockedValue { $0.nicknames[client.sessionId] = name }
                announceArrival(of: client, name: name, in: channel, listener: listener)
            } else if case .string(let next)? = object["channel"], Self.channels.contains(next), next != channel {
                announceDeparture(of: client, from: channel, listener: listener)
                enter(next, client: client, listener: listener)
            } else if case .string(let text)? = object["text"] {
                let from = state.withLockedValue { $0.nicknames[client.sessionId] } ?? "anonymous"
                let entry: JSONValue = ["from": .string(from), "text": .string(String(text.prefix(2000)))]
                state.withLockedValue {
                    $0.history[channel, default: []].append(entry)
                    if $0.history[channel]!.count > historyLength { $0.history[channel]!.removeFirst() }
                }
                listener.to(Self.room(channel)).send(.json(["message": entry, "channel": .string(channel)]))
            } else if case .string(let here)? = object["here"], case .string(let newcomer)? = object["to"],
                let name = state.withLockedValue({ $0.nicknames[client.sessionId] })
            {
                // The roll call's answer goes to the newcomer alone, on whichever node it is.
                listener.to("session:" + newcomer).send(.json(["present": .string(name), "channel": .string(here)]))
            }
        }
        listener.on(.clientDisconnect) { [self] client, _ in
            let channel = state.withLockedValue { $0.channels.removeValue(forKey: client.sessionId) }
            if let channel { announceDeparture(of: client, from: channel, listener: listener) }
            state.withLockedValue { _ = $0.nicknames.removeValue(forKey: client.sessionId) }
        }
    }

    /// Puts the client in a channel: its room, the channel list, the channel's recent history.
    private func enter(_ channel: String, client: Client, listener: Listener) {
        let (history, name) = state.withLockedValue { state in
            state.channels[client.sessionId] = channel
            return (state.history[channel] ?? [], state.nicknames[client.sessionId])
        }
        client.join(Self.room(channel))
        client.send(.json(["channels": .array(Self.channels.map(JSONValue.string)), "channel": .string(channel), "buffer": .array(history)]))
        if let name { announceArrival(of: client, name: name, in: channel, listener: listener) }
    }

    private func announceArrival(of client: Client, name: String, in channel: String, listener: Listener) {
        listener.to(Self.room(channel)).send(
            .json(["joined": .string(name), "sid": .string(client.sessionId), "channel": .string(channel), "announcement": .string("\(name) joined #\(channel)")]))
    }

    private func announceDeparture(of client: Client, from channel: String, listener: Listener) {
        client.leave(Self.room(channel))
        guard let name = state.withLockedValue({ $0.nicknames[client.sessionId] }) else { return }
        listener.to(Self.room(channel)).send(
            .json(["left": .string(name), "channel": .string(channel), "announcement": .string("\(name) left #\(channel)")]))
    }
}
