import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import SwitchboardCore
import SwitchboardServer
import SwitchboardTestKit
import SwitchboardFlashSocket
import SwitchboardHTMLFile
import SwitchboardJSONPPolling
import SwitchboardServerEvents
import SwitchboardWebSocket
import SwitchboardXHRMultipart
import SwitchboardXHRPolling
import Testing

/// What a listener's events reported, for assertions.
final class Recorder: Sendable {
    private let state = NIOLockedValueBox(State())
    struct State {
        var connected: [String] = []
        var messages: [(String, Message)] = []
        var disconnected: [(String, DisconnectReason)] = []
    }

    var connected: [String] { state.withLockedValue { $0.connected } }
    var messages: [Message] { state.withLockedValue { $0.messages.map(\.1) } }
    func messages(from sid: String) -> [Message] { state.withLockedValue { $0.messages.filter { $0.0 == sid }.map(\.1) } }
    var disconnected: [(String, DisconnectReason)] { state.withLockedValue { $0.disconnected } }

    func record(_ listener: Listener) {
        listener.on(.clientConnect) { client in self.state.withLockedValue { $0.connected.append(client.sessionId) } }
        listener.on(.clientMessage) { message, client in
            self.state.withLockedValue { $0.messages.append((client.sessionId, message)) }
        }
        listener.on(.clientDisconnect) { client, reason in
            self.state.withLockedValue { $0.disconnected.append((client.sessionId, reason)) }
        }
    }
}

/// A real server on a loopback port with one listener, the echo behaviour, and an application route.
struct TestServer {
    let server: HTTPServer
    let listener: Listener
    let recorder: Recorder
    let port: Int
    let group: MultiThreadedEventLoopGroup

    static let transports = TransportRegistry(
        SwitchboardWebSocketTransports.all + SwitchboardFlashSocketTransports.all + SwitchboardXHRPollingTransports.all
            + SwitchboardJSONPPollingTransports.all
            + SwitchboardHTMLFileTransports.all + SwitchboardXHRMultipartTransports.all
            + SwitchboardServerEventsTransports.all)

    /// Starts a server; `configure` adjusts the listener options, `echo` installs the echo application.
    static func start(
        echo: Bool = true, transports registry: TransportRegistry = transports,
        _ configure: (inout ListenerOptions) -> Void = { _ in }) async throws -> TestServer {
        var options = ListenerOptions()
        options.log.logLevel = .critical
        configure(&options)
        // No policy server on port 843 unless a test asks for one.
        if registry["flashsocket"] != nil {
            let flash = options.transportOptions["flashsocket"]
            options.transportOptions["flashsocket", default: TransportOptions()].flashPolicyServer = flash?.flashPolicyServer ?? false
        }
        // A loop of its own, so that other tests' bursts on shared loops do not delay this server's timers.
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let server = try HTTPServer(port: 0, group: group, logger: options.log) { request in
            HTTPResponse(contentType: "text/plain; charset=UTF-8", body: "app:\(request.method) \(request.head.uri)")
        }
        let listener = try Listener.listen(server, options: options, transports: registry)
        let recorder = Recorder()
        recorder.record(listener)
        if echo {
            listener.on(.clientMessage) { message, client in
                if case .text(let text) = message, text.hasPrefix("broadcast:") {
                    client.broadcast(.text(String(text.dropFirst("broadcast:".count))))
                } else {
                    client.send(message)
                }
            }
        }
        try await server.start()
        return TestServer(server: server, listener: listener, recorder: recorder, port: try #require(server.port), group: group)
    }

    func stop() async {
        try? await server.shutdown()
        try? await group.shutdownGracefully()
    }

    var resource: String { listener.options.resource }

    /// Opens a WebSocket session (or resumes `sid`) and reads the handshake when it is new.
    func webSocket(resume sid: String? = nil) async throws -> (WebSocketTestClient, String) {
        let path = "/\(resource)/websocket" + (sid.map { "/\($0)" } ?? "")
        let socket = try await WebSocketTestClient.connect(port: port, path: path)
        if let sid { return (socket, sid) }
        let handshake = try await socket.receiveText()
        let id = try #require(FramedCodec().decode(handshake).frames.first.flatMap { frame -> String? in
            if case .message(.text(let id)) = frame { return id }
            return nil
        })
        return (socket, id)
    }

    /// Sends from the application on the session's own loop and returns once the session has
    /// taken the messages (written, or queued), so a request the test makes next sees them.
    func send(_ sid: String, _ messages: Message...) async throws {
        let client = try #require(listener.client(sid), "no session \(sid)")
        try await client.eventLoop.submit { for message in messages { client.send(message) } }.get()
    }

    func http() async throws -> HTTPTestConnection {
        try await HTTPTestConnection.connect(port: port)
    }

    /// Opens an xhr-polling session; returns the SID from the handshake poll.
    func pollingSession(_ connection: HTTPTestConnection) async throws -> String {
        let response = try await connection.request("GET", "/\(resource)/xhr-polling//\(Self.now())")
        #expect(response.status == 200)
        let body = response.bodyString
        #expect(body.hasPrefix("~m~22~m~"), "the handshake poll is the SID frame alone: \(body)")
        return String(body.dropFirst("~m~22~m~".count))
    }

    func poll(_ connection: HTTPTestConnection, _ sid: String, timeout: Duration = .seconds(5)) async throws -> TestHTTPResponse {
        try await connection.request("GET", "/\(resource)/xhr-polling/\(sid)/\(Self.now())", timeout: timeout)
    }

    func post(_ connection: HTTPTestConnection, _ sid: String, payload: String) async throws -> TestHTTPResponse {
        try await connection.request(
            "POST", "/\(resource)/xhr-polling/\(sid)/send",
            headers: [("Content-Type", "application/x-www-form-urlencoded")],
            body: formBody([("data", payload)]))
    }

    static func now() -> Int { Int(Date().timeIntervalSince1970 * 1000) }
}

/// `~m~L~m~s` for each message, as a client writes it.
func framed(_ messages: String...) -> String {
    messages.map(FramedCodec.frame(text:)).joined()
}
