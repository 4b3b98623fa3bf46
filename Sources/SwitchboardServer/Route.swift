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
        var uri = uri
        return uri.withUTF8 { bytes -> Route in
            guard let rest = pathRange(in: bytes, under: resource) else { return .application }
            var segments: [String] = []
            segments.reserveCapacity(4)
            var start = rest.lowerBound
            for index in rest where bytes[index] == UInt8(ascii: "/") {
                segments.append(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self))
                start = index + 1
            }
            segments.append(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<rest.upperBound]), as: UTF8.self))
            guard transports.contains(segments[0]) else { return .application }
            return .transport(name: segments[0], segments: Array(segments.dropFirst()))
        }
    }

    /// What follows `/<resource>/` in the path of `uri` (before its `?` or `#`); nil when the path
    /// is not under it.
    static func path(of uri: String, under resource: String) -> Substring? {
        var contiguous = uri
        guard let range = contiguous.withUTF8({ pathRange(in: $0, under: resource) }) else { return nil }
        let utf8 = uri.utf8
        return uri[utf8.index(utf8.startIndex, offsetBy: range.lowerBound)..<utf8.index(utf8.startIndex, offsetBy: range.upperBound)]
    }

    /// The bytes of `uri` that follow `/<resource>/` in its path. Reads UTF-8 bytes in place: every
    /// separator is ASCII (so the range's ends fall between characters), and every request asks this.
    private static func pathRange(in uri: UnsafeBufferPointer<UInt8>, under resource: String) -> Range<Int>? {
        let pathEnd = uri.firstIndex { $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "#") } ?? uri.count
        var index = 0
        /// Steps over `byte` when the path goes on with it.
        func skip(_ byte: UInt8) -> Bool {
            guard index < pathEnd, uri[index] == byte else { return false }
            index += 1
            return true
        }
        guard skip(UInt8(ascii: "/")) else { return nil }
        for byte in resource.utf8 where !skip(byte) { return nil }
        guard skip(UInt8(ascii: "/")) else { return nil }
        return index..<pathEnd
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
