import SwitchboardCore
import SwitchboardWire

/// Where a request path goes (docs/protocol.md §3).
public enum Route: Sendable, Hashable {
    /// Not under `/<resource>/`, or naming a transport that is not enabled: the application's.
    case application
    /// `/<resource>/<transport>/...`: the transport and the path segments after its name.
    case transport(name: String, segments: [String])

    /// Parses a request URI (path and optional query) against a resource and the enabled transports.
    /// Reads UTF-8 bytes: every separator is ASCII, and a request is routed once per request.
    public static func parse(uri: String, resource: String, transports: Set<String>) -> Route {
        let utf8 = uri.utf8
        let slash = UInt8(ascii: "/")
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
        guard skip(CollectionOfOne(slash)), skip(resource.utf8), skip(CollectionOfOne(slash)) else { return .application }
        var segments: [String] = []
        while true {
            let end = utf8[index..<pathEnd].firstIndex(of: slash) ?? pathEnd
            segments.append(String(uri[index..<end]))
            if end == pathEnd { break }
            index = utf8.index(after: end)
        }
        guard transports.contains(segments[0]) else { return .application }
        return .transport(name: segments[0], segments: Array(segments.dropFirst()))
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
