import NIOConcurrencyHelpers
import NIOEmbedded
import SwitchboardTestKit
import SwitchboardWire
import Testing

@testable import SwitchboardCore

/// A connection that records what the session writes to it.
final class RecordingConnection: SessionConnection, @unchecked Sendable {
    let transportName = "test"
    let written = NIOLockedValueBox<[String]>([])
    func write(_ payload: OutboundPayload) { written.withLockedValue { $0.append(payload.text) } }
    func complete(_ payload: OutboundPayload) { write(payload) }
    func close() {}
    func reject() {}
}

@Suite("rooms")
struct RoomsTests {
    @Test("membership both ways: join, leave, leave all; a room exists while it has members")
    func membership() {
        var rooms = RoomMembership()
        let first = rooms.join("s1", "lobby")
        let again = rooms.join("s1", "lobby")
        #expect(first && !again, "already in it")
        rooms.join("s2", "lobby")
        rooms.join("s1", "dev")
        #expect(rooms.members(of: "lobby") == ["s1", "s2"])
        #expect(rooms.rooms(of: "s1") == ["lobby", "dev"])
        let left = rooms.leave("s2", "lobby")
        let leftAgain = rooms.leave("s2", "lobby")
        #expect(left && !leftAgain)
        #expect(rooms.rooms(of: "s2").isEmpty)
        rooms.leaveAll("s1")
        #expect(rooms.rooms.isEmpty, "no members, no rooms")
        #expect(rooms.members(of: "lobby").isEmpty)
    }

    /// A listener with `count` open sessions on one embedded loop, each on a recording connection.
    func sessions(_ count: Int) throws -> (Listener, EmbeddedEventLoop, [(Client, RecordingConnection)]) {
        let listener = try Listener(transports: TransportRegistry([]))
        let loop = EmbeddedEventLoop()
        let sessions = try (0..<count).map { _ -> (Client, RecordingConnection) in
            let client = try #require(listener.createSession(on: loop))
            let connection = RecordingConnection()
            client.attach(connection, style: .persistent)
            connection.written.withLockedValue { $0.removeAll() }  // the handshake
            return (client, connection)
        }
        return (listener, loop, sessions)
    }

    @Test("a room send reaches its members but the excepted; a client's room broadcast skips itself")
    func sends() throws {
        let (listener, loop, s) = try sessions(4)
        let (a, b, c, d) = (s[0].0, s[1].0, s[2].0, s[3].0)
        a.join("lobby")
        b.join("lobby")
        c.join("lobby")
        d.join("dev")
        #expect(Set(listener.clients(in: "lobby").map(\.sessionId)) == [a.sessionId, b.sessionId, c.sessionId])
        #expect(listener.to("lobby").clients.count == 3)
        #expect(listener.rooms == ["lobby", "dev"])
        #expect(a.rooms == ["lobby"])

        listener.to("lobby").send("all", except: [c.sessionId])
        a.broadcast(.text("from a"), to: "lobby")
        d.broadcast(.text("from d"), to: "lobby")
        loop.run()
        #expect(s[0].1.written.withLockedValue { $0 } == [Framed.frame("all"), Framed.frame("from d")])
        #expect(s[1].1.written.withLockedValue { $0 } == [Framed.frame("all"), Framed.frame("from a"), Framed.frame("from d")])
        #expect(s[2].1.written.withLockedValue { $0 } == [Framed.frame("from a"), Framed.frame("from d")])
        #expect(s[3].1.written.withLockedValue { $0 }.isEmpty, "d is not a member")

        b.leave("lobby")
        listener.broadcast(.text("again"), to: "lobby")
        loop.run()
        #expect(s[1].1.written.withLockedValue { $0 }.count == 3, "b left")
    }

    @Test("membership ends with the session; the disconnect handlers still see the rooms")
    func endsWithSession() throws {
        let (listener, loop, s) = try sessions(2)
        let seen = NIOLockedValueBox<Set<String>?>(nil)
        listener.on(.clientDisconnect) { client, _ in seen.withLockedValue { $0 = client.rooms } }
        let (a, b) = (s[0].0, s[1].0)
        a.join("lobby")
        b.join("lobby")
        a.disconnect()
        loop.run()
        #expect(seen.withLockedValue { $0 } == ["lobby"])
        #expect(a.rooms.isEmpty)
        #expect(listener.clients(in: "lobby").map(\.sessionId) == [b.sessionId])
        a.join("late")
        #expect(listener.rooms == ["lobby"], "a session that ended joins nothing")
    }
}
