import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import SwitchboardCore
import SwitchboardStatic

/// The browser client served at `/<resource>/socket.io.js` (docs/protocol.md §7): the file
/// `Client/socket.io.js` with the listener's transport table prepended, built from the
/// transports' descriptors (generated from `Specs/`), so names, URL shapes and timers are
/// never typed twice.
enum BrowserClient {
    /// The client's source, read once from the module's resources.
    static let source: String = {
        guard let url = Bundle.module.url(forResource: "socket.io", withExtension: "js", subdirectory: "Client"),
            let text = try? String(contentsOf: url, encoding: .utf8)
        else { return "" }
        return text
    }()

    /// Assets by their table (listeners with the same transports and timers share one).
    private static let assets = NIOLockedValueBox([String: StaticAsset]())

    /// The asset for `listener`: its table, then the client.
    static func asset(for listener: Listener) -> StaticAsset {
        let table = self.table(for: listener)
        return assets.withLockedValue { cache in
            if let asset = cache[table] { return asset }
            let asset = StaticAsset(string: table + source, contentType: "text/javascript; charset=UTF-8")
            cache[table] = asset
            return asset
        }
    }

    /// `(self.io = self.io || {}).Transport = {resource: ..., table: {...}};` for the listener's transports.
    static func table(for listener: Listener) -> String {
        var table: [String: Any] = [:]
        for transport in listener.transports.transports {
            let descriptor = transport.descriptor
            let timers = listener.timers(forTransport: descriptor.name)
            var entry: [String: Any] = [
                "kind": descriptor.kind.rawValue,
                "order": descriptor.order,
                "url": descriptor.urlShape,
                "segments": descriptor.pathSegments,
                "timeout": milliseconds(timers.heartbeatTimeout),
                "closeTimeout": milliseconds(timers.closeTimeout),
            ]
            if let interval = timers.heartbeatInterval { entry["heartbeatInterval"] = milliseconds(interval) }
            if let duration = timers.pollDuration { entry["duration"] = milliseconds(duration) }
            table[descriptor.name] = entry
        }
        let object: [String: Any] = ["resource": listener.options.resource, "table": table]
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
        return "(self.io = self.io || {}).Transport = " + String(decoding: data, as: UTF8.self) + ";\n"
    }

    private static func milliseconds(_ amount: TimeAmount) -> Int { Int(amount.nanoseconds / 1_000_000) }

    /// Whether `uri` is the client's path under `resource`.
    static func matches(uri: String, resource: String) -> Bool {
        Route.path(of: uri, under: resource)?.utf8.elementsEqual("socket.io.js".utf8) ?? false
    }
}
