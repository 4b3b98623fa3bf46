import Foundation
import NIOConcurrencyHelpers
import SwitchboardCore
import SwitchboardFlashSocket
import SwitchboardHTMLFile
import SwitchboardJSONPPolling
import SwitchboardServerEvents
import SwitchboardWebSocket
import SwitchboardXHRMultipart
import SwitchboardXHRPolling

/// The transports the client speaks, as their specs describe them (the descriptors generated into
/// each transport module); the client implements each transport *kind* once.
enum ClientTransports {
    /// Every transport, in default order.
    static let known: [TransportDescriptor] =
        (SwitchboardWebSocketTransports.all
        + SwitchboardServerEventsTransports.all + SwitchboardFlashSocketTransports.all
        + SwitchboardHTMLFileTransports.all + SwitchboardXHRMultipartTransports.all
        + SwitchboardXHRPollingTransports.all + SwitchboardJSONPPollingTransports.all)
        .map(\.descriptor).sorted { $0.order < $1.order }

    static func descriptor(_ name: String) -> TransportDescriptor? {
        known.first { $0.name == name }
    }

    /// `rememberTransport`: the transport that last worked, by `host:port/resource`.
    static let remembered = NIOLockedValueBox<[String: String]>([:])
}

/// Request paths of a transport (docs/protocol.md §3), from its descriptor's URL shape.
struct TransportPaths: Sendable {
    let resource: String
    let descriptor: TransportDescriptor

    /// `/<resource>/<transport>[/<SID>][/<timestamp>][/<index>]`, the SID slot empty for a new
    /// session; optional segments that would be empty at the end are left out.
    func connect(sessionId: String?, index: Int = 0, now: Date = Date()) -> String {
        var segments: [String] = descriptor.pathSegments.map { name in
            switch name {
            case "sid": return sessionId ?? ""
            case "timestamp": return String(Int64(now.timeIntervalSince1970 * 1000))
            case "index": return String(index)
            default: return ""
            }
        }
        while segments.last == "" { segments.removeLast() }
        return (["", resource, descriptor.name] + segments).joined(separator: "/")
    }

    /// `/<resource>/<transport>/<SID>/send`, where the client posts its payloads.
    func send(sessionId: String) -> String {
        "/\(resource)/\(descriptor.name)/\(sessionId)/send"
    }
}

/// `application/x-www-form-urlencoded` with one field, `data=<payload>` (docs/protocol.md §3): UTF-8,
/// spaces as `+`, everything but ASCII letters, digits and `*-._` percent-encoded. The bytes of the
/// payload arrive unchanged (no textarea turns `\n` into `\r\n`).
enum FormEncoding {
    static func body(data payload: String) -> [UInt8] {
        Array("data=".utf8) + encode(payload)
    }

    static func encode(_ text: String) -> [UInt8] {
        let hex = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count * 3)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "*"), UInt8(ascii: "-"), UInt8(ascii: "."),
                UInt8(ascii: "_"):
                out.append(byte)
            case UInt8(ascii: " "):
                out.append(UInt8(ascii: "+"))
            default:
                out += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]]
            }
        }
        return out
    }
}
