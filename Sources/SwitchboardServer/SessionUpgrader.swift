import Logging
import NIOCore
import NIOHTTP1
import NIOWebSocket
import SwitchboardCore

/// The one WebSocket upgrader of a server: it accepts an RFC 6455 upgrade only on the path of an
/// enabled upgrade-kind transport of one of its listeners, for a new session or a known SID, from
/// an allowed origin. Anything it declines continues as a plain request, which the listener's HTTP
/// handler answers (404 unknown SID, 403 origin, 503 full) or the application gets.
///
/// The transport's handlers go right after the HTTP upgrade handler, so frames never pass through
/// the HTTP handlers that follow it (Switchboard's or the application's).
final class SessionUpgrader: HTTPServerProtocolUpgrader, Sendable {
    let supportedProtocol = "websocket"
    let requiredUpgradeHeaders: [String] = []
    /// Each listener with its router, built once.
    private let routes: [(listener: Listener, router: Router)]
    private let maxFrameSize: Int
    /// Checks the RFC 6455 request and computes `Sec-WebSocket-Accept`.
    private let handshake: NIOWebSocketServerUpgrader

    init(listeners: [Listener]) {
        let routes = listeners.map { (listener: $0, router: Router(listener: $0)) }
        self.routes = routes
        self.maxFrameSize = listeners.map(\.options.maxHttpBufferSize).max() ?? 1 << 20
        self.handshake = NIOWebSocketServerUpgrader(
            maxFrameSize: maxFrameSize,
            automaticErrorHandling: false,
            shouldUpgrade: { channel, head in
                let accepted = Self.target(of: head, in: routes) != nil
                return channel.eventLoop.makeSucceededFuture(accepted ? HTTPHeaders() : nil)
            },
            upgradePipelineHandler: { channel, _ in channel.eventLoop.makeSucceededVoidFuture() }
        )
    }

    func buildUpgradeResponse(
        channel: any Channel, upgradeRequest: HTTPRequestHead, initialResponseHeaders: HTTPHeaders
    ) -> EventLoopFuture<HTTPHeaders> {
        handshake.buildUpgradeResponse(
            channel: channel, upgradeRequest: upgradeRequest, initialResponseHeaders: initialResponseHeaders)
    }

    func upgrade(context: ChannelHandlerContext, upgradeRequest head: HTTPRequestHead) -> EventLoopFuture<Void> {
        guard let target = Self.target(of: head, in: routes) else {
            return context.channel.close()
        }
        let listener = target.listener
        let session = target.sessionId.flatMap(listener.session) ?? listener.createSession(on: context.eventLoop)
        guard let session, target.sessionId == nil || session.sessionId == target.sessionId else {
            listener.logger.info("upgrade for a session that ended meanwhile; closing")
            return context.channel.close()
        }
        // The connection carries frames from now on: no HTTP limit applies to it any more, and the
        // session's first frame must not pass the HTTP exchange observer (it comes before this
        // handler, so the upgrade's event would not reach it).
        RequestTimeoutHandler.remove(from: context.pipeline.syncOperations)
        return context.eventLoop.makeCompletedFuture {
            try target.transport.configure(
                channel: context.channel, request: head, session: session,
                maxFrameSize: listener.options.maxHttpBufferSize, position: .after(context.handler))
        }
    }

    struct Target {
        var listener: Listener
        var transport: any UpgradeTransport
        var sessionId: String?
    }

    /// The listener and transport an RFC 6455 upgrade request is for, if its router accepts it.
    /// Only a GET upgrades (docs/protocol.md §6.1): NIO's upgrade handler looks at the `Upgrade`
    /// header alone, so any other method is declined here, whatever a router would decide.
    static func target(of head: HTTPRequestHead, in routes: [(listener: Listener, router: Router)]) -> Target? {
        guard head.method == .GET else { return nil }
        for (listener, router) in routes {
            switch router.route(head, sessions: listener) {
            case .application:
                continue
            case .upgrade(let name, let sessionId):
                guard let transport = listener.transports.upgradeTransport(name) else { return nil }
                return Target(listener: listener, transport: transport, sessionId: sessionId)
            default:
                return nil
            }
        }
        return nil
    }
}
