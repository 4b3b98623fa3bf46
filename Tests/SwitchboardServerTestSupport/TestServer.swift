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
import SwitchboardWire

/// What a listener's events reported, for assertions.
public final class Recorder: Sendable {
    private let state = NIOLockedValueBox(State())
    struct State {
        var connected: [String] = []
        var messages: [(String, Message)] = []
        var disconnected: [(String, DisconnectReason)] = []
    }

    public var connected: [String] { state.withLockedValue { $0.connected } }
    public var messages: [Message] { state.withLockedValue { $0.messages.map(\.1) } }
    public func messages(from sid: String) -> [Message] { state.withLockedValue { $0.messages.filter { $0.0 == sid }.map(\.1) } }
    public var disconnected: [(String, DisconnectReason)] { state.withLockedValue { $0.disconnected } }

    public init() {}

    public func record(_ listener: Listener) {
        listener.on(.clientConnect) { client in self.state.withLockedValue { $0.connected.append(client.sessionId) } }
        listener.on(.clientMessage) { message, client in
            self.state.withLockedValue { $0.messages.append((client.sessionId, message)) }
        }
        listener.on(.clientDisconnect) { client, reason in
            self.state.withLockedValue { $0.disconnected.append((client.sessionId, reason)) }
        }
    }
}

/// A real server on a loopback port with one listener, the echo behaviour, and an application route:
/// what the end-to-end tests of the server and of the Swift client start.
public struct TestServer: Sendable {
    public let server: HTTPServer
    public let listener: Listener
    public let recorder: Recorder
    public let port: Int
    /// The server's own loop, shut down with it; nil when the test passed a group of its own.
    let ownGroup: MultiThreadedEventLoopGroup?

    /// Every transport module of the package.
    public static let transports = TransportRegistry(
        SwitchboardWebSocketTransports.all + SwitchboardFlashSocketTransports.all + SwitchboardXHRPollingTransports.all
            + SwitchboardJSONPPollingTransports.all
            + SwitchboardHTMLFileTransports.all + SwitchboardXHRMultipartTransports.all
            + SwitchboardServerEventsTransports.all)

    /// Starts a server; `configure` adjusts the listener options.
    /// - Parameters:
    ///   - echo: install the echo application (`broadcast:<text>` goes to the others).
    ///   - application: answer every other path with `app:<method> <uri>` (false: 404).
    ///   - group: the server's loops; by default a loop of its own, so that other tests' bursts
    ///     on shared loops do not delay this server's timers.
    public static func start(
        echo: Bool = true, application: Bool = true, transports registry: TransportRegistry = transports,
        group: (any EventLoopGroup)? = nil, _ configure: (inout ListenerOptions) -> Void = { _ in }
    ) async throws -> TestServer {
        var options = ListenerOptions()
        options.log.logLevel = .critical
        configure(&options)
        // No policy server on port 843 unless a test asks for one.
        if registry["flashsocket"] != nil {
            let flash = options.transportOptions["flashsocket"]
            options.transportOptions["flashsocket", default: TransportOptions()].flashPolicyServer = flash?.flashPolicyServer ?? false
        }
        let ownGroup = group == nil ? MultiThreadedEventLoopGroup(numberOfThreads: 1) : nil
        let server = try HTTPServer(port: 0, group: group ?? ownGroup!, logger: options.log) { request in
            application
                ? HTTPResponse(contentType: "text/plain; charset=UTF-8", body: "app:\(request.method) \(request.head.uri)")
                : nil
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
        guard let port = server.port else { throw TestServerError("the server did not bind") }
        return TestServer(server: server, listener: listener, recorder: recorder, port: port, ownGroup: ownGroup)
    }

    public func stop() async {
        try? await server.shutdown()
        try? await ownGroup?.shutdownGracefully()
    }

    public var resource: String { listener.options.resource }

    /// Opens a WebSocket session (or resumes `sid`) and reads the handshake when it is new.
    public func webSocket(resume sid: String? = nil) async throws -> (WebSocketTestClient, String) {
        let path = "/\(resource)/websocket" + (sid.map { "/\($0)" } ?? "")
        let socket = try await WebSocketTestClient.connect(port: port, path: path)
        if let sid { return (socket, sid) }
        let handshake = try await socket.receiveText()
        guard case .message(.text(let id))? = FramedCodec().decode(handshake).frames.first else {
            throw TestServerError("no handshake: \(handshake)")
        }
        return (socket, id)
    }

    /// Sends from the application on the session's own loop and returns once the session has
    /// taken the messages (written, or queued), so a request the test makes next sees them.
    public func send(_ sid: String, _ messages: Message...) async throws {
        guard let client = listener.client(sid) else { throw TestServerError("no session \(sid)") }
        try await client.eventLoop.submit { for message in messages { client.send(message) } }.get()
    }

    public func http() async throws -> HTTPTestConnection {
        try await HTTPTestConnection.connect(port: port)
    }

    /// Opens an xhr-polling session; returns the SID from the handshake poll.
    public func pollingSession(_ connection: HTTPTestConnection) async throws -> String {
        let response = try await connection.request("GET", "/\(resource)/xhr-polling//\(Self.now())")
        let body = response.bodyString
        guard response.status == 200, body.hasPrefix("~m~22~m~"), body.count == 30 else {
            throw TestServerError("the handshake poll must be the SID frame alone: \(response.status) \(body)")
        }
        return String(body.dropFirst("~m~22~m~".count))
    }

    public func poll(_ connection: HTTPTestConnection, _ sid: String, timeout: Duration = .seconds(5)) async throws -> TestHTTPResponse {
        try await connection.request("GET", "/\(resource)/xhr-polling/\(sid)/\(Self.now())", timeout: timeout)
    }

    public func post(_ connection: HTTPTestConnection, _ sid: String, payload: String) async throws -> TestHTTPResponse {
        try await connection.request(
            "POST", "/\(resource)/xhr-polling/\(sid)/send",
            headers: [("Content-Type", "application/x-www-form-urlencoded")],
            body: formBody([("data", payload)]))
    }

    public static func now() -> Int { Int(Date().timeIntervalSince1970 * 1000) }
}

/// `~m~L~m~s` for each message, as a client writes it.
public func framed(_ messages: String...) -> String {
    messages.map(Framed.frame).joined()
}

extension TestServer {
    /// Short heartbeats on every transport that has them.
    public static func heartbeats(_ options: inout ListenerOptions, interval: TimeAmount, timeout: TimeAmount) {
        for descriptor in transports.transports.map(\.descriptor) where descriptor.defaults.heartbeatInterval != nil {
            options.transportOptions[descriptor.name, default: TransportOptions()].heartbeatInterval = interval
            options.transportOptions[descriptor.name, default: TransportOptions()].timeout = timeout
        }
    }
}

/// A test server could not do what the test asked.
public struct TestServerError: Error, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}
