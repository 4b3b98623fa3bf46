import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket
import SwitchboardCore
import SwitchboardStatic
import SwitchboardWire

/// Serves one listener's requests on an HTTP connection (docs/protocol.md §3, §6, §7) and passes every
/// other request on, unchanged, to the next handler in the pipeline (the application).
final class SessionHTTPHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let listener: Listener
    private let router: Router
    private var state = State.idle
    private var context: ChannelHandlerContext?
    /// The poll or stream of this connection that a session holds now.
    private var held: Held?

    private enum State {
        case idle
        /// Not ours: parts go on to the application.
        case forwarding
        /// Ours: the body (of a POST) is collected until `.end`.
        case reading(Request)
        /// Ours: the decision is carried out at `.end` (after it, the bytes that follow the head
        /// belong to the next request, or to a hixie-76 socket).
        case awaitingEnd(Router.Decision, HTTPRequestHead)
        /// Answered before its end: the rest of this request is dropped.
        case skipping
        /// An error was answered and the connection is closing; everything is dropped.
        case discarding
    }

    private struct Request {
        var head: HTTPRequestHead
        var sessionId: String
        var cors: HTTPHeaders
        var body: [UInt8] = []
    }

    private struct Held {
        var connection: HTTPSessionConnection
        /// Set once the session has attached it.
        var id: ConnectionID?
        var request: HTTPRequestHead
        var cors: HTTPHeaders
        var streaming: Bool
        /// Whether the session accepted it (a stream has written its head).
        var accepted = false
    }

    init(listener: Listener) {
        self.listener = listener
        self.router = Router(listener: listener)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        if let held {
            if let id = held.id { held.connection.session.detach(id) }
            self.held = nil
        }
        context.fireChannelInactive()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        // A stream whose reader stalls: the session queues until it drains (polls write once).
        if let held, held.streaming, let id = held.id {
            held.connection.session.writabilityChanged(id, isWritable: context.channel.isWritable)
        }
        context.fireChannelWritabilityChanged()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        context.fireUserInboundEventTriggered(event)
        // After an upgrade the channel carries frames, not HTTP parts.
        if event is HTTPServerUpgradeEvents {
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A WebSocket upgrade the upgrader declined continues as a plain request; not an error.
        if error is NIOWebSocketUpgradeError { return }
        // Malformed HTTP: the exchange observer has answered 400; this connection cannot go on.
        if error is HTTPParserError {
            listener.logger.warning("malformed HTTP request: \(error); closing the connection")
            context.close(promise: nil)
            return
        }
        context.fireErrorCaught(error)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        switch (state, part) {
        case (.forwarding, .end):
            state = .idle
            context.fireChannelRead(data)
        case (.forwarding, _):
            context.fireChannelRead(data)
        case (.discarding, _):
            break
        case (.skipping, .end):
            state = .idle
        case (.skipping, _):
            break
        case (_, .head(let head)):
            begin(head, context: context, data: data)
        case (.reading(var request), .body(var buffer)):
            if request.body.count + buffer.readableBytes > listener.options.maxHttpBufferSize {
                refuse(.init(status: .payloadTooLarge, reason: "body larger than \(listener.options.maxHttpBufferSize) bytes", close: true), request.head, context: context)
                return
            }
            request.body += buffer.readBytes(length: buffer.readableBytes) ?? []
            state = .reading(request)
        case (.reading(let request), .end):
            state = .idle
            receive(request, context: context)
        case (.awaitingEnd(let decision, let head), .end):
            state = .idle
            carryOut(decision, head, context: context)
        case (.awaitingEnd, _):
            break
        case (.idle, _):
            break
        }
    }

    // MARK: Carrying out the router's decision

    private func begin(_ head: HTTPRequestHead, context: ChannelHandlerContext, data: NIOAny) {
        let decision = router.route(head, sessions: listener)
        switch decision {
        case .application:
            state = .forwarding
            context.fireChannelRead(data)
        case .browserClient:
            state = .skipping
            let response = BrowserClient.asset(for: listener).response(for: head)
            _ = writeStaticResponse(response, head: head, to: context, fileIO: NonBlockingFileIO(threadPool: .singleton))
        case .refuse(let refusal):
            state = .skipping
            refuse(refusal, head, context: context)
        case .preflight(let headers):
            state = .skipping
            respond(context, head, .noContent, headers: headers, body: nil)
        case .sessionExists(let sessionId, let cors):
            // Another node's session: its owner answers. NIO's pipelining assistance holds the
            // next request of this connection until then.
            state = .skipping
            let answer = answerLater(context)
            listener.sessionExists(sessionId) { exists in
                answer { handler, context in
                    if exists {
                        handler.respond(context, head, .ok, headers: cors, body: nil)
                    } else {
                        handler.refuse(.unknownSession(cors), head, context: context)
                    }
                }
            }
        case .receive(let sessionId, let cors):
            state = .reading(Request(head: head, sessionId: sessionId, cors: cors))
        case .connect, .legacyUpgrade:
            state = .awaitingEnd(decision, head)
        case .upgrade(let name, _):
            // The server's upgrader declined this RFC 6455 handshake (a bad key or version).
            refuse(.init(status: .badRequest, reason: "\(name): WebSocket handshake refused", close: true), head, context: context)
        }
    }

    /// A poll, a stream or a hixie-76 socket, once its request has ended.
    private func carryOut(_ decision: Router.Decision, _ head: HTTPRequestHead, context: ChannelHandlerContext) {
        switch decision {
        case .connect(let connection): open(connection, head, context: context)
        case .legacyUpgrade(let name, let sessionId): legacyUpgrade(name, sessionId: sessionId, head, context: context)
        default: break
        }
    }

    /// Client data: a form with one field `data` carrying a payload.
    private func receive(_ request: Request, context: ChannelHandlerContext) {
        guard let session = listener.session(request.sessionId) else {
            return refuse(.unknownSession(request.cors), request.head, context: context)
        }
        switch Router.payload(ofForm: request.body, cors: request.cors) {
        case .failure(let refusal):
            refuse(refusal, request.head, context: context)
        case .success(let payload):
            // Answered once the session has taken the payload (the `ok` acknowledges it, §11.2);
            // NIO's pipelining assistance holds the next request of this connection until then.
            let answer = answerLater(context)
            let decoded = session.receive(payload: payload) { verdict in
                answer { handler, context in
                    switch verdict {
                    case .taken:
                        handler.respond(context, request.head, .ok, headers: request.cors, body: "ok")
                    case .refused(let reason):
                        handler.refuse(.init(status: .badRequest, reason: "payload refused: \(reason)", close: false, headers: request.cors), request.head, context: context)
                    case .unknownSession:
                        handler.refuse(.unknownSession(request.cors), request.head, context: context)
                    }
                }
            }
            if decoded.problem != nil {
                refuse(.init(status: .badRequest, reason: "undecodable payload", close: false, headers: request.cors), request.head, context: context)
            }
        }
    }

    /// How to answer this request later, from any thread: the body runs on this connection's
    /// loop, unless the handler has left the pipeline meanwhile.
    private func answerLater(_ context: ChannelHandlerContext)
        -> @Sendable (_ body: @escaping @Sendable (SessionHTTPHandler, ChannelHandlerContext) -> Void) -> Void
    {
        let bound = NIOLoopBound((handler: self, context: context), eventLoop: context.eventLoop)
        return { body in
            bound.eventLoop.runOnLoop {
                let (handler, context) = bound.value
                if handler.context != nil { body(handler, context) }
            }
        }
    }

    /// The session a connection is for: the known one, or a new one on this loop.
    private func session(_ sessionId: String?, _ head: HTTPRequestHead, cors: HTTPHeaders, context: ChannelHandlerContext) -> (any SessionHandle)? {
        if let sessionId {
            if let session = listener.session(sessionId) { return session }
            refuse(.unknownSession(cors), head, context: context)
            return nil
        }
        if let session = listener.createSession(on: context.eventLoop) { return session }
        refuse(Router.full(head, cors: cors), head, context: context)
        return nil
    }

    /// A poll or a stream: the response is held for the session, which writes into it.
    private func open(_ request: Router.Connection, _ head: HTTPRequestHead, context: ChannelHandlerContext) {
        guard let descriptor = listener.transports[request.transport]?.descriptor,
            let session = session(request.sessionId, head, cors: request.cors, context: context)
        else { return }
        let connection = HTTPSessionConnection(
            descriptor: descriptor, session: session, index: request.index, handler: self, eventLoop: context.eventLoop)
        let streaming = descriptor.kind == .stream
        // Held before the session attaches it: the session may answer at once. A stream's head
        // goes out once the session has accepted it (``acceptStream(_:)``), so a session that
        // is over, here or on another node, is still a 404.
        held = Held(connection: connection, request: head, cors: request.cors, streaming: streaming)
        let id = session.attach(connection, style: connection.style, acknowledged: TransportURL.acknowledged(in: head.uri))
        if held?.connection === connection { held?.id = id }
    }

    /// hixie-76: the transport's handlers replace HTTP on this connection.
    private func legacyUpgrade(_ name: String, sessionId: String?, _ head: HTTPRequestHead, context: ChannelHandlerContext) {
        guard let upgrade = listener.transports.upgradeTransport(name),
            let makeHandlers = upgrade.legacyUpgradeHandlers(request: head, maxFrameSize: listener.options.maxHttpBufferSize),
            let session = session(sessionId, head, cors: [:], context: context)
        else { return }
        takeOver(context, with: makeHandlers(session))
    }

    /// Replaces HTTP on this connection with a legacy WebSocket's handlers. They go where the
    /// request decoder was, so the bytes that followed the request's headers (hixie-76's 8 key
    /// bytes) reach them when the decoder leaves.
    private func takeOver(_ context: ChannelHandlerContext, with handlers: [any ChannelHandler]) {
        let pipeline = context.pipeline.syncOperations
        do {
            let decoder = try pipeline.handler(type: ByteToMessageHandler<HTTPRequestDecoder>.self)
            pipeline.removeHandler(try pipeline.handler(type: HTTPResponseEncoder.self), promise: nil)
            for handler in [
                try? pipeline.handler(type: HTTPServerPipelineHandler.self) as any RemovableChannelHandler,
                try? pipeline.handler(type: NIOHTTPResponseHeadersValidator.self),
                try? pipeline.handler(type: ApplicationHandler.self),
            ] {
                if let handler { pipeline.removeHandler(handler, promise: nil) }
            }
            RequestTimeoutHandler.remove(from: pipeline)
            var position = ChannelPipeline.SynchronousOperations.Position.after(decoder)
            for handler in handlers {
                try pipeline.addHandler(handler, position: position)
                position = .after(handler)
            }
            pipeline.removeHandler(decoder, promise: nil)
            pipeline.removeHandler(context: context, promise: nil)
        } catch {
            listener.logger.error("could not hand the connection to the WebSocket: \(error)")
            context.close(promise: nil)
        }
    }

    // MARK: Called by HTTPSessionConnection on this loop

    func acceptStream(_ connection: HTTPSessionConnection) {
        guard let context, let held, held.connection === connection, held.streaming else { return }
        var headers = Router.responseHeaders(for: connection.descriptor, cors: held.cors)
        // HTTP/1.0 has no chunked encoding: the stream is delimited by closing the connection.
        let keepAlive = held.request.isKeepAlive && held.request.version != .http1_0
        headers.add("Connection", keepAlive ? "keep-alive" : "close")
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: held.request.version, status: .ok, headers: headers.headers))), promise: nil)
        let prelude = connection.descriptor.paddedPrelude
        if !prelude.isEmpty {
            context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: prelude)))), promise: nil)
        }
        context.flush()
        self.held?.accepted = true
    }

    func streamWrite(_ connection: HTTPSessionConnection, text: String) {
        guard let context, let held, held.connection === connection, held.streaming else { return }
        context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: text)))), promise: nil)
    }

    func finishPoll(_ connection: HTTPSessionConnection, body: String) {
        guard let context, let held, held.connection === connection else { return }
        self.held = nil
        if held.streaming {  // a stream is never completed; treat as a write and keep it
            self.held = held
            streamWrite(connection, text: body)
            return
        }
        var headers = Router.responseHeaders(for: connection.descriptor, cors: held.cors)
        headers.add("Content-Length", String(body.utf8.count))
        respond(context, held.request, .ok, headers: headers, body: body, contentTypeIncluded: true)
    }

    func closeHeld(_ connection: HTTPSessionConnection, emptyBody: String) {
        guard let context, let held, held.connection === connection else { return }
        self.held = nil
        if held.streaming {
            context.writeLastAndClose(wrapOutboundOut(.end(nil)))
        } else {
            var headers = Router.responseHeaders(for: connection.descriptor, cors: held.cors)
            headers.add("Content-Length", String(emptyBody.utf8.count))
            respond(context, held.request, .ok, headers: headers, body: emptyBody, close: true, contentTypeIncluded: true)
        }
    }

    func rejectHeld(_ connection: HTTPSessionConnection) {
        guard let context, let held, held.connection === connection else { return }
        self.held = nil
        if held.streaming, held.accepted {
            context.writeLastAndClose(wrapOutboundOut(.end(nil)))
        } else {
            refuse(.unknownSession(held.cors), held.request, context: context)
        }
    }

    // MARK: Responses

    /// An error status with a short text body and a log line.
    private func refuse(_ refusal: Router.Refusal, _ head: HTTPRequestHead, context: ChannelHandlerContext) {
        let status = refusal.status
        listener.countRefusal(status: Int(status.code))
        let level: Logger.Level = status == .notFound ? .info : .warning
        listener.logger.log(level: level, "\(status.code) \(head.method) \(head.uri): \(refusal.reason)")
        if refusal.close { state = .discarding }
        respond(context, head, status, headers: refusal.headers, body: "\(status.code) \(status.reasonPhrase): \(refusal.reason)\n", close: refusal.close)
    }

    private func respond(
        _ context: ChannelHandlerContext, _ request: HTTPRequestHead, _ status: HTTPResponseStatus,
        headers extra: HTTPHeaders, body: String?, close: Bool = false
    ) {
        respond(context, request, status, headers: ResponseFields(extra), body: body, close: close)
    }

    private func respond(
        _ context: ChannelHandlerContext, _ request: HTTPRequestHead, _ status: HTTPResponseStatus,
        headers: ResponseFields, body: String?, close: Bool = false, contentTypeIncluded: Bool = false
    ) {
        let keepAlive = request.isKeepAlive && !close
        var headers = headers
        if !contentTypeIncluded, body != nil {
            headers.add("Content-Type", "text/plain; charset=UTF-8")
        }
        if !headers.contains("Content-Length") {
            headers.add("Content-Length", String(body?.utf8.count ?? 0))
        }
        if !headers.contains("Cache-Control") { headers.add("Cache-Control", "no-cache") }
        headers.add("Connection", keepAlive ? "keep-alive" : "close")
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: request.version, status: status, headers: headers.headers))), promise: nil)
        if let body, !body.isEmpty {
            context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: body)))), promise: nil)
        }
        if keepAlive {
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        } else {
            context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { [channel = context.channel] _ in channel.close(promise: nil) }
        }
    }
}
