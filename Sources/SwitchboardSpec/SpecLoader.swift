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
            guard let mapping = root.mapping else {
                reader.error(
                    "a spec must be a mapping with a 'component:' or 'transport:' key, found \(reader.describe(root))",
                    at: root)
                continue
            }
            let keys = mapping.keys.compactMap { $0.scalar?.string }
            switch (keys.contains("component"), keys.contains("transport")) {
            case (true, false):
                if let component = ComponentParser(reader: reader).parse(root, mapping) { components.append(component) }
            case (false, true):
                if let transport = TransportParser(reader: reader).parse(root, mapping) { transports.append(transport) }
            case (true, true):
                reader.error("a spec has either a 'component:' or a 'transport:' key, not both", at: root)
            case (false, false):
                reader.error("missing required key 'component' or 'transport' (the two kinds of spec)", at: root)
            }
        }
        let specs = CrossChecker(diagnostics: diagnostics).check(components: components, transports: transports)
        guard diagnostics.isEmpty else {
            let order = Dictionary(
                files.enumerated().map { ($0.element.path, $0.offset) }, uniquingKeysWith: { a, _ in a })
            throw DiagnosticsError(
                diagnostics.diagnostics.enumerated().sorted { a, b in
                    let (x, y) = (a.element.location, b.element.location)
                    let (fx, fy) = (order[x.path] ?? Int.max, order[y.path] ?? Int.max)
                    if fx != fy { return fx < fy }
                    if x.line != y.line { return x.line < y.line }
                    if x.column != y.column { return x.column < y.column }
                    return a.offset < b.offset
                }.map(\.element)
            )
        }
        return specs
    }

    private static func compose(_ file: SpecFile, _ reader: NodeReader) -> Node? {
        let at = { (mark: Mark) in SourceLocation(path: file.path, line: mark.line, column: mark.column) }
        do {
            guard let node = try Yams.compose(yaml: file.contents) else {
                reader.diagnostics.error(
                    "empty spec: expected a mapping with a 'component:' or 'transport:' key",
                    at: SourceLocation(path: file.path, line: 1, column: 1)
                )
                return nil
            }
            return node
        } catch let error as YamlError {
            switch error {
            case .scanner(let context, let problem, let mark, _),
                .parser(let context, let problem, let mark, _),
                .composer(let context, let problem, let mark, _):
                var message = "invalid YAML: \(problem)"
                if let context { message += " (\(context.text) that starts at \(context.mark))" }
                reader.diagnostics.error(message, at: at(mark))
            case .duplicatedKeysInMapping(let duplicates, let context):
                let names = duplicates.map { "'\($0)'" }.joined(separator: ", ")
                reader.diagnostics.error("duplicate key \(names)", at: at(context.mark))
            default:
                reader.diagnostics.error(
                    "invalid YAML: \(error)", at: SourceLocation(path: file.path, line: 1, column: 1))
            }
            return nil
        } catch {
            reader.diagnostics.error("invalid YAML: \(error)", at: SourceLocation(path: file.path, line: 1, column: 1))
            return nil
        }
    }
}

// MARK: - Components

struct ParsedComponent {
    var spec: ComponentSpec
    var nameNode: Node
    /// The `type:` node of each option, by option name (for cross-file messages).
    var typeNodes: [String: Node]
}

struct ComponentParser {
    let reader: NodeReader

    static let keys = ["component", "module", "description", "options", "events"]
    static let optionKeys = ["type", "typeName", "values", "default", "optional", "description"]
    static let eventKeys = ["description", "payload"]
    static let parameterKeys = ["name", "type"]

    func parse(_ root: Node, _ mapping: Node.Mapping) -> ParsedComponent? {
        let entries = reader.entries(of: mapping, allowed: Self.keys, in: "a component spec")
        reader.require(["component", "module", "description"], in: entries, mapping: root)
        var name: String?
        if let node = entries["component"]?.value, let value = reader.string(node, "component") {
            if SwiftNames.isTypeName(value) {
                name = value
            } else {
                reader.error("component '\(value)' must be a Swift type name (like Listener)", at: node)
            }
        }
        let module = entries["module"].flatMap { moduleName($0.value) }
        let description = entries["description"].flatMap { reader.string($0.value, "description") }
        var options: [OptionSpec] = []
        var typeNodes: [String: Node] = [:]
        if let node = entries["options"]?.value, let map = reader.mapping(node, "'options'") {
            for (key, value) in map {
                if let (option, typeNode) = parseOption(key, value) {
                    options.append(option)
                    typeNodes[option.name] = typeNode
                }
            }
        }
        var events: [EventSpec] = []
        if let node = entries["events"]?.value, let map = reader.mapping(node, "'events'") {
            var swiftNames: [String: String] = [:]
            for (key, value) in map {
                guard let event = parseEvent(key, value) else { continue }
                let swiftName = SwiftNames.lowerCamel(event.name)
                if let other = swiftNames[swiftName] {
                    reader.error(
                        "event '\(event.name)' has the same Swift name '\(swiftName)' as event '\(other)'", at: key)
                    continue
                }
                swiftNames[swiftName] = event.name
                events.append(event)
            }
        }
        guard let name, let module, let description, let componentNode = entries["component"]?.value else { return nil }
        return ParsedComponent(
            spec: ComponentSpec(
                name: name, module: module, description: description, options: options, events: events,
                file: reader.file, location: reader.location(root)
            ),
            nameNode: componentNode,
            typeNodes: typeNodes
        )
    }

    func moduleName(_ node: Node) -> String? {
        guard let value = reader.string(node, "module") else { return nil }
        guard SwiftNames.isIdentifier(value) else {
            reader.error("module '\(value)' must be a Swift target name", at: node)
            return nil
        }
        return value
    }

    func parseOption(_ key: Node, _ value: Node) -> (OptionSpec, Node)? {
        guard let name = reader.string(key, "option name") else { return nil }
        guard SwiftNames.isIdentifier(name) else {
            reader.error("option name '\(name)' must be a Swift identifier", at: key)
            return nil
        }
        guard let map = reader.mapping(value, "option '\(name)'") else { return nil }
        let entries = reader.entries(of: map, allowed: Self.optionKeys, in: "option '\(name)'")
        reader.require(["type", "description"], in: entries, mapping: value)
        let description = entries["description"].flatMap { reader.string($0.value, "description") }
        guard let typeNode = entries["type"]?.value, let typeName = reader.string(typeNode, "type") else { return nil }

        var type: OptionType
        switch typeName {
        case "string": type = .string
        case "int": type = .int
        case "bool": type = .bool
        case "milliseconds": type = .milliseconds
        case "strings": type = .strings
        case "logger": type = .logger
        case "transportOptions": type = .transportOptions
        case "enum":
            reader.require(["typeName", "values"], in: entries, mapping: value, context: " (type enum needs it)")
            var enumName: String?
            if let node = entries["typeName"]?.value, let value = reader.string(node, "typeName") {
                if SwiftNames.isTypeName(value) {
                    enumName = value
                } else {
                    reader.error("typeName '\(value)' must be a Swift type name", at: node)
                }
            }
            var values: [String]?
            if let node = entries["values"]?.value, let list = reader.strings(node, "values") {
                values = checkEnumValues(list, node)
            }
            guard let enumName, let values else { return nil }
            type = .enumeration(typeName: enumName, values: values)
        default:
            reader.error(
                "unknown option type '\(typeName)' (expected one of: \(OptionType.specNames.joined(separator: ", ")))",
                at: typeNode
            )
            return nil
        }
        if typeName != "enum" {
            for key in ["typeName", "values"] {
                if let entry = entries[key] { reader.error("'\(key)' applies only to type enum", at: entry.key) }
            }
        }
        var optional = false
        if let entry = entries["optional"] {
            if !type.takesDefault {
                reader.error("an option of type \(typeName) cannot be optional", at: entry.key)
            } else if let value = reader.bool(entry.value, "optional") {
                optional = value
            }
        }
        var defaultValue: OptionValue?
        if let entry = entries["default"] {
            if !type.takesDefault {
                reader.error("an option of type \(typeName) takes no default (it has a fixed one)", at: entry.key)
            } else {
                guard let value = reader.optionValue(entry.value, type: type, key: "default") else { return nil }
                defaultValue = value
            }
        } else if type.takesDefault && !optional {
            reader.error("missing required key 'default' (an option that is not optional needs one)", at: value)
        }
        guard let description else { return nil }
        return (
            OptionSpec(
                name: name, type: type, optional: optional, defaultValue: defaultValue,
                description: description, location: reader.location(key)
            ),
            typeNode
        )
    }

    func checkEnumValues(_ values: [String], _ node: Node) -> [String]? {
        guard !values.isEmpty else {
            reader.error("'values' must list at least one value", at: node)
            return nil
        }
        var seen: Set<String> = []
        var ok = true
        for (index, value) in values.enumerated() {
            let item = node.sequence.map { $0[index] } ?? node
            if !SwiftNames.isIdentifier(SwiftNames.lowerCamel(value)) {
                reader.error("enum value '\(value)' cannot be a Swift case name", at: item)
                ok = false
            } else if !seen.insert(SwiftNames.lowerCamel(value)).inserted {
                reader.error("enum value '\(value)' is listed twice", at: item)
                ok = false
            }
        }
        return ok ? values : nil
    }

    func parseEvent(_ key: Node, _ value: Node) -> EventSpec? {
        guard let name = reader.string(key, "event name") else { return nil }
        guard name.first?.isLetter == true, SwiftNames.isIdentifier(SwiftNames.lowerCamel(name)) else {
            reader.error("event name '\(name)' must be letters, digits and '_'", at: key)
            return nil
        }
        guard let map = reader.mapping(value, "event '\(name)'") else { return nil }
        let entries = reader.entries(of: map, allowed: Self.eventKeys, in: "event '\(name)'")
        reader.require(["description"], in: entries, mapping: value)
        let description = entries["description"].flatMap { reader.string($0.value, "description") }
        var payload: [PayloadParameter] = []
        var ok = true
        if let node = entries["payload"]?.value {
            if let sequence = node.sequence {
                var names: Set<String> = []
                for item in sequence {
                    guard let parameter = parseParameter(item) else {
                        ok = false
                        continue
                    }
                    if !names.insert(parameter.name).inserted {
                        reader.error("payload parameter '\(parameter.name)' is listed twice", at: item)
                        ok = false
                    }
                    payload.append(parameter)
                }
            } else {
                reader.error("'payload' must be a sequence of {name, type}, found \(reader.describe(node))", at: node)
                ok = false
            }
        }
        guard ok, let description else { return nil }
        return EventSpec(name: name, description: description, payload: payload, location: reader.location(key))
    }

    func parseParameter(_ node: Node) -> PayloadParameter? {
        guard let map = reader.mapping(node, "a payload parameter") else { return nil }
        let entries = reader.entries(of: map, allowed: Self.parameterKeys, in: "a payload parameter")
        reader.require(Self.parameterKeys, in: entries, mapping: node)
        var name: String?
        if let node = entries["name"]?.value, let value = reader.string(node, "name") {
            if SwiftNames.isIdentifier(value) {
                name = value
            } else {
                reader.error("payload parameter name '\(value)' must be a Swift identifier", at: node)
            }
        }
        var type: String?
        if let node = entries["type"]?.value, let value = reader.string(node, "type") {
            if EventSpec.payloadTypes.contains(value) {
                type = value
            } else {
                reader.error(
                    "unknown payload type '\(value)' (expected one of: \(EventSpec.payloadTypes.joined(separator: ", ")))",
                    at: node
                )
            }
        }
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

struct TransportParser {
    let reader: NodeReader

    static let keys = [
        "transport", "module", "kind", "order", "summary", "description", "url", "contentType", "headers",
        "prelude", "padTo", "padding", "wrapper", "escaping", "resumeHeader", "implementation", "browsers",
        "options",
    ]
    static let required = ["transport", "module", "kind", "order", "summary", "description", "url"]

    func parse(_ root: Node, _ mapping: Node.Mapping) -> ParsedTransport? {
        let entries = reader.entries(of: mapping, allowed: Self.keys, in: "a transport spec")
        reader.require(Self.required, in: entries, mapping: root)
        var ok = true
        func string(_ key: String) -> String? {
            guard let node = entries[key]?.value else { return nil }
            let value = reader.string(node, key)
            if value == nil { ok = false }
            return value
        }

        // Name, and the file it must live in.
        var name: String?
        if let node = entries["transport"]?.value, let value = reader.string(node, "transport") {
            if Self.isTransportName(value) {
                name = value
                let fileName = reader.file.path.split(separator: "/").last.map(String.init) ?? reader.file.path
                if fileName != "\(value).yaml" {
                    reader.error(
                        "transport '\(value)' must be in a file named \(value).yaml, not \(fileName)", at: node)
                }
            } else {
                reader.error("transport name '\(value)' must be lower-case letters and digits joined by '-'", at: node)
            }
        }
        var module: String?
        if let node = entries["module"]?.value, let value = reader.string(node, "module") {
            if SwiftNames.isIdentifier(value) {
                module = value
            } else {
                reader.error("module '\(value)' must be a Swift target name", at: node)
            }
        }
        var kind: TransportKindSpec?
        if let node = entries["kind"]?.value, let value = reader.string(node, "kind") {
            kind = TransportKindSpec(rawValue: value)
            if kind == nil {
                reader.error(
                    "unknown kind '\(value)' (expected one of: \(TransportKindSpec.allCases.map(\.rawValue).joined(separator: ", ")))",
                    at: node
                )
            }
        }
        let order = entries["order"].flatMap { reader.int($0.value, "order") }
        let summary = string("summary")
        let description = string("description")
        let browsers = string("browsers")

        // URL shape and its path segments.
        var pathSegments: [String]?
        let url = string("url")
        if let url, let name, let node = entries["url"]?.value {
            pathSegments = Self.pathSegments(url, name: name) { reader.error($0, at: node) }
        }

        // Kind-specific keys.
        let contentType = string("contentType")
        if let kind {
            switch kind {
            case .upgrade:
                if let entry = entries["contentType"] {
                    reader.error(
                        "kind upgrade has no contentType (it answers with 101 Switching Protocols)", at: entry.key)
                }
                if entries["implementation"] == nil, let node = entries["kind"]?.value {
                    reader.error(
                        "kind upgrade requires 'implementation' (the hand-written Transport type of module \(module ?? "?"))",
                        at: node
                    )
                }
            case .poll, .stream:
                if entries["contentType"] == nil {
                    reader.error("missing required key 'contentType' (kind \(kind.rawValue) needs it)", at: root)
                }
            }
        }
        var implementation: String?
        if let node = entries["implementation"]?.value, let value = reader.string(node, "implementation") {
            if SwiftNames.isTypeName(value) {
                implementation = value
            } else {
                reader.error("implementation '\(value)' must be a Swift type name", at: node)
            }
        }

        // Framing.
        var headers: [TransportSpec.Header] = []
        if let node = entries["headers"]?.value {
            if let map = reader.mapping(node, "'headers'") {
                for (key, value) in map {
                    guard let headerName = reader.string(key, "header name"),
                        let headerValue = reader.string(value, headerName)
                    else {
                        continue
                    }
                    headers.append(.init(name: headerName, value: headerValue))
                }
            }
        }
        let prelude = string("prelude") ?? ""
        let padding = string("padding") ?? " "
        var padTo = 0
        if let node = entries["padTo"]?.value, let value = reader.int(node, "padTo") {
            if value < 0 { reader.error("'padTo' must be 0 or more, found \(value)", at: node) } else { padTo = value }
            if value > 0, prelude.utf8.count > value {
                reader.error("prelude is \(prelude.utf8.count) bytes, longer than padTo \(value)", at: node)
            }
        }
        if let node = entries["padding"]?.value, padding.utf8.count != 1 {
            reader.error("'padding' must be one single-byte character, found '\(padding)'", at: node)
        }
        let wrapper = string("wrapper") ?? "{payload}"
        if let node = entries["wrapper"]?.value {
            Self.checkWrapper(wrapper) { reader.error($0, at: node) }
        }
        var escaping = EscapingSpec.none
        if let node = entries["escaping"]?.value, let value = reader.string(node, "escaping") {
            if let parsed = EscapingSpec(rawValue: value) {
                escaping = parsed
            } else {
                reader.error(
                    "unknown escaping '\(value)' (expected one of: \(EscapingSpec.allCases.map(\.rawValue).joined(separator: ", ")))",
                    at: node
                )
            }
        }
        let resumeHeader = string("resumeHeader")

        var optionNodes: [(key: Node, value: Node)] = []
        if let node = entries["options"]?.value, let map = reader.mapping(node, "'options'") {
            optionNodes = Array(map)
        }

        guard ok, let name, let module, let kind, let order, let summary, let description, let url, let pathSegments,
            let nameNode = entries["transport"]?.value, let orderNode = entries["order"]?.value
        else { return nil }
        return ParsedTransport(
            spec: TransportSpec(
                name: name, module: module, kind: kind, order: order, summary: summary, description: description,
                url: url, pathSegments: pathSegments, contentType: contentType, headers: headers, prelude: prelude,
                padTo: padTo, padding: padding, wrapper: wrapper, escaping: escaping, resumeHeader: resumeHeader,
                implementation: implementation, browsers: browsers, options: [], file: reader.file,
                location: reader.location(root)
            ),
            nameNode: nameNode,
            orderNode: orderNode,
            optionsKey: entries["options"]?.key,
            optionNodes: optionNodes
        )
    }

    static func isTransportName(_ name: String) -> Bool {
        let parts = name.split(separator: "-", omittingEmptySubsequences: false)
        guard let first = name.unicodeScalars.first, first >= "a", first <= "z" else { return false }
        return parts.allSatisfy { part in
            !part.isEmpty && part.unicodeScalars.allSatisfy { ($0 >= "a" && $0 <= "z") || ($0 >= "0" && $0 <= "9") }
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
            guard SwiftNames.isIdentifier(segment) else {
                error("url: path segment '{\(segment)}' must be a plain name")
                return nil
            }
            guard !segments.contains(segment) else {
                error("url: path segment '{\(segment)}' appears twice")
                return nil
            }
            segments.append(segment)
            rest = rest[rest.index(after: close)...]
            if optional {
                guard rest.hasPrefix("]") else {
                    error("url: missing ']' after '{\(segment)}'")
                    return nil
                }
                rest = rest.dropFirst()
            }
        }
        return segments
    }

    /// Reports `{name}` placeholders the core does not fill in, and a wrapper without `{payload}`.
    static func checkWrapper(_ wrapper: String, error: (String) -> Void) {
        var rest = Substring(wrapper)
        var hasPayload = false
        while let open = rest.firstIndex(of: "{") {
            let after = rest[rest.index(after: open)...]
            if let close = after.firstIndex(of: "}"), case let name = String(after[..<close]),
                SwiftNames.isIdentifier(name)
            {
                if name == "payload" { hasPayload = true }
                if !TransportSpec.wrapperPlaceholders.contains(name) {
                    error(
                        "unknown placeholder '{\(name)}' in wrapper (expected \(TransportSpec.wrapperPlaceholders.map { "{\($0)}" }.joined(separator: ", ")))"
                    )
                }
                rest = after[after.index(after: close)...]
            } else {
                rest = after
            }
        }
        if !hasPayload { error("wrapper must contain '{payload}'") }
    }
}

// MARK: - Cross-file checks

private struct CrossChecker {
    let diagnostics: DiagnosticCollector

    func check(components: [ParsedComponent], transports: [ParsedTransport]) -> SpecSet {
        func reader(_ file: SpecFile) -> NodeReader { NodeReader(file: file, diagnostics: diagnostics) }

        // Unique component names, and enum type names unique per module.
        var componentsByName: [String: ParsedComponent] = [:]
        var enumTypes: [String: SourceLocation] = [:]
        for component in components {
            let r = reader(component.spec.file)
            if let other = componentsByName[component.spec.name] {
                r.error(
                    "component '\(component.spec.name)' is already defined at \(other.nameNode.mark.map { "\(other.spec.file.path):\($0)" } ?? other.spec.file.path)",
                    at: component.nameNode
                )
                continue
            }
            componentsByName[component.spec.name] = component
            for option in component.spec.options {
                guard case .enumeration(let typeName, _) = option.type, let node = component.typeNodes[option.name]
                else { continue }
                let key = "\(component.spec.module).\(typeName)"
                if let other = enumTypes[key] {
                    r.error(
                        "enum type '\(typeName)' is already declared in module \(component.spec.module) at \(other)",
                        at: node)
                } else {
                    enumTypes[key] = r.location(node)
                }
            }
        }
        let transportComponent = componentsByName[SpecSet.transportComponent]?.spec
        for component in components {
            for option in component.spec.options where option.type == .transportOptions && transportComponent == nil {
                if let node = component.typeNodes[option.name] {
                    reader(component.spec.file).error(
                        "type transportOptions needs a component '\(SpecSet.transportComponent)' that declares the transport options",
                        at: node
                    )
                }
            }
        }

        // Unique transport names and orders; options typed by the Transport component.
        var names: [String: ParsedTransport] = [:]
        var orders: [Int: ParsedTransport] = [:]
        var result: [TransportSpec] = []
        for transport in transports {
            var spec = transport.spec
            let r = reader(spec.file)
            func position(_ other: ParsedTransport, _ node: Node) -> String {
                let location = NodeReader(file: other.spec.file, diagnostics: diagnostics).location(node)
                return location.description
            }
            if let other = names[spec.name] {
                r.error(
                    "transport '\(spec.name)' is already defined at \(position(other, other.nameNode))",
                    at: transport.nameNode)
                continue
            }
            names[spec.name] = transport
            if let other = orders[spec.order] {
                r.error(
                    "order \(spec.order) is already used by transport '\(other.spec.name)' at \(position(other, other.orderNode))",
                    at: transport.orderNode
                )
            } else {
                orders[spec.order] = transport
            }
            if !transport.optionNodes.isEmpty, transportComponent == nil, let key = transport.optionsKey {
                r.error(
                    "transport options need a component '\(SpecSet.transportComponent)' that declares them", at: key)
            } else if let transportComponent {
                for (key, value) in transport.optionNodes {
                    guard let name = r.string(key, "option name") else { continue }
                    guard let option = transportComponent.options.first(where: { $0.name == name }) else {
                        let declared = transportComponent.options.map(\.name).joined(separator: ", ")
                        r.error(
                            "option '\(name)' is not declared in \(transportComponent.file.displayName) (declared: \(declared))",
                            at: key
                        )
                        continue
                    }
                    if let optionValue = r.optionValue(value, type: option.type, key: name) {
                        spec.options.append((name, optionValue))
                    }
                }
            }
            result.append(spec)
        }
        return SpecSet(components: components.map(\.spec), transports: result.sorted { $0.order < $1.order })
    }
}
