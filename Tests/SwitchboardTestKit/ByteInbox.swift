import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// Bytes received on one connection, with async, deadline-bounded reads.
///
/// The channel handler appends; one reader at a time consumes through `read(deadline:_:)`, whose
/// `attempt` closure runs under the lock on the accumulated buffer and either consumes what it
/// needs (returning a value) or returns nil to wait for more bytes.
final class ByteInbox: Sendable {
    private struct Waiter {
        let id: UInt64
        let continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var buffer = ByteBuffer()
        var eof = false
        var error: (any Error)?
        var generation: UInt64 = 0
        var lastWaiterID: UInt64 = 0
        var waiter: Waiter?
        /// A timeout/cancellation that arrived for the newest waiter before it was installed.
        var preFailed: (id: UInt64, error: any Error)?
    }

    private let state = NIOLockedValueBox(State())
    let eventLoop: any EventLoop

    init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    // MARK: producer side (event loop)

    func append(_ incoming: ByteBuffer) {
        let waiter = self.state.withLockedValue { state -> Waiter? in
            var incoming = incoming
            state.buffer.writeBuffer(&incoming)
            state.generation &+= 1
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.continuation.resume()
    }

    func finish(error: (any Error)? = nil) {
        let waiter = self.state.withLockedValue { state -> Waiter? in
            if state.error == nil { state.error = error }
            state.eof = true
            state.generation &+= 1
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.continuation.resume()
    }

    var isEOF: Bool { self.state.withLockedValue { $0.eof } }

    /// Removes and returns whatever is buffered, without waiting.
    func takeBuffered() -> [UInt8] {
        self.state.withLockedValue { state in
            defer { state.buffer.clear() }
            return state.buffer.readBytes(length: state.buffer.readableBytes) ?? []
        }
    }
    var bufferedByteCount: Int { self.state.withLockedValue { $0.buffer.readableBytes } }

    // MARK: consumer side

    /// Runs `attempt(&buffer, eof)` until it returns a value, waiting for more bytes in between.
    /// Throws `TestKitError.connectionClosed` if it returns nil at EOF, `.timeout` at `deadline`.
    func read<T>(deadline: NIODeadline, _ attempt: (inout ByteBuffer, _ eof: Bool) throws -> T?) async throws -> T {
        while true {
            let (value, generation, eof) = try self.state.withLockedValue { state -> (T?, UInt64, Bool) in
                let value = try attempt(&state.buffer, state.eof)
                if state.buffer.readableBytes == 0 {
                    state.buffer.clear()
                } else if state.buffer.readerIndex > 65_536 {
                    state.buffer.discardReadBytes()
                }
                return (value, state.generation, state.eof)
            }
            if let value { return value }
            if eof { throw TestKitError.connectionClosed }
            try await self.waitForChange(since: generation, deadline: deadline)
        }
    }

    private func waitForChange(since generation: UInt64, deadline: NIODeadline) async throws {
        if NIODeadline.now() >= deadline { throw TestKitError.timeout }
        let id = self.state.withLockedValue { state -> UInt64 in
            state.lastWaiterID &+= 1
            state.preFailed = nil
            return state.lastWaiterID
        }
        let timer = self.eventLoop.scheduleTask(deadline: deadline) { [self] in
            self.failWaiter(id: id, with: TestKitError.timeout)
        }
        defer { timer.cancel() }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                enum Action { case resume, fail(any Error), wait }
                let action = self.state.withLockedValue { state -> Action in
                    if state.generation != generation || state.eof { return .resume }
                    if let preFailed = state.preFailed, preFailed.id == id {
                        state.preFailed = nil
                        return .fail(preFailed.error)
                    }
                    if Task.isCancelled { return .fail(CancellationError()) }
                    if state.waiter != nil {
                        return .fail(TestKitError.invalidState("two concurrent reads on one connection"))
                    }
                    state.waiter = Waiter(id: id, continuation: continuation)
                    return .wait
                }
                switch action {
                case .resume: continuation.resume()
                case .fail(let error): continuation.resume(throwing: error)
                case .wait: break
                }
            }
        } onCancel: {
            self.failWaiter(id: id, with: CancellationError())
        }
    }

    private func failWaiter(id: UInt64, with error: any Error) {
        let waiter = self.state.withLockedValue { state -> Waiter? in
            if let waiter = state.waiter, waiter.id == id {
                state.waiter = nil
                return waiter
            }
            if state.waiter == nil && state.lastWaiterID == id {
                state.preFailed = (id, error)
            }
            return nil
        }
        waiter?.continuation.resume(throwing: error)
    }

    // MARK: common reads

    /// One line terminated by LF (a preceding CR is dropped), decoded as UTF-8.
    func readLine(deadline: NIODeadline, maxLength: Int = 1 << 20) async throws -> String {
        try await self.read(deadline: deadline) { buffer, _ in
            let view = buffer.readableBytesView
            guard let lf = view.firstIndex(of: UInt8(ascii: "\n")) else {
                if view.count > maxLength {
                    throw TestKitError.malformedResponse("line longer than \(maxLength) bytes")
                }
                return nil
            }
            var bytes = buffer.readBytes(length: lf - view.startIndex + 1)!
            bytes.removeLast()
            if bytes.last == UInt8(ascii: "\r") { bytes.removeLast() }
            return String(decoding: bytes, as: UTF8.self)
        }
    }

    func readExactly(_ count: Int, deadline: NIODeadline) async throws -> [UInt8] {
        try await self.read(deadline: deadline) { buffer, _ in
            buffer.readableBytes >= count ? buffer.readBytes(length: count)! : nil
        }
    }

    /// Everything buffered once at least `count` bytes are there.
    func read(atLeast count: Int, deadline: NIODeadline) async throws -> [UInt8] {
        try await self.read(deadline: deadline) { buffer, _ in
            buffer.readableBytes >= max(count, 1) ? buffer.readBytes(length: buffer.readableBytes)! : nil
        }
    }

    /// Up to `maxCount` buffered bytes as soon as there is at least one; `[]` at EOF.
    func readAvailable(maxCount: Int = .max, deadline: NIODeadline) async throws -> [UInt8] {
        try await self.read(deadline: deadline) { buffer, eof in
            if buffer.readableBytes > 0 {
                return buffer.readBytes(length: min(maxCount, buffer.readableBytes))!
            }
            return eof ? [] : nil
        }
    }

    /// Bytes up to and including `delimiter`.
    func readUntil(_ delimiter: [UInt8], deadline: NIODeadline) async throws -> [UInt8] {
        precondition(!delimiter.isEmpty)
        return try await self.read(deadline: deadline) { buffer, _ in
            let view = buffer.readableBytesView
            guard view.count >= delimiter.count else { return nil }
            var i = view.startIndex
            let last = view.endIndex - delimiter.count
            while i <= last {
                if view[i] == delimiter[0] && view[i..<(i + delimiter.count)].elementsEqual(delimiter) {
                    return buffer.readBytes(length: i - view.startIndex + delimiter.count)!
                }
                i += 1
            }
            return nil
        }
    }

    /// All bytes until the peer closes.
    func readToEOF(deadline: NIODeadline) async throws -> [UInt8] {
        try await self.read(deadline: deadline) { buffer, eof in
            eof ? buffer.readBytes(length: buffer.readableBytes)! : nil
        }
    }
}

/// Pushes every inbound buffer into the inbox; marks EOF when the channel goes inactive.
final class InboxHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private let inbox: ByteInbox

    init(inbox: ByteInbox) {
        self.inbox = inbox
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        self.inbox.append(Self.unwrapInboundIn(data))
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.inbox.finish()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // e.g. ECONNRESET: treat as closure, keep the error for diagnostics.
        self.inbox.finish(error: error)
        context.close(promise: nil)
    }
}

/// One client TCP connection: a channel plus its inbox.
final class TCPConnection: Sendable {
    let channel: any Channel
    let inbox: ByteInbox
    let host: String
    let port: Int

    private init(channel: any Channel, inbox: ByteInbox, host: String, port: Int) {
        self.channel = channel
        self.inbox = inbox
        self.host = host
        self.port = port
    }

    static func connect(host: String, port: Int, timeout: Duration) async throws -> TCPConnection {
        let eventLoop = testKitEventLoopGroup.next()
        let inbox = ByteInbox(eventLoop: eventLoop)
        let connectTimeout = timeout.timeAmount
        let bootstrap = ClientBootstrap(group: eventLoop)
            .connectTimeout(connectTimeout > .zero ? connectTimeout : .milliseconds(1))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(InboxHandler(inbox: inbox))
                }
            }
        let channel: any Channel
        do {
            channel = try await bootstrap.connect(host: host, port: port)
                .get(deadline: makeDeadline(after: timeout) + .milliseconds(50))
        } catch ChannelError.connectTimeout {
            throw TestKitError.timeout
        }
        return TCPConnection(channel: channel, inbox: inbox, host: host, port: port)
    }

    var isClosed: Bool { self.inbox.isEOF || !self.channel.isActive }

    func write(_ bytes: [UInt8], deadline: NIODeadline) async throws {
        do {
            try await self.channel.writeAndFlush(ByteBuffer(bytes: bytes)).get(deadline: deadline)
        } catch let error as ChannelError {
            switch error {
            case .ioOnClosedChannel, .alreadyClosed, .outputClosed, .eof:
                throw TestKitError.connectionClosed
            default:
                throw error
            }
        } catch is IOError {
            throw TestKitError.connectionClosed
        }
    }

    /// Waits until the TCP connection is closed (by the peer, or by us).
    func waitForClose(deadline: NIODeadline) async throws {
        try await self.channel.closeFuture.get(deadline: deadline)
    }

    func close() async {
        try? await self.channel.close().get()
    }
}
