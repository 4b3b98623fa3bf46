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
        /// Answered before its end: the rest of this request is dropped.
        case skipping
        /// An error was answered and the connection is closing; everything is dropped.
        case discarding
    }

    private struct Request {
        var head: HTTPRequestHead
        var transport: any Transport
        var path: TransportPath
        var cors: HTTPHeaders
        var body: [UInt8] = []
    }

    private struct Held {
        var connection: HTTPSessionConnection
        var request: HTTPRequestHead
        var cors: HTTPHeaders
        var streaming: Bool
    }

    init(listener: Listener) {
        self.listener = listener
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        if let held {
            held.connection.session.detach(held.connection)
            self.held = nil
        }
        context.fireChannelInactive()
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
        // Malformed HTTP: NIO's error handler has answered 400; this connection cannot go on.
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
            guard request.head.method == .POST else { return }
            if request.body.count + buffer.readableBytes > listener.options.maxHttpBufferSize {
                refuse(.payloadTooLarge, "body larger than \(listener.options.maxHttpBufferSize) bytes", request.head, context: context)
                return
            }
            request.body += buffer.readBytes(length: buffer.readableBytes) ?? []
            state = .reading(request)
        case (.reading(let request), .end):
            state = .idle
            finish(request, context: context)
        case (.idle, _):
            break
        }
    }

    // MARK: Routing

    private func begin(_ head: HTTPRequestHead, context: ChannelHandlerContext, data: NIOAny) {
        if let upgrade = head.headers.first(name: "upgrade"), upgrade.lowercased() != "websocket" {
            refuse(.badRequest, "upgrade to '\(upgrade)' is not supported", head, context: context)
            return
        }
        if head.method == .GET || head.method == .HEAD, BrowserClient.matches(uri: head.uri, resource: listener.options.resource) {
            state = .skipping
            let response = BrowserClient.asset(for: listener).response(for: head)
            _ = writeStaticResponse(response, head: head, to: context, fileIO: NonBlockingFileIO(threadPool: .singleton))
            return
        }
        guard case .transport(let name, let segments) = Route.parse(
            uri: head.uri, resource: listener.options.resource, transports: listener.transports.nameSet),
            let transport = listener.transports[name]
        else {
            state = .forwarding
            context.fireChannelRead(data)
            return
        }
        let origin = head.headers.first(name: "origin")
        guard listener.allowsOrigin(origin) else {
            refuse(.forbidden, "origin \(origin ?? "") is not allowed", head, context: context, close: false)
            state = .skipping
            return
        }
        var cors = HTTPHeaders()
        if let origin {
            cors.add(name: "Access-Control-Allow-Origin", value: origin)
            cors.add(name: "Access-Control-Allow-Credentials", value: "true")
        }
        let request = Request(
            head: head, transport: transport, path: TransportPath(segments: segments, descriptor: transport.descriptor),
            cors: cors)
        switch head.method {
        case .GET, .POST:
            if head.method == .POST, let length = head.headers.first(name: "content-length").flatMap(Int.init),
                length > listener.options.maxHttpBufferSize
            {
                refuse(.payloadTooLarge, "body larger than \(listener.options.maxHttpBufferSize) bytes", head, context: context)
                return
            }
            state = .reading(request)
        case .OPTIONS:
            state = .skipping
            var headers = cors
            headers.add(name: "Access-Control-Allow-Methods", value: "GET, POST, OPTIONS")
            if let requested = head.headers.first(name: "access-control-request-headers") {
                headers.add(name: "Access-Control-Allow-Headers", value: requested)
            }
            headers.add(name: "Access-Control-Max-Age", value: "86400")
            respond(context, head, .noContent, headers: headers, body: nil)
        default:
            refuse(.methodNotAllowed, "method \(head.method) is not allowed here", head, context: context, close: false)
            state = .skipping
        }
    }

    private func finish(_ request: Request, context: ChannelHandlerContext) {
        switch request.head.method {
        case .POST: receivePost(request, context: context)
        default: openConnection(request, context: context)
        }
    }

    /// Client data: a form with one field `data` carrying a payload.
    private func receivePost(_ request: Request, context: ChannelHandlerContext) {
        guard let sid = request.path.sessionId, let session = listener.client(sid) else {
            return refuse(.notFound, "unknown session", request.head, context: context, close: false, cors: request.cors)
        }
        let payload: String
        do {
            payload = try FormEncoding.value(of: "data", in: request.body)
        } catch {
            return refuse(.badRequest, "bad form body: \(error)", request.head, context: context, close: false, cors: request.cors)
        }
        let decoded = session.receive(payload: payload)
        if decoded.frames.isEmpty, decoded.problem != nil {
            return refuse(.badRequest, "undecodable payload", request.head, context: context, close: false, cors: request.cors)
        }
        respond(context, request.head, .ok, headers: request.cors, body: "ok")
    }

    /// A GET on a transport path: a poll, a stream, or a WebSocket path without an upgrade.
    private func openConnection(_ request: Request, context: ChannelHandlerContext) {
        let descriptor = request.transport.descriptor
        let head = request.head
        var sessionId = request.path.sessionId
        if sessionId == nil, let header = descriptor.resumeHeader, let value = head.headers.first(name: header) {
            sessionId = value.split(separator: ".").first.map(String.init)
        }
        let existing = sessionId.flatMap(listener.client)
        if sessionId != nil, existing == nil {
            return refuse(.notFound, "unknown session", head, context: context, close: false, cors: request.cors)
        }
        if let upgrade = request.transport as? any UpgradeTransport,
            let makeHandlers = upgrade.legacyUpgradeHandlers(request: head, maxFrameSize: listener.options.maxHttpBufferSize)
        {
            guard let session = existing ?? listener.createSession(on: context.eventLoop) else {
                return refuse(.serviceUnavailable, "too many sessions", head, context: context, cors: request.cors)
            }
            return takeOver(context, with: makeHandlers(session))
        }
        guard descriptor.kind != .upgrade else {
            return refuse(.badRequest, "\(descriptor.name) needs an HTTP upgrade", head, context: context, close: false, cors: request.cors)
        }
        if descriptor.pathSegments.contains("index") {
            guard let index = request.path.index, !index.isEmpty, index.utf8.allSatisfy({ (0x30...0x39).contains($0) }) else {
                return refuse(.badRequest, "callback index must be decimal digits", head, context: context, close: false, cors: request.cors)
            }
        }
        guard let session = existing ?? listener.createSession(on: context.eventLoop) else {
            return refuse(.serviceUnavailable, "too many sessions", head, context: context, close: false, cors: request.cors)
        }
        let connection = HTTPSessionConnection(
            descriptor: descriptor, session: session, index: request.path.index, handler: self, eventLoop: context.eventLoop)
        let streaming = descriptor.kind == .stream
        held = Held(connection: connection, request: head, cors: request.cors, streaming: streaming)
        if streaming {
            var headers = responseHeaders(for: descriptor, cors: request.cors)
            // HTTP/1.0 has no chunked encoding: the stream is delimited by closing the connection.
            let keepAlive = head.isKeepAlive && head.version != .http1_0
            headers.add(name: "Connection", value: keepAlive ? "keep-alive" : "close")
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: .ok, headers: headers))), promise: nil)
            let prelude = descriptor.paddedPrelude
            if !prelude.isEmpty {
                context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: prelude)))), promise: nil)
            }
            context.flush()
        }
        session.attach(connection, style: connection.style)
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
                try? pipeline.handler(type: HTTPServerProtocolErrorHandler.self),
                try? pipeline.handler(type: ApplicationHandler.self),
            ] {
                if let handler { pipeline.removeHandler(handler, promise: nil) }
            }
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
        var headers = responseHeaders(for: connection.descriptor, cors: held.cors)
        headers.add(name: "Content-Length", value: String(body.utf8.count))
        respond(context, held.request, .ok, headers: headers, body: body, contentTypeIncluded: true)
    }

    func closeHeld(_ connection: HTTPSessionConnection, emptyBody: String) {
        guard let context, let held, held.connection === connection else { return }
        self.held = nil
        if held.streaming {
            context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { [channel = context.channel] _ in channel.close(promise: nil) }
        } else {
            var headers = responseHeaders(for: connection.descriptor, cors: held.cors)
            headers.add(name: "Content-Length", value: String(emptyBody.utf8.count))
            respond(context, held.request, .ok, headers: headers, body: emptyBody, close: true, contentTypeIncluded: true)
        }
    }

    func rejectHeld(_ connection: HTTPSessionConnection) {
        guard let context, let held, held.connection === connection else { return }
        self.held = nil
        if held.streaming {
            context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { [channel = context.channel] _ in channel.close(promise: nil) }
        } else {
            refuse(.notFound, "unknown session", held.request, context: context, close: false, cors: held.cors)
        }
    }

    // MARK: Responses

    private func responseHeaders(for descriptor: TransportDescriptor, cors: HTTPHeaders) -> HTTPHeaders {
        var headers = HTTPHeaders()
        if let contentType = descriptor.contentType { headers.add(name: "Content-Type", value: contentType) }
        for (name, value) in descriptor.headers { headers.replaceOrAdd(name: name, value: value) }
        if !headers.contains(name: "Cache-Control") { headers.add(name: "Cache-Control", value: "no-cache") }
        headers.add(contentsOf: cors)
        return headers
    }

    /// An error status with a short text body and a log line.
    private func refuse(
        _ status: HTTPResponseStatus, _ reason: String, _ head: HTTPRequestHead, context: ChannelHandlerContext,
        close: Bool = true, cors: HTTPHeaders = [:]
    ) {
        // After a request that asked for an upgrade the HTTP decoder stops: the connection is done.
        let close = close || head.headers.contains(name: "upgrade")
        let level: Logger.Level = status == .notFound ? .info : .warning
        listener.logger.log(level: level, "\(status.code) \(head.method) \(head.uri): \(reason)")
        state = close ? .discarding : state
        respond(context, head, status, headers: cors, body: "\(status.code) \(status.reasonPhrase): \(reason)\n", close: close)
    }

    private func respond(
        _ context: ChannelHandlerContext, _ request: HTTPRequestHead, _ status: HTTPResponseStatus,
        headers extra: HTTPHeaders, body: String?, close: Bool = false, contentTypeIncluded: Bool = false
    ) {
        let keepAlive = request.isKeepAlive && !close
        var headers = extra
        if !contentTypeIncluded, body != nil {
            headers.add(name: "Content-Type", value: "text/plain; charset=UTF-8")
        }
        if !headers.contains(name: "Content-Length") {
            headers.add(name: "Content-Length", value: String(body?.utf8.count ?? 0))
        }
        if !headers.contains(name: "Cache-Control") { headers.add(name: "Cache-Control", value: "no-cache") }
        headers.add(name: "Connection", value: keepAlive ? "keep-alive" : "close")
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: request.version, status: status, headers: headers))), promise: nil)
        if let body, !body.isEmpty {
            context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: body)))), promise: nil)
        }
        let written = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if !keepAlive {
            written.whenComplete { [channel = context.channel] _ in channel.close(promise: nil) }
        }
    }
}
