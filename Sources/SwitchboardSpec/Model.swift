/// A spec file's text with the path used in diagnostics and the name used in generated headers.
public struct SpecFile: Sendable, Hashable {
    /// Path as given on the command line, used in diagnostics (`path:line:col: error: ...`).
    public var path: String
    /// Short name for the generated header, e.g. `Specs/transports/websocket.yaml`.
    public var displayName: String
    public var contents: String

    public init(path: String, displayName: String? = nil, contents: String) {
        self.path = path
        self.displayName = displayName ?? path
        self.contents = contents
    }
}

/// The type of a component option (the whole vocabulary of option types).
public enum OptionType: Sendable, Hashable {
    case string
    case int
    case bool
    case milliseconds
    case strings
    case enumeration(typeName: String, values: [String])
    case logger
    case transportOptions

    /// Spelling in spec files.
    public static let specNames = [
        "string", "int", "bool", "milliseconds", "strings", "enum", "logger", "transportOptions",
    ]

    /// Whether the option can be given a `default:` and be `optional:`.
    public var takesDefault: Bool {
        switch self {
        case .logger, .transportOptions: false
        default: true
        }
    }
}

/// A value written in a spec for an option (a default, or a transport's option value).
public enum OptionValue: Sendable, Hashable {
    case string(String)
    case int(Int)
    case bool(Bool)
    case milliseconds(Int)
    case strings([String])
    case enumCase(String)
}

/// One option of a component: becomes a stored property of `<Component>Options`.
public struct OptionSpec: Sendable, Hashable {
    public var name: String
    public var type: OptionType
    public var optional: Bool
    public var defaultValue: OptionValue?
    public var description: String
    public var location: SourceLocation
}

/// One parameter of an event's payload.
public struct PayloadParameter: Sendable, Hashable {
    public var name: String
    /// One of ``EventSpec/payloadTypes``.
    public var type: String
}

/// One event of a component: a handler list, an `emit` function and a typed event value.
public struct EventSpec: Sendable, Hashable {
    /// Event types a payload may use (the generator knows these; anything else is an error).
    public static let payloadTypes = ["Client", "Message", "DisconnectReason", "String", "Int", "TimeAmount"]

    /// The name as spelled in the spec (the wire name, may contain `_`).
    public var name: String
    public var description: String
    public var payload: [PayloadParameter]
    public var location: SourceLocation
}

/// A `component:` spec: options and events of one part of the system.
public struct ComponentSpec: Sendable, Hashable {
    /// Type stem: `Listener` generates `ListenerOptions`, `ListenerEvent`, `ListenerEventHandlers`.
    public var name: String
    /// The target whose generated file receives this component.
    public var module: String
    public var description: String
    public var options: [OptionSpec]
    public var events: [EventSpec]
    public var file: SpecFile
    public var location: SourceLocation
}

/// How a transport carries payloads (mirrors `TransportKind` of SwitchboardCore).
public enum TransportKindSpec: String, Sendable, Hashable, CaseIterable {
    case poll, stream, upgrade
}

/// How a payload is written into the wrapper (mirrors `PayloadEscaping` of SwitchboardCore).
public enum EscapingSpec: String, Sendable, Hashable, CaseIterable {
    case none
    case jsonString = "json-string"
}

/// A `transport:` spec: everything declarative about one transport.
public struct TransportSpec: Sendable, Hashable {
    public struct Header: Sendable, Hashable {
        public var name: String
        public var value: String
    }

    /// Placeholders a wrapper may use.
    public static let wrapperPlaceholders = ["payload", "sid", "seq", "index"]

    public var name: String
    public var module: String
    public var kind: TransportKindSpec
    public var order: Int
    public var summary: String
    public var description: String
    public var url: String
    public var pathSegments: [String]
    public var contentType: String?
    public var headers: [Header]
    public var prelude: String
    public var padTo: Int
    public var padding: String
    public var wrapper: String
    public var escaping: EscapingSpec
    public var resumeHeader: String?
    public var implementation: String?
    public var browsers: String?
    /// Values for options declared by the `Transport` component, in spec order.
    public var options: [(name: String, value: OptionValue)]
    public var file: SpecFile
    public var location: SourceLocation

    public static func == (lhs: TransportSpec, rhs: TransportSpec) -> Bool {
        lhs.name == rhs.name && lhs.file == rhs.file && lhs.location == rhs.location
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(name)
        hasher.combine(location)
    }

    /// `xhr-polling` → `xhrPolling`, the name of the descriptor's static property.
    public var swiftName: String { SwiftNames.lowerCamel(name) }
}

/// Every spec of a package, loaded and validated together.
public struct SpecSet: Sendable {
    /// The component that declares the options every transport may take.
    public static let transportComponent = "Transport"

    public var components: [ComponentSpec]
    public var transports: [TransportSpec]

    public init(components: [ComponentSpec], transports: [TransportSpec]) {
        self.components = components
        self.transports = transports
    }

    public func component(named name: String) -> ComponentSpec? {
        components.first { $0.name == name }
    }
}
