import NIOHTTP1
import SwitchboardCore
import SwitchboardJSONPPolling
import SwitchboardServerEvents
import SwitchboardWebSocket
import SwitchboardXHRPolling
import Testing

@testable import SwitchboardServer

/// Sessions the router asks about, without a listener.
struct KnownSessions: SessionDirectory {
    var ids: Set<String> = ["known"]
    var sessionCount: Int { ids.count }
    func contains(sessionId: String) -> Bool { ids.contains(sessionId) }
}

/// The router's decisions, value in and value out: no socket, no channel (docs/protocol.md §3, §6, §7).
@Suite("router")
struct RouterTests {
    let router: Router = {
        var options = ListenerOptions()
        options.origins = ["good.example:*"]
        options.maxHttpBufferSize = 1000
        options.maxSessions = 10
        return Router(
            options: options,
            transports: TransportRegistry(
                SwitchboardWebSocketTransports.all + SwitchboardXHRPollingTransports.all + SwitchboardJSONPPollingTransports.all
                    + SwitchboardServerEventsTransports.all))
    }()

    func route(_ method: HTTPMethod, _ uri: String, _ headers: [(String, String)] = [], sessions: KnownSessions = KnownSessions())
        -> Router.Decision
    {
        router.route(HTTPRequestHead(version: .http1_1, method: method, uri: uri, headers: HTTPHeaders(headers)), sessions: sessions)
    }

    func refusal(_ decision: Router.Decision) -> Router.Refusal? {
        if case .refuse(let refusal) = decision { return refusal }
        return nil
    }

    @Test("paths outside the resource, and transports that are not enabled, belong to the application")
    func application() {
        #expect(route(.GET, "/") == .application)
        #expect(route(.GET, "/socket.io") == .application)
        #expect(route(.GET, "/socket.io/htmlfile/x") == .application, "htmlfile is not among this router's transports")
        #expect(route(.POST, "/other/xhr-polling/known/send") == .application)
    }

    @Test("a path is read in bytes: segments up to the query or fragment, empty ones kept, other text as it came")
    func routeSegments() {
        let names: Set<String> = ["xhr-polling"]
        #expect(Route.parse(uri: "/socket.io/xhr-polling/sid/7?t=1#x", resource: "socket.io", transports: names)
            == .transport(name: "xhr-polling", segments: ["sid", "7"]))
        #expect(Route.parse(uri: "/socket.io/xhr-polling//", resource: "socket.io", transports: names)
            == .transport(name: "xhr-polling", segments: ["", ""]))
        #expect(Route.parse(uri: "/socket.io/xhr-polling", resource: "socket.io", transports: names)
            == .transport(name: "xhr-polling", segments: []))
        #expect(Route.parse(uri: "/ré/xhr-polling/é€/𝄞", resource: "ré", transports: names)
            == .transport(name: "xhr-polling", segments: ["é€", "𝄞"]))
        #expect(Route.parse(uri: "/socket.iox/xhr-polling", resource: "socket.io", transports: names) == .application)
        #expect(Route.parse(uri: "/socket.io?/xhr-polling", resource: "socket.io", transports: names) == .application)
        #expect(Route.parse(uri: "", resource: "socket.io", transports: names) == .application)
        #expect(Route.path(of: "/socket.io/socket.io.js?v=1", under: "socket.io") == "socket.io.js")
        #expect(Route.path(of: "/socket.io/", under: "socket.io") == "")
        #expect(Route.path(of: "/socket.io", under: "socket.io") == nil)
    }

    @Test("the browser client is served for GET and HEAD")
    func browserClient() {
        #expect(route(.GET, "/socket.io/socket.io.js") == .browserClient)
        #expect(route(.HEAD, "/socket.io/socket.io.js?v=1") == .browserClient)
    }

    @Test("an upgrade to anything but websocket is refused with 400 and a close, on any path")
    func foreignUpgrade() {
        let refused = refusal(route(.GET, "/chat", [("Upgrade", "IRC"), ("Connection", "Upgrade")]))
        #expect(refused?.status == .badRequest)
        #expect(refused?.close == true)
    }

    @Test("a polling GET opens a poll: a new session without a SID, the known one with it, 404 for an unknown one")
    func polls() {
        #expect(route(.GET, "/socket.io/xhr-polling//123") == .connect(.init(transport: "xhr-polling", sessionId: nil, index: nil, cors: [:])))
        #expect(route(.GET, "/socket.io/xhr-polling/known/123") == .connect(.init(transport: "xhr-polling", sessionId: "known", cors: [:])))
        let unknown = refusal(route(.GET, "/socket.io/xhr-polling/gone/123"))
        #expect(unknown?.status == .notFound)
        #expect(unknown?.close == false)
    }

    @Test("a new session past maxSessions is refused with 503; a known one still connects")
    func full() {
        let many = KnownSessions(ids: Set((0..<10).map { "s\($0)" }))
        #expect(refusal(route(.GET, "/socket.io/xhr-polling", sessions: many))?.status == .serviceUnavailable)
        #expect(refusal(route(.GET, "/socket.io/websocket", [("Upgrade", "websocket"), ("Sec-WebSocket-Key", "k")], sessions: many))?.close == true)
        if case .connect = route(.GET, "/socket.io/xhr-polling/s1", sessions: many) {} else { Issue.record("a known session connects") }
    }

    @Test("jsonp-polling needs a decimal callback index")
    func jsonpIndex() {
        #expect(route(.GET, "/socket.io/jsonp-polling//1/7") == .connect(.init(transport: "jsonp-polling", index: "7", cors: [:])))
        #expect(refusal(route(.GET, "/socket.io/jsonp-polling//1/alert(1)"))?.status == .badRequest)
        #expect(refusal(route(.GET, "/socket.io/jsonp-polling//1"))?.status == .badRequest)
    }

    @Test("server-events resumes with the SID in Last-Event-ID")
    func lastEventID() {
        #expect(
            route(.GET, "/socket.io/server-events", [("Last-Event-ID", "known.4")])
                == .connect(.init(transport: "server-events", sessionId: "known", cors: [:])))
        #expect(refusal(route(.GET, "/socket.io/server-events", [("Last-Event-ID", "gone.4")]))?.status == .notFound)
    }

    @Test("POST is client data for a known session; 404 unknown, 413 too large, 405 on a socket transport")
    func posts() {
        #expect(route(.POST, "/socket.io/xhr-polling/known/send") == .receive(sessionId: "known", cors: [:]))
        #expect(route(.POST, "/socket.io/jsonp-polling/known/1/2") == .receive(sessionId: "known", cors: [:]), "jsonp forms post to any session path")
        #expect(refusal(route(.POST, "/socket.io/xhr-polling/gone/send"))?.status == .notFound)
        #expect(refusal(route(.POST, "/socket.io/xhr-polling//send"))?.status == .notFound)
        let large = refusal(route(.POST, "/socket.io/xhr-polling/known/send", [("Content-Length", "1001")]))
        #expect(large?.status == .payloadTooLarge)
        #expect(large?.close == true)
        let socketPost = refusal(route(.POST, "/socket.io/websocket/known"))
        #expect(socketPost?.status == .methodNotAllowed)
        #expect(socketPost?.headers["Allow"] == ["GET, HEAD, OPTIONS"])
    }

    @Test("HEAD on a session's path tells whether the session exists, on every kind of transport")
    func sessionProbe() {
        #expect(route(.HEAD, "/socket.io/websocket/known") == .sessionExists(sessionId: "known", cors: [:]))
        #expect(route(.HEAD, "/socket.io/xhr-polling/known/123") == .sessionExists(sessionId: "known", cors: [:]))
        #expect(refusal(route(.HEAD, "/socket.io/websocket/gone"))?.status == .notFound)
        #expect(refusal(route(.HEAD, "/socket.io/xhr-polling"))?.status == .notFound)
    }

    @Test("other methods get 405; OPTIONS is a CORS preflight")
    func methods() {
        #expect(refusal(route(.PUT, "/socket.io/xhr-polling/known"))?.headers["Allow"] == ["GET, HEAD, POST, OPTIONS"])
        #expect(refusal(route(.DELETE, "/socket.io/websocket/known"))?.headers["Allow"] == ["GET, HEAD, OPTIONS"])
        guard case .preflight(let headers) = route(.OPTIONS, "/socket.io/xhr-polling/known/send",
            [("Origin", "http://good.example:80"), ("Access-Control-Request-Headers", "content-type")])
        else { return #expect(Bool(false), "a preflight") }
        #expect(headers["Access-Control-Allow-Origin"] == ["http://good.example:80"])
        #expect(headers["Access-Control-Allow-Methods"] == ["GET, POST, OPTIONS"])
        #expect(headers["Access-Control-Allow-Headers"] == ["content-type"])
    }

    @Test("an origin the listener does not allow gets 403; an allowed one gets CORS headers")
    func origins() {
        #expect(refusal(route(.GET, "/socket.io/xhr-polling", [("Origin", "http://evil.example")]))?.status == .forbidden)
        guard case .connect(let connection) = route(.GET, "/socket.io/xhr-polling", [("Origin", "http://good.example:8080")]) else {
            return #expect(Bool(false), "a poll")
        }
        #expect(connection.cors["Access-Control-Allow-Origin"] == ["http://good.example:8080"])
        #expect(connection.cors["Access-Control-Allow-Credentials"] == ["true"])
    }

    @Test("websocket: RFC 6455 goes to the upgrader, hixie-76 to its own handshake, a plain GET is refused")
    func upgrades() {
        let rfc6455 = [("Upgrade", "websocket"), ("Connection", "Upgrade"), ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")]
        #expect(route(.GET, "/socket.io/websocket", rfc6455) == .upgrade(transport: "websocket", sessionId: nil))
        #expect(route(.GET, "/socket.io/websocket/known", rfc6455) == .upgrade(transport: "websocket", sessionId: "known"))
        #expect(refusal(route(.GET, "/socket.io/websocket/gone", rfc6455))?.close == true, "an unknown SID ends the upgrade's connection")
        let hixie = [
            ("Upgrade", "WebSocket"), ("Connection", "Upgrade"), ("Sec-WebSocket-Key1", "4 @1  46546xW%0l 1 5"),
            ("Sec-WebSocket-Key2", "12998 5 Y3 1  .P00"),
        ]
        #expect(route(.GET, "/socket.io/websocket", hixie) == .legacyUpgrade(transport: "websocket", sessionId: nil))
        #expect(refusal(route(.GET, "/socket.io/websocket"))?.status == .badRequest)
    }

    @Test("only a GET upgrades: any other method with Upgrade headers is refused, and the upgrader declines it")
    func onlyGetUpgrades() throws {
        let rfc6455 = [("Upgrade", "websocket"), ("Connection", "Upgrade"), ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")]
        for method in [HTTPMethod.POST, .PUT, .DELETE, .PATCH] {
            let refused = refusal(route(method, "/socket.io/websocket", rfc6455))
            #expect(refused?.status == .methodNotAllowed && refused?.close == true, "\(method)")
        }
        let listener = try Listener(transports: TransportRegistry(SwitchboardWebSocketTransports.all))
        let routes = [(listener: listener, router: Router(listener: listener))]
        func head(_ method: HTTPMethod) -> HTTPRequestHead {
            HTTPRequestHead(version: .http1_1, method: method, uri: "/socket.io/websocket", headers: HTTPHeaders(rfc6455))
        }
        #expect(SessionUpgrader.target(of: head(.GET), in: routes)?.transport.descriptor.name == "websocket")
        for method in [HTTPMethod.POST, .PUT, .HEAD, .OPTIONS] {
            #expect(SessionUpgrader.target(of: head(method), in: routes) == nil, "\(method)")
        }
    }
}
