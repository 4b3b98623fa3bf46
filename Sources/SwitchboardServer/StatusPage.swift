import Foundation
import NIOCore
import NIOPosix
import SwitchboardCore

/// A live status page for a listener at `/<resource>/status` (README: "Running it in production"):
/// its sessions by transport, messages per second as a chart, refusals and queue overflows, and
/// the cluster's nodes. It is fed over Switchboard itself: the page's browser client opens a
/// session on a listener of its own (resource `<resource>-status`, websocket and xhr-polling),
/// which sends every session a snapshot of ``Listener/statistics`` each `interval`.
public final class StatusPage: Sendable {
    /// The listener whose status is shown.
    public let listener: Listener
    /// The listener that feeds the page.
    public let feed: Listener
    private let page: String
    private let task: RepeatedTask

    /// Attaches the feed's listener to `server` (before it starts) and starts sending snapshots.
    /// Serve the page with ``route(_:)`` among the server's application routes.
    public init(for listener: Listener, on server: HTTPServer, every interval: TimeAmount = .seconds(1)) throws {
        var options = ListenerOptions()
        options.resource = listener.options.resource + "-status"
        options.transports = ["websocket", "xhr-polling"].filter { listener.transports[$0] != nil }
        options.log = listener.logger
        let feed = try Listener.listen(server, options: options, transports: listener.transports)
        self.listener = listener
        self.feed = feed
        let template = Bundle.module.url(forResource: "status", withExtension: "html", subdirectory: "Client")
            .flatMap { try? String(contentsOf: $0, encoding: .utf8) } ?? ""
        page = template.replacingOccurrences(of: "STATUS_CLIENT", with: "/\(options.resource)/socket.io.js")
        task = MultiThreadedEventLoopGroup.singleton.next().scheduleRepeatedTask(initialDelay: interval, delay: interval) {
            [listener, feed] _ in
            guard feed.clientCount > 0 else { return }
            feed.broadcast(Self.snapshot(of: listener))
        }
    }

    deinit {
        task.cancel()
    }

    /// `{"statistics": {...}, "time": <ms>, "nodes": [...]}`: the listener's counts now, and the
    /// live nodes when it is part of a cluster.
    static func snapshot(of listener: Listener) -> Message {
        var object: [String: JSONValue] = [
            "statistics": listener.statistics.json,
            "time": .int(Int(Date().timeIntervalSince1970 * 1000)),
        ]
        if let bus = listener.cluster {
            object["nodes"] = .array(bus.liveNodes.sorted().map(JSONValue.string))
        }
        return .json(object)
    }

    /// The page, for `GET /<resource>/status`; nil for any other request.
    public func route(_ request: HTTPRequest) -> HTTPResponse? {
        guard request.head.method == .GET || request.head.method == .HEAD,
            request.path == "/\(listener.options.resource)/status"
        else { return nil }
        return HTTPResponse(contentType: "text/html; charset=UTF-8", body: page)
    }
}
