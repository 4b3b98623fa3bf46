// The values each Swift template is rendered with. Every Swift fragment that depends on a spec
// value is computed here (identifiers, escaped literals, doc comment lines); the templates hold
// the Swift code around them. Each view type has a `prototype` with one element in every list:
// ``ViewSchema`` reads the names a template may use from it, so a template that asks for a name
// the view does not provide is an error, not an empty string.

/// A `///` line, ready to print (`/// text` or `///`).
struct DocLine: Sendable {
    var comment: String

    static func lines(_ text: String) -> [DocLine] { SwiftNames.docComment(text).map(DocLine.init) }
    static let prototype = DocLine(comment: "/// Text.")
}

/// `header.mustache`: the first lines of every generated file.
struct HeaderView: Sendable {
    struct Import: Sendable { var module: String }
    var sources: String
    var hasImports: Bool
    var imports: [Import]

    static let prototype = HeaderView(sources: "Specs/a.yaml", hasImports: true, imports: [.init(module: "M")])
}

/// `options.mustache`: one component's options struct (its properties and the table of its
/// options that SwitchboardCore's `SettableOptions` reads) and its enum types.
struct OptionsView: Sendable {
    struct Option: Sendable {
        var docLines: [DocLine]
        /// Declaration name, back-ticked if a keyword.
        var identifier: String
        /// The spec name (the key of `set(_:to:)`), as a Swift literal.
        var keyLiteral: String
        var swiftType, defaultExpression: String
        /// The `OptionField` factory of the option's kind: `value`, `optional`, `perTransport` or `textless`.
        var field: String
        /// The description on one line, as a Swift literal (for `optionHelp`).
        var descriptionLiteral: String
    }
    struct EnumType: Sendable {
        struct Case: Sendable {
            var identifier: String
            var hasRawValue: Bool
            var rawValueLiteral: String
        }
        var docLines: [DocLine]
        var typeName: String
        var cases: [Case]
    }
    var docLines: [DocLine]
    var typeName: String
    var options: [Option]
    var enums: [EnumType]

    static let prototype = OptionsView(
        docLines: [.prototype], typeName: "T",
        options: [
            .init(
                docLines: [.prototype], identifier: "a", keyLiteral: "\"a\"", swiftType: "Int", defaultExpression: "0",
                field: "value", descriptionLiteral: "\"\""
            )
        ],
        enums: [
            .init(
                docLines: [.prototype], typeName: "E",
                cases: [.init(identifier: "a", hasRawValue: true, rawValueLiteral: "\"a\"")]
            )
        ]
    )
}

/// `events.mustache`: one component's handler lists (SwitchboardCore's `HandlerList`), their
/// emitters and the typed events.
struct EventsView: Sendable {
    struct Event: Sendable {
        var docLines: [DocLine]
        var identifier, nameLiteral, emitName, handlerType: String
        /// The emitter's parameter list (`_ message: Message, _ client: Client`) and the arguments it passes on.
        var parameters, arguments: String
    }
    var component, handlersTypeName, eventTypeName: String
    /// A one-line use, for the event type's doc comment: `listener.on(.connection) { client in ... }`.
    var example: String
    var events: [Event]

    static let prototype = EventsView(
        component: "C", handlersTypeName: "CEventHandlers", eventTypeName: "CEvent", example: "c.on(.e) { ... }",
        events: [
            .init(
                docLines: [.prototype], identifier: "e", nameLiteral: "\"e\"", emitName: "emitE",
                handlerType: "@Sendable (Int) -> Void", parameters: "_ a: Int", arguments: "a"
            )
        ]
    )
}

/// `transport.mustache`: one transport's descriptor.
struct TransportView: Sendable {
    struct Header: Sendable {
        var nameLiteral, valueLiteral: String
        var isFirst: Bool
    }
    struct Default: Sendable { var identifier, expression: String }
    var docLines: [DocLine]
    var identifier, nameLiteral, kind, summaryLiteral, urlShapeLiteral, pathSegmentsLiteral, contentTypeLiteral: String
    var headers: [Header]
    var preludeLiteral, padTo, paddingLiteral, wrapperLiteral, escaping, resumeHeaderLiteral: String
    var hasDefaults: Bool
    var defaults: [Default]
    var order, optionsType: String

    static let prototype = TransportView(
        docLines: [.prototype], identifier: "t", nameLiteral: "\"t\"", kind: "poll", summaryLiteral: "\"\"",
        urlShapeLiteral: "\"\"", pathSegmentsLiteral: "[]", contentTypeLiteral: "nil",
        headers: [.init(nameLiteral: "\"a\"", valueLiteral: "\"b\"", isFirst: true)], preludeLiteral: "\"\"",
        padTo: "0", paddingLiteral: "\" \"", wrapperLiteral: "\"{payload}\"", escaping: "none",
        resumeHeaderLiteral: "nil", hasDefaults: true, defaults: [.init(identifier: "a", expression: "0")], order: "1",
        optionsType: "TransportOptions"
    )
}

/// `transport-module.mustache`: the list of transports a module provides.
struct TransportModuleView: Sendable {
    struct Entry: Sendable {
        var typeName, identifier: String
        var isFirst: Bool
    }
    var module, enumName: String
    var transports: [Entry]

    static let prototype = TransportModuleView(
        module: "M", enumName: "MTransports",
        transports: [.init(typeName: "PollTransport", identifier: "t", isFirst: true)]
    )
}

/// `registry.mustache`: a host's registry of linked transports.
struct RegistryView: Sendable {
    struct Module: Sendable {
        var enumName: String
        var isFirst: Bool
    }
    var modules: [Module]
    var transportNames: String

    static let prototype = RegistryView(
        modules: [.init(enumName: "MTransports", isFirst: true)], transportNames: "a, b")
}

/// The names a view provides, read from its prototype.
indirect enum ViewSchema: Sendable {
    case value
    case bool
    case list(ViewSchema)
    case object([String: ViewSchema])

    init(prototype: Any) {
        switch prototype {
        case is Bool:
            self = .bool
        case is String, is Int:
            self = .value
        case let array as [Any]:
            guard let first = array.first else {
                preconditionFailure("a view prototype needs one element in each list")
            }
            self = .list(ViewSchema(prototype: first))
        default:
            var fields: [String: ViewSchema] = [:]
            for child in Mirror(reflecting: prototype).children {
                if let label = child.label { fields[label] = ViewSchema(prototype: child.value) }
            }
            self = .object(fields)
        }
    }
}
