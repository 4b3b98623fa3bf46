import ArgumentParser
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket
import SwitchboardWire

// `switchboard-bench floor`: the least server of Switchboard's wire that SwiftNIO's own pieces
// make, for the benchmarks to measure beside Switchboard. NIO's HTTP/1.1 server pipeline (as
// `configureHTTPServerPipeline` builds it, with pipelining assistance and error handling) and its
// WebSocket upgrader with its default frame handlers, plus what the scenarios need and nothing
// more: echo, `broadcast:` (one frame written and flushed to each other socket), polling; no
// heartbeats, timeouts, queues past one poll, origin checks or limits. What it costs per operation
// is what NIO costs before any of Switchboard's work, so a figure of Switchboard's reads as NIO's
// part plus Switchboard's.

struct Floor: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve the echo application (echo, broadcast, polling) on NIO's own HTTP and WebSocket handlers only (the floor the benchmarks compare with).")
    @Option(help: "Address to bind.") var host = "127.0.0.1"
    @Option(help: "Port to bind.") var port: Int
    @Option(help: "URL prefix of the sessions.") var resource = "socket.io"

    func run() throws {
        let polls = FloorPolls()
        let sockets = FloorSockets()
        let resource = self.resource
        let upgrader = NIOWebSocketServerUpgrader(
            shouldUpgrade: { channel, head in
                channel.eventLoop.makeSucceededFuture(head.uri.hasPrefix("/\(resource)/websocket") ? HTTPHeaders() : nil)
            },
            upgradePipelineHandler: { channel, _ in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(FloorWebSocketEcho(sockets: sockets)) }
            })
        let channel = try ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(
                        withPipeliningAssistance: true,
                        withServerUpgrade: (upgraders: [upgrader], completionHandler: { _ in }),
                        withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(FloorPolling(resource: resource, polls: polls))
                }
            }
            .bind(host: host, port: port)
            .wait()
        log("floor listening on \(host):\(port)")
        try channel.closeFuture.wait()
    }
}

/// A session id: 16 decimal digits, unique in this process.
private let nextSessionNumber = NIOLockedValueBox(UInt64(1_000_000_000_000_000))

private func newSessionId() -> String {
    String(nextSessionNumber.withLockedValue { number in
        number += 1
        return number
    })
}

/// After the upgrade: the session id, then every text frame echoed as it came (the bench sends
/// one framed message per frame, and the echo application answers it with the same bytes), except
/// `broadcast:<text>`, whose text goes to every other socket.
final class FloorWebSocketEcho: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    let sockets: FloorSockets

    init(sockets: FloorSockets) {
        self.sockets = sockets
    }

    func handlerAdded(context: ChannelHandlerContext) {
        sockets.add(context.channel)
        let text = context.channel.allocator.buffer(string: Framed.frame(newSessionId()))
        context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .text, data: text)), promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        sockets.remove(context.channel)
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .text:
            let payload = frame.unmaskedData
            let broadcast: ByteBuffer? = payload.withUnsafeReadableBytes { bytes in
                guard case .frame(let text, _) = Framed.scan(bytes, at: 0, maxFrameLength: Int.max),
                    UnsafeRawBufferPointer(rebasing: bytes[text]).starts(with: Self.broadcastPrefix.utf8)
                else { return nil }
                let message = UnsafeRawBufferPointer(rebasing: bytes[(text.lowerBound + Self.broadcastPrefix.utf8.count)..<text.upperBound])
                var framed = context.channel.allocator.buffer(capacity: message.count + 16)
                framed.writeString("~m~\(message.count)~m~")  // the bench's texts are ASCII: bytes are UTF-16 units
                framed.writeBytes(message)
                return framed
            }
            if let broadcast {
                sockets.broadcast(broadcast, except: context.channel)
            } else {
                context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .text, data: payload)), promise: nil)
            }
        case .connectionClose:
            context.close(promise: nil)
        default:
            break
        }
    }

    static let broadcastPrefix = "broadcast:"
}

/// The open sockets, by event loop; each loop's are touched on that loop only, and a broadcast
/// writes (one frame, one flush each, as NIO's frame encoder does) on each loop to its own.
final class FloorSockets: Sendable {
    final class OnLoop: @unchecked Sendable {
        let loop: any EventLoop
        var channels: [ObjectIdentifier: any Channel] = [:]
        init(loop: any EventLoop) { self.loop = loop }
    }
    private let loops = NIOLockedValueBox([ObjectIdentifier: OnLoop]())

    private func onLoop(_ loop: any EventLoop) -> OnLoop {
        loops.withLockedValue { loops in
            if let existing = loops[ObjectIdentifier(loop)] { return existing }
            let created = OnLoop(loop: loop)
            loops[ObjectIdentifier(loop)] = created
            return created
        }
    }

    func add(_ channel: any Channel) {
        onLoop(channel.eventLoop).channels[ObjectIdentifier(channel)] = channel
    }

    func remove(_ channel: any Channel) {
        onLoop(channel.eventLoop).channels[ObjectIdentifier(channel)] = nil
    }

    func broadcast(_ text: ByteBuffer, except sender: any Channel) {
        let senderId = ObjectIdentifier(sender)
        for group in loops.withLockedValue({ Array($0.values) }) {
            let write: @Sendable () -> Void = {
                for (id, channel) in group.channels where id != senderId {
                    channel.writeAndFlush(WebSocketFrame(fin: true, opcode: .text, data: text), promise: nil)
                }
            }
            if group.loop.inEventLoop { write() } else { group.loop.execute(write) }
        }
    }
}

/// Each session's held poll, or the messages that came while none was held.
final class FloorPolls: Sendable {
    struct Slot {
        var held: (@Sendable (String) -> Void)?
        var queued = ""
    }
    private let slots = NIOLockedValueBox([String: Slot]())

    func open() -> String {
        let sessionId = newSessionId()
        slots.withLockedValue { $0[sessionId] = Slot() }
        return sessionId
    }

    func exists(_ sessionId: String) -> Bool { slots.withLockedValue { $0[sessionId] != nil } }

    /// Holds a poll: `answer` runs with the messages now, or when some arrive.
    func hold(_ sessionId: String, answer: @escaping @Sendable (String) -> Void) {
        let queued: String? = slots.withLockedValue { slots in
            guard !(slots[sessionId]?.queued.isEmpty ?? true) else {
                slots[sessionId]?.held = answer
                return nil
            }
            defer { slots[sessionId]?.queued = "" }
            return slots[sessionId]?.queued
        }
        if let queued { answer(queued) }
    }

    func deliver(_ messages: String, to sessionId: String) {
        let held: (@Sendable (String) -> Void)? = slots.withLockedValue { slots in
            guard let held = slots[sessionId]?.held else {
                slots[sessionId]?.queued += messages
                return nil
            }
            slots[sessionId]?.held = nil
            return held
        }
        held?(messages)
    }
}

/// xhr-polling: a GET without a session id opens one, a GET with one is held until a message
/// comes, a POST's `data=` field (form-decoded as Switchboard does) is echoed to the session's poll and answered `ok`.
final class FloorPolling: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let prefix: String
    let polls: FloorPolls
    private var request: HTTPRequestHead?
    private var body: [UInt8] = []

    init(resource: String, polls: FloorPolls) {
        self.prefix = "/\(resource)/xhr-polling/"
        self.polls = polls
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        context.fireUserInboundEventTriggered(event)
        // After an upgrade the channel carries frames, for the handlers the upgrader added.
        if event is HTTPServerUpgradeEvents {
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            request = head
            body = []
        case .body(let buffer):
            body += buffer.readableBytesView
        case .end:
            guard let head = request else { return }
            request = nil
            answer(head, context: context)
        }
    }

    private func answer(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        guard head.uri.hasPrefix(prefix) else { return respond(head, .notFound, "", context: context) }
        let sessionId = String(head.uri.dropFirst(prefix.utf8.count).prefix { $0 != "/" })
        if sessionId.isEmpty {
            return respond(head, .ok, Framed.frame(polls.open()), context: context)
        }
        guard polls.exists(sessionId) else { return respond(head, .notFound, "", context: context) }
        switch head.method {
        case .GET:
            let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            polls.hold(sessionId) { messages in
                bound.eventLoop.execute {
                    let (handler, context) = bound.value
                    handler.respond(head, .ok, messages, context: context)
                }
            }
        case .POST:
            guard let messages = try? FormEncoding.value(of: "data", in: body) else {
                return respond(head, .badRequest, "", context: context)
            }
            polls.deliver(messages, to: sessionId)
            respond(head, .ok, "ok", context: context)
        default:
            respond(head, .methodNotAllowed, "", context: context)
        }
    }

    private func respond(_ request: HTTPRequestHead, _ status: HTTPResponseStatus, _ text: String, context: ChannelHandlerContext) {
        let headers: HTTPHeaders = [
            "Content-Type": "text/plain; charset=UTF-8", "Content-Length": String(text.utf8.count), "Connection": "keep-alive",
        ]
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: request.version, status: status, headers: headers))), promise: nil)
        if !text.isEmpty { context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(string: text)))), promise: nil) }
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }
}
