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
        let path = uri.prefix { $0 != "?" && $0 != "#" }
        let prefix = "/" + resource + "/"
        guard path.hasPrefix(prefix) else { return .application }
        let parts = path.dropFirst(prefix.count).split(separator: "/", omittingEmptySubsequences: false)
        guard let name = parts.first.map(String.init), transports.contains(name) else { return .application }
        return .transport(name: name, segments: parts.dropFirst().map(String.init))
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
