import Yams

/// Loads spec files (parse → per-file checks → cross-file checks) into a ``SpecSet``.
///
/// Every error found is reported, not just the first: a file with an error in one option still
/// has its other options checked, and cross-file checks run on whatever could be read.
public enum SpecLoader {
    /// Loads and validates `files`.
    /// - Throws: ``DiagnosticsError`` with every problem found, in file order, then by position.
    public static func load(_ files: [SpecFile]) throws(DiagnosticsError) -> SpecSet {
        let diagnostics = DiagnosticCollector()
        var components: [ParsedComponent] = []
        var transports: [ParsedTransport] = []
        for file in files {
            let reader = NodeReader(file: file, diagnostics: diagnostics)
            guard let root = compose(file, reader) else { continue }
            guard let keys = root.mapping?.keys.compactMap({ $0.scalar?.string }) else {
                reader.error(
                    "a spec must be a mapping with a 'component:' or 'transport:' key, found \(reader.describe(root))",
                    at: root)
                continue
            }
            switch (keys.contains("component"), keys.contains("transport")) {
            case (true, false): ComponentParser.parse(root, reader).map { components.append($0) }
            case (false, true): TransportParser.parse(root, reader).map { transports.append($0) }
            case (true, true):
                reader.error("a spec has either a 'component:' or a 'transport:' key, not both", at: root)
            case (false, false):
                reader.error("missing required key 'component' or 'transport' (the two kinds of spec)", at: root)
            }
        }
        let specs = CrossChecker(diagnostics: diagnostics).check(components: components, transports: transports)
        guard diagnostics.isEmpty else {
            let order = Dictionary(files.enumerated().map { ($1.path, $0) }, uniquingKeysWith: { a, _ in a })
            throw DiagnosticsError(
                diagnostics.diagnostics.enumerated().sorted { a, b in
                    let (x, y) = (a.element.location, b.element.location)
                    return (order[x.path] ?? Int.max, x.line, x.column, a.offset)
                        < (order[y.path] ?? Int.max, y.line, y.column, b.offset)
                }.map(\.element)
            )
        }
        return specs
    }

    private static func compose(_ file: SpecFile, _ reader: NodeReader) -> Node? {
        let start = SourceLocation(path: file.path, line: 1, column: 1)
        let at = { (mark: Mark) in SourceLocation(path: file.path, line: mark.line, column: mark.column) }
        do {
            if let node = try Yams.compose(yaml: file.contents) { return node }
            reader.diagnostics.error(
                "empty spec: expected a mapping with a 'component:' or 'transport:' key", at: start)
        } catch YamlError.scanner(let context, let problem, let mark, _),
            YamlError.parser(let context, let problem, let mark, _),
            YamlError.composer(let context, let problem, let mark, _)
        {
            var message = "invalid YAML: \(problem)"
            if let context { message += " (\(context.text) that starts at \(context.mark))" }
            reader.diagnostics.error(message, at: at(mark))
        } catch YamlError.duplicatedKeysInMapping(let duplicates, let context) {
            let names = duplicates.map { "'\($0)'" }.joined(separator: ", ")
            reader.diagnostics.error("duplicate key \(names)", at: at(context.mark))
        } catch {
            reader.diagnostics.error("invalid YAML: \(error)", at: start)
        }
        return nil
    }
}

// MARK: - Components

struct ParsedComponent {
    var spec: ComponentSpec
    var nameNode: Node
    /// The `type:` node of each option, by option name (for cross-file messages).
    var typeNodes: [String: Node]
}

enum ComponentParser {
    static let keys = ["component", "module", "description", "options", "events"]
    static let optionKeys = ["type", "typeName", "values", "default", "optional", "description"]
    static let eventKeys = ["description", "payload"]
    static let parameterKeys = ["name", "type"]
    /// The option types other than `enum`, by spec name.
    static let plainTypes: [String: OptionType] = [
        "string": .string, "int": .int, "bool": .bool, "milliseconds": .milliseconds, "strings": .strings,
        "logger": .logger, "transportOptions": .transportOptions,
    ]

    static func parse(_ root: Node, _ reader: NodeReader) -> ParsedComponent? {
        guard
            let fields = Fields(
                root, "a component spec", allowed: keys, required: ["component", "module", "description"],
                reader: reader)
        else { return nil }
        let name = fields.string(
            "component", .must("component", be: "a Swift type name (like Listener)", SwiftNames.isTypeName))
        let module = fields.string("module", .module)
        let description = fields.string("description")
        var options: [OptionSpec] = []
        var typeNodes: [String: Node] = [:]
        for (key, value) in fields.mapping("options") {
            guard let (option, typeNode) = parseOption(key, value, reader) else { continue }
            options.append(option)
            typeNodes[option.name] = typeNode
        }
        let parsedEvents = fields.mapping("events").compactMap { key, value in
            parseEvent(key, value, reader).map { (key: key, spec: $0, swiftName: SwiftNames.lowerCamel($0.name)) }
        }
        let events = parsedEvents.droppingRepeats(by: \.swiftName) { event, first in
            reader.error(
                "event '\(event.spec.name)' has the same Swift name '\(event.swiftName)' as event '\(first.spec.name)'",
                at: event.key)
        }.map(\.spec)
        guard let name, let module, let description, let nameNode = fields["component"] else { return nil }
        let spec = ComponentSpec(
            name: name, module: module, description: description, options: options, events: events,
            file: reader.file, location: reader.location(root))
        return ParsedComponent(spec: spec, nameNode: nameNode, typeNodes: typeNodes)
    }

    static func parseOption(_ key: Node, _ value: Node, _ reader: NodeReader) -> (OptionSpec, Node)? {
        guard let name = reader.string(key, "option name", .identifier("option name")),
            let fields = Fields(
                value, "option '\(name)'", allowed: optionKeys, required: ["type", "description"], reader: reader)
        else { return nil }
        let description = fields.string("description")
        guard let typeName = fields.string("type", .oneOf("option type", OptionType.specNames)),
            let typeNode = fields["type"]
        else { return nil }

        let type: OptionType
        if let plain = plainTypes[typeName] {
            type = plain
            for key in ["typeName", "values"] {
                if let keyNode = fields.keyNode(key) { reader.error("'\(key)' applies only to type enum", at: keyNode) }
            }
        } else {
            fields.require(["typeName", "values"], context: " (type enum needs it)")
            let enumName = fields.string("typeName", .typeName("typeName"))
            let values = fields.strings("values").flatMap { enumValues($0, fields["values"]!, reader) }
            guard let enumName, let values else { return nil }
            type = .enumeration(typeName: enumName, values: values)
        }
        if !type.takesDefault, let keyNode = fields.keyNode("optional") {
            reader.error("an option of type \(typeName) cannot be optional", at: keyNode)
        }
        if !type.takesDefault, let keyNode = fields.keyNode("default") {
            reader.error("an option of type \(typeName) takes no default (it has a fixed one)", at: keyNode)
        }
        let optional = type.takesDefault && fields.bool("optional") == true
        var defaultValue: OptionValue?
        if type.takesDefault, let node = fields["default"] {
            guard let value = reader.optionValue(node, type: type, key: "default") else { return nil }
            defaultValue = value
        } else if type.takesDefault, !optional {
            reader.error("missing required key 'default' (an option that is not optional needs one)", at: value)
        }
        guard let description else { return nil }
        let option = OptionSpec(
            name: name, type: type, optional: optional, defaultValue: defaultValue, description: description,
            location: reader.location(key))
        return (option, typeNode)
    }

    /// The values of an enum type, when each is a Swift case name listed once.
    static func enumValues(_ values: [String], _ node: Node, _ reader: NodeReader) -> [String]? {
        guard !values.isEmpty else {
            reader.error("'values' must list at least one value", at: node)
            return nil
        }
        var seen: Set<String> = []
        var ok = true
        for (index, value) in values.enumerated() {
            let caseName = SwiftNames.lowerCamel(value)
            let problem =
                !SwiftNames.isIdentifier(caseName)
                ? "enum value '\(value)' cannot be a Swift case name"
                : !seen.insert(caseName).inserted ? "enum value '\(value)' is listed twice" : nil
            if let problem {
                reader.error(problem, at: node.sequence.map { $0[index] } ?? node)
                ok = false
            }
        }
        return ok ? values : nil
    }

    static func parseEvent(_ key: Node, _ value: Node, _ reader: NodeReader) -> EventSpec? {
        let nameRule = Rule.must("event name", be: "letters, digits and '_'") {
            $0.first?.isLetter == true && SwiftNames.isIdentifier(SwiftNames.lowerCamel($0))
        }
        guard let name = reader.string(key, "event name", nameRule),
            let fields = Fields(value, "event '\(name)'", allowed: eventKeys, required: ["description"], reader: reader)
        else { return nil }
        let description = fields.string("description")
        var payload: [PayloadParameter] = []
        var ok = true
        if let node = fields["payload"] {
            if node.sequence == nil {
                reader.error("'payload' must be a sequence of {name, type}, found \(reader.describe(node))", at: node)
            }
            let items = Array(node.sequence ?? [])
            let parameters = items.compactMap { item in parseParameter(item, reader).map { (item, $0) } }
            payload = parameters.droppingRepeats(by: \.1.name) { parameter, _ in
                reader.error("payload parameter '\(parameter.1.name)' is listed twice", at: parameter.0)
            }.map(\.1)
            ok = node.sequence != nil && payload.count == items.count
        }
        guard ok, let description else { return nil }
        return EventSpec(name: name, description: description, payload: payload, location: reader.location(key))
    }

    static func parseParameter(_ node: Node, _ reader: NodeReader) -> PayloadParameter? {
        guard
            let fields = Fields(
                node, "a payload parameter", allowed: parameterKeys, required: parameterKeys, reader: reader)
        else { return nil }
        let name = fields.string("name", .identifier("payload parameter name"))
        let type = fields.string("type", .oneOf("payload type", EventSpec.payloadTypes))
        guard let name, let type else { return nil }
        return PayloadParameter(name: name, type: type)
    }
}

// MARK: - Transports

struct ParsedTransport {
    var spec: TransportSpec
    var nameNode: Node
    var orderNode: Node
    /// `options:` as written; typed against the `Transport` component in ``CrossChecker``.
    var optionsKey: Node?
    var optionNodes: [(key: Node, value: Node)]
}

enum TransportParser {
    static let keys = [
        "transport", "module", "kind", "order", "summary", "description", "url", "contentType", "headers",
        "prelude", "padTo", "padding", "wrapper", "escaping", "resumeHeader", "implementation", "browsers",
        "options",
    ]
    static let required = ["transport", "module", "kind", "order", "summary", "description", "url"]

    static func parse(_ root: Node, _ reader: NodeReader) -> ParsedTransport? {
        guard let fields = Fields(root, "a transport spec", allowed: keys, required: required, reader: reader) else {
            return nil
        }
        // Name, and the file it must live in.
        let name = fields.string(
            "transport", .must("transport name", be: "lower-case letters and digits joined by '-'", isTransportName))
        let fileName = reader.file.path.split(separator: "/").last.map(String.init) ?? reader.file.path
        if let name, fileName != "\(name).yaml" {
            fields.error("transport '\(name)' must be in a file named \(name).yaml, not \(fileName)", at: "transport")
        }
        let module = fields.string("module", .module)
        let kind: TransportKindSpec? = fields.choice("kind", "kind")
        let order = fields.int("order")
        let summary = fields.string("summary")
        let description = fields.string("description")
        let browsers = fields.string("browsers")

        // URL shape and its path segments.
        let url = fields.string("url")
        var pathSegments: [String]?
        if let url, let name {
            pathSegments = Self.pathSegments(url, name: name) { fields.error($0, at: "url") }
        }

        // Kind-specific keys.
        let contentType = fields.string("contentType")
        switch kind {
        case .upgrade:
            if let key = fields.keyNode("contentType") {
                reader.error("kind upgrade has no contentType (it answers with 101 Switching Protocols)", at: key)
            }
            if fields["implementation"] == nil {
                fields.error(
                    "kind upgrade requires 'implementation' (the hand-written Transport type of module \(module ?? "?"))",
                    at: "kind")
            }
        case .poll, .stream:
            if fields["contentType"] == nil {
                reader.error("missing required key 'contentType' (kind \(kind!.rawValue) needs it)", at: root)
            }
        case nil: break
        }
        let implementation = fields.string("implementation", .typeName("implementation"))

        // Framing.
        let headers = fields.mapping("headers").compactMap { key, value -> TransportSpec.Header? in
            guard let name = reader.string(key, "header name"), let value = reader.string(value, name) else {
                return nil
            }
            return .init(name: name, value: value)
        }
        let prelude = fields.string("prelude") ?? ""
        let padding = fields.string("padding") ?? " "
        var padTo = 0
        if let value = fields.int("padTo") {
            if value < 0 {
                fields.error("'padTo' must be 0 or more, found \(value)", at: "padTo")
            } else {
                padTo = value
            }
            if value > 0, prelude.utf8.count > value {
                fields.error("prelude is \(prelude.utf8.count) bytes, longer than padTo \(value)", at: "padTo")
            }
        }
        if padding.utf8.count != 1 {
            fields.error("'padding' must be one single-byte character, found '\(padding)'", at: "padding")
        }
        let wrapper = fields.string("wrapper") ?? "{payload}"
        checkWrapper(wrapper) { fields.error($0, at: "wrapper") }
        let escaping: EscapingSpec = fields.choice("escaping", "escaping") ?? .none
        let resumeHeader = fields.string("resumeHeader")
        let optionNodes = fields.mapping("options")

        guard !fields.failed, let name, let module, let kind, let order, let summary, let description, let url,
            let pathSegments, let nameNode = fields["transport"], let orderNode = fields["order"]
        else { return nil }
        let spec = TransportSpec(
            name: name, module: module, kind: kind, order: order, summary: summary, description: description, url: url,
            pathSegments: pathSegments, contentType: contentType, headers: headers, prelude: prelude, padTo: padTo,
            padding: padding, wrapper: wrapper, escaping: escaping, resumeHeader: resumeHeader,
            implementation: implementation, browsers: browsers, options: [], file: reader.file,
            location: reader.location(root))
        return ParsedTransport(
            spec: spec, nameNode: nameNode, orderNode: orderNode, optionsKey: fields.keyNode("options"),
            optionNodes: optionNodes)
    }

    static func isTransportName(_ name: String) -> Bool {
        name.first.map(\.isLowercase) == true
            && name.split(separator: "-", omittingEmptySubsequences: false).allSatisfy {
                !$0.isEmpty && $0.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) }
            }
    }

    /// `/{resource}/xhr-polling[/{sid}][/{timestamp}]` → `["sid", "timestamp"]`.
    static func pathSegments(_ url: String, name: String, error: (String) -> Void) -> [String]? {
        let prefix = "/{resource}/\(name)"
        guard url.hasPrefix(prefix) else {
            error("url must start with '\(prefix)', found '\(url)'")
            return nil
        }
        var rest = Substring(url.dropFirst(prefix.count))
        var segments: [String] = []
        while !rest.isEmpty {
            let optional = rest.hasPrefix("[")
            if optional { rest = rest.dropFirst() }
            guard rest.hasPrefix("/{"), let close = rest.firstIndex(of: "}") else {
                error("url: expected '/{name}' or '[/{name}]' at '\(rest)'")
                return nil
            }
            let segment = String(rest[rest.index(rest.startIndex, offsetBy: 2)..<close])
            rest = rest[rest.index(after: close)...]
            var problem: String?
            if !SwiftNames.isIdentifier(segment) {
                problem = "url: path segment '{\(segment)}' must be a plain name"
            } else if segments.contains(segment) {
                problem = "url: path segment '{\(segment)}' appears twice"
            } else if optional && !rest.hasPrefix("]") {
                problem = "url: missing ']' after '{\(segment)}'"
            }
            if let problem {
                error(problem)
                return nil
            }
            segments.append(segment)
            if optional { rest = rest.dropFirst() }
        }
        return segments
    }

    /// Reports `{name}` placeholders the core does not fill in, and a wrapper without `{payload}`.
    static func checkWrapper(_ wrapper: String, error: (String) -> Void) {
        // `{name}`: the text from each `{` to the next `}`, when it is a name.
        let names = wrapper.split(separator: "{", omittingEmptySubsequences: false).dropFirst()
            .compactMap { part in part.firstIndex(of: "}").map { String(part[..<$0]) } }.filter(SwiftNames.isIdentifier)
        let expected = TransportSpec.wrapperPlaceholders.map { "{\($0)}" }.joined(separator: ", ")
        for name in names where !TransportSpec.wrapperPlaceholders.contains(name) {
            error("unknown placeholder '{\(name)}' in wrapper (expected \(expected))")
        }
        if !names.contains("payload") { error("wrapper must contain '{payload}'") }
    }
}

// MARK: - Cross-file checks

private struct CrossChecker {
    let diagnostics: DiagnosticCollector

    func reader(_ file: SpecFile) -> NodeReader { NodeReader(file: file, diagnostics: diagnostics) }

    func check(components: [ParsedComponent], transports: [ParsedTransport]) -> SpecSet {
        // Unique component names, and enum type names unique per module.
        let components = components.droppingRepeats(by: \.spec.name) { component, first in
            reader(component.spec.file).error(
                "component '\(component.spec.name)' is already defined at \(reader(first.spec.file).location(first.nameNode))",
                at: component.nameNode)
        }
        typealias EnumType = (file: SpecFile, module: String, name: String, key: String, node: Node)
        let enumTypes = components.flatMap { component in
            component.spec.options.compactMap { option -> EnumType? in
                guard case .enumeration(let name, _) = option.type, let node = component.typeNodes[option.name]
                else { return nil }
                let module = component.spec.module
                return (component.spec.file, module, name, "\(module).\(name)", node)
            }
        }
        _ = enumTypes.droppingRepeats(by: \.key) { type, first in
            reader(type.file).error(
                "enum type '\(type.name)' is already declared in module \(type.module) at \(reader(first.file).location(first.node))",
                at: type.node)
        }
        let transportComponent = components.first { $0.spec.name == SpecSet.transportComponent }?.spec
        for component in components where transportComponent == nil {
            for option in component.spec.options where option.type == .transportOptions {
                guard let node = component.typeNodes[option.name] else { continue }
                reader(component.spec.file).error(
                    "type transportOptions needs a component '\(SpecSet.transportComponent)' that declares the transport options",
                    at: node)
            }
        }

        // Unique transport names and orders; options typed by the Transport component.
        let transports = transports.droppingRepeats(by: \.spec.name) { transport, first in
            reader(transport.spec.file).error(
                "transport '\(transport.spec.name)' is already defined at \(reader(first.spec.file).location(first.nameNode))",
                at: transport.nameNode)
        }
        _ = transports.droppingRepeats(by: \.spec.order) { transport, first in
            reader(transport.spec.file).error(
                "order \(transport.spec.order) is already used by transport '\(first.spec.name)' at \(reader(first.spec.file).location(first.orderNode))",
                at: transport.orderNode)
        }
        let specs = transports.map { transport in
            var spec = transport.spec
            let r = reader(spec.file)
            guard let transportComponent else {
                if !transport.optionNodes.isEmpty, let key = transport.optionsKey {
                    r.error(
                        "transport options need a component '\(SpecSet.transportComponent)' that declares them", at: key
                    )
                }
                return spec
            }
            for (key, value) in transport.optionNodes {
                guard let name = r.string(key, "option name") else { continue }
                guard let option = transportComponent.options.first(where: { $0.name == name }) else {
                    let declared = transportComponent.options.map(\.name).joined(separator: ", ")
                    r.error(
                        "option '\(name)' is not declared in \(transportComponent.file.displayName) (declared: \(declared))",
                        at: key)
                    continue
                }
                if let optionValue = r.optionValue(value, type: option.type, key: name) {
                    spec.options.append((name, optionValue))
                }
            }
            return spec
        }
        return SpecSet(components: components.map(\.spec), transports: specs.sorted { $0.order < $1.order })
    }
}

extension Sequence {
    /// The elements whose key no earlier element has; `repeated` is called for each other one,
    /// with the first element of its key.
    func droppingRepeats<Key: Hashable>(by key: (Element) -> Key, _ repeated: (Element, Element) -> Void) -> [Element] {
        var firsts: [Key: Element] = [:]
        return filter { element in
            guard let first = firsts[key(element)] else {
                firsts[key(element)] = element
                return true
            }
            repeated(element, first)
            return false
        }
    }
}
