import NIOHTTP1
import SwitchboardCore
import SwitchboardWire

/// The sessions a router asks about: whether a SID is known, and how many there are.
protocol SessionDirectory {
    func contains(sessionId: String) -> Bool
    var sessionCount: Int { get }
}

extension Listener: SessionDirectory {
    func contains(sessionId: String) -> Bool { session(sessionId) != nil }
    var sessionCount: Int { clientCount }
}

/// Decides, from a request's head alone, what Switchboard does with it (docs/protocol.md §3, §6,
/// §7). Value in, decision out: no I/O, no channel; `SessionHTTPHandler` and `SessionUpgrader`
/// carry the decisions out.
struct Router: Sendable {
    /// The listener's options: `resource`, `maxHttpBufferSize` (the largest POST body), `maxSessions`.
    let options: ListenerOptions
    /// The transports the listener serves.
    let transports: TransportRegistry
    /// `options.origins`, parsed once.
    let origins: OriginPolicy

    init(options: ListenerOptions, transports: TransportRegistry) {
        self.options = options
        self.transports = transports
        self.origins = OriginPolicy(patterns: options.origins)
    }

    /// The router of `listener`'s options and transports.
    init(listener: Listener) {
        self.init(options: listener.options, transports: listener.transports)
    }

    enum Decision: Equatable {
        /// Not Switchboard's: the request goes on to the application.
        case application
        /// `GET /<resource>/socket.io.js`: the browser client.
        case browserClient
        /// Answer an error status (and close the connection when the refusal says so).
        case refuse(Refusal)
        /// Answer a CORS preflight `204` with these headers.
        case preflight(HTTPHeaders)
        /// `HEAD` on a known session's path: answer `200`, empty (a client asks whether its
        /// session is still there before it re-attaches).
        case sessionExists(sessionId: String, cors: HTTPHeaders)
        /// Client data for a known session: read the body (at most `maxHttpBufferSize`), then deliver it.
        case receive(sessionId: String, cors: HTTPHeaders)
        /// Open a poll or a stream.
        case connect(Connection)
        /// Hand the connection to an upgrade transport's own handshake (hixie-76).
        case legacyUpgrade(transport: String, sessionId: String?)
        /// An RFC 6455 upgrade; the server's upgrader answers it.
        case upgrade(transport: String, sessionId: String?)
    }

    /// An error answer: status, a reason for the body and the log, and whether the connection ends.
    struct Refusal: Error, Equatable {
        var status: HTTPResponseStatus
        var reason: String
        var close: Bool
        var headers: HTTPHeaders = [:]

        /// `404`: no session has this id (it ended, or never was); the connection stays open.
        static func unknownSession(_ cors: HTTPHeaders) -> Refusal {
            Refusal(status: .notFound, reason: "unknown session", close: false, headers: cors)
        }
    }

    /// A poll or a stream to open on a transport for a session (nil: a new session).
    struct Connection: Equatable {
        var transport: String
        var sessionId: String?
        /// jsonp-polling's callback index.
        var index: String?
        var cors: HTTPHeaders
    }

    /// What to do with a request whose head is `head`.
    func route(_ head: HTTPRequestHead, sessions: some SessionDirectory) -> Decision {
        // A request that asked for an upgrade cannot go on as HTTP: every refusal of it closes.
        let upgrade = head.headers.first(name: "upgrade")
        func refuse(_ status: HTTPResponseStatus, _ reason: String, close: Bool = false, cors: HTTPHeaders = [:]) -> Decision {
            .refuse(Refusal(status: status, reason: reason, close: close || upgrade != nil, headers: cors))
        }
        if let upgrade, upgrade.lowercased() != "websocket" {
            return refuse(.badRequest, "upgrade to '\(upgrade)' is not supported", close: true)
        }
        if head.method == .GET || head.method == .HEAD, BrowserClient.matches(uri: head.uri, resource: options.resource) {
            return .browserClient
        }
        guard case .transport(let name, let segments) = Route.parse(uri: head.uri, resource: options.resource, transports: transports.nameSet),
            let transport = transports[name]
        else { return .application }

        let origin = head.headers.first(name: "origin")
        guard origins.allows(origin) else { return refuse(.forbidden, "origin \(origin ?? "") is not allowed") }
        let cors: HTTPHeaders =
            origin.map { HTTPHeaders([("Access-Control-Allow-Origin", $0), ("Access-Control-Allow-Credentials", "true")]) } ?? [:]

        let descriptor = transport.descriptor
        let path = TransportPath(segments: segments, descriptor: descriptor)
        var sessionId = path.sessionId
        if sessionId == nil, let header = descriptor.resumeHeader, let value = head.headers.first(name: header) {
            sessionId = value.split(separator: ".").first.map(String.init)
        }
        let unknownSession = sessionId.map { !sessions.contains(sessionId: $0) } ?? false
        /// The CORS fields and `Allow`, for a 405.
        func allow() -> HTTPHeaders {
            var fields = ResponseFields(cors, reserving: 1)
            fields.add("Allow", descriptor.kind == .upgrade ? "GET, HEAD, OPTIONS" : "GET, HEAD, POST, OPTIONS")
            return fields.headers
        }

        switch head.method {
        case .OPTIONS:
            var headers = ResponseFields(cors, reserving: 3)
            headers.add("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
            if let requested = head.headers.first(name: "access-control-request-headers") {
                headers.add("Access-Control-Allow-Headers", requested)
            }
            headers.add("Access-Control-Max-Age", "86400")
            return .preflight(headers.headers)
        case .HEAD:
            guard let sessionId, !unknownSession else { return refuse(.notFound, "unknown session", cors: cors) }
            return .sessionExists(sessionId: sessionId, cors: cors)
        case .POST:
            guard descriptor.kind != .upgrade else {
                return refuse(.methodNotAllowed, "\(name) takes no POST: its messages travel over the socket", cors: allow())
            }
            if let length = head.headers.first(name: "content-length").flatMap(Int.init), length > options.maxHttpBufferSize {
                return refuse(.payloadTooLarge, "body larger than \(options.maxHttpBufferSize) bytes", close: true, cors: cors)
            }
            guard let sessionId, !unknownSession else { return refuse(.notFound, "unknown session", cors: cors) }
            return .receive(sessionId: sessionId, cors: cors)
        case .GET:
            if unknownSession { return refuse(.notFound, "unknown session", cors: cors) }
            if sessionId == nil, sessions.sessionCount >= options.maxSessions { return .refuse(Self.full(head, cors: cors)) }
            if let upgradeTransport = transports.upgradeTransport(name) {
                if upgradeTransport.acceptsLegacyUpgrade(head) {
                    return .legacyUpgrade(transport: name, sessionId: sessionId)
                }
                if upgrade != nil, head.headers.contains(name: "sec-websocket-key") {
                    return .upgrade(transport: name, sessionId: sessionId)
                }
                return refuse(.badRequest, "\(name) needs an HTTP upgrade", cors: cors)
            }
            if descriptor.pathSegments.contains("index") {
                guard let index = path.index, !index.isEmpty, index.utf8.allSatisfy({ (0x30...0x39).contains($0) }) else {
                    return refuse(.badRequest, "callback index must be decimal digits", cors: cors)
                }
            }
            return .connect(Connection(transport: name, sessionId: sessionId, index: path.index, cors: cors))
        default:
            return refuse(.methodNotAllowed, "method \(head.method) is not allowed here", cors: allow())
        }
    }

    /// The refusal when a new session cannot be created (`maxSessions` reached meanwhile).
    static func full(_ head: HTTPRequestHead, cors: HTTPHeaders) -> Refusal {
        Refusal(status: .serviceUnavailable, reason: "too many sessions", close: head.headers.contains(name: "upgrade"), headers: cors)
    }

    /// The payload of a POST's form body (docs/protocol.md §3), or the refusal of a bad one.
    static func payload(ofForm body: [UInt8], cors: HTTPHeaders) -> Result<String, Refusal> {
        do {
            return .success(try FormEncoding.value(of: "data", in: body))
        } catch {
            return .failure(Refusal(status: .badRequest, reason: "bad form body: \(error)", close: false, headers: cors))
        }
    }

    /// The headers of a poll's or a stream's response (docs/protocol.md §6): the transport's
    /// content type and headers, `Cache-Control: no-cache` unless it sets one, then CORS.
    static func responseHeaders(for descriptor: TransportDescriptor, cors: HTTPHeaders) -> ResponseFields {
        var headers = ResponseFields(reserving: descriptor.headers.count + cors.count + 4)
        if let contentType = descriptor.contentType { headers.add("Content-Type", contentType) }
        for (name, value) in descriptor.headers { headers.replaceOrAdd(name, value) }
        if !headers.contains("Cache-Control") { headers.add("Cache-Control", "no-cache") }
        headers.add(cors)
        return headers
    }
}
