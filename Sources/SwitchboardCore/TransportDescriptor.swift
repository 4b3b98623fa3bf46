import NIOCore
import SwitchboardWire

/// How a transport carries payloads; the core implements each kind once.
public enum TransportKind: String, Sendable, Hashable, CaseIterable {
    /// One payload per HTTP response, held up to `duration` (xhr-polling, jsonp-polling).
    case poll
    /// A long-lived HTTP response with one wrapped write per payload (htmlfile, xhr-multipart, server-events).
    case stream
    /// A full-duplex socket after an HTTP upgrade (websocket, flashsocket).
    case upgrade
}

/// Everything a transport's spec says about it, as values the core acts on.
public struct TransportDescriptor: Sendable {
    /// The name in URLs and option lists, e.g. `xhr-polling`.
    public var name: String
    public var kind: TransportKind
    /// One-line summary from the spec.
    public var summary: String
    /// The URL shape for docs, e.g. `/{resource}/xhr-polling[/{sid}][/{timestamp}]`.
    public var urlShape: String
    /// Names of the path segments after the transport name, in order, e.g. `["sid", "timestamp"]`.
    public var pathSegments: [String]
    /// `Content-Type` of GET responses (poll and stream kinds).
    public var contentType: String?
    /// Extra response headers, in order.
    public var headers: [(name: String, value: String)]
    /// Written once at the start of a stream.
    public var prelude: String
    /// When above zero, the prelude is padded with `padding` to exactly this many bytes.
    public var padTo: Int
    /// The padding character.
    public var padding: String
    /// Per-payload wrapper with placeholders `{payload}`, `{sid}`, `{seq}`, `{index}`.
    public var wrapper: String
    /// How the payload is written into the wrapper (SwitchboardWire's ``PayloadEscaping``).
    public var escaping: PayloadEscaping
    /// A request header that may carry `<SID>.<seq>` to re-attach (server-events: `Last-Event-ID`).
    public var resumeHeader: String?
    /// The spec's default options for this transport.
    public var defaults: TransportOptions
    /// Position in the default transport order (lower first).
    public var order: Int

    public init(
        name: String,
        kind: TransportKind,
        summary: String,
        urlShape: String,
        pathSegments: [String],
        contentType: String?,
        headers: [(name: String, value: String)],
        prelude: String,
        padTo: Int,
        padding: String,
        wrapper: String,
        escaping: PayloadEscaping,
        resumeHeader: String?,
        defaults: TransportOptions,
        order: Int
    ) {
        self.name = name
        self.kind = kind
        self.summary = summary
        self.urlShape = urlShape
        self.pathSegments = pathSegments
        self.contentType = contentType
        self.headers = headers
        self.prelude = prelude
        self.padTo = padTo
        self.padding = padding
        self.wrapper = wrapper
        self.escaping = escaping
        self.resumeHeader = resumeHeader
        self.defaults = defaults
        self.order = order
    }
}

/// A transport a server can offer. Poll and stream kinds are served by the core from their descriptor;
/// the upgrade kind is implemented by its module.
public protocol Transport: Sendable {
    var descriptor: TransportDescriptor { get }

    /// Handlers placed first on every accepted connection of a server that offers this transport,
    /// before HTTP parsing (the Flash policy request is not HTTP). They remove themselves once
    /// they have seen enough. None by default.
    func connectionHandlers(for listener: Listener) -> [any ChannelHandler]

    /// Starts what the transport runs beside the HTTP server (the Flash policy server), bound to
    /// `host`, the address the HTTP server serves on; returns the channels to close when the server
    /// shuts down. By default, what ``startServices(for:group:)`` starts.
    func startServices(for listener: Listener, host: String, group: any EventLoopGroup) async -> [any Channel]

    /// ``startServices(for:host:group:)`` for a transport whose services need not know the
    /// server's address. Nothing by default.
    func startServices(for listener: Listener, group: any EventLoopGroup) async -> [any Channel]
}

extension Transport {
    public func connectionHandlers(for listener: Listener) -> [any ChannelHandler] { [] }
    public func startServices(for listener: Listener, host: String, group: any EventLoopGroup) async -> [any Channel] {
        await startServices(for: listener, group: group)
    }
    public func startServices(for listener: Listener, group: any EventLoopGroup) async -> [any Channel] { [] }
}

/// A transport of the `poll` kind, served entirely from its descriptor.
public struct PollTransport: Transport {
    public let descriptor: TransportDescriptor
    public init(descriptor: TransportDescriptor) { self.descriptor = descriptor }
}

/// A transport of the `stream` kind, served entirely from its descriptor.
public struct StreamTransport: Transport {
    public let descriptor: TransportDescriptor
    public init(descriptor: TransportDescriptor) { self.descriptor = descriptor }
}

/// The transports a host offers, in default order.
public struct TransportRegistry: Sendable {
    public let transports: [any Transport]
    /// The transports' names, in default order.
    public let names: [String]
    /// The same names as a set, for routing every request.
    public let nameSet: Set<String>
    /// Each name's position in `transports` (every request looks its transport up).
    private let positions: [String: Int]
    /// The upgrade-kind transports by name, cast once (every WebSocket request asks).
    private let upgrades: [String: any UpgradeTransport]

    public init(_ transports: [any Transport]) {
        self.transports = transports.sorted { $0.descriptor.order < $1.descriptor.order }
        self.names = self.transports.map(\.descriptor.name)
        self.nameSet = Set(names)
        self.positions = Dictionary(names.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        self.upgrades = Dictionary(
            self.transports.compactMap { transport in (transport as? any UpgradeTransport).map { (transport.descriptor.name, $0) } },
            uniquingKeysWith: { first, _ in first })
    }
    public subscript(name: String) -> (any Transport)? {
        positions[name].map { transports[$0] }
    }

    /// The transport of this name when it is of the upgrade kind (implemented by its module).
    public func upgradeTransport(_ name: String) -> (any UpgradeTransport)? {
        upgrades[name]
    }
}
