import NIOConcurrencyHelpers
import NIOCore
import NIOEmbedded
import SwitchboardCore
import Testing

@testable import SwitchboardClient

/// A transport connection the test plays the server of: it records what the socket asks of it,
/// and reports what the test tells it to.
final class ScriptedConnection: TransportConnection, @unchecked Sendable {
    let transport: String
    private let setup: ConnectionSetup
    private let state = NIOLockedValueBox(State())

    struct State {
        var sessionId: String??
        var writes: [String] = []
        var closed = false
    }

    init(_ setup: ConnectionSetup) {
        self.setup = setup
        self.transport = setup.descriptor.name
    }

    /// The session id it was opened with: `.some(nil)` for a new session; nil before it was started.
    var startedWith: String?? { state.withLockedValue { $0.sessionId } }
    var writes: [String] { state.withLockedValue { $0.writes } }
    var closed: Bool { state.withLockedValue { $0.closed } }

    func start(sessionId: String?, acknowledged: Int?) { state.withLockedValue { $0.sessionId = .some(sessionId) } }
    func payloadHandled(sessionId: String?, acknowledged: Int?) {}
    func write(_ payload: String, sessionId: String) { state.withLockedValue { $0.writes.append(payload) } }
    func close() { state.withLockedValue { $0.closed = true } }

    /// Tells the socket, as the real connection would (it hops onto the socket's loop).
    func report(_ report: ConnectionReport) { setup.report(report) }
}

/// A socket on a test event loop, whose time moves only when the test advances it, with scripted
/// connections instead of sockets.
struct VirtualSocket {
    let loop = NIOAsyncTestingEventLoop()
    let socket: Socket
    private let opened = NIOLockedValueBox<[ScriptedConnection]>([])
    private let log = NIOLockedValueBox<[String]>([])

    init(_ transports: String..., configure: (inout SocketOptions) -> Void = { _ in }) throws {
        let options = socketOptions(configure: { options in
            options.transports = transports
            options.connectTimeout = .seconds(5)
            options.reconnectionDelay = .milliseconds(500)
            options.acknowledged = false  // the timers' tests speak the classic protocol
            configure(&options)
        })
        let opened = self.opened
        socket = try Socket(
            host: "server.invalid", port: 80, options: options, group: loop,
            connections: { setup in
                let connection = ScriptedConnection(setup)
                opened.withLockedValue { $0.append(connection) }
                return connection
            })
        let log = self.log
        socket.on(.connecting) { transport in log.withLockedValue { $0.append("connecting:\(transport)") } }
        socket.on(.connect) { log.withLockedValue { $0.append("connect") } }
        socket.on(.connectFailed) { log.withLockedValue { $0.append("connect_failed") } }
        socket.on(.message) { message in log.withLockedValue { $0.append("message:\(message)") } }
        socket.on(.close) { log.withLockedValue { $0.append("close") } }
        socket.on(.disconnect) { log.withLockedValue { $0.append("disconnect") } }
        socket.on(.reconnecting) { delay, attempt in
            log.withLockedValue { $0.append("reconnecting:\(attempt) after \(delay.nanoseconds / 1_000_000) ms") }
        }
        socket.on(.reconnect) { transport, attempts in log.withLockedValue { $0.append("reconnect:\(attempts)") } }
        socket.on(.reconnectFailed) { log.withLockedValue { $0.append("reconnect_failed") } }
    }

    var connections: [ScriptedConnection] { opened.withLockedValue { $0 } }
    var last: ScriptedConnection { connections.last! }
    /// The events since the last call.
    func events() -> [String] {
        log.withLockedValue { log in
            defer { log = [] }
            return log
        }
    }

    /// `connect()` in the seed's style (events only), then what it set off.
    func connect() async {
        let connect = { socket.connect() }
        connect()
        await loop.run()
    }

    func report(_ report: ConnectionReport, on connection: ScriptedConnection? = nil) async {
        (connection ?? last).report(report)
        await loop.run()
    }

    func advance(by amount: TimeAmount) async {
        await loop.advanceTime(by: amount)
    }

    /// Opens a session over the first transport: the server's first payload is the SID.
    func open(sessionId: String = "Zx8") async {
        await connect()
        await report(.opened)
        await report(.payload(FramedCodec().handshakeFrame(sessionId: sessionId)))
    }

    /// Ends the test loop; a timer still pending is cancelled.
    func finish() async {
        await loop.shutdownGracefully()
    }
}

@Suite("Socket timers on the event loop's clock (virtual time)")
struct VirtualTimeTests {
    @Test("each transport gets connectTimeout for its session id, not a moment less; then connect_failed")
    func connectTimeout() async throws {
        let v = try VirtualSocket("websocket", "xhr-polling")
        await v.connect()
        #expect(v.events() == ["connecting:websocket"])
        #expect(v.connections.map(\.startedWith) == [.some(nil)])

        await v.advance(by: .milliseconds(4_999))
        #expect(v.events().isEmpty && v.connections.count == 1)
        await v.advance(by: .milliseconds(1))
        #expect(v.events() == ["connecting:xhr-polling"])
        #expect(v.connections.map(\.transport) == ["websocket", "xhr-polling"])
        #expect(v.connections[0].closed, "the timed-out attempt is closed")

        await v.advance(by: .seconds(5))
        #expect(v.events() == ["connect_failed"])
        #expect(v.last.closed && !v.socket.connecting && !v.socket.connected)
        await v.finish()
    }

    @Test("a session id within connectTimeout connects; the timer is gone")
    func connectInTime() async throws {
        let v = try VirtualSocket("xhr-polling")
        await v.connect()
        await v.advance(by: .milliseconds(4_999))
        await v.report(.opened)
        await v.report(.payload("~m~3~m~Zx8"))
        #expect(v.events() == ["connecting:xhr-polling", "connect"])
        await v.advance(by: .seconds(60))
        #expect(v.events().isEmpty && v.socket.connected && v.socket.sessionId == "Zx8")
        await v.finish()
    }

    @Test("reconnection backs off from reconnectionDelay, doubling, on the loop's clock; then reconnect_failed")
    func backoff() async throws {
        let v = try VirtualSocket("websocket") { $0.maxReconnectionAttempts = 3 }
        await v.open()
        #expect(v.events() == ["connecting:websocket", "connect"])

        await v.report(.closed)
        #expect(v.events() == ["close", "reconnecting:1 after 500 ms"])
        await v.advance(by: .milliseconds(499))
        #expect(v.connections.count == 1)
        await v.advance(by: .milliseconds(1))
        #expect(v.connections.count == 2 && v.last.startedWith == .some("Zx8"), "re-attaches with its SID")

        await v.report(.failed(.unreachable("refused")))
        #expect(v.events() == ["reconnecting:2 after 1000 ms"])
        await v.advance(by: .milliseconds(999))
        #expect(v.connections.count == 2)
        await v.advance(by: .milliseconds(1))
        #expect(v.connections.count == 3)

        // An attempt that is never answered times out after connectTimeout.
        await v.advance(by: .seconds(5))
        #expect(v.events() == ["reconnecting:3 after 2000 ms"])
        await v.advance(by: .seconds(2))
        await v.report(.failed(.unreachable("refused")))
        #expect(v.events() == ["reconnect_failed", "disconnect"])
        #expect(!v.socket.connected && v.socket.sessionId == nil)
        await v.advance(by: .seconds(60))
        #expect(v.connections.count == 4, "nothing more is tried")
        await v.finish()
    }

    @Test("messages sent while the connection is down leave as one payload when it is re-attached")
    func queuedWhileDown() async throws {
        let v = try VirtualSocket("websocket")
        await v.open()
        await v.report(.closed)
        v.socket.send(["a", .json(["b": 1])])
        await v.loop.run()
        #expect(v.last.writes.isEmpty)
        await v.advance(by: .milliseconds(500))
        await v.report(.opened)
        #expect(v.last.writes == [#"~m~1~m~a~m~10~m~~j~{"b":1}"#])
        #expect(v.events() == ["connecting:websocket", "connect", "close", "reconnecting:1 after 500 ms", "reconnect:1"])
        await v.finish()
    }

    @Test("heartbeats are echoed at once, messages in the same payload delivered; no client timer ends the session")
    func heartbeats() async throws {
        let v = try VirtualSocket("websocket")
        await v.open()
        for n in 1...5 {
            await v.advance(by: .seconds(10))
            await v.report(.payload("~m~4~m~~h~\(n)~m~2~m~hi"))
        }
        #expect(v.last.writes == (1...5).map { "~m~4~m~~h~\($0)" })
        #expect(v.events() == ["connecting:websocket", "connect"] + Array(repeating: "message:hi", count: 5))
        await v.advance(by: .seconds(600))
        #expect(v.socket.connected && v.connections.count == 1)
        await v.finish()
    }
}
