/// The `origins` option: `host:port` patterns, `*` allowed on either side (docs/protocol.md §6).
public struct OriginPolicy: Sendable, Hashable {
    public var patterns: [String]

    public init(patterns: [String]) {
        self.patterns = patterns
    }

    /// Whether a request with this `Origin` header value is allowed. A request without one
    /// (same-origin GETs, non-browser clients) is allowed.
    public func allows(_ origin: String?) -> Bool {
        guard let origin, !origin.isEmpty else { return true }
        if patterns.contains("*:*") { return true }
        guard let (host, port) = Self.hostAndPort(ofOrigin: origin) else { return false }
        return patterns.contains { pattern in
            guard let colon = pattern.lastIndex(of: ":") else { return pattern == "*" || pattern == host }
            let patternHost = pattern[..<colon]
            let patternPort = pattern[pattern.index(after: colon)...]
            return (patternHost == "*" || patternHost == host) && (patternPort == "*" || patternPort == port)
        }
    }

    /// `https://example.com:8443` → (`example.com`, `8443`); the scheme's port when none is given.
    static func hostAndPort(ofOrigin origin: String) -> (Substring, Substring)? {
        guard let schemeEnd = origin.range(of: "://") else { return nil }
        let scheme = origin[..<schemeEnd.lowerBound].lowercased()
        let authority = origin[schemeEnd.upperBound...].prefix { $0 != "/" }
        let defaultPort: Substring = scheme == "https" ? "443" : "80"
        if authority.hasPrefix("[") {  // IPv6 literal
            guard let close = authority.firstIndex(of: "]") else { return nil }
            let host = authority[...close]
            let rest = authority[authority.index(after: close)...]
            return (host, rest.hasPrefix(":") ? rest.dropFirst() : defaultPort)
        }
        if let colon = authority.lastIndex(of: ":") {
            return (authority[..<colon], authority[authority.index(after: colon)...])
        }
        return (authority, defaultPort)
    }
}
