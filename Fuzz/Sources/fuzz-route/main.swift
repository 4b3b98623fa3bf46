// Route and path parsing (docs/protocol.md §3): `Route.parse`, `TransportURL` and the router's
// decision for a request head built from the input.
//
// The input reads like a request head, then the router's setting after an empty line:
//
//     POST /socket.io/xhr-polling/known/send HTTP/1.1
//     Origin: http://good.example
//
//     transports: websocket, xhr-polling
//     known: known, other
//     sessions: 3
//     maxSessions: 10
//     origins: good.example:*
//     resource: socket.io
//
// Checks: a parsed route names an enabled transport and gives back the path it came from; every
// transport's own URL (TransportURL) parses back to its transport, SID and index; the router
// never names a transport outside its registry or a session it does not know, opens connections
// only on poll and stream transports, upgrades only on upgrade transports, answers only the
// statuses of docs/protocol.md §9.3, closes every refused upgrade, refuses every foreign upgrade,
// answers each method the way §3 says, and decides the same twice.
import FuzzSupport
import NIOHTTP1
import SwitchboardCore
import SwitchboardFlashSocket
import SwitchboardHTMLFile
import SwitchboardJSONPPolling
import SwitchboardServerEvents
import SwitchboardWebSocket
import SwitchboardWire
import SwitchboardXHRMultipart
import SwitchboardXHRPolling

@testable import SwitchboardServer

struct Sessions: SessionDirectory {
    var known: Set<String>
    var sessionCount: Int
    func contains(sessionId: String) -> Bool { known.contains(sessionId) }
}

let everyTransport: [any Transport] =
    SwitchboardWebSocketTransports.all + SwitchboardFlashSocketTransports.all + SwitchboardXHRPollingTransports.all
    + SwitchboardJSONPPollingTransports.all + SwitchboardHTMLFileTransports.all + SwitchboardXHRMultipartTransports.all
    + SwitchboardServerEventsTransports.all

/// The request head and the router's setting an input describes.
struct Case {
    var head: HTTPRequestHead
    var options = ListenerOptions()
    var transports = everyTransport
    var sessions = Sessions(known: ["known"], sessionCount: 1)

    init(_ text: String) {
        let all = lines(of: text[...])
        let blank = all.firstIndex(of: "") ?? all.endIndex
        let requestLine = all.first.map { $0.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false) } ?? []
        let method = requestLine.first.map { HTTPMethod(rawValue: String($0)) } ?? .GET
        let uri = requestLine.count > 1 ? String(requestLine[1]) : "/"
        var headers = HTTPHeaders()
        for line in all[all.startIndex..<blank].dropFirst() {
            // The HTTP decoder reads names of ASCII token characters only.
            guard let colon = line.firstIndex(of: ":"), line[..<colon].allSatisfy(\.isASCII) else { continue }
            headers.add(name: String(line[..<colon]), value: String(line[line.index(after: colon)...].drop { $0 == " " }))
        }
        head = HTTPRequestHead(version: .http1_1, method: method, uri: uri, headers: headers)
        for line in all[blank...] {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let value = line[line.index(after: colon)...].trimmingPrefix(" ")
            let list = value.split(separator: ",").map { String($0.trimmingPrefix(" ")) }
            switch line[..<colon] {
            case "transports": transports = everyTransport.filter { list.contains($0.descriptor.name) }
            case "known": sessions.known = Set(list)
            case "sessions": sessions.sessionCount = Int(value) ?? 0
            case "maxSessions": options.maxSessions = Int(value) ?? 0
            case "maxHttpBufferSize": options.maxHttpBufferSize = Int(value) ?? 0
            case "origins": options.origins = list
            case "resource": options.resource = String(value)
            default: break
            }
        }
    }
}

let refusalStatuses: Set<UInt> = [400, 403, 404, 405, 413, 503]

fuzzMain { bytes in
    let input = Case(String(decoding: bytes, as: UTF8.self))
    let registry = TransportRegistry(input.transports)
    let resource = input.options.resource
    let head = input.head

    // Route.parse gives back the path it read.
    let path = head.uri.prefix { $0 != "?" && $0 != "#" }
    let route = Route.parse(uri: head.uri, resource: resource, transports: registry.nameSet)
    if case .transport(let name, let segments) = route {
        check(registry.nameSet.contains(name), "route to \(name), which is not enabled")
        check("/" + ([resource, name] + segments).joined(separator: "/") == path, "route \(route) does not give back \(path)")
    }

    // Every transport's own URLs parse back to it.
    let sessionId = String(path.split(separator: "/").last ?? "").filter { !"/?#".contains($0) }
    let index = bytes.count
    if !resource.contains(where: { "?#".contains($0) }) {
        for transport in input.transports {
            let descriptor = transport.descriptor
            for sid in [nil, sessionId] {
                let url = TransportURL.path(
                    resource: resource, transport: descriptor.name, segments: descriptor.pathSegments, sessionId: sid,
                    timestamp: 1_795_716_587_721, index: index)
                guard case .transport(descriptor.name, let segments) = Route.parse(uri: url, resource: resource, transports: registry.nameSet)
                else { return check(false, "\(url) does not route to \(descriptor.name)") }
                let read = TransportURL.read(segments, names: descriptor.pathSegments)
                check(read.sessionId == (sid?.isEmpty == false ? sid : nil), "\(url) reads SID \(read.sessionId ?? "nil")")
                check(read.index == (descriptor.pathSegments.contains("index") ? String(index) : nil), "\(url) reads index \(read.index ?? "nil")")
            }
            if !sessionId.isEmpty {
                let send = TransportURL.sendPath(resource: resource, transport: descriptor.name, sessionId: sessionId)
                check(Route.parse(uri: send, resource: resource, transports: registry.nameSet) == .transport(name: descriptor.name, segments: [sessionId, "send"]),
                      "\(send) does not route to its session")
            }
        }
    }

    // The router's decision.
    let router = Router(options: input.options, transports: registry)
    let decision = router.route(head, sessions: input.sessions)
    check(router.route(head, sessions: input.sessions) == decision, "the router decides differently twice")
    let upgrade = head.headers.first(name: "upgrade")
    let kind: (String) -> TransportKind? = { registry[$0]?.descriptor.kind }
    let routed: String? = if case .transport(let name, _) = route { name } else { nil }
    func names(_ transport: String) {
        check(registry.names.contains(transport), "decision \(decision) names \(transport), not in the registry \(registry.names)")
        check(routed == transport, "decision \(decision) names \(transport) but the path routes to \(routed ?? "the application")")
    }
    func knows(_ sessionId: String?) {
        check(sessionId.map(input.sessions.contains) ?? true, "decision \(decision) names an unknown session")
    }
    if let upgrade, upgrade.lowercased() != "websocket" {
        guard case .refuse(let refusal) = decision, refusal.status == .badRequest, refusal.close else {
            return check(false, "an upgrade to \(upgrade) is not refused with 400 and a close: \(decision)")
        }
    }
    switch decision {
    case .application:
        check(routed == nil || BrowserClient.matches(uri: head.uri, resource: resource), "a transport's path \(path) goes to the application")
    case .browserClient:
        check(head.method == .GET || head.method == .HEAD, "the browser client for \(head.method)")
        check(path == "/" + resource + "/socket.io.js", "the browser client for \(path)")
    case .refuse(let refusal):
        check(refusalStatuses.contains(refusal.status.code), "status \(refusal.status.code)")
        check(upgrade == nil || refusal.close, "a refused upgrade that keeps the connection")
        if refusal.status == .serviceUnavailable {
            check(input.sessions.sessionCount >= input.options.maxSessions, "503 below maxSessions")
        }
    case .preflight:
        check(head.method == .OPTIONS, "a preflight for \(head.method)")
        check(routed != nil, "a preflight outside the transports' paths")
    case .sessionExists:
        check(head.method == .HEAD, "a session probe for \(head.method)")
        check(routed != nil, "a session probe outside the transports' paths")
    case .receive(let sessionId, _):
        check(head.method == .POST, "a receive for \(head.method)")
        names(routed ?? "(no transport)")
        check(routed.flatMap(kind).map { $0 != .upgrade } ?? false, "a POST received on an upgrade transport")
        knows(sessionId)
    case .connect(let connection):
        check(head.method == .GET, "a connection opened by \(head.method)")
        names(connection.transport)
        knows(connection.sessionId)
        check(kind(connection.transport) != .upgrade, "a poll or stream on the upgrade transport \(connection.transport)")
        check(connection.sessionId != nil || input.sessions.sessionCount < input.options.maxSessions, "a new session past maxSessions")
        if registry[connection.transport]?.descriptor.pathSegments.contains("index") == true {
            check(connection.index.map { !$0.isEmpty && $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) } ?? false,
                  "a JSONP callback index \(connection.index ?? "nil")")
        }
    case .legacyUpgrade(let transport, let sessionId), .upgrade(let transport, let sessionId):
        check(head.method == .GET, "an upgrade by \(head.method)")
        names(transport)
        knows(sessionId)
        check(registry[transport] is any UpgradeTransport, "an upgrade on \(transport), which is no upgrade transport")
        if case .upgrade = decision {
            check(upgrade?.lowercased() == "websocket" && head.headers.contains(name: "sec-websocket-key"), "an RFC 6455 upgrade without its headers")
        }
    }

    // A transport's own URL, for a known session, reaches it (when origins allow the request).
    if let transport = input.transports.first, let known = input.sessions.known.sorted().first, !known.isEmpty,
        !known.contains(where: { "/?#".contains($0) }), !resource.contains(where: { "?#".contains($0) }),
        router.origins.allows(head.headers.first(name: "origin"))
    {
        let descriptor = transport.descriptor
        let url = TransportURL.path(resource: resource, transport: descriptor.name, segments: descriptor.pathSegments,
                                    sessionId: known, timestamp: 1, index: 7)
        var headers = HTTPHeaders()
        head.headers.first(name: "origin").map { headers.add(name: "Origin", value: $0) }
        let get = router.route(HTTPRequestHead(version: .http1_1, method: .GET, uri: url, headers: headers), sessions: input.sessions)
        if BrowserClient.matches(uri: url, resource: resource) {
            // `/<resource>/socket.io.js` is the browser client even when a transport has that name.
        } else if descriptor.kind == .upgrade {
            guard case .refuse(let refusal) = get, refusal.status == .badRequest, !refusal.close else {
                return check(false, "GET \(url) without an upgrade: \(get)")
            }
        } else {
            guard case .connect(let connection) = get, connection.transport == descriptor.name, connection.sessionId == known else {
                return check(false, "GET \(url) does not reach session \(known): \(get)")
            }
        }
    }
}
