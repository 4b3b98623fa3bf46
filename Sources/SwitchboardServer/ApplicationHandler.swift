import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import SwitchboardStatic

/// The end of the pipeline: the application's routes, then static files, then 404.
final class ApplicationHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let application: HTTPApplication?
    private let files: StaticFiles?
    private let fileIO: NonBlockingFileIO
    private let logger: Logger
    private let maxBodySize: Int
    private var head: HTTPRequestHead?
    private var body = ByteBuffer()
    /// A body went over the limit: it was answered 413; the rest is dropped and the connection closes.
    private var refused = false

    init(application: HTTPApplication?, files: StaticFiles?, fileIO: NonBlockingFileIO, logger: Logger, maxBodySize: Int = 1 << 20) {
        self.application = application
        self.files = files
        self.fileIO = fileIO
        self.logger = logger
        self.maxBodySize = maxBodySize
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !refused else { return }
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            body.clear()
            if let length = head.headers.first(name: "content-length").flatMap(Int.init), length > maxBodySize {
                refuseBody(head, context: context)
            }
        case .body(var chunk):
            guard let head else { return }
            guard body.readableBytes + chunk.readableBytes <= maxBodySize else { return refuseBody(head, context: context) }
            body.writeBuffer(&chunk)
        case .end:
            guard let head else { return }
            self.head = nil
            serve(HTTPRequest(head: head, body: body), context: context)
        }
    }

    /// A body over the limit: `413`, a log line, and the connection closes (its rest is never read).
    private func refuseBody(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        refused = true
        self.head = nil
        body = ByteBuffer()
        logger.warning("413 \(head.method) \(head.uri): body larger than \(maxBodySize) bytes; closing the connection")
        var request = head
        request.headers.replaceOrAdd(name: "Connection", value: "close")
        write(HTTPResponse(status: .payloadTooLarge, contentType: "text/plain; charset=UTF-8", body: "413 Payload Too Large\n"), for: request, context: context)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        context.fireUserInboundEventTriggered(event)
        // After an upgrade the channel carries frames, not HTTP parts.
        if event is HTTPServerUpgradeEvents {
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        }
    }

    private func serve(_ request: HTTPRequest, context: ChannelHandlerContext) {
        guard let application else { return serveStatic(request.head, context: context) }
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        context.eventLoop.makeFutureWithTask { try await application(request) }.whenComplete { result in
            let (handler, context) = bound.value
            switch result {
            case .success(let response?):
                handler.write(response, for: request.head, context: context)
            case .success(nil):
                handler.serveStatic(request.head, context: context)
            case .failure(let error):
                handler.logger.error("application failed on \(request.head.method) \(request.head.uri): \(error)")
                handler.write(
                    HTTPResponse(status: .internalServerError, contentType: "text/plain; charset=UTF-8", body: "500 Internal Server Error\n"),
                    for: request.head, context: context)
            }
        }
    }

    private func serveStatic(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        guard let files else { return notFound(head, context: context) }
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        files.response(for: head, threadPool: .singleton, eventLoop: context.eventLoop).whenComplete { result in
            let (handler, context) = bound.value
            guard case .success(let response?) = result else { return handler.notFound(head, context: context) }
            writeStaticResponse(response, head: head, to: context, fileIO: handler.fileIO).whenFailure { [logger = handler.logger] error in
                logger.warning("static file \(head.uri) failed: \(error)")
            }
        }
    }

    private func notFound(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        logger.debug("404 \(head.method) \(head.uri)")
        write(HTTPResponse(status: .notFound, contentType: "text/plain; charset=UTF-8", body: "404 Not Found\n"), for: head, context: context)
    }

    private func write(_ response: HTTPResponse, for request: HTTPRequestHead, context: ChannelHandlerContext) {
        var headers = response.headers
        headers.replaceOrAdd(name: "Content-Length", value: String(response.body.readableBytes))
        headers.replaceOrAdd(name: "Connection", value: request.isKeepAlive ? "keep-alive" : "close")
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: request.version, status: response.status, headers: headers))), promise: nil)
        if request.method != .HEAD, response.body.readableBytes > 0 {
            context.write(wrapOutboundOut(.body(.byteBuffer(response.body))), promise: nil)
        }
        let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if !request.isKeepAlive { done.whenComplete { [channel = context.channel] _ in channel.close(promise: nil) } }
    }
}
