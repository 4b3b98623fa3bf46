import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// What happens to one HTTP request, told on the socket's event loop.
struct HTTPExchange: Sendable {
    /// The request is on the wire.
    var written: @Sendable () -> Void = {}
    var head: @Sendable (HTTPResponseHead) -> Void = { _ in }
    var body: @Sendable (ByteBuffer) -> Void = { _ in }
    var end: @Sendable () -> Void = {}
    /// The connection could not be made, or closed before the response ended.
    var failed: @Sendable (ConnectionFailure) -> Void = { _ in }
}

/// One keep-alive HTTP/1.1 connection to the server, for one request at a time (a poll, a stream,
/// or the POSTs of a session). It connects when asked for a request and reconnects when the server
/// closed the previous connection. Confined to `eventLoop`.
final class HTTPRequester: @unchecked Sendable {
    private let host: String
    private let port: Int
    private let eventLoop: any EventLoop
    private let connectTimeout: TimeAmount
    private let tls: NIOSSLContext?
    private var channel: (any Channel)?
    private var handler: HTTPExchangeHandler?
    private var closed = false

    init(host: String, port: Int, eventLoop: any EventLoop, connectTimeout: TimeAmount, tls: NIOSSLContext? = nil) {
        self.host = host
        self.port = port
        self.eventLoop = eventLoop
        self.connectTimeout = connectTimeout
        self.tls = tls
    }

    /// The requester of a transport connection: its server, loop, connect timeout and TLS.
    convenience init(_ setup: ConnectionSetup) {
        self.init(host: setup.host, port: setup.port, eventLoop: setup.eventLoop, connectTimeout: setup.options.connectTimeout, tls: setup.tls)
    }

    /// Sends a request; `exchange` hears what becomes of it. A body is sent as a form.
    func request(
        _ method: HTTPMethod, _ path: String, headers: [(String, String)] = [], form: [UInt8]? = nil,
        exchange: HTTPExchange
    ) {
        eventLoop.preconditionInEventLoop()
        guard !closed else { return }
        var head = HTTPRequestHead(version: .http1_1, method: method, uri: path)
        head.headers.add(name: "Host", value: "\(host):\(port)")
        head.headers.add(name: "User-Agent", value: "SwitchboardClient")
        for (name, value) in headers { head.headers.add(name: name, value: value) }
        if let form {
            head.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
            head.headers.add(name: "Content-Length", value: String(form.count))
        }
        let request = head
        if let channel, let handler, channel.isActive, handler.reusable {
            handler.send(request, body: form, exchange: exchange)
            return
        }
        handler = nil
        channel?.close(promise: nil)
        channel = nil
        let handler = HTTPExchangeHandler()
        self.handler = handler
        ClientBootstrap(group: eventLoop)
            .connectTimeout(connectTimeout)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { [tls, host] channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addTLS(tls, serverHostname: host)
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(handler)
                }
            }
            .connect(host: host, port: port)
            .whenComplete { [self] result in
                switch result {
                case .success(let channel):
                    guard !closed, self.handler === handler else {
                        channel.close(promise: nil)
                        return
                    }
                    self.channel = channel
                    handler.send(request, body: form, exchange: exchange)
                case .failure(let error):
                    guard !closed else { return }
                    exchange.failed(.unreachable("\(error)"))
                }
            }
    }

    /// Closes the connection; nothing more is reported.
    func close() {
        closed = true
        handler?.exchange = nil
        handler = nil
        channel?.close(promise: nil)
        channel = nil
    }
}

/// Passes the parts of each response to the exchange waiting for it.
final class HTTPExchangeHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    var exchange: HTTPExchange?
    private var context: ChannelHandlerContext?
    private var keepAlive = true

    /// Whether the connection can carry another request.
    var reusable: Bool { context != nil && keepAlive && exchange == nil }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    func send(_ head: HTTPRequestHead, body: [UInt8]?, exchange: HTTPExchange) {
        guard let context else {
            exchange.failed(.closed)
            return
        }
        self.exchange = exchange
        keepAlive = true
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        if let body {
            context.write(
                wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: body)))), promise: nil)
        }
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenSuccess { [weak self] in
            if let exchange = self?.exchange { exchange.written() }
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            keepAlive = head.isKeepAlive
            exchange?.head(head)
        case .body(let buffer):
            exchange?.body(buffer)
        case .end:
            let finished = exchange
            exchange = nil
            if !keepAlive { context.close(promise: nil) }
            finished?.end()
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.context = nil
        let pending = exchange
        exchange = nil
        pending?.failed(.closed)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}

extension ChannelPipeline.SynchronousOperations {
    /// Adds the client side of TLS first, when there is a context; the server's name is checked
    /// against its certificate (an IP address against its IP entries).
    func addTLS(_ context: NIOSSLContext?, serverHostname host: String) throws {
        guard let context else { return }
        let isAddress = (try? SocketAddress(ipAddress: host, port: 0)) != nil
        try addHandler(NIOSSLClientHandler(context: context, serverHostname: isAddress ? nil : host))
    }
}
