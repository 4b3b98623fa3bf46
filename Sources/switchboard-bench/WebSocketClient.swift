import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import SwitchboardWire

/// The protocol a server speaks; the generator speaks it on raw sockets.
enum Wire: String, CaseIterable, Sendable {
    /// Switchboard: Socket.IO 0.6 `~m~` framing, `/socket.io/websocket`, `/socket.io/xhr-polling`.
    case switchboard
    /// python-socketio 5: Engine.IO v4 packets carrying Socket.IO v5 events, `/socket.io/?EIO=4`.
    case engineio
}

/// What a scenario does with the sessions it opened. Called on the connection's event loop.
protocol SessionDelegate: AnyObject, Sendable {
    /// An application message arrived (the text only, without the protocol's framing).
    func received(_ text: UnsafeRawBufferPointer, on client: WebSocketClient)
}

/// One WebSocket session over a raw socket: a hand-written handshake, frames parsed in place,
/// client frames masked with a zero key (so payloads are written as they are), and the protocol's
/// own keep-alive answered (Switchboard's `~h~` heartbeats, Engine.IO's ping).
final class WebSocketClient: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    enum Phase { case connecting, upgrading, handshaking, open, closed }

    let index: Int
    let wire: Wire
    let stats: LoopStats
    let request: ByteBuffer
    weak var delegate: (any SessionDelegate)?
    /// Called once: true when the session is open (SID received), false when it failed first.
    var onOpen: ((WebSocketClient, Bool) -> Void)?
    var onClose: ((WebSocketClient) -> Void)?

    private(set) var phase = Phase.connecting
    private(set) var context: ChannelHandlerContext?
    private(set) var sessionId = ""
    private var buffer = ByteBuffer()
    /// Reused for the text of outgoing messages.
    var scratch: [UInt8] = []
    /// Scenario state, per connection.
    var sentAt: UInt64 = 0
    var sequence = 0
    var done = false

    init(index: Int, wire: Wire, host: String, port: Int, resource: String, stats: LoopStats) {
        self.index = index
        self.wire = wire
        self.stats = stats
        let path = wire == .switchboard ? "/\(resource)/websocket" : "/\(resource)/?EIO=4&transport=websocket"
        // The RFC's example key: the answer is not checked.
        self.request = ByteBuffer(
            string: RFC6455.requestHead(path: path, host: "\(host):\(port)", key: "dGhlIHNhbXBsZSBub25jZQ=="))
        scratch.reserveCapacity(64)
    }

    var channel: (any Channel)? { context?.channel }
    var eventLoop: (any EventLoop)? { context?.eventLoop }

    // MARK: Channel events

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func channelActive(context: ChannelHandlerContext) {
        phase = .upgrading
        context.writeAndFlush(wrapOutboundOut(request), promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        let wasOpen = phase == .open
        phase = .closed
        if !wasOpen { finishOpen(false) }
        onClose?(self)
        self.context = nil
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        stats.note(error: "\(error)")
        context.close(promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = unwrapInboundIn(data)
        if buffer.readableBytes == 0 {
            buffer = incoming
        } else {
            buffer.writeBuffer(&incoming)
        }
        if phase == .upgrading {
            let end = buffer.withUnsafeReadableBytes { $0.firstIndex(of: "\r\n\r\n") }
            guard let end else { return }
            let switched = buffer.withUnsafeReadableBytes { $0.hasPrefix("HTTP/1.1 101") }
            guard switched else {
                let head = buffer.withUnsafeReadableBytes { $0.string(0..<min(end, 80)) }
                stats.note(error: "upgrade refused: \(head)")
                context.close(promise: nil)
                return
            }
            buffer.moveReaderIndex(forwardBy: end + 4)
            phase = .handshaking
        }
        readFrames(context: context)
        if buffer.readableBytes == 0 { buffer.clear() } else if buffer.readerIndex > 65536 { buffer.discardReadBytes() }
    }

    private func readFrames(context: ChannelHandlerContext) {
        while phase != .closed {
            let available = buffer.readableBytes
            guard available >= 2 else { return }
            let start = buffer.readerIndex
            let b0 = buffer.getInteger(at: start, as: UInt8.self)!
            let b1 = buffer.getInteger(at: start + 1, as: UInt8.self)!
            var length = Int(b1 & 0x7f)
            var header = 2
            if length == 126 {
                guard available >= 4 else { return }
                length = Int(buffer.getInteger(at: start + 2, as: UInt16.self)!)
                header = 4
            } else if length == 127 {
                guard available >= 10 else { return }
                length = Int(buffer.getInteger(at: start + 2, as: UInt64.self)!)
                header = 10
            }
            let masked = b1 & 0x80 != 0
            if masked { header += 4 }
            guard available >= header + length else { return }
            let opcode = b0 & 0x0f
            buffer.withUnsafeReadableBytes { raw in
                let payload = UnsafeRawBufferPointer(rebasing: raw[header..<(header + length)])
                frame(opcode: opcode, payload: payload, context: context)
            }
            buffer.moveReaderIndex(forwardBy: header + length)
        }
    }

    private func frame(opcode: UInt8, payload: UnsafeRawBufferPointer, context: ChannelHandlerContext) {
        switch opcode {
        case 0x1:
            switch wire {
            case .switchboard: framedPayload(payload)
            case .engineio: engineIOPacket(payload)
            }
        case 0x9:
            writeFrame(opcode: 0xA, payload)
        case 0x8:
            phase = .closed
            context.close(promise: nil)
        default:
            break
        }
    }

    // MARK: Switchboard: `~m~L~m~` frames

    private func framedPayload(_ p: UnsafeRawBufferPointer) {
        var i = 0
        while case .frame(let range, let next) = Framed.scan(p, at: i, maxFrameLength: Int.max) {
            let text = UnsafeRawBufferPointer(rebasing: p[range])
            let start = i
            i = next
            if phase == .handshaking {
                sessionId = text.string(0..<text.count)
                phase = .open
                finishOpen(true)
            } else if text.hasPrefix("~h~") {
                // Heartbeat: echo it as it came.
                writeFrame(opcode: 0x1, UnsafeRawBufferPointer(rebasing: p[start..<i]))
            } else {
                stats.messages += 1
                delegate?.received(text, on: self)
            }
        }
    }

    // MARK: Engine.IO v4 / Socket.IO v5

    private static let eventPrefix: StaticString = "42[\"message\",\""

    private func engineIOPacket(_ p: UnsafeRawBufferPointer) {
        guard let type = p.first else { return }
        switch type {
        case UInt8(ascii: "0"):  // open: connect to the default namespace
            if let at = p.firstIndex(of: "\"sid\":\"") {
                let from = at + 7
                var to = from
                while to < p.count, p[to] != UInt8(ascii: "\"") { to += 1 }
                sessionId = p.string(from..<to)
            }
            sendRaw("40")
        case UInt8(ascii: "2"):  // ping
            sendRaw("3")
        case UInt8(ascii: "4"):
            if p.hasPrefix(Self.eventPrefix, at: 0) {
                let start = Self.eventPrefix.utf8CodeUnitCount
                guard p.count >= start + 2 else { return }
                stats.messages += 1
                delegate?.received(UnsafeRawBufferPointer(rebasing: p[start..<(p.count - 2)]), on: self)
            } else if p.count >= 2, p[1] == UInt8(ascii: "0"), phase == .handshaking {
                phase = .open
                finishOpen(true)
            } else if p.count >= 2, p[1] == UInt8(ascii: "1") || p[1] == UInt8(ascii: "4") {
                stats.note(error: "namespace refused: \(p.string(0..<min(p.count, 80)))")
                context?.close(promise: nil)
            }
        case UInt8(ascii: "1"):
            context?.close(promise: nil)
        default:
            break
        }
    }

    private func finishOpen(_ ok: Bool) {
        if let onOpen {
            self.onOpen = nil
            onOpen(self, ok)
        }
    }

    // MARK: Writing

    private func sendRaw(_ text: StaticString) {
        writeFrame(opcode: 0x1, UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    /// Sends `scratch` as one application message, in the server's protocol.
    func sendScratch() {
        guard let context, phase == .open else { return }
        let n = scratch.count
        var frame: ByteBuffer
        switch wire {
        case .switchboard:
            let digits = n < 10 ? 1 : n < 100 ? 2 : n < 1000 ? 3 : n < 10000 ? 4 : 5
            let length = 6 + digits + n
            frame = context.channel.allocator.buffer(capacity: length + 8)
            writeHeader(length: length, opcode: 0x1, into: &frame)
            frame.writeStaticString("~m~")
            frame.writeString(String(n))
            frame.writeStaticString("~m~")
        case .engineio:
            let length = Self.eventPrefix.utf8CodeUnitCount + n + 2
            frame = context.channel.allocator.buffer(capacity: length + 8)
            writeHeader(length: length, opcode: 0x1, into: &frame)
            frame.writeStaticString(Self.eventPrefix)
        }
        frame.writeBytes(scratch)
        if wire == .engineio { frame.writeStaticString("\"]") }
        context.writeAndFlush(wrapOutboundOut(frame), promise: nil)
    }

    private func writeFrame(opcode: UInt8, _ payload: UnsafeRawBufferPointer) {
        guard let context else { return }
        var frame = context.channel.allocator.buffer(capacity: payload.count + 8)
        writeHeader(length: payload.count, opcode: opcode, into: &frame)
        frame.writeBytes(payload)
        context.writeAndFlush(wrapOutboundOut(frame), promise: nil)
    }

    /// FIN + opcode, the masked length, and a zero masking key (payload bytes unchanged).
    @inline(__always) private func writeHeader(length: Int, opcode: UInt8, into frame: inout ByteBuffer) {
        frame.writeInteger(0x80 | opcode)
        if length < 126 {
            frame.writeInteger(UInt8(0x80 | length))
        } else if length < 65536 {
            frame.writeInteger(UInt8(0x80 | 126))
            frame.writeInteger(UInt16(length))
        } else {
            frame.writeInteger(UInt8(0x80 | 127))
            frame.writeInteger(UInt64(length))
        }
        frame.writeInteger(UInt32(0))
    }

    func close() {
        context?.close(promise: nil)
    }
}

/// Opens WebSocket sessions with a bounded number of handshakes in flight, spread over the
/// generator's event loops and the given source addresses.
final class SessionOpener: @unchecked Sendable {
    struct Config {
        var wire: Wire
        var host: String
        /// The servers' ports; session `i` goes to `ports[i % ports.count]`.
        var ports: [Int]
        var resource: String
        var sources: [String]
        var concurrency: Int
    }

    let config: Config
    let loops: [any EventLoop]
    let stats: [LoopStats]
    private let lock = NIOLock()
    private var next = 0
    private var opened = 0
    private var failed = 0
    private var clients: [WebSocketClient?]
    private let promise: EventLoopPromise<Void>
    private let delegate: any SessionDelegate
    private var finishedAt: UInt64 = 0

    init(count: Int, config: Config, loops: [any EventLoop], stats: [LoopStats], delegate: any SessionDelegate) {
        self.config = config
        self.loops = loops
        self.stats = stats
        self.delegate = delegate
        self.clients = Array(repeating: nil, count: count)
        self.promise = loops[0].makePromise()
    }

    /// Opens them all; the future completes when every one opened or failed.
    func start() -> EventLoopFuture<Void> {
        if clients.isEmpty { promise.succeed(()) }
        for _ in 0..<min(config.concurrency, clients.count) { connectNext() }
        return promise.futureResult
    }

    var result: (clients: [WebSocketClient], failed: Int, finishedAt: UInt64) {
        lock.withLock { (clients.compactMap { $0 }, failed, finishedAt) }
    }

    private func connectNext() {
        let index: Int? = lock.withLock {
            guard next < clients.count else { return nil }
            defer { next += 1 }
            return next
        }
        guard let index else { return }
        let loopIndex = index % loops.count
        let client = WebSocketClient(
            index: index, wire: config.wire, host: config.host, port: config.ports[index % config.ports.count], resource: config.resource,
            stats: stats[loopIndex])
        client.delegate = delegate
        client.onOpen = { [self] client, ok in finished(client, ok: ok) }
        let source = config.sources[index % config.sources.count]
        connectClient(client, on: loops[loopIndex], from: source, to: config.host, port: config.ports[index % config.ports.count])
            .whenFailure { [self] error in
                client.stats.note(error: "connect: \(error)")
                client.onOpen = nil
                finished(client, ok: false)
            }
    }

    private func finished(_ client: WebSocketClient, ok: Bool) {
        let done: Bool = lock.withLock {
            if ok {
                opened += 1
                clients[client.index] = client
            } else {
                failed += 1
            }
            let done = opened + failed == clients.count
            if done { finishedAt = nowNanos() }
            return done
        }
        if done { promise.succeed(()) } else { connectNext() }
    }
}
