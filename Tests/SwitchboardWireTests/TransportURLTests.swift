import SwitchboardWire
import Testing

@Suite("transport paths (docs/protocol.md §3)")
struct TransportURLTests {
    @Test("a path follows the URL shape; the SID slot is empty for a new session; empty ends are left out")
    func paths() {
        func path(_ segments: [String], _ sid: String?, index: Int = 0) -> String {
            TransportURL.path(
                resource: "socket.io", transport: "t", segments: segments, sessionId: sid, timestamp: 1_795_716_587_721,
                index: index)
        }
        #expect(path([], nil) == "/socket.io/t")
        #expect(path(["sid"], "S") == "/socket.io/t/S")
        #expect(path(["sid"], nil) == "/socket.io/t")
        #expect(path(["sid", "timestamp"], nil) == "/socket.io/t//1795716587721")
        #expect(path(["sid", "timestamp", "index"], "S", index: 4) == "/socket.io/t/S/1795716587721/4")
        #expect(TransportURL.sendPath(resource: "r", transport: "t", sessionId: "S") == "/r/t/S/send")
    }

    @Test("the server reads the SID (an empty segment is none) and the index by their names")
    func read() {
        func read(_ segments: [String], _ names: [String]) -> [String?] {
            let (sessionId, index) = TransportURL.read(segments, names: names)
            return [sessionId, index]
        }
        #expect(read(["", "17"], ["sid", "timestamp"]) == [nil, nil])
        #expect(read(["S", "17", "3"], ["sid", "timestamp", "index"]) == ["S", "3"])
        #expect(read(["S"], ["sid", "timestamp", "index"]) == ["S", nil])
    }

    @Test("ack=<n> is read from the query, in any place; absent, empty or not decimal is none")
    func acknowledged() {
        #expect(TransportURL.acknowledged(in: "/socket.io/xhr-polling/S/1?ack=12") == 12)
        #expect(TransportURL.acknowledged(in: "/socket.io/xhr-polling/S/1?t=3&ack=0&x") == 0)
        #expect(TransportURL.acknowledged(in: "/socket.io/xhr-polling/S/1?&&ack=7&") == 7)
        #expect(TransportURL.acknowledged(in: "/socket.io/xhr-polling/S/1") == nil)
        #expect(TransportURL.acknowledged(in: "/socket.io/ack=1/S") == nil, "only the query counts")
        #expect(TransportURL.acknowledged(in: "/é?xack=1&ack=") == nil)
        #expect(TransportURL.acknowledged(in: "/é?ack=1x") == nil)
        #expect(TransportURL.acknowledged(in: TransportURL.acknowledging("/p?t=1", received: 42)) == 42)
    }
}
