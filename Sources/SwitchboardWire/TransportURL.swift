/// The paths of a transport's requests (docs/protocol.md §3):
/// `/<resource>/<transport>[/<SID>][/<timestamp>][/<index>]` to open or re-attach, and
/// `/<resource>/<transport>/<SID>/send` to post. Which segments follow the transport's name, and
/// in which order, is its spec's URL shape (`sid`, `timestamp`, `index`).
///
/// ```swift
/// TransportURL.path(resource: "socket.io", transport: "jsonp-polling", segments: ["sid", "timestamp", "index"],
///                   sessionId: nil, timestamp: 1795716587721, index: 0)
/// // "/socket.io/jsonp-polling//1795716587721/0"
/// ```
public enum TransportURL {
    /// The path that opens a connection: the SID slot is empty for a new session, and optional
    /// segments that would be empty at the end are left out.
    public static func path(
        resource: String, transport: String, segments names: [String], sessionId: String?, timestamp: Int64,
        index: Int
    ) -> String {
        var segments: [String] = names.map { name in
            switch name {
            case "sid": return sessionId ?? ""
            case "timestamp": return String(timestamp)
            case "index": return String(index)
            default: return ""
            }
        }
        while segments.last == "" { segments.removeLast() }
        return (["", resource, transport] + segments).joined(separator: "/")
    }

    /// Where a client posts its payloads.
    public static func sendPath(resource: String, transport: String, sessionId: String) -> String {
        "/\(resource)/\(transport)/\(sessionId)/send"
    }

    /// The SID (an empty segment is none) and the index among a request's segments after the
    /// transport's name, read by their names.
    public static func read(_ segments: [String], names: [String]) -> (sessionId: String?, index: String?) {
        var sessionId: String?
        var index: String?
        for (name, value) in zip(names, segments) {
            switch name {
            case "sid": sessionId = value.isEmpty ? nil : value
            case "index": index = value
            default: break
            }
        }
        return (sessionId, index)
    }

    /// The `ack=<n>` of a request's query, with which a client asks for acknowledged delivery and
    /// says how many of the server's messages it has (docs/protocol.md §11); nil when absent or not
    /// a decimal count.
    public static func acknowledged(in uri: String) -> Int? {
        // UTF-8 bytes in place: every transport request asks this.
        var uri = uri
        return uri.withUTF8 { bytes -> Int? in
            guard let question = bytes.firstIndex(of: UInt8(ascii: "?")) else { return nil }
            var start = question + 1
            while start < bytes.count {
                let end = bytes[start...].firstIndex(of: UInt8(ascii: "&")) ?? bytes.count
                let field = bytes[start..<end]
                if field.starts(with: "ack=".utf8) { return decimalCount(field.dropFirst(4)) }
                start = end + 1
            }
            return nil
        }
    }

    /// `ack=<n>` added to a path's query.
    public static func acknowledging(_ path: String, received n: Int) -> String {
        path + (path.contains("?") ? "&" : "?") + "ack=" + String(n)
    }
}
