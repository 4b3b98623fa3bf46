import Logging
import NIOCore
import NIOSSL
import NIOHTTP1
import SwitchboardCore
import SwitchboardWire

/// What a transport connection tells its socket.
enum ConnectionReport: Sendable, Hashable {
    /// The server accepted the connection (see ``SocketStateMachine/Event/opened(_:)``).
    case opened
    /// One payload arrived.
    case payload(String)
    /// A POST was answered `200`.
    case sent
    case failed(ConnectionFailure)
    case closed
}

/// What every transport connection needs to know.
struct ConnectionSetup: Sendable {
    let host: String
    let port: Int
    /// TLS, when the socket is `secure`.
    let tls: NIOSSLContext?
    let eventLoop: any EventLoop
    let descriptor: TransportDescriptor
    let paths: TransportPaths
    let options: SocketOptions
    let logger: Logger
    /// Tells the socket; called on `eventLoop`.
    let report: @Sendable (ConnectionReport) -> Void
}

/// One transport connection of a socket, of one transport kind. Confined to the socket's event loop.
protocol TransportConnection: AnyObject, Sendable {
    /// Opens it: for a new session when `sessionId` is nil, else to re-attach to that session;
    /// `acknowledged` is the `ack=<n>` its request carries (docs/protocol.md §11).
    func start(sessionId: String?, acknowledged: Int?)
    /// The socket has handled the last payload and now knows this session id and how many of the
    /// server's messages it has (a poll asks again, saying so).
    func payloadHandled(sessionId: String?, acknowledged: Int?)
    /// Sends one payload: a frame on a socket, a form POST on HTTP (one at a time; the socket waits
    /// for ``ConnectionReport/sent``).
    func write(_ payload: String, sessionId: String)
    /// Closes it; it reports nothing more.
    func close()
}

/// The transport connection of a descriptor's kind.
func makeConnection(_ setup: ConnectionSetup) -> any TransportConnection {
    switch setup.descriptor.kind {
    case .upgrade: return WebSocketConnection(setup)
    case .stream: return StreamConnection(setup)
    case .poll: return PollConnection(setup)
    }
}

/// A `stream` or `poll` transport: GETs on a requester of its own, and the POSTs of a ``FormSender``.
protocol HTTPTransportConnection: TransportConnection {
    /// Where the GETs go (the stream, or one poll after another).
    var gets: HTTPRequester { get }
    var sender: FormSender { get }
    /// Once set, nothing more is reported.
    var closed: Bool { get set }
}

extension HTTPTransportConnection {
    func write(_ payload: String, sessionId: String) {
        sender.post(payload, sessionId: sessionId)
    }

    func close() {
        closed = true
        gets.close()
        sender.close()
    }
}

/// POSTs of the HTTP transports: `data=<payload>` to `/<resource>/<transport>/<SID>/send`.
final class FormSender: @unchecked Sendable {
    private let setup: ConnectionSetup
    private let requester: HTTPRequester
    private var status = 0
    private var closed = false

    init(_ setup: ConnectionSetup) {
        self.setup = setup
        self.requester = HTTPRequester(setup)
    }

    func post(_ payload: String, sessionId: String) {
        status = 0
        requester.request(
            .POST, setup.paths.send(sessionId: sessionId), form: FormEncoding.body(data: payload),
            exchange: HTTPExchange(
                head: { [self] head in status = Int(head.status.code) },
                end: { [self] in
                    guard !closed else { return }
                    setup.report(status == 200 ? .sent : .failed(.httpStatus(status)))
                },
                failed: { [self] failure in
                    guard !closed else { return }
                    setup.report(.failed(failure))
                }
            ))
    }

    func close() {
        closed = true
        requester.close()
    }
}

/// A `stream` transport (htmlfile, xhr-multipart, server-events): one long GET whose body is the
/// descriptor's prelude and then one wrapped payload per write.
final class StreamConnection: HTTPTransportConnection, @unchecked Sendable {
    private let setup: ConnectionSetup
    let gets: HTTPRequester
    let sender: FormSender
    private var buffer: StreamPayloadBuffer
    private var opened = false
    var closed = false

    init(_ setup: ConnectionSetup) {
        self.setup = setup
        self.gets = HTTPRequester(setup)
        self.sender = FormSender(setup)
        self.buffer = StreamPayloadBuffer(
            reader: WrappedPayloadReader(setup.descriptor.wrapping), maxPayloadSize: setup.options.maxPayloadSize)
    }

    func start(sessionId: String?, acknowledged: Int?) {
        gets.request(
            .GET, setup.paths.connect(sessionId: sessionId, acknowledged: acknowledged),
            exchange: HTTPExchange(
                head: { [self] head in
                    guard !closed else { return }
                    if head.status == .ok {
                        opened = true
                        setup.report(.opened)
                    } else {
                        fail(.httpStatus(Int(head.status.code)))
                    }
                },
                body: { [self] bytes in
                    guard !closed, opened else { return }
                    switch buffer.append(bytes.readableBytesView) {
                    case .success(let payloads):
                        for payload in payloads { setup.report(.payload(payload)) }
                    case .failure(let unreadable):
                        fail(.protocolError(unreadable.reason))
                    }
                },
                end: { [self] in
                    guard !closed else { return }
                    fail(.closed)
                },
                failed: { [self] failure in
                    guard !closed else { return }
                    fail(opened ? .closed : failure)
                }
            ))
    }

    private func fail(_ failure: ConnectionFailure) {
        close()
        setup.report(failure == .closed && opened ? .closed : .failed(failure))
    }

    func payloadHandled(sessionId: String?, acknowledged: Int?) {}
}

/// A `poll` transport (xhr-polling, jsonp-polling): GET after GET, each answered with one wrapped
/// payload; the next goes out once the socket has handled the last one.
final class PollConnection: HTTPTransportConnection, @unchecked Sendable {
    private let setup: ConnectionSetup
    private let reader: WrappedPayloadReader
    let gets: HTTPRequester
    let sender: FormSender
    private var sessionId: String?
    private var acknowledged: Int?
    private var index = 0
    private var status = 0
    private var body: [UInt8] = []
    private var opened = false
    var closed = false

    init(_ setup: ConnectionSetup) {
        self.setup = setup
        self.reader = WrappedPayloadReader(setup.descriptor.wrapping)
        self.gets = HTTPRequester(setup)
        self.sender = FormSender(setup)
    }

    func start(sessionId: String?, acknowledged: Int?) {
        self.sessionId = sessionId
        self.acknowledged = acknowledged
        poll()
    }

    private func poll() {
        status = 0
        body = []
        let path = setup.paths.connect(sessionId: sessionId, index: index, acknowledged: acknowledged)
        index += 1
        gets.request(
            .GET, path,
            exchange: HTTPExchange(
                written: { [self] in
                    // A re-attaching poll may be held until there is something to say: being on the
                    // wire is being accepted (a 404 later ends the session).
                    guard !closed, !opened, sessionId != nil else { return }
                    opened = true
                    setup.report(.opened)
                },
                head: { [self] head in status = Int(head.status.code) },
                body: { [self] bytes in
                    guard !closed else { return }
                    if body.count + bytes.readableBytes > setup.options.maxPayloadSize {
                        fail(.protocolError("a poll answer larger than \(setup.options.maxPayloadSize) bytes"))
                    } else {
                        body += bytes.readableBytesView
                    }
                },
                end: { [self] in
                    guard !closed else { return }
                    guard status == 200 else { return fail(.httpStatus(status)) }
                    guard case .payload(let payload, _) = reader.read(body[...], complete: true) else {
                        return fail(.protocolError("unreadable poll answer"))
                    }
                    if !opened {
                        opened = true
                        setup.report(.opened)
                    }
                    setup.report(.payload(payload))
                },
                failed: { [self] failure in
                    guard !closed else { return }
                    fail(opened ? .closed : failure)
                }
            ))
    }

    private func fail(_ failure: ConnectionFailure) {
        close()
        setup.report(failure == .closed ? .closed : .failed(failure))
    }

    func payloadHandled(sessionId: String?, acknowledged: Int?) {
        guard !closed else { return }
        self.sessionId = sessionId
        self.acknowledged = acknowledged
        poll()
    }
}
