import NIOCore
import NIOHTTP1

/// Among the HTTP handlers, where NIO's protocol error handler would be (after the pipelining
/// handler and the header validator, before the upgrade handler), one handler with two jobs that
/// both watch each exchange, request parts in and answer parts out:
/// - it tells its ``RequestTimeoutHandler`` where requests and answers begin and end;
/// - it answers a malformed request `400` with `Connection: close` unless an answer is already under
///   way, as NIO's `HTTPServerProtocolErrorHandler` does, and drops the error when no answer can be
///   written any more: the connection closed (a request cut off by the close, read at the end; NIO's
///   pipelining handler stops the process on a write after a graceful shutdown's quiescing) or a
///   limit ran out (the 408 went out and was logged).
///
/// One handler where there were three: each costs every connection a pipeline context and every
/// answer part a cast. An upgrade removes it with the timeout handler before the transport's
/// handlers start (``SessionUpgrader`` for RFC 6455, ``SessionHTTPHandler`` for hixie-76).
final class HTTPExchangeObserver: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private let timeouts: RequestTimeoutHandler
    /// An answer's head went out and its end has not.
    private var answerUnderWay = false

    init(_ timeouts: RequestTimeoutHandler) {
        self.timeouts = timeouts
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        timeouts.observe(unwrapInboundIn(data))
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let part = unwrapOutboundIn(data)
        switch part {
        case .head(let head) where head.status.code < 200: break  // informational (101): the answer is still to come
        case .head: answerUnderWay = true
        case .body: break
        case .end: answerUnderWay = false
        }
        timeouts.observe(part)
        context.write(data, promise: promise)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard error is HTTPParserError else { return context.fireErrorCaught(error) }
        guard context.channel.isActive, !timeouts.expired else { return }
        if !answerUnderWay {
            let head = HTTPResponseHead(version: .http1_1, status: .badRequest, headers: ["Connection": "close", "Content-Length": "0"])
            context.write(wrapOutboundOut(.head(head)), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        }
        context.fireErrorCaught(error)
    }
}
