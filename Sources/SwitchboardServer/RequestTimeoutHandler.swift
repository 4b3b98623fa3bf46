import Logging
import NIOCore
import NIOHTTP1
import SwitchboardCore

/// First on an HTTP connection, before HTTP parsing: it sees every byte that arrives, drives the
/// connection's ``RequestTimeouts`` with its loop's clock and keeps one timer for its deadline.
/// When a limit runs out it answers `408 Request Timeout` (written as bytes: the HTTP encoder is
/// behind it), or nothing when idle, logs why and closes (docs/protocol.md §9.4).
///
/// The request and answer boundaries come from its ``HTTPExchangeObserver``, which sits among
/// the HTTP handlers; an upgrade (RFC 6455, hixie-76) removes both.
final class RequestTimeoutHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let limits: RequestTimeoutLimits
    private let logger: Logger
    private var machine: RequestTimeouts?
    private var context: ChannelHandlerContext?
    private var timer: (deadline: NIODeadline, task: Scheduled<Void>)?

    init(limits: RequestTimeoutLimits, logger: Logger) {
        self.limits = limits
        self.logger = logger
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        machine = RequestTimeouts(limits: limits, now: context.eventLoop.now)
        reschedule()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.task.cancel()
        timer = nil
        self.context = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.task.cancel()
        timer = nil
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        update { $0.bytesReceived(now: $1) }
        context.fireChannelRead(data)
    }

    // MARK: From the observer, on this loop

    /// Whether a limit ran out: the connection is closing, and the HTTP decoder's complaint about
    /// the request it cut is no news.
    var expired: Bool { machine?.phase == .expired }

    func observe(_ part: HTTPServerRequestPart) {
        switch part {
        case .head: update { $0.requestHead(now: $1) }
        case .body: update { $0.requestBody(now: $1) }
        case .end: update { $0.requestEnd(now: $1) }
        }
    }

    func observe(_ part: HTTPServerResponsePart) {
        switch part {
        case .head(let head) where head.status.code < 200: break  // informational: the answer is still to come
        case .head: update { $0.answerHead(now: $1) }
        case .body: break
        case .end: update { $0.answerEnd(now: $1) }
        }
    }

    // MARK: The timer

    private func update(_ event: (inout RequestTimeouts, NIODeadline) -> Void) {
        guard let context, machine != nil else { return }
        event(&machine!, context.eventLoop.now)
        reschedule()
    }

    /// One timer, at the machine's deadline or before it: a deadline that moved later (a body
    /// chunk came) is found when the timer fires, which then sets itself again.
    private func reschedule() {
        guard let context, let deadline = machine?.deadline else { return }
        if let timer, timer.deadline <= deadline { return }
        timer?.task.cancel()
        let task = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { [self] in
            timer = nil
            fire()
        }
        timer = (deadline, task)
    }

    private func fire() {
        guard let context, machine != nil else { return }
        guard let action = machine!.expire(now: context.eventLoop.now) else { return reschedule() }
        switch action {
        case .answerAndClose(let expiry, let limit):
            let reason = expiry.reason(after: limit)
            logger.warning("408 Request Timeout: \(reason); closing the connection")
            context.writeAndFlush(wrapOutboundOut(ByteBuffer(bytes: Self.requestTimeout(reason: reason))))
                .whenComplete { [channel = context.channel] _ in channel.close(promise: nil) }
        case .close(let expiry, let limit):
            let reason = expiry.reason(after: limit)
            if expiry == .idle {
                logger.debug("\(reason); closing the idle connection")
            } else {
                logger.warning("\(reason); closing the connection")
            }
            context.close(promise: nil)
        }
    }

    /// The 408 answer, as bytes on the wire: the error form of docs/protocol.md §7.
    static func requestTimeout(reason: String) -> [UInt8] {
        let body = "408 Request Timeout: \(reason)\n"
        let head = [
            "HTTP/1.1 408 Request Timeout",
            "Content-Type: text/plain; charset=UTF-8",
            "Content-Length: \(body.utf8.count)",
            "Cache-Control: no-cache",
            "Connection: close",
        ]
        return Array((head.joined(separator: "\r\n") + "\r\n\r\n" + body).utf8)
    }

    /// Removes both handlers from a connection that stops speaking HTTP (a hixie-76 socket).
    static func remove(from pipeline: ChannelPipeline.SynchronousOperations) {
        for handler in [
            try? pipeline.handler(type: RequestTimeoutHandler.self) as any RemovableChannelHandler,
            try? pipeline.handler(type: HTTPExchangeObserver.self),
        ] {
            if let handler { pipeline.removeHandler(handler, promise: nil) }
        }
    }
}
