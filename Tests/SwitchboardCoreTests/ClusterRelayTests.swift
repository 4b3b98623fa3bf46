import NIOConcurrencyHelpers
import NIOEmbedded
import SwitchboardTestKit
import SwitchboardWire
import Testing

@testable import SwitchboardCore

/// Two listeners joined by a bus in memory: what crosses between nodes, without a database.
final class MemoryBus: ClusterBus, @unchecked Sendable {
    let nodeTag: String
    let nodeName: String
    var peers: [String: MemoryBus] = [:]
    var alive: Set<String> = []
    var receiver: (@Sendable (ClusterEvent) -> Void)?

    init(tag: String) {
        nodeTag = tag
        nodeName = tag
    }

    static func pair(_ a: String, _ b: String) -> (MemoryBus, MemoryBus) {
        let (x, y) = (MemoryBus(tag: a), MemoryBus(tag: b))
        (x.peers[b], y.peers[a]) = (y, x)
        (x.alive, y.alive) = ([b], [a])
        return (x, y)
    }

    func publish(_ message: ClusterMessage) {
        for peer in peers.values { peer.receiver?(.message(message, from: nodeTag)) }
    }

    func send(_ message: ClusterMessage, to nodeTag: String) {
        peers[nodeTag]?.receiver?(.message(message, from: self.nodeTag))
    }

    func isAlive(nodeTag: String) -> Bool { nodeTag == self.nodeTag || alive.contains(nodeTag) }
    func setReceiver(_ receiver: @escaping @Sendable (ClusterEvent) -> Void) { self.receiver = receiver }
}

/// What a connection served on the other node was told.
final class ServedConnection: SessionConnection, @unchecked Sendable {
    let transportName: String
    let events = NIOLockedValueBox<[String]>([])
    init(_ transport: String) { transportName = transport }
    func accepted() { events.withLockedValue { $0.append("accepted") } }
    func write(_ payload: OutboundPayload) { events.withLockedValue { $0.append("write \(payload.text)") } }
    func complete(_ payload: OutboundPayload) { events.withLockedValue { $0.append("complete \(payload.text)") } }
    func close() { events.withLockedValue { $0.append("close") } }
    func reject() { events.withLockedValue { $0.append("reject") } }
    var all: [String] { events.withLockedValue { $0 } }
}

/// A served connection that tells a close for going away apart.
final class GoingAwayConnection: SessionConnection, @unchecked Sendable {
    let transportName: String
    let events = NIOLockedValueBox<[String]>([])
    init(_ transport: String) { transportName = transport }
    func write(_ payload: OutboundPayload) { events.withLockedValue { $0.append("write") } }
    func complete(_ payload: OutboundPayload) { events.withLockedValue { $0.append("complete") } }
    func close() { events.withLockedValue { $0.append("close") } }
    func closeGoingAway() { events.withLockedValue { $0.append("going away") } }
    func reject() { events.withLockedValue { $0.append("reject") } }
    var all: [String] { events.withLockedValue { $0 } }
}

@Suite("cluster relay (a bus in memory)")
struct ClusterRelayTests {
    let loop = EmbeddedEventLoop()
    let owner: Listener
    let server: Listener
    let buses: (MemoryBus, MemoryBus)
    let messages = Recorded<Message>()

    init() throws {
        owner = try Listener(transports: TransportRegistry([]))
        server = try Listener(transports: TransportRegistry([]))
        buses = MemoryBus.pair("ownerTag", "servTag_")
        owner.attach(cluster: buses.0)
        server.attach(cluster: buses.1)
        owner.on(.clientMessage) { [messages] message, _ in messages.append(message) }
    }

    @Test("a session of the owner, served on the other node: handshake, payloads with their verdict, writes, detach")
    func relayedSession() throws {
        let session = try #require(owner.createSession(on: loop))
        #expect(session.sessionId.hasSuffix("ownerTag"))
        let remote = try #require(server.session(session.sessionId) as? RemoteSession)
        #expect(remote.owner == "ownerTag")
        #expect(server.session(String(session.sessionId.dropLast(8)) + "deadTag_") == nil, "a tag of no live node")

        let poll = ServedConnection("xhr-polling")
        remote.attach(poll, style: .poll, acknowledged: nil)
        loop.run()
        #expect(poll.all == ["accepted", "complete " + Framed.frame(session.sessionId)], "the handshake, through the owner")

        let verdicts = NIOLockedValueBox<[PayloadVerdict]>([])
        remote.receive(payload: Framed.frame("hello")) { verdict in verdicts.withLockedValue { $0.append(verdict) } }
        loop.run()
        #expect(messages.all == ["hello"])
        #expect(verdicts.withLockedValue { $0 } == [.taken])
        #expect(remote.receive(payload: "~m~9~m~x", verdict: nil).problem != nil, "a bad payload is refused where it arrived")

        let stream = ServedConnection("xhr-multipart")
        let id = remote.attach(stream, style: .persistent, acknowledged: nil)
        loop.run()
        session.send("to the stream")
        loop.run()
        #expect(stream.all == ["accepted", "write " + Framed.frame("to the stream")])
        remote.detach(id)
        loop.run()
        #expect(!session.isOpen, "detached on the owner: its grace began")

        let existence = NIOLockedValueBox<[Bool]>([])
        server.sessionExists(session.sessionId) { exists in existence.withLockedValue { $0.append(exists) } }
        server.sessionExists(String(session.sessionId.dropFirst().prefix(21)) + "x" + "ownerTag") { exists in existence.withLockedValue { $0.append(exists) } }
        #expect(existence.withLockedValue { $0 } == [true, false])

        // The owner shuts down: a relayed connection hears that it is going away (1001 for a WebSocket).
        let socket = GoingAwayConnection("websocket")
        remote.attach(socket, style: .persistent, acknowledged: nil)
        loop.run()
        owner.shutdown()
        loop.run()
        #expect(socket.all.last == "going away")
    }

    @Test("a session that is over on the owner: its connection is rejected, its payload unknown")
    func unknownOnTheOwner() throws {
        let remote = try #require(server.session("AAAAAAAAAAAAAAAAAAAAAAownerTag") as? RemoteSession)
        let poll = ServedConnection("xhr-polling")
        remote.attach(poll, style: .poll, acknowledged: nil)
        let verdicts = NIOLockedValueBox<[PayloadVerdict]>([])
        remote.receive(payload: Framed.frame("x")) { verdict in verdicts.withLockedValue { $0.append(verdict) } }
        #expect(poll.all == ["reject"])
        #expect(verdicts.withLockedValue { $0 } == [.unknownSession])
    }

    @Test("a node that is gone: the connections served for it are rejected, its verdicts unknown, its relayed connections detached")
    func nodeGone() throws {
        let session = try #require(owner.createSession(on: loop))
        let remote = try #require(server.session(session.sessionId) as? RemoteSession)
        let stream = ServedConnection("xhr-multipart")
        remote.attach(stream, style: .persistent, acknowledged: nil)
        loop.run()
        #expect(session.isOpen)
        // The server loses the owner: what waits on it ends.
        let peer = buses.1.peers.removeValue(forKey: "ownerTag")
        let verdicts = NIOLockedValueBox<[PayloadVerdict]>([])
        remote.receive(payload: Framed.frame("lost")) { verdict in verdicts.withLockedValue { $0.append(verdict) } }
        buses.1.receiver?(.nodeGone("ownerTag"))
        #expect(stream.all.last == "reject")
        #expect(verdicts.withLockedValue { $0 } == [.unknownSession])
        // The owner loses the server: the connection it served is detached.
        buses.0.receiver?(.nodeGone("servTag_"))
        loop.run()
        #expect(!session.isOpen)
        _ = peer
    }
}
