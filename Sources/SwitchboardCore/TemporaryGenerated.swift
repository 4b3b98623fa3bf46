// TEMPORARY stand-in for generated code; replaced by the codegen plugin.
import Logging
import NIOCore

public struct ListenerOptions: Sendable {
    public var resource: String = "socket.io"
    public var transports: [String] = []
    public var transportOptions: [String: TransportOptions] = [:]
    public var timeout: TimeAmount = .milliseconds(8000)
    public var origins: [String] = ["*:*"]
    public var log: Logger = Logger(label: "switchboard")
    public var `protocol`: PayloadProtocol = .framed
    public var maxHttpBufferSize: Int = 1_000_000
    public var maxBufferedMessages: Int = 1000
    public var maxBufferedBytes: Int = 1_000_000
    public var maxSessions: Int = 100_000
    public init() {}
}
public enum PayloadProtocol: String, Sendable, CaseIterable { case framed, envelope }

public struct TransportOptions: Sendable {
    public var heartbeatInterval: TimeAmount? = nil
    public var timeout: TimeAmount? = nil
    public var closeTimeout: TimeAmount? = nil
    public var duration: TimeAmount? = nil
    public init() {}
    public mutating func override(with other: TransportOptions) {
        if let v = other.heartbeatInterval { heartbeatInterval = v }
        if let v = other.timeout { timeout = v }
        if let v = other.closeTimeout { closeTimeout = v }
        if let v = other.duration { duration = v }
    }
}

public struct HandlerEntry<Handler: Sendable>: Sendable {
    public let id: Int
    public let handler: Handler
    public init(id: Int, handler: Handler) { self.id = id; self.handler = handler }
}

public struct ListenerEventHandlers: Sendable {
    public var connection: [HandlerEntry<@Sendable (Client) -> Void>] = []
    public var clientConnect: [HandlerEntry<@Sendable (Client) -> Void>] = []
    public var clientMessage: [HandlerEntry<@Sendable (Message, Client) -> Void>] = []
    public var clientDisconnect: [HandlerEntry<@Sendable (Client, DisconnectReason) -> Void>] = []
    public init() {}
    public mutating func remove(_ id: Int) {
        connection.removeAll { $0.id == id }
        clientConnect.removeAll { $0.id == id }
        clientMessage.removeAll { $0.id == id }
        clientDisconnect.removeAll { $0.id == id }
    }
    public func emitConnection(_ client: Client) { for e in connection { e.handler(client) } }
    public func emitClientConnect(_ client: Client) { for e in clientConnect { e.handler(client) } }
    public func emitClientMessage(_ message: Message, _ client: Client) { for e in clientMessage { e.handler(message, client) } }
    public func emitClientDisconnect(_ client: Client, _ reason: DisconnectReason) { for e in clientDisconnect { e.handler(client, reason) } }
}
public struct ListenerEvent<Handler: Sendable>: Sendable {
    public let name: String
    public let handlers: WritableKeyPath<ListenerEventHandlers, [HandlerEntry<Handler>]> & Sendable
}
extension ListenerEvent where Handler == @Sendable (Client) -> Void {
    public static var connection: Self { .init(name: "connection", handlers: \.connection) }
    public static var clientConnect: Self { .init(name: "clientConnect", handlers: \.clientConnect) }
}
extension ListenerEvent where Handler == @Sendable (Message, Client) -> Void {
    public static var clientMessage: Self { .init(name: "clientMessage", handlers: \.clientMessage) }
}
extension ListenerEvent where Handler == @Sendable (Client, DisconnectReason) -> Void {
    public static var clientDisconnect: Self { .init(name: "clientDisconnect", handlers: \.clientDisconnect) }
}

public struct ClientEventHandlers: Sendable {
    public var message: [HandlerEntry<@Sendable (Message) -> Void>] = []
    public var disconnect: [HandlerEntry<@Sendable (DisconnectReason) -> Void>] = []
    public init() {}
    public mutating func remove(_ id: Int) {
        message.removeAll { $0.id == id }
        disconnect.removeAll { $0.id == id }
    }
    public func emitMessage(_ message: Message) { for e in self.message { e.handler(message) } }
    public func emitDisconnect(_ reason: DisconnectReason) { for e in disconnect { e.handler(reason) } }
}
public struct ClientEvent<Handler: Sendable>: Sendable {
    public let name: String
    public let handlers: WritableKeyPath<ClientEventHandlers, [HandlerEntry<Handler>]> & Sendable
}
extension ClientEvent where Handler == @Sendable (Message) -> Void {
    public static var message: Self { .init(name: "message", handlers: \.message) }
}
extension ClientEvent where Handler == @Sendable (DisconnectReason) -> Void {
    public static var disconnect: Self { .init(name: "disconnect", handlers: \.disconnect) }
}
extension ListenerOptions {
    public mutating func set(_ key: String, to value: String) throws(OptionError) {
        switch key {
        case "maxSessions": guard let v = Int(value) else { throw OptionError(key: key, value: value, reason: "not an integer") }; maxSessions = v
        case "transportOptions":
            let parts = value.split(separator: "=", maxSplits: 1)
            let nameKey = parts[0].split(separator: ".", maxSplits: 1)
            var o = transportOptions[String(nameKey[0])] ?? TransportOptions()
            guard let ms = Int(parts[1]) else { throw OptionError(key: key, value: value, reason: "bad") }
            switch nameKey[1] { case "duration": o.duration = .milliseconds(Int64(ms)); case "heartbeatInterval": o.heartbeatInterval = .milliseconds(Int64(ms)); case "timeout": o.timeout = .milliseconds(Int64(ms)); default: throw OptionError(key: key, value: value, reason: "unknown") }
            transportOptions[String(nameKey[0])] = o
        default: throw OptionError(key: key, value: value, reason: "unknown option")
        }
    }
}
