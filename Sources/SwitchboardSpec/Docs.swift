import SwitchboardWire

/// Renders the reference pages in `docs/` from a ``SpecSet`` and the templates in `Templates/docs`:
/// an index, one page per transport, the options of every component, the events with their
/// payloads, and the schema of the spec files.
///
/// ```swift
/// let pages = try DocsGenerator(specs: specs, templateFiles: files, directory: "Templates/docs").pages()
/// for (path, text) in pages { try writeIfChanged(text, to: "docs/" + path) }
/// ```
public struct DocsGenerator: Sendable {
    /// Every docs template with the names its view provides.
    static let schemas: [String: ViewSchema] = [
        "index": ViewSchema(prototype: DocsIndexView.prototype),
        "transport": ViewSchema(prototype: TransportPageView.prototype),
        "options": ViewSchema(prototype: ComponentsPageView.prototype),
        "events": ViewSchema(prototype: ComponentsPageView.prototype),
        "specs": ViewSchema(prototype: SpecsPageView.prototype),
    ]

    /// The session id shown in examples.
    static let exampleSessionId = "Zx8f0HpLnC2dRbYkT3qWsA"
    /// The message shown in examples: it shows the escaping as well as the framing.
    static let exampleMessage = "hello </script>"

    public var specs: SpecSet
    private let templates: TemplateSet

    /// - Throws: ``DiagnosticsError`` for a missing, unused or broken template.
    public init(specs: SpecSet, templateFiles: [TemplateFile], directory: String) throws(DiagnosticsError) {
        self.specs = specs
        self.templates = try TemplateSet(files: templateFiles, directory: directory, schemas: Self.schemas)
    }

    /// Every page, by path relative to `docs/`.
    public func pages() -> [String: String] {
        var pages: [String: String] = [
            "README.md": templates.render("index", indexView()),
            "options.md": templates.render("options", componentsView()),
            "events.md": templates.render("events", componentsView()),
            "specs.md": templates.render("specs", SpecsPageView(optionTypes: OptionType.specNames.map { .init(name: $0) })),
        ]
        for transport in specs.transports {
            pages["transports/\(transport.name).md"] = templates.render("transport", transportView(transport))
        }
        return pages
    }

    func indexView() -> DocsIndexView {
        DocsIndexView(
            transports: specs.transports.map {
                .init(name: $0.name, kind: $0.kind.rawValue, summary: $0.summary, module: $0.module)
            },
            components: specs.components.map { .init(name: $0.name, module: $0.module, description: oneLine($0.description)) }
        )
    }

    func componentsView() -> ComponentsPageView {
        ComponentsPageView(
            components: specs.components.map { component in
                .init(
                    name: component.name, module: component.module, description: oneLine(component.description),
                    hasOptions: !component.options.isEmpty,
                    options: component.options.map { option in
                        .init(
                            name: option.name, type: typeText(option.type, optional: option.optional),
                            defaultText: defaultText(option), description: oneLine(option.description))
                    },
                    hasEvents: !component.events.isEmpty,
                    events: component.events.map { event in
                        .init(
                            name: event.name,
                            signature: "(" + event.payload.map { "\($0.name): \($0.type)" }.joined(separator: ", ") + ")",
                            description: oneLine(event.description))
                    }
                )
            }
        )
    }

    func transportView(_ transport: TransportSpec) -> TransportPageView {
        let declared = specs.component(named: SpecSet.transportComponent)?.options ?? []
        let handshake = framed(Self.exampleSessionId)
        let message = framed(Self.exampleMessage)
        let padding = "`\(visible(transport.padding))`"
        var prelude = transport.prelude.isEmpty ? "" : "`\(visible(transport.prelude))`"
        if transport.padTo > transport.prelude.utf8.count {
            prelude += prelude.isEmpty
                ? "\(transport.padTo) bytes of \(padding)" : ", padded with \(padding) to exactly \(transport.padTo) bytes"
        }
        return TransportPageView(
            name: transport.name, module: transport.module, kind: transport.kind.rawValue, summary: transport.summary,
            description: transport.description.trimmingWhitespace(), url: transport.url,
            hasContentType: transport.contentType != nil, contentType: transport.contentType ?? "",
            hasHeaders: !transport.headers.isEmpty,
            headers: transport.headers.map { .init(name: $0.name, value: $0.value) },
            hasPrelude: !transport.prelude.isEmpty || transport.padTo > 0, prelude: prelude,
            wrapper: visible(transport.wrapper), escaping: transport.escaping.rawValue,
            hasResumeHeader: transport.resumeHeader != nil, resumeHeader: transport.resumeHeader ?? "",
            hasBrowsers: transport.browsers != nil, browsers: transport.browsers ?? "",
            hasImplementation: transport.implementation != nil, implementation: transport.implementation ?? "",
            exampleHandshake: wrap(handshake, transport, sequence: 1),
            exampleMessage: wrap(message, transport, sequence: 2),
            hasOptions: !transport.options.isEmpty,
            options: transport.options.map { option in
                let spec = declared.first { $0.name == option.name }
                return .init(
                    name: option.name, type: spec.map { typeText($0.type, optional: false) } ?? "",
                    value: valueText(option.value), description: oneLine(spec?.description ?? ""))
            }
        )
    }

    /// Line breaks as `\n` and `\r`, so a wrapper or prelude fits in inline code.
    func visible(_ text: String) -> String {
        text.replacingOccurrences(of: "\n", with: "\\n").replacingOccurrences(of: "\r", with: "\\r")
    }

    /// `~m~<L>~m~<text>`, as the framed codec writes it.
    func framed(_ text: String) -> String { Framed.frame(text) }

    /// The payload inside the transport's wrapper, escaped as its spec says: what the server writes.
    func wrap(_ payload: String, _ transport: TransportSpec, sequence: Int) -> String {
        let wrapper = PayloadWrapper(
            prelude: transport.prelude, padTo: transport.padTo, padding: transport.padding, template: transport.wrapper,
            escaping: transport.escaping == .jsonString ? .jsonString : .none)
        return wrapper.wrap(payload: payload, sessionId: Self.exampleSessionId, sequence: sequence, index: "0")
    }

    func typeText(_ type: OptionType, optional: Bool) -> String {
        let text: String
        switch type {
        case .string: text = "string"
        case .int: text = "int"
        case .bool: text = "bool"
        case .milliseconds: text = "milliseconds"
        case .strings: text = "list of strings"
        case .enumeration(_, let values): text = values.joined(separator: " \\| ")
        case .logger: text = "swift-log Logger"
        case .transportOptions: text = "options by transport name"
        }
        return optional ? text + " (optional)" : text
    }

    func defaultText(_ option: OptionSpec) -> String {
        if let value = option.defaultValue { return valueText(value) }
        switch option.type {
        case .logger: return "`Logger(label: \"switchboard\")`"
        case .transportOptions: return "none"
        default: return option.optional ? "unset" : "none"
        }
    }

    func valueText(_ value: OptionValue) -> String {
        switch value {
        case .string(let text), .enumCase(let text): return "`\(text)`"
        case .int(let number): return "`\(number)`"
        case .bool(let flag): return "`\(flag)`"
        case .milliseconds(let number): return "`\(number)` ms"
        case .strings(let list): return list.isEmpty ? "empty" : list.map { "`\($0)`" }.joined(separator: ", ")
        }
    }

    func oneLine(_ text: String) -> String {
        text.split(whereSeparator: \.isNewline).map { String($0).trimmingWhitespace() }.joined(separator: " ")
            .trimmingWhitespace()
    }
}

struct DocsIndexView: Sendable {
    struct Transport: Sendable { var name, kind, summary, module: String }
    struct Component: Sendable { var name, module, description: String }
    var transports: [Transport]
    var components: [Component]
    static let prototype = DocsIndexView(
        transports: [.init(name: "t", kind: "poll", summary: "s", module: "M")],
        components: [.init(name: "C", module: "M", description: "d")])
}

struct ComponentsPageView: Sendable {
    struct Option: Sendable { var name, type, defaultText, description: String }
    struct Event: Sendable { var name, signature, description: String }
    struct Component: Sendable {
        var name, module, description: String
        var hasOptions: Bool
        var options: [Option]
        var hasEvents: Bool
        var events: [Event]
    }
    var components: [Component]
    static let prototype = ComponentsPageView(components: [
        .init(
            name: "C", module: "M", description: "d", hasOptions: true,
            options: [.init(name: "o", type: "int", defaultText: "1", description: "d")], hasEvents: true,
            events: [.init(name: "e", signature: "()", description: "d")])
    ])
}

struct TransportPageView: Sendable {
    struct Header: Sendable { var name, value: String }
    struct Option: Sendable { var name, type, value, description: String }
    var name, module, kind, summary, description, url: String
    var hasContentType: Bool
    var contentType: String
    var hasHeaders: Bool
    var headers: [Header]
    var hasPrelude: Bool
    var prelude, wrapper, escaping: String
    var hasResumeHeader: Bool
    var resumeHeader: String
    var hasBrowsers: Bool
    var browsers: String
    var hasImplementation: Bool
    var implementation: String
    var exampleHandshake, exampleMessage: String
    var hasOptions: Bool
    var options: [Option]
    static let prototype = TransportPageView(
        name: "t", module: "M", kind: "poll", summary: "s", description: "d", url: "/u", hasContentType: true,
        contentType: "c", hasHeaders: true, headers: [.init(name: "n", value: "v")], hasPrelude: true, prelude: "p",
        wrapper: "w", escaping: "none", hasResumeHeader: true, resumeHeader: "r", hasBrowsers: true, browsers: "b",
        hasImplementation: true, implementation: "I", exampleHandshake: "h", exampleMessage: "m", hasOptions: true,
        options: [.init(name: "o", type: "int", value: "1", description: "d")])
}

struct SpecsPageView: Sendable {
    struct OptionTypeName: Sendable { var name: String }
    var optionTypes: [OptionTypeName]
    static let prototype = SpecsPageView(optionTypes: [.init(name: "int")])
}
