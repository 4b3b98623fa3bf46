import Foundation
import SwitchboardServerTestSupport
import SwitchboardTestKit
import Testing

/// Several `switchboard` processes on one throwaway PostgreSQL act as one server (docs/cluster.md).
@Suite("cluster over PostgreSQL", .serialized)
struct ClusterTests {
    /// Three echo nodes on one database.
    static func nodes(_ database: PostgresServer, count: Int = 3) async throws -> [HostProcess] {
        var nodes: [HostProcess] = []
        for n in 1...count {
            nodes.append(
                try await HostProcess([
                    "--app", "echo", "--transports", "websocket,xhr-polling", "--cluster", database.url, "--node", "n\(n)",
                ]))
        }
        return nodes
    }

    /// A WebSocket session on `node`; its handshake read.
    static func socket(on node: HostProcess) async throws -> WebSocketTestClient {
        let socket = try await WebSocketTestClient.connect(port: node.port, path: "/socket.io/websocket")
        let handshake = try await socket.receiveText()
        #expect(handshake.hasPrefix("~m~30~m~"), "a cluster SID: 22 random characters and the node's tag of 8")
        return socket
    }

    /// Nothing more waits for `socket`: the echo of a probe comes next.
    static func expectNothingElse(_ socket: WebSocketTestClient, _ comment: Comment) async throws {
        try await socket.send(text: framed("probe"))
        #expect(try await socket.receiveText() == framed("probe"), comment)
    }

    @Test("broadcasts and room sends reach the sessions of every node exactly once, large ones too")
    func fanOut() async throws {
        let database = try await PostgresServer.start()
        defer { database.stop() }
        let nodes = try await Self.nodes(database)
        defer { for node in nodes { node.stop() } }
        let (a, b, c) = (try await Self.socket(on: nodes[0]), try await Self.socket(on: nodes[1]), try await Self.socket(on: nodes[2]))
        for (socket, name) in [(a, "n1"), (b, "n2"), (c, "n3")] {
            try await socket.send(text: framed("node?"))
            #expect(try await socket.receiveText() == framed("node:\(name)"))
        }

        try await a.send(text: framed("broadcast:hello from n1"))
        #expect(try await b.receiveText() == framed("hello from n1"))
        #expect(try await c.receiveText() == framed("hello from n1"))
        try await Self.expectNothingElse(a, "the sender gets no copy")

        for socket in [b, c] {
            try await socket.send(text: framed("join:lobby"))
            #expect(try await socket.receiveText() == framed("joined:lobby"))
        }
        try await a.send(text: framed("to:lobby:for the lobby"))
        #expect(try await b.receiveText() == framed("for the lobby"))
        #expect(try await c.receiveText() == framed("for the lobby"))
        try await b.send(text: framed("to:lobby:from b"))
        #expect(try await c.receiveText() == framed("from b"))
        for socket in [a, b, c] { try await Self.expectNothingElse(socket, "exactly once, the sender excepted") }

        // Over NOTIFY's 8000 bytes: through the table.
        let large = String(repeating: "x", count: 20_000)
        try await c.send(text: framed("broadcast:" + large))
        #expect(try await a.receiveText() == framed(large))
        #expect(try await b.receiveText() == framed(large))
        for socket in [a, b, c] { try await Self.expectNothingElse(socket, "once") }
    }

    @Test("the bus survives a database restart: what was broadcast meanwhile arrives after, in order")
    func databaseRestart() async throws {
        let database = try await PostgresServer.start()
        defer { database.stop() }
        let nodes = try await Self.nodes(database, count: 2)
        defer { for node in nodes { node.stop() } }
        let (a, b) = (try await Self.socket(on: nodes[0]), try await Self.socket(on: nodes[1]))
        try await a.send(text: framed("broadcast:before"))
        #expect(try await b.receiveText() == framed("before"))

        try database.kill()
        try await a.send(text: framed("broadcast:during 1", "broadcast:during 2"))
        try await Self.expectNothingElse(a, "the node serves its own sessions meanwhile")
        try await database.restart()
        #expect(try await b.receiveText(timeout: .seconds(20)) == framed("during 1"))
        #expect(try await b.receiveText() == framed("during 2"))
        try await a.send(text: framed("broadcast:after"))
        #expect(try await b.receiveText() == framed("after"))
        try await Self.expectNothingElse(b, "each once")
    }
}
