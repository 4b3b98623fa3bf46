import Logging
import NIOCore
import NIOHTTP1
import SwitchboardCore

/// First on an HTTP connection, before HTTP parsing: it sees every byte that arrives, drives the
/// connection's ``RequestTimeouts`` with its loop's clock and keeps one deadline for it in the
/// loop's ``LoopTimers`` (shared with the sessions: no scheduled task per connection).
/// When a limit runs out it answers `408 Request Timeout` (written as bytes: the HTTP encoder is
/// behind it), or nothing when idle, logs why and closes (docs/protocol.md §9.4).
///
/// The request and answer boundaries come from its ``HTTPExchangeObserver``, which sits among
/// the HTTP handlers; an upgrade (RFC 6455, hixie-76) removes both.
final class RequestTimeoutHandler: ChannelInboundHandler, RemovableChannelHandler, LoopTimerOwner {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let limits: RequestTimeoutLimits
    private let logger: Logger
    /// Where the loop's timers are (a listener of the connection); none when no limit is set.
    private let timerSource: Listener?
    private var timers: LoopTimers?
    private var machine: RequestTimeouts?
    private var context: ChannelHandlerContext?
    /// The deadline this connection waits for in `timers`.
    private(set) var armedDeadline: NIODeadline?

    init(limits: RequestTimeoutLimits, logger: Logger, timers: Listener?) {
        self.limits = limits
        self.logger = logger
        self.timerSource = timers
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        timers = timerSource?.loopTimers(for: context.eventLoop)
        machine = RequestTimeouts(limits: limits, now: context.eventLoop.now)
        reschedule()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        disarm()
        self.context = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        disarm()
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

    /// One deadline armed, the machine's or one before it: a deadline that moved later (a body
    /// chunk came) is found when the earlier one comes, which then arms again.
    private func reschedule() {
        guard context != nil, let timers, let deadline = machine?.deadline else { return }
        if let armedDeadline, armedDeadline <= deadline { return }
        let old = armedDeadline
        armedDeadline = deadline
        timers.rearm(self, from: old, to: deadline)
    }

    private func disarm() {
        guard let old = armedDeadline else { return }
        armedDeadline = nil
        timers?.rearm(self, from: old, to: nil)
    }

    /// The armed deadline came (``LoopTimers``).
    func timerFired() {
        armedDeadline = nil
        fire()
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
