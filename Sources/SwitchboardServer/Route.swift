import SwitchboardCore
import SwitchboardWire

/// Where a request path goes (docs/protocol.md §3).
public enum Route: Sendable, Hashable {
    /// Not under `/<resource>/`, or naming a transport that is not enabled: the application's.
    case application
    /// `/<resource>/<transport>/...`: the transport and the path segments after its name.
    case transport(name: String, segments: [String])

    /// Parses a request URI (path and optional query) against a resource and the enabled transports.
    public static func parse(uri: String, resource: String, transports: Set<String>) -> Route {
        guard let rest = path(of: uri, under: resource) else { return .application }
        var segments: [String] = []
        let utf8 = rest.utf8
        var index = utf8.startIndex
        while true {
            let end = utf8[index...].firstIndex(of: UInt8(ascii: "/")) ?? utf8.endIndex
            segments.append(String(rest[index..<end]))
            if end == utf8.endIndex { break }
            index = utf8.index(after: end)
        }
        guard transports.contains(segments[0]) else { return .application }
        return .transport(name: segments[0], segments: Array(segments.dropFirst()))
    }

    /// What follows `/<resource>/` in the path of `uri` (before its `?` or `#`); nil when the path
    /// is not under it. Reads UTF-8 bytes: every separator is ASCII, and every request asks this.
    static func path(of uri: String, under resource: String) -> Substring? {
        let utf8 = uri.utf8
        let pathEnd = utf8.firstIndex { $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "#") } ?? utf8.endIndex
        var index = utf8.startIndex
        /// Steps over `bytes` when the path goes on with them.
        func skip(_ bytes: some Sequence<UInt8>) -> Bool {
            for byte in bytes {
                guard index < pathEnd, utf8[index] == byte else { return false }
                index = utf8.index(after: index)
            }
            return true
        }
        let slash = CollectionOfOne(UInt8(ascii: "/"))
        guard skip(slash), skip(resource.utf8), skip(slash) else { return nil }
        return uri[index..<pathEnd]
    }
}

/// The parts of a transport path, named by the transport's URL shape.
struct TransportPath {
    var sessionId: String?
    var index: String?

    /// Reads the SID (an empty segment means none) and, for transports that have one, the index.
    init(segments: [String], descriptor: TransportDescriptor) {
        (sessionId, index) = TransportURL.read(segments, names: descriptor.pathSegments)
    }
}
