import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import SwitchboardClient
import SwitchboardCore
import SwitchboardFlashSocket
import SwitchboardHTMLFile
import SwitchboardJSONPPolling
import SwitchboardServer
import SwitchboardServerEvents
import SwitchboardTestKit
import SwitchboardWebSocket
import SwitchboardXHRMultipart
import SwitchboardXHRPolling
import Testing

import SwitchboardServerTestSupport

/// Options for a test socket: one transport, quiet, quick to retry.
func socketOptions(_ transports: String..., configure: (inout SocketOptions) -> Void = { _ in }) -> SocketOptions {
    var options = SocketOptions()
    options.transports = transports
    options.log.logLevel = .critical
    options.connectTimeout = .seconds(10)  // generous: only a failing test waits for it
    options.reconnectionDelay = .milliseconds(50)
    configure(&options)
    return options
}

/// Everything a socket's events said, in order.
final class Probe: Sendable {
    private let state = NIOLockedValueBox<[String]>([])
    private let received = NIOLockedValueBox<[Message]>([])

    init(_ socket: Socket) {
        socket.on(.connect) { self.log("connect") }
        socket.on(.connecting) { self.log("connecting:\($0)") }
        socket.on(.connectFailed) { self.log("connect_failed") }
        socket.on(.message) { message in self.received.withLockedValue { $0.append(message) } }
        socket.on(.close) { self.log("close") }
        socket.on(.disconnect) { self.log("disconnect") }
        socket.on(.reconnecting) { _, attempt in self.log("reconnecting:\(attempt)") }
        socket.on(.reconnect) { transport, attempts in self.log("reconnect:\(transport)") }
        socket.on(.reconnectFailed) { self.log("reconnect_failed") }
    }

    private func log(_ event: String) { state.withLockedValue { $0.append(event) } }

    var events: [String] { state.withLockedValue { $0 } }
    var messages: [Message] { received.withLockedValue { $0 } }
    var texts: [String] { messages.compactMap(\.text) }

    /// Waits until `count` messages arrived; returns them.
    @discardableResult
    func messages(count: Int, timeout: Duration = .seconds(5)) async throws -> [Message] {
        try await eventually(timeout: timeout) { self.messages.count >= count }
        return messages
    }

    func waitFor(_ event: String, timeout: Duration = .seconds(5)) async throws {
        try await eventually(timeout: timeout) { self.events.contains(event) }
    }
}

/// A TCP proxy in front of a server, so a test can cut every connection the way a network (or a
/// server that closes) does, and refuse new ones until `restore()`.
final class TCPProxy: Sendable {
    let port: Int
    private let target: Int
    private let state: NIOLockedValueBox<State>

    private struct State {
        var listener: (any Channel)?
        var connections: [any Channel] = []
        /// Every byte the clients sent through the proxy.
        var fromClients: [UInt8] = []
    }

    private init(port: Int, target: Int, listener: any Channel) {
        self.port = port
        self.target = target
        self.state = NIOLockedValueBox(State(listener: listener))
    }

    static func start(to target: Int) async throws -> TCPProxy {
        let holder = NIOLockedValueBox<TCPProxy?>(nil)
        let channel = try await bind(port: 0, target: target, holder: holder)
        let proxy = TCPProxy(port: try #require(channel.localAddress?.port), target: target, listener: channel)
        holder.withLockedValue { $0 = proxy }
        return proxy
    }

    private static func bind(port: Int, target: Int, holder: NIOLockedValueBox<TCPProxy?>) async throws -> any Channel {
        try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.autoRead, value: false)
            .childChannelInitializer { inbound in
                ClientBootstrap(group: inbound.eventLoop)
                    .channelInitializer { outbound in
                        outbound.pipeline.addHandler(Forwarder(partner: inbound))
                    }
                    .connect(host: "127.0.0.1", port: target)
                    .flatMap { outbound in
                        holder.withLockedValue { $0?.track([inbound, outbound]) }
                        let tap: @Sendable (ByteBuffer) -> Void = { bytes in holder.withLockedValue { $0?.record(bytes) } }
                        return inbound.pipeline.addHandler(Forwarder(partner: outbound, tap: tap)).flatMap {
                            inbound.setOption(.autoRead, value: true)
                        }
                    }
            }
            .bind(host: "127.0.0.1", port: port)
            .get()
    }

    private func track(_ channels: [any Channel]) {
        state.withLockedValue { $0.connections += channels }
    }

    private func record(_ bytes: ByteBuffer) {
        state.withLockedValue { $0.fromClients += bytes.readableBytesView }
    }

    /// Whether the clients have sent these bytes (in one piece) through the proxy.
    func clientSent(_ bytes: [UInt8]) -> Bool {
        state.withLockedValue { $0.fromClients.firstRange(of: bytes) != nil }
    }

    /// Closes every connection and stops accepting: new connections are refused.
    func cut() async {
        let (listener, connections) = state.withLockedValue { state in
            defer { state = State(fromClients: state.fromClients) }
            return (state.listener, state.connections)
        }
        try? await listener?.close()
        for connection in connections { try? await connection.close() }
    }

    /// Accepts connections again, on the same port.
    func restore() async throws {
        let holder = NIOLockedValueBox<TCPProxy?>(self)
        let channel = try await Self.bind(port: port, target: target, holder: holder)
        state.withLockedValue { $0.listener = channel }
    }

    /// Passes bytes to the other side; closes it when this side closes.
    final class Forwarder: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let partner: any Channel
        let tap: @Sendable (ByteBuffer) -> Void

        init(partner: any Channel, tap: @escaping @Sendable (ByteBuffer) -> Void = { _ in }) {
            self.partner = partner
            self.tap = tap
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let bytes = unwrapInboundIn(data)
            tap(bytes)
            partner.writeAndFlush(bytes, promise: nil)
        }

        func channelInactive(context: ChannelHandlerContext) {
            partner.close(promise: nil)
            context.fireChannelInactive()
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            context.close(promise: nil)
        }
    }
}

/// A port with nothing listening on it.
func closedPort() async throws -> Int {
    let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .bind(host: "127.0.0.1", port: 0).get()
    let port = try #require(channel.localAddress?.port)
    try await channel.close()
    return port
}

/// A server that accepts connections and never answers.
func silentServer() async throws -> any Channel {
    try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .childChannelInitializer { $0.eventLoop.makeSucceededVoidFuture() }
        .bind(host: "127.0.0.1", port: 0).get()
}

/// A `Codable` message for the typed-message checks.
struct Chat: Codable, Equatable, Sendable {
    var user: String
    var text: String
    var count: Int
}
