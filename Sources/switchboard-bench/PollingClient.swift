import NIOCore
import NIOPosix
import SwitchboardWire

/// One HTTP/1.1 keep-alive connection carrying one request at a time, parsed by hand
/// (Content-Length or chunked bodies).
final class HTTPConnection: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private(set) var context: ChannelHandlerContext?
    private var buffer = ByteBuffer()
    var onResponse: ((Int, UnsafeRawBufferPointer) -> Void)?
    /// The connection closed; the argument says whether a request was in flight (its answer lost).
    var onClose: ((Bool) -> Void)?
    var onActive: (() -> Void)?
    private(set) var busy = false
    /// The last answer said `Connection: close` (a proxy's `keepalive_requests`, say): the
    /// connection takes no more requests, and its close is coming.
    private(set) var closing = false

    /// Connected, with no request in flight, and not closing.
    var canSend: Bool { context?.channel.isActive == true && !busy && !closing }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }

    func channelActive(context: ChannelHandlerContext) { onActive?() }

    func channelInactive(context: ChannelHandlerContext) {
        self.context = nil
        let wasBusy = busy
        busy = false
        closing = true
        onClose?(wasBusy)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    func send(_ request: ByteBuffer) {
        guard let context, !closing else { return }
        busy = true
        context.writeAndFlush(wrapOutboundOut(request), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = unwrapInboundIn(data)
        if buffer.readableBytes == 0 { buffer = incoming } else { buffer.writeBuffer(&incoming) }
        while busy, let consumed = parseOne() {
            buffer.moveReaderIndex(forwardBy: consumed)
        }
        if buffer.readableBytes == 0 { buffer.clear() }
    }

    /// Parses one complete response at the reader index and hands it on; nil when incomplete.
    private func parseOne() -> Int? {
        buffer.withUnsafeReadableBytes { p -> Int? in
            guard let headEnd = p.firstIndex(of: "\r\n\r\n") else { return nil }
            let head = UnsafeRawBufferPointer(rebasing: p[0..<headEnd])
            let (status, _) = p.decimal(at: 9)
            let bodyStart = headEnd + 4
            if head.firstIndexIgnoringCase(of: "\r\nconnection: close") != nil { closing = true }
            if let at = head.firstIndexIgnoringCase(of: "\r\ncontent-length:") {
                var i = at + 17
                while i < head.count, head[i] == 32 { i += 1 }
                let (length, _) = head.decimal(at: i)
                guard p.count >= bodyStart + length else { return nil }
                busy = false
                onResponse?(status, UnsafeRawBufferPointer(rebasing: p[bodyStart..<(bodyStart + length)]))
                return bodyStart + length
            }
            if head.firstIndexIgnoringCase(of: "\r\ntransfer-encoding: chunked") != nil {
                // Collect the chunks; the body is handed on whole.
                var body: [UInt8] = []
                var i = bodyStart
                while true {
                    guard let lineEnd = p.firstIndex(of: "\r\n", from: i) else { return nil }
                    var size = 0
                    for j in i..<lineEnd {
                        let c = p[j]
                        let d: Int
                        if c >= 48 && c <= 57 { d = Int(c - 48) } else if c >= 97 && c <= 102 { d = Int(c - 87) } else if c >= 65 && c <= 70 { d = Int(c - 55) } else { break }
                        size = size * 16 + d
                    }
                    let dataStart = lineEnd + 2
                    guard p.count >= dataStart + size + 2 else { return nil }
                    if size == 0 {
                        busy = false
                        body.withUnsafeBytes { onResponse?(status, $0) }
                        return dataStart + 2
                    }
                    body.append(contentsOf: UnsafeRawBufferPointer(rebasing: p[dataStart..<(dataStart + size)]))
                    i = dataStart + size + 2
                }
            }
            // No length: the body ends with the connection; treat what we have as empty.
            busy = false
            onResponse?(status, UnsafeRawBufferPointer(rebasing: p[bodyStart..<bodyStart]))
            return bodyStart
        }
    }
}

/// One polling session: a connection that holds the poll (GET) and one that posts (POST), as a
/// browser does. Everything runs on one event loop.
final class PollingClient: @unchecked Sendable {
    let index: Int
    let wire: Wire
    let stats: LoopStats
    let loop: any EventLoop
    let host: String
    let port: Int
    let resource: String
    let source: String
    private var getConnection: HTTPConnection?
    private var postConnection: HTTPConnection?
    private(set) var sessionId = ""
    private(set) var open = false
    private var pendingPosts: [[UInt8]] = []
    private var pollCounter = 0
    private var getPrefix = ""
    private var postHead = ""
    var onOpen: ((PollingClient, Bool) -> Void)?
    /// An application message arrived.
    var onMessage: ((PollingClient, UnsafeRawBufferPointer) -> Void)?
    /// A poll was answered (before its messages are handed on); the client polls again if `polling`.
    var polling = false
    var pollsInFlight: Counter?
    var scratch: [UInt8] = []
    var sentAt: UInt64 = 0
    var sequence = 0
    var done = false

    init(index: Int, wire: Wire, loop: any EventLoop, host: String, port: Int, resource: String, source: String, stats: LoopStats) {
        self.index = index
        self.wire = wire
        self.loop = loop
        self.host = host
        self.port = port
        self.resource = resource
        self.source = source
        self.stats = stats
    }

    // MARK: Connections

    private func connect(_ connection: HTTPConnection) -> EventLoopFuture<any Channel> {
        connectClient(connection, on: loop, from: source, to: host, port: port)
    }

    /// Connects both connections and performs the handshake; `onOpen` tells how it went.
    func start() {
        let get = HTTPConnection()
        let post = HTTPConnection()
        getConnection = get
        postConnection = post
        get.onResponse = { [unowned self] status, body in self.handshakeResponse(status, body) }
        post.onResponse = { [unowned self] status, body in self.postResponse(status, body) }
        get.onClose = { [unowned self] wasBusy in self.getClosed(wasBusy: wasBusy) }
        post.onClose = { [unowned self] wasBusy in self.postClosed(wasBusy: wasBusy) }
        let both = connect(get).and(connect(post))
        both.whenComplete { [self] result in
            switch result {
            case .success:
                getConnection?.send(request(get: nil))
            case .failure(let error):
                fail("connect: \(error)")
            }
        }
    }

    private func fail(_ why: String) {
        stats.note(error: why)
        if let onOpen {
            self.onOpen = nil
            onOpen(self, false)
        }
    }

    func close() {
        polling = false
        getConnection?.context?.close(promise: nil)
        postConnection?.context?.close(promise: nil)
    }

    private func getClosed(wasBusy: Bool) {
        guard polling || !open else {
            return
        }
        guard open else { return fail("poll connection closed during the handshake") }
        // The server may close a poll's connection (an empty answer), a proxy after so many
        // requests: reconnect and poll again, as a browser does.
        if wasBusy { pollsInFlight?.add(-1) }
        getConnection = reconnect(
            onResponse: { [unowned self] status, body in self.pollResponse(status, body) },
            onClose: { [unowned self] wasBusy in self.getClosed(wasBusy: wasBusy) },
            then: { [unowned self] in self.poll() })
    }

    /// A new connection in place of a closed one; `then` runs once it is up.
    private func reconnect(
        onResponse: @escaping (Int, UnsafeRawBufferPointer) -> Void, onClose: @escaping (Bool) -> Void, then: @escaping @Sendable () -> Void
    ) -> HTTPConnection {
        stats.reconnects += 1
        let connection = HTTPConnection()
        connection.onResponse = onResponse
        connection.onClose = onClose
        connect(connection).whenComplete { [self] result in
            if case .failure(let error) = result {
                stats.note(error: "reconnect: \(error)")
            } else {
                then()
            }
        }
        return connection
    }

    /// A proxy closes a client's connection after so many requests (nginx's `keepalive_requests`,
    /// announced with `Connection: close`): posts go on over a new one. A post in flight when
    /// the connection closed may be lost: an error.
    private func postClosed(wasBusy: Bool) {
        guard polling || !pendingPosts.isEmpty else { return }
        if wasBusy { stats.note(error: "post connection closed with a post in flight") }
        postConnection = reconnect(
            onResponse: { [unowned self] status, body in self.postResponse(status, body) },
            onClose: { [unowned self] wasBusy in self.postClosed(wasBusy: wasBusy) },
            then: { [unowned self] in self.flushPosts() })
    }

    // MARK: Requests

    private func request(get sid: String?) -> ByteBuffer {
        pollCounter += 1
        switch wire {
        case .switchboard:
            return ByteBuffer(string: "GET /\(resource)/xhr-polling/\(sid ?? "")/\(pollCounter) HTTP/1.1\r\nHost: \(host):\(port)\r\n\r\n")
        case .engineio:
            let sidPart = sid.map { "&sid=\($0)" } ?? ""
            return ByteBuffer(
                string: "GET /\(resource)/?EIO=4&transport=polling\(sidPart)&t=\(pollCounter) HTTP/1.1\r\nHost: \(host):\(port)\r\n\r\n")
        }
    }

    private func postRequest(body: [UInt8]) -> ByteBuffer {
        var buffer = ByteBufferAllocator().buffer(capacity: postHead.utf8.count + body.count + 16)
        buffer.writeString(postHead)
        buffer.writeString(String(body.count))
        buffer.writeStaticString("\r\n\r\n")
        buffer.writeBytes(body)
        return buffer
    }

    /// The body of a POST carrying these messages, in the server's protocol.
    private func postBody(messages: [[UInt8]]) -> [UInt8] {
        var body: [UInt8] = []
        switch wire {
        case .switchboard:
            body += Array("data=".utf8)
            for m in messages {
                if m.first == UInt8(ascii: "~") {  // already framed (never used: no heartbeats on polling)
                    body += m
                } else {
                    body += Array("~m~\(m.count)~m~".utf8) + m
                }
            }
        case .engineio:
            for (i, m) in messages.enumerated() {
                if i > 0 { body.append(0x1e) }
                if m == [UInt8(ascii: "3")] || m == Array("40".utf8) {
                    body += m
                } else {
                    body += Array("42[\"message\",\"".utf8) + m + Array("\"]".utf8)
                }
            }
        }
        return body
    }

    /// Posts a message now, or after the post in flight.
    func post(_ message: [UInt8]) {
        pendingPosts.append(message)
        flushPosts()
    }

    private func flushPosts() {
        // A connection still connecting takes the posts when it is up (`postClosed`).
        guard let postConnection, postConnection.canSend, !pendingPosts.isEmpty else { return }
        let body = postBody(messages: pendingPosts)
        pendingPosts.removeAll(keepingCapacity: true)
        postConnection.send(postRequest(body: body))
    }

    func poll() {
        guard let getConnection, getConnection.canSend else { return }
        pollsInFlight?.add(1)
        switch wire {
        case .switchboard: getConnection.send(request(get: sessionId))
        case .engineio: getConnection.send(request(get: sessionId))
        }
    }

    // MARK: Responses

    private func handshakeResponse(_ status: Int, _ body: UnsafeRawBufferPointer) {
        guard status == 200 else { return fail("handshake: status \(status)") }
        switch wire {
        case .switchboard:
            // `~m~22~m~<SID>`
            switch Framed.scan(body, at: 0, maxFrameLength: Int.max) {
            case .frame(let text, _): sessionId = body.string(text)
            case .bad(let problem): return fail("handshake: no SID frame: \(problem)")
            case .end: return fail("handshake: no SID frame")
            }
            setUpRequests()
            opened()
        case .engineio:
            if !sessionId.isEmpty {
                // The poll after posting `40`: the namespace's answer.
                guard body.firstIndex(of: "40") != nil else { return fail("no namespace answer") }
                opened()
                return
            }
            guard body.first == UInt8(ascii: "0"), let at = body.firstIndex(of: "\"sid\":\"") else {
                return fail("handshake: no open packet")
            }
            var to = at + 7
            while to < body.count, body[to] != UInt8(ascii: "\"") { to += 1 }
            sessionId = body.string((at + 7)..<to)
            setUpRequests()
            post(Array("40".utf8))
            getConnection?.send(request(get: sessionId))
        }
    }

    private func setUpRequests() {
        switch wire {
        case .switchboard:
            postHead = "POST /\(resource)/xhr-polling/\(sessionId)/send HTTP/1.1\r\nHost: \(host):\(port)\r\n"
                + "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: "
        case .engineio:
            postHead = "POST /\(resource)/?EIO=4&transport=polling&sid=\(sessionId) HTTP/1.1\r\nHost: \(host):\(port)\r\n"
                + "Content-Type: text/plain;charset=UTF-8\r\nContent-Length: "
        }
    }

    private func opened() {
        open = true
        getConnection?.onResponse = { [unowned self] status, body in self.pollResponse(status, body) }
        if let onOpen {
            self.onOpen = nil
            onOpen(self, true)
        }
    }

    private func postResponse(_ status: Int, _ body: UnsafeRawBufferPointer) {
        if status != 200 { stats.note(error: "post: status \(status)") }
        flushPosts()
    }

    private func pollResponse(_ status: Int, _ body: UnsafeRawBufferPointer) {
        pollsInFlight?.add(-1)
        stats.polls += 1
        guard status == 200 else {
            stats.note(error: "poll: status \(status)")
            return
        }
        if body.isEmpty { stats.emptyPolls += 1 }
        // Poll again first, as a browser does, then hand the messages on.
        if polling { poll() }
        switch wire {
        case .switchboard:
            var i = 0
            while case .frame(let text, let next) = Framed.scan(body, at: i, maxFrameLength: Int.max) {
                i = next
                stats.messages += 1
                onMessage?(self, UnsafeRawBufferPointer(rebasing: body[text]))
            }
        case .engineio:
            var i = 0
            while i < body.count {
                var end = i
                while end < body.count, body[end] != 0x1e { end += 1 }
                let packet = UnsafeRawBufferPointer(rebasing: body[i..<end])
                i = end + 1
                if packet.first == UInt8(ascii: "2") {
                    post([UInt8(ascii: "3")])
                } else if packet.hasPrefix("42[\"message\",\""), packet.count >= 16 {
                    stats.messages += 1
                    onMessage?(self, UnsafeRawBufferPointer(rebasing: packet[14..<(packet.count - 2)]))
                }
            }
        }
    }
}
