import NIOCore
import NIOEmbedded
import SwitchboardCore
import Synchronization
import Testing

/// The events generated from Specs/listener.yaml and Specs/client.yaml.
@Suite struct GeneratedEventsTests {
    @Test func handlersAreAddedThroughTheEventKeyPathEmittedAndRemoved() throws {
        let received = Mutex<[String]>([])
        let client = try #require(try Listener(transports: TransportRegistry([])).createSession(on: EmbeddedEventLoop()))
        var handlers = ListenerEventHandlers()
        let event = ListenerEvent.clientMessage
        #expect(event.name == "clientMessage")

        // A closure literal needs `.init` (or an explicit type) here: with
        // `HandlerEntry(id:handler:)` the compiler infers `Handler` from the closure before it
        // sees the key path, and the closure is then not `@Sendable`.
        handlers[keyPath: event.handlers].append(
            .init(
                id: 1,
                handler: { message, client in
                    received.withLock { $0.append("1:\(message)") }
                })
        )
        let second: @Sendable (Message, Client) -> Void = { message, _ in
            received.withLock { $0.append("2:\(message)") }
        }
        handlers[keyPath: event.handlers].append(HandlerEntry(id: 2, handler: second))
        handlers[keyPath: ListenerEvent.connection.handlers].append(
            .init(id: 3, handler: { _ in received.withLock { $0.append("connection") } })
        )

        handlers.emitClientMessage(.text("hi"), client)
        handlers.emitConnection(client)
        #expect(received.withLock { $0 } == ["1:hi", "2:hi", "connection"])

        handlers.remove(1)
        handlers.remove(3)
        received.withLock { $0 = [] }
        handlers.emitClientMessage(.text("again"), client)
        handlers.emitConnection(client)
        #expect(received.withLock { $0 } == ["2:again"])
        #expect(handlers.clientMessage.map(\.id) == [2])
    }

    @Test func eachEventHasItsSpecNameAndHandlerType() {
        // The `where Handler ==` constraint types each event: these bindings compile only with the
        // payload written in the spec.
        let connection: ListenerEvent<@Sendable (Client) -> Void> = .connection
        let connect: ListenerEvent<@Sendable (Client) -> Void> = .clientConnect
        let disconnect: ListenerEvent<@Sendable (Client, DisconnectReason) -> Void> = .clientDisconnect
        let message: ClientEvent<@Sendable (Message) -> Void> = .message
        let closed: ClientEvent<@Sendable (DisconnectReason) -> Void> = .disconnect
        #expect(
            [connection.name, connect.name, disconnect.name] == ["connection", "clientConnect", "clientDisconnect"])
        #expect([message.name, closed.name] == ["message", "disconnect"])

        let reasons = Mutex<[DisconnectReason]>([])
        var handlers = ClientEventHandlers()
        handlers[keyPath: closed.handlers].append(
            .init(id: 7, handler: { reason in reasons.withLock { $0.append(reason) } }))
        handlers.emitDisconnect(.serverDisconnect)
        #expect(reasons.withLock { $0 } == [.serverDisconnect])
    }
}
