import Logging
import NIOCore
import NIOHTTP1
import NIOWebSocket
import SwitchboardCore

/// The one WebSocket upgrader of a server: it accepts an RFC 6455 upgrade only on the path of an
/// enabled upgrade-kind transport of one of its listeners, for a new session or a known SID, from
/// an allowed origin. Anything it declines continues as a plain request, which the listener's HTTP
/// handler answers (404 unknown SID, 403 origin, 503 full) or the application gets.
enum SessionUpgrader {
    static func make(listeners: [Listener]) -> NIOWebSocketServerUpgrader {
        let maxFrameSize = listeners.map(\.options.maxHttpBufferSize).max() ?? 1 << 20
        return NIOWebSocketServerUpgrader(
            maxFrameSize: maxFrameSize,
            automaticErrorHandling: true,
            shouldUpgrade: { channel, head in
                let accepted = target(of: head, in: listeners).map { target in
                    target.sessionId.map { target.listener.client($0) != nil } ?? true
                } ?? false
                return channel.eventLoop.makeSucceededFuture(accepted ? HTTPHeaders() : nil)
            },
            upgradePipelineHandler: { channel, head in
                guard let target = target(of: head, in: listeners) else {
                    return channel.close()
                }
                let session = target.sessionId.flatMap(target.listener.client) ?? target.listener.createSession(on: channel.eventLoop)
                guard let session, target.sessionId == nil || session.sessionId == target.sessionId else {
                    target.listener.logger.info("upgrade for a session that ended meanwhile; closing")
                    return channel.close()
                }
                return target.transport.configure(channel: channel, request: head, session: session)
            }
        )
    }

    struct Target {
        var listener: Listener
        var transport: any UpgradeTransport
        var sessionId: String?
    }

    /// The listener and transport an upgrade request is for, if it is acceptable.
    static func target(of head: HTTPRequestHead, in listeners: [Listener]) -> Target? {
        for listener in listeners {
            guard case .transport(let name, let segments) = Route.parse(
                uri: head.uri, resource: listener.options.resource, transports: Set(listener.transports.names)),
                let transport = listener.transports[name] as? any UpgradeTransport
            else { continue }
            guard listener.allowsOrigin(head.headers.first(name: "origin")) else { return nil }
            let sessionId = TransportPath(segments: segments, descriptor: transport.descriptor).sessionId
            if sessionId == nil, listener.clients.count >= listener.options.maxSessions { return nil }
            return Target(listener: listener, transport: transport, sessionId: sessionId)
        }
        return nil
    }
}
