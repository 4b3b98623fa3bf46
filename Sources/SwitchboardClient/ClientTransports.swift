import Foundation
import NIOConcurrencyHelpers
import SwitchboardCore
import SwitchboardWire

/// The transports the client speaks, as their specs describe them: the build plugin generates
/// every transport of `Specs/transports` into this module (``SpecTransports``), so a transport
/// defined by its spec alone is spoken with no Swift code. The client implements each *kind* once.
enum ClientTransports {
    /// Every transport, in default order.
    static let known: [TransportDescriptor] = SpecTransports.all.sorted { $0.order < $1.order }

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
    /// With `acknowledged`, the request asks for acknowledged delivery (`ack=<n>`, docs/protocol.md §11).
    func connect(sessionId: String?, index: Int = 0, acknowledged: Int? = nil, now: Date = Date()) -> String {
        let path = TransportURL.path(
            resource: resource, transport: descriptor.name, segments: descriptor.pathSegments, sessionId: sessionId,
            timestamp: Int64(now.timeIntervalSince1970 * 1000), index: index)
        return acknowledged.map { TransportURL.acknowledging(path, received: $0) } ?? path
    }

    /// `/<resource>/<transport>/<SID>/send`, where the client posts its payloads.
    func send(sessionId: String) -> String {
        TransportURL.sendPath(resource: resource, transport: descriptor.name, sessionId: sessionId)
    }
}
