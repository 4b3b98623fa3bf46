import Foundation
import SwitchboardCore

/// A message that could not be turned into, or made from, a typed value.
public enum TypedMessageError: Error, CustomStringConvertible {
    /// The value does not encode to a JSON object (only objects travel as `~j~`).
    case notAnObject(type: String)
    /// The message is a string, not a JSON object.
    case notJSON(text: String)
    /// The object does not decode as the requested type.
    case mismatch(type: String, object: [String: JSONValue], underlying: any Error)

    public var description: String {
        switch self {
        case .notAnObject(let type): return "\(type) does not encode to a JSON object"
        case .notJSON(let text): return "expected a JSON message, got the string \(text.debugDescription)"
        case .mismatch(let type, _, let underlying): return "JSON message does not decode as \(type): \(underlying)"
        }
    }
}

extension Message {
    /// A JSON message made from an `Encodable` value that encodes to an object.
    public init(encoding value: some Encodable) throws {
        let data = try JSONEncoder().encode(value)
        guard let object = try? JSONDecoder().decode([String: JSONValue].self, from: data) else {
            throw TypedMessageError.notAnObject(type: String(describing: type(of: value)))
        }
        self = .json(object)
    }

    /// The JSON object of this message decoded as `type`.
    public func decode<T: Decodable>(_ type: T.Type) throws(TypedMessageError) -> T {
        switch self {
        case .text(let text):
            throw .notJSON(text: text)
        case .json(let object):
            do {
                return try JSONDecoder().decode(T.self, from: JSONEncoder().encode(object))
            } catch {
                throw .mismatch(type: String(describing: T.self), object: object, underlying: error)
            }
        }
    }
}

extension Client {
    /// Sends a `Codable` value as a JSON message.
    public func send(encoding value: some Encodable) throws {
        send(try Message(encoding: value))
    }
}

extension Listener {
    /// Calls `handler` for every message that decodes as `type`; other messages go to `onMismatch`.
    ///
    /// ```swift
    /// struct Chat: Codable { var text: String }
    /// listener.onMessage(of: Chat.self) { chat, client in client.broadcast(try! Message(encoding: chat)) }
    /// ```
    @discardableResult
    public func onMessage<T: Decodable & Sendable>(
        of type: T.Type,
        onMismatch: @escaping @Sendable (TypedMessageError, Client) -> Void = { _, _ in },
        _ handler: @escaping @Sendable (T, Client) -> Void
    ) -> Subscription {
        on(.clientMessage) { message, client in
            do throws(TypedMessageError) {
                handler(try message.decode(T.self), client)
            } catch {
                onMismatch(error, client)
            }
        }
    }
}
