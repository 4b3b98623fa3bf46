import Foundation
import SwitchboardServerTestSupport
import SwitchboardWire
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
                    "--app", "echo", "--transports", "websocket,xhr-polling,jsonp-polling,xhr-multipart,htmlfile",
                    "--cluster", database.url, "--node", "n\(n)", "--metrics",
                ]))
        }
        return nodes
    }

    /// Runs `body` with a throwaway database and `count` echo nodes on it, stopped after.
    static func withCluster(count: Int = 3, _ body: (PostgresServer, [HostProcess]) async throws -> Void) async throws {
        let database = try await PostgresServer.start()
        defer { database.stop() }
        let nodes = try await Self.nodes(database, count: count)
        defer { for node in nodes { node.stop() } }
        try await body(database, nodes)
    }

    /// A WebSocket session on `node`; its handshake read.
    static func socket(on node: HostProcess) async throws -> WebSocketTestClient {
        try await socket(on: node.port)
    }

    /// A WebSocket session on `port`; its handshake read.
    static func socket(on port: Int) async throws -> WebSocketTestClient {
        let socket = try await WebSocketTestClient.connect(port: port, path: "/socket.io/websocket")
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
        try await Self.withCluster() { database, nodes in
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

            // The bus's metrics: three live nodes, messages both ways.
            let scrape = try await HTTPTestConnection.connect(port: nodes[0].port)
            var samples: [String: Double] = [:]
            try await eventually(timeout: .seconds(5), interval: .milliseconds(100)) {  // the nodes' heartbeats
                samples = MetricsTests.samples(try await scrape.request("GET", "/metrics").bodyString)
                return samples["switchboard_cluster_nodes"] == 3
            }
            #expect(samples["switchboard_cluster_nodes"] == 3)
            #expect((samples["switchboard_cluster_messages_sent_total"] ?? 0) >= 2, "the hello and the broadcast at least")
            #expect((samples["switchboard_cluster_messages_received_total"] ?? 0) >= 1, "b's room send")

            // Over NOTIFY's 8000 bytes: through the table.
            let large = String(repeating: "x", count: 20_000)
            try await c.send(text: framed("broadcast:" + large))
            #expect(try await a.receiveText() == framed(large))
            #expect(try await b.receiveText() == framed(large))
            for socket in [a, b, c] { try await Self.expectNothingElse(socket, "once") }
        }
    }

    @Test("the bus survives a database restart: what was broadcast meanwhile arrives after, in order")
    func databaseRestart() async throws {
        try await Self.withCluster(count: 2) { database, nodes in
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

    @Test("a node that lost its connections reads what it missed from the log: once each, in order")
    func receiverReconnects() async throws {
        try await Self.withCluster(count: 2) { database, nodes in
            let (a, b) = (try await Self.socket(on: nodes[0]), try await Self.socket(on: nodes[1]))
            try await a.send(text: framed("broadcast:first"))
            #expect(try await b.receiveText() == framed("first"))
            // n2's connections end; n1 sends before n2 listens again (it waits 0.25 s to reconnect).
            try database.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'switchboard n2'")
            try await a.send(text: framed("broadcast:missed 1", "broadcast:missed 2"))
            try await Self.expectNothingElse(a, "sent")
            #expect(try await b.receiveText() == framed("missed 1"))
            #expect(try await b.receiveText() == framed("missed 2"))
            try await a.send(text: framed("broadcast:later"))
            #expect(try await b.receiveText() == framed("later"))
            try await Self.expectNothingElse(b, "each once")
        }
    }

    /// The messages of a framed payload.
    static func messages(_ payload: String) -> [String] {
        Framed.split(payload, maxFrameLength: 1_000_000).texts
    }

    /// The SID of a cluster handshake payload.
    static func sessionId(_ handshake: String) throws -> String {
        try sessionId(messages(handshake))
    }

    /// The SID of a cluster handshake's messages.
    static func sessionId(_ texts: [String]) throws -> String {
        let sid = try #require(texts.first)
        try #require(sid.count == 30, "not a cluster SID: \(texts)")
        return sid
    }

    /// Requests of one session sent to each node in turn, as a round-robin balancer would.
    final class RoundRobin {
        let connections: [HTTPTestConnection]
        let transport: String
        var count = 0

        init(_ nodes: [HostProcess], transport: String) async throws {
            var connections: [HTTPTestConnection] = []
            for node in nodes { connections.append(try await HTTPTestConnection.connect(port: node.port)) }
            self.connections = connections
            self.transport = transport
        }

        /// The next node's connection.
        func next() -> HTTPTestConnection {
            count += 1
            return connections[count % connections.count]
        }

        /// The path of a poll, or of a POST, for `sid` ("" for a new session).
        func path(_ sid: String) -> String {
            transport == "jsonp-polling"
                ? "/socket.io/\(transport)/\(sid)/\(TestServer.now())/\(count)" : "/socket.io/\(transport)/\(sid)/\(TestServer.now())"
        }

        /// One poll on the next node: the messages of its answer.
        func poll(_ sid: String) async throws -> [String] {
            let connection = next()
            let answer = try await connection.request("GET", path(sid))
            try #require(answer.status == 200, "poll: \(answer.status) \(answer.bodyString)")
            return ClusterTests.messages(try Wire.payload(of: answer.bodyString, transport: transport))
        }

        /// One POST on the next node.
        func post(_ sid: String, _ texts: String...) async throws -> TestHTTPResponse {
            let connection = next()
            return try await connection.request("POST", path(sid), body: formBody([("data", texts.map(Framed.frame).joined())]))
        }
    }

    @Test("no sticky sessions: xhr-polling and jsonp-polling, each request on the next node; hundreds of messages in order, nothing lost",
          arguments: ["xhr-polling", "jsonp-polling"])
    func roundRobinPolling(transport: String) async throws {
        try await Self.withCluster() { database, nodes in
            let balancer = try await RoundRobin(nodes, transport: transport)
            let sid = try Self.sessionId(try await balancer.poll(""))
            var received: [String] = []
            let count = 300
            for n in 0..<count {
                let post = try await balancer.post(sid, "m\(n)")
                try #require(post.status == 200, "POST \(n): \(post.status) \(post.bodyString)")
                while received.last != "m\(n)" {
                    received += try await balancer.poll(sid)
                }
            }
            #expect(received == (0..<count).map { "m\($0)" }, "every echo once, in order")
            #expect(try await balancer.post(sid, "node?").status == 200)
            #expect(try await balancer.poll(sid) == ["node:n2"], "the node that owns the session (the handshake went to n2) answers, wherever the request lands")
        }
    }

    @Test("a stream held on one node gets the echoes of POSTs sent through the others; HEAD finds the session anywhere")
    func relayedStream() async throws {
        try await Self.withCluster() { database, nodes in
            let balancer = try await RoundRobin(nodes, transport: "xhr-polling")
            let sid = try Self.sessionId(try await balancer.poll(""))  // owned by n2

            let streamConnection = try await HTTPTestConnection.connect(port: nodes[2].port)
            let stream = try await streamConnection.startRequest("GET", "/socket.io/xhr-multipart/\(sid)/\(TestServer.now())")
            #expect(stream.status == 200)
            _ = try await stream.nextChunkString()  // the prelude
            for n in 0..<30 {
                let post = try await HTTPTestConnection.connect(port: nodes[n % 2].port)
                #expect(try await post.request("POST", "/socket.io/xhr-multipart/\(sid)/send", body: formBody([("data", framed("s\(n)"))])).status == 200)
                let chunk = try #require(try await stream.nextChunkString())
                #expect(Self.messages(try Wire.payload(of: chunk, transport: "xhr-multipart")) == ["s\(n)"])
            }
            for node in nodes {
                let http = try await HTTPTestConnection.connect(port: node.port)
                #expect(try await http.request("HEAD", "/socket.io/xhr-polling/\(sid)/1").status == 200)
                let unknown = String(sid.dropLast(8).reversed()) + sid.suffix(8)  // the owner's tag, no such session
                #expect(try await http.request("HEAD", "/socket.io/xhr-polling/\(unknown)/1").status == 404)
                #expect(try await http.request("GET", "/socket.io/xhr-multipart/\(unknown)/1").status == 404, "a stream for no session: 404, not an empty stream")
                #expect(try await http.request("POST", "/socket.io/xhr-polling/\(unknown)/send", body: formBody([("data", framed("x"))])).status == 404)
            }
        }
    }

    @Test("a WebSocket cut abruptly and resumed on another node gets what was queued meanwhile, then talks through it")
    func webSocketResumedElsewhere() async throws {
        try await Self.withCluster() { database, nodes in
            let a = try await WebSocketTestClient.connect(port: nodes[0].port, path: "/socket.io/websocket")
            let sid = try Self.sessionId(try await a.receiveText())
            await a.disconnect()  // no close frame: a cut
            let b = try await Self.socket(on: nodes[2])
            try await b.send(text: framed("broadcast:while you were away"))
            try await Self.expectNothingElse(b, "b gets no copy")

            let resumed = try await WebSocketTestClient.connect(port: nodes[1].port, path: "/socket.io/websocket/\(sid)")
            #expect(try await resumed.receiveText() == framed("while you were away"))
            try await resumed.send(text: framed("echo me", "node?"))
            #expect(try await resumed.receiveText() == framed("echo me"))
            #expect(try await resumed.receiveText() == framed("node:n1"))
        }
    }

    @Test("a node killed with SIGKILL: the others go on, and its sessions are refused (404) everywhere within the liveness bound")
    func nodeDeath() async throws {
        try await Self.withCluster() { database, nodes in
            let doomed = try await WebSocketTestClient.connect(port: nodes[2].port, path: "/socket.io/websocket")
            let sid = try Self.sessionId(try await doomed.receiveText())
            let http = try await HTTPTestConnection.connect(port: nodes[0].port)
            #expect(try await http.request("HEAD", "/socket.io/websocket/\(sid)").status == 200)

            nodes[2].kill()
            let clock = ContinuousClock()
            let killed = clock.now
            // The liveness bound is the nodes' real heartbeat timeout (5 s).
            try await eventually(timeout: .seconds(15), interval: .milliseconds(200)) {
                try await http.request("HEAD", "/socket.io/websocket/\(sid)").status == 404
            }
            print("a killed node's session is refused after \(clock.now - killed)")
            let (a, b) = (try await Self.socket(on: nodes[0]), try await Self.socket(on: nodes[1]))
            try await a.send(text: framed("broadcast:still here"))
            #expect(try await b.receiveText() == framed("still here"))
        }
    }

    @Test("through nginx's round robin (docs/cluster.md): polling sessions, a stream and WebSockets, as the browser client uses them")
    func throughNginx() async throws {
        try await Self.withCluster() { database, nodes in
            let nginx = try await NginxServer(upstreams: nodes.map(\.port))
            defer { nginx.stop() }

            // xhr-polling and jsonp-polling: every request through one keep-alive connection to nginx.
            for transport in ["xhr-polling", "jsonp-polling"] {
                let http = try await HTTPTestConnection.connect(port: nginx.port)
                var servedBy: Set<String> = []
                var count = 0
                func path(_ sid: String) -> String {
                    count += 1
                    return transport == "jsonp-polling"
                        ? "/socket.io/\(transport)/\(sid)/\(TestServer.now())/\(count)" : "/socket.io/\(transport)/\(sid)/\(TestServer.now())"
                }
                func poll(_ sid: String) async throws -> [String] {
                    let answer = try await http.request("GET", path(sid))
                    try #require(answer.status == 200, "\(transport) poll: \(answer.status)")
                    servedBy.insert(answer.headers["X-Served-By"] ?? "")
                    return Self.messages(try Wire.payload(of: answer.bodyString, transport: transport))
                }
                let sid = try Self.sessionId(try await poll(""))
                var received: [String] = []
                for n in 0..<100 {
                    let post = try await http.request("POST", path(sid), body: formBody([("data", framed("\(transport) \(n)"))]))
                    try #require(post.status == 200)
                    servedBy.insert(post.headers["X-Served-By"] ?? "")
                    while received.last != "\(transport) \(n)" { received += try await poll(sid) }
                }
                #expect(received == (0..<100).map { "\(transport) \($0)" })
                #expect(servedBy.count == 3, "round robin over the three nodes: \(servedBy)")
            }

            // htmlfile: the stream stays on one node, the POSTs go round. nginx passes the bytes
            // on as they come, but not the upstream's chunk boundaries: scripts are read from the
            // byte stream, after the 256-byte prelude.
            let streamConnection = try await HTTPTestConnection.connect(port: nginx.port)
            let stream = try await streamConnection.startRequest("GET", "/socket.io/htmlfile//\(TestServer.now())")
            var bytes = ""
            func nextScript() async throws -> String {
                while true {
                    if bytes.utf8.count >= 256, let end = bytes.range(of: "</script>", range: bytes.utf8.index(bytes.startIndex, offsetBy: 256)..<bytes.endIndex) {
                        let start = bytes.utf8.index(bytes.startIndex, offsetBy: 256)
                        let script = String(bytes[start..<end.upperBound])
                        bytes = String(bytes[..<start]) + String(bytes[end.upperBound...])
                        return script
                    }
                    bytes += try #require(try await stream.nextChunkString(), "the stream ended")
                }
            }
            let sid = try Self.sessionId(Self.messages(try Wire.payload(of: try await nextScript(), transport: "htmlfile")))
            let posts = try await HTTPTestConnection.connect(port: nginx.port)
            for n in 0..<12 {
                #expect(try await posts.request("POST", "/socket.io/htmlfile/\(sid)/send", body: formBody([("data", framed("h\(n)"))])).status == 200)
                #expect(Self.messages(try Wire.payload(of: try await nextScript(), transport: "htmlfile")) == ["h\(n)"])
            }

            // WebSockets through nginx's upgrade; each lands on some node; broadcasts cross.
            var sockets: [WebSocketTestClient] = []
            for _ in 0..<3 { sockets.append(try await Self.socket(on: nginx.port)) }
            try await sockets[0].send(text: framed("broadcast:via nginx"))
            #expect(try await sockets[1].receiveText() == framed("via nginx"))
            #expect(try await sockets[2].receiveText() == framed("via nginx"))
        }
    }
}
