/// The Flash cross-domain policy (docs/protocol.md §6.2): what the Flash player asks for before
/// it opens a socket, what the server answers, and the player's check of the answer.
///
/// ```swift
/// FlashPolicy.document(origins: ["*:*"])   // <cross-domain-policy> allowing every domain and port
/// FlashPolicy.allows(policy, host: "example.com", port: 8080)
/// ```
public enum FlashPolicy {
    /// What Flash sends first: `<policy-file-request/>` and a NUL byte (23 bytes).
    public static let request = Array("<policy-file-request/>\0".utf8)

    /// How the first bytes of a connection compare with ``request``.
    public enum RequestMatch: Sendable, Hashable {
        /// They start with the whole request.
        case request
        /// They are a beginning of it: wait for more.
        case partial
        /// They are something else (HTTP).
        case other
    }

    /// Whether a connection's first bytes are the policy request.
    public static func match(_ first: some Collection<UInt8>) -> RequestMatch {
        let prefix = first.prefix(request.count)
        guard prefix.elementsEqual(request.prefix(prefix.count)) else { return .other }
        return prefix.count == request.count ? .request : .partial
    }

    /// The policy document: one `allow-access-from` line per `origins` entry, in order, the entry
    /// split at its first `:` into domain and ports (an entry without `:` allows every port);
    /// every line ends with `\n`, and there is no trailing NUL. An entry's sides are written as
    /// they are, empty ones included: an empty entry allows no domain, never every one.
    public static func document(origins: [String]) -> String {
        var lines = [
            #"<?xml version="1.0"?>"#,
            #"<!DOCTYPE cross-domain-policy SYSTEM "http://www.macromedia.com/xml/dtds/cross-domain-policy.dtd">"#,
            "<cross-domain-policy>",
        ]
        for origin in origins {
            let (domain, ports) = allowance(origin)
            lines.append(#"<allow-access-from domain="\#(xmlEscaped(domain))" to-ports="\#(xmlEscaped(ports))"/>"#)
        }
        lines.append("</cross-domain-policy>")
        return lines.map { $0 + "\n" }.joined()
    }

    /// What the Flash player checks in a policy: some `<allow-access-from domain="D" to-ports="P"/>`
    /// whose domain matches the host (`*`, the name, or `*.suffix`) and whose ports include the port
    /// (`*`, a list of numbers and `from-to` ranges).
    public static func allows(_ policy: String, host: String, port: Int) -> Bool {
        var rest = Substring(policy)
        while let start = rest.firstRange(of: "<allow-access-from") {
            let element = rest[start.upperBound...].prefix { $0 != ">" }
            rest = rest[start.upperBound...]
            guard let domain = attribute("domain", in: element), let ports = attribute("to-ports", in: element) else {
                continue
            }
            if matches(domain: domain, host: host), matches(ports: ports, port: port) { return true }
        }
        return false
    }

    /// An `origins` entry `H:P` as the domain `H` and the ports `P`, split at the first `:`;
    /// `H` alone allows every port.
    static func allowance(_ origin: String) -> (domain: Substring, ports: Substring) {
        guard let colon = origin.firstIndex(of: ":") else { return (origin[...], "*") }
        return (origin[..<colon], origin[origin.index(after: colon)...])
    }

    static func attribute(_ name: String, in element: Substring) -> Substring? {
        guard let start = element.firstRange(of: name + "=\"") else { return nil }
        return element[start.upperBound...].prefix { $0 != "\"" }
    }

    static func matches(domain: Substring, host: String) -> Bool {
        if domain == "*" || domain == host { return true }
        if domain.hasPrefix("*.") { return host.hasSuffix(domain.dropFirst()) }
        return false
    }

    static func matches(ports: Substring, port: Int) -> Bool {
        ports.split(separator: ",").contains { item in
            let blank: (Character) -> Bool = { $0 == " " || $0 == "\t" }
            guard let first = item.firstIndex(where: { !blank($0) }), let last = item.lastIndex(where: { !blank($0) })
            else { return false }
            let item = item[first...last]
            if item == "*" { return true }
            let bounds = item.split(separator: "-").compactMap { Int($0) }
            switch bounds.count {
            case 1: return bounds[0] == port
            case 2: return (bounds[0]...max(bounds[0], bounds[1])).contains(port)
            default: return false
            }
        }
    }

    private static func xmlEscaped(_ text: Substring) -> String {
        String(text).replacing("&", with: "&amp;").replacing("\"", with: "&quot;").replacing("<", with: "&lt;")
    }
}
