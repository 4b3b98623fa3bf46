/// Which sessions are in which rooms, on this node: both directions, kept equal. Pure; the
/// listener holds it under its lock. A room exists while it has members.
struct RoomMembership: Sendable {
    private var members: [String: Set<String>] = [:]
    private var roomsOfSession: [String: Set<String>] = [:]

    /// Puts a session in a room; false when it was there already.
    @discardableResult
    mutating func join(_ sessionId: String, _ room: String) -> Bool {
        guard members[room, default: []].insert(sessionId).inserted else { return false }
        roomsOfSession[sessionId, default: []].insert(room)
        return true
    }

    /// Takes a session out of a room; false when it was not there.
    @discardableResult
    mutating func leave(_ sessionId: String, _ room: String) -> Bool {
        guard members[room]?.remove(sessionId) != nil else { return false }
        if members[room]?.isEmpty == true { members[room] = nil }
        roomsOfSession[sessionId]?.remove(room)
        if roomsOfSession[sessionId]?.isEmpty == true { roomsOfSession[sessionId] = nil }
        return true
    }

    /// Takes a session out of every room (its session ended).
    mutating func leaveAll(_ sessionId: String) {
        for room in roomsOfSession.removeValue(forKey: sessionId) ?? [] {
            members[room]?.remove(sessionId)
            if members[room]?.isEmpty == true { members[room] = nil }
        }
    }

    /// The sessions in a room.
    func members(of room: String) -> Set<String> {
        members[room] ?? []
    }

    /// The rooms a session is in.
    func rooms(of sessionId: String) -> Set<String> {
        roomsOfSession[sessionId] ?? []
    }

    /// The rooms that have members.
    var rooms: Set<String> {
        Set(members.keys)
    }
}

/// Who a message sent to many sessions is for.
public enum Audience: Sendable, Hashable {
    /// Every session.
    case everyone
    /// The members of one room.
    case room(String)
}

/// One room of a listener, to send to: `listener.to("lobby").send("hello")`.
public struct Room: Sendable {
    /// The room's name.
    public let name: String
    /// The listener whose sessions are its members.
    public let listener: Listener

    /// Sends a message to every member of the room except the sessions listed.
    public func send(_ message: Message, except: Set<String> = []) {
        listener.broadcast(message, to: name, except: except)
    }

    /// Sends a string message to every member of the room except the sessions listed.
    public func send(_ text: String, except: Set<String> = []) {
        send(.text(text), except: except)
    }

    /// The members of the room on this node.
    public var clients: [Client] {
        listener.clients(in: name)
    }
}
