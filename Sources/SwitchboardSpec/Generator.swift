/// Renders the generated Swift file of one target from a ``SpecSet`` and the Swift templates.
///
/// A target gets every role that applies to it, in one file (`<Target>+Spec.generated.swift`):
/// - the components whose `module` is the target (options, enums, events), as tables and bindings
///   of the option and handler types of ``coreModule``; the enum types that a dependency's
///   components already declare are imported from it, not repeated;
/// - the transports whose `module` is the target (descriptors and the module's transport list);
/// - when its recursive dependencies include ``serverModule``, it is a host: a
///   `TransportRegistry.linked` of every transport whose module it links;
/// - when it holds the ``clientComponent`` component, it is a client: every transport's descriptor.
///
/// ```swift
/// let specs = try SpecLoader.load(specFiles)
/// let templates = try TemplateSet(files: templateFiles, directory: "Templates/swift")
/// let source = Generator(specs: specs, templates: templates)
///     .generate(target: "DemoHost", dependencies: ["SwitchboardServer", "SwitchboardCore"])
/// ```
public struct Generator: Sendable {
    /// The module that holds the hand-written runtime the generated code builds on.
    public static let coreModule = "SwitchboardCore"
    /// A target that depends on this module is a host.
    public static let serverModule = "SwitchboardServer"

    public var specs: SpecSet
    public var templates: TemplateSet

    public init(specs: SpecSet, templates: TemplateSet) {
        self.specs = specs
        self.templates = templates
    }

    /// The name of the file generated for `target`.
    public static func outputFileName(target: String) -> String { "\(target)+Spec.generated.swift" }

    /// The whole generated file for `target`.
    /// - Parameters:
    ///   - target: The target's name.
    ///   - dependencies: The names of the target's recursive dependencies.
    public func generate(target: String, dependencies: [String]) -> String {
        let dependencies = Set(dependencies)
        let components = specs.components.filter { $0.module == target }
        // An enum type that the target's dependencies already declare is imported, not declared
        // again, from the module whose component declares it (e.g. `PayloadProtocol` of SwitchboardCore).
        var inheritedEnums: [String: String] = [:]
        for component in specs.components where component.module != target && dependencies.contains(component.module) {
            for case .enumeration(let typeName, _) in component.options.map(\.type) {
                inheritedEnums[typeName] = component.module
            }
        }
        let transports = specs.transports.filter { $0.module == target }
        let hostTransports =
            dependencies.contains(Self.serverModule)
            ? specs.transports.filter { dependencies.contains($0.module) || $0.module == target } : []
        let clientTransports = clientTransports(of: components)
        let transportComponent = specs.component(named: SpecSet.transportComponent)

        // Header: the spec files used, and the imports the pieces need.
        var sources =
            components.map(\.file.displayName) + (transports + hostTransports + clientTransports).map(\.file.displayName)
        if (transports + clientTransports).contains(where: { !$0.options.isEmpty }), let transportComponent {
            sources.append(transportComponent.file.displayName)
        }
        var imports: Set<String> = []
        let options = components.flatMap(\.options)
        if options.contains(where: { $0.type == .logger }) { imports.insert("Logging") }
        if options.contains(where: { $0.type == .milliseconds })
            || components.contains(where: { $0.events.contains { $0.payload.contains { $0.type == "TimeAmount" } } })
        {
            imports.insert("NIOCore")
        }
        if (transports + clientTransports).contains(where: {
            $0.options.contains { if case .milliseconds = $0.value { true } else { false } }
        }) {
            imports.insert("NIOCore")
        }
        if !components.isEmpty || !transports.isEmpty || !hostTransports.isEmpty { imports.insert(Self.coreModule) }
        for case .enumeration(let typeName, _) in options.map(\.type) {
            if let module = inheritedEnums[typeName] { imports.insert(module) }
        }
        imports.formUnion(hostTransports.map(\.module))
        imports.remove(target)
        let uniqueSources = Array(Set(sources)).sorted()
        let header = HeaderView(
            sources: uniqueSources.isEmpty
                ? "Specs/ (no spec applies to this target)" : uniqueSources.joined(separator: ", "),
            hasImports: !imports.isEmpty,
            imports: imports.sorted().map(HeaderView.Import.init)
        )

        var pieces = [templates.render("header", header)]
        for component in components where !component.options.isEmpty {
            var view = optionsView(component)
            view.enums.removeAll { inheritedEnums[$0.typeName] != nil }
            pieces.append(templates.render("options", view))
        }
        for component in components where !component.events.isEmpty {
            pieces.append(templates.render("events", eventsView(component)))
        }
        for transport in transports {
            pieces.append(templates.render("transport", transportView(transport, transportComponent)))
        }
        if !transports.isEmpty {
            let view = TransportModuleView(
                module: target,
                enumName: Self.transportListName(module: target),
                transports: transports.enumerated().map { index, transport in
                    .init(
                        typeName: Self.transportType(transport), identifier: SwiftNames.identifier(transport.swiftName),
                        isFirst: index == 0
                    )
                }
            )
            pieces.append(templates.render("transport-module", view))
        }
        if dependencies.contains(Self.serverModule) {
            let modules = Array(Set(hostTransports.map(\.module))).sorted()
            let view = RegistryView(
                modules: modules.enumerated().map {
                    .init(enumName: Self.transportListName(module: $1), isFirst: $0 == 0)
                },
                transportNames: hostTransports.isEmpty ? "none" : hostTransports.map(\.name).joined(separator: ", ")
            )
            pieces.append(templates.render("registry", view))
        }
        if !clientTransports.isEmpty {
            pieces.append(templates.render("client-transports", clientTransportsView(clientTransports, transportComponent)))
        }
        return pieces.map { $0.trimmingWhitespace() }.filter { !$0.isEmpty }.joined(separator: "\n\n") + "\n"
    }

    /// `SwitchboardXHRPolling` → `SwitchboardXHRPollingTransports`.
    static func transportListName(module: String) -> String { module.prefix(1).uppercased() + module.dropFirst() + "Transports" }

    static func transportType(_ transport: TransportSpec) -> String {
        if let implementation = transport.implementation { return implementation }
        switch transport.kind {
        case .poll: return "PollTransport"
        case .stream: return "StreamTransport"
        case .upgrade: preconditionFailure("validated: upgrade transports have an implementation")
        }
    }

    // MARK: Options

    func optionsView(_ component: ComponentSpec) -> OptionsView {
        let typeName = component.name + "Options"
        var enums: [OptionsView.EnumType] = []
        let options = component.options.map { option -> OptionsView.Option in
            let (defaultExpression, defaultDoc): (String, String)
            switch (option.type, option.defaultValue) {
            case (.logger, _):
                let logger = "Logger(label: \"switchboard\")"
                (defaultExpression, defaultDoc) = (logger, "`\(logger)`")
            case (.transportOptions, _):
                (defaultExpression, defaultDoc) = ("[:]", "none (each transport's spec defaults)")
            case (_, .some(let value)):
                let text = Self.text(value)
                (defaultExpression, defaultDoc) = (Self.expression(value), text.isEmpty ? "empty" : "`\(text)`")
            case (_, .none): (defaultExpression, defaultDoc) = ("nil", "`nil`")
            }
            if case .enumeration(let name, let values) = option.type {
                enums.append(
                    .init(
                        docLines: DocLine.lines("The values of ``\(typeName)/\(option.name)``."),
                        typeName: name,
                        cases: values.map { value in
                            let caseName = SwiftNames.lowerCamel(value)
                            return .init(
                                identifier: SwiftNames.identifier(caseName), hasRawValue: caseName != value,
                                rawValueLiteral: SwiftNames.stringLiteral(value)
                            )
                        }
                    )
                )
            }
            let description = option.description.trimmingWhitespace()
            return OptionsView.Option(
                docLines: DocLine.lines(description + " Default: \(defaultDoc)."),
                identifier: SwiftNames.identifier(option.name),
                keyLiteral: SwiftNames.stringLiteral(option.name),
                swiftType: Self.swiftType(option.type) + (option.optional ? "?" : ""),
                defaultExpression: defaultExpression,
                field: Self.field(option),
                descriptionLiteral: SwiftNames.stringLiteral(
                    description.split(whereSeparator: { $0 == "\n" }).joined(separator: " "))
            )
        }
        return OptionsView(
            docLines: DocLine.lines(component.description), typeName: typeName, options: options, enums: enums)
    }

    static func swiftType(_ type: OptionType) -> String {
        switch type {
        case .string: "String"
        case .int: "Int"
        case .bool: "Bool"
        case .milliseconds: "TimeAmount"
        case .strings: "[String]"
        case .enumeration(let typeName, _): typeName
        case .logger: "Logger"
        case .transportOptions: "[String: \(SpecSet.transportComponent)Options]"
        }
    }

    /// The `OptionField` factory that sets and shows an option of this kind.
    static func field(_ option: OptionSpec) -> String {
        switch option.type {
        case .logger: "textless"
        case .transportOptions: "perTransport"
        default: option.optional ? "optional" : "value"
        }
    }

    /// A spec value as a Swift expression.
    static func expression(_ value: OptionValue) -> String {
        switch value {
        case .string(let text): SwiftNames.stringLiteral(text)
        case .int(let number): String(number)
        case .bool(let flag): flag ? "true" : "false"
        case .milliseconds(let milliseconds): ".milliseconds(\(milliseconds))"
        case .strings(let items): SwiftNames.stringArrayLiteral(items)
        case .enumCase(let value): "." + SwiftNames.identifier(SwiftNames.lowerCamel(value))
        }
    }

    /// A spec value in the text form `set(_:to:)` reads.
    static func text(_ value: OptionValue) -> String {
        switch value {
        case .string(let text): text
        case .int(let number): String(number)
        case .bool(let flag): flag ? "true" : "false"
        case .milliseconds(let milliseconds): String(milliseconds)
        case .strings(let items): items.joined(separator: ",")
        case .enumCase(let value): value
        }
    }

    // MARK: Events

    func eventsView(_ component: ComponentSpec) -> EventsView {
        let events = component.events.map { event in
            let name = SwiftNames.lowerCamel(event.name)
            return EventsView.Event(
                docLines: DocLine.lines(event.description),
                identifier: SwiftNames.identifier(name),
                nameLiteral: SwiftNames.stringLiteral(event.name),
                emitName: "emit" + SwiftNames.upperCamel(event.name),
                handlerType: "@Sendable (" + event.payload.map(\.type).joined(separator: ", ") + ") -> Void",
                parameters: event.payload.map { "_ \(SwiftNames.identifier($0.name)): \($0.type)" }
                    .joined(separator: ", "),
                arguments: event.payload.map { SwiftNames.identifier($0.name) }.joined(separator: ", ")
            )
        }
        let first = component.events[0]
        let parameters = first.payload.isEmpty ? "" : " " + first.payload.map(\.name).joined(separator: ", ") + " in"
        let example =
            "\(SwiftNames.lowerCamel(component.name.prefix(1).lowercased() + component.name.dropFirst())).on(.\(SwiftNames.lowerCamel(first.name))) {\(parameters) ... }"
        return EventsView(
            component: component.name,
            handlersTypeName: component.name + "EventHandlers",
            eventTypeName: component.name + "Event",
            example: example,
            events: events
        )
    }

    // MARK: Transports

    func transportView(_ transport: TransportSpec, _ transportComponent: ComponentSpec?) -> TransportView {
        var doc = transport.summary.trimmingWhitespace() + "\n\n" + transport.description.trimmingWhitespace()
        if let browsers = transport.browsers { doc += "\n\nBrowsers: " + browsers.trimmingWhitespace() }
        return TransportView(
            docLines: DocLine.lines(doc),
            identifier: SwiftNames.identifier(transport.swiftName),
            nameLiteral: SwiftNames.stringLiteral(transport.name),
            kind: transport.kind.rawValue,
            summaryLiteral: SwiftNames.stringLiteral(transport.summary.trimmingWhitespace()),
            urlShapeLiteral: SwiftNames.stringLiteral(transport.url),
            pathSegmentsLiteral: SwiftNames.stringArrayLiteral(transport.pathSegments),
            contentTypeLiteral: transport.contentType.map(SwiftNames.stringLiteral) ?? "nil",
            headers: transport.headers.enumerated().map {
                .init(
                    nameLiteral: SwiftNames.stringLiteral($1.name), valueLiteral: SwiftNames.stringLiteral($1.value),
                    isFirst: $0 == 0)
            },
            preludeLiteral: SwiftNames.stringLiteral(transport.prelude),
            padTo: String(transport.padTo),
            paddingLiteral: SwiftNames.stringLiteral(transport.padding),
            wrapperLiteral: SwiftNames.stringLiteral(transport.wrapper),
            escaping: SwiftNames.lowerCamel(transport.escaping.rawValue),
            resumeHeaderLiteral: transport.resumeHeader.map(SwiftNames.stringLiteral) ?? "nil",
            hasDefaults: !transport.options.isEmpty,
            defaults: transport.options.map {
                .init(identifier: SwiftNames.identifier($0.name), expression: Self.expression($0.value))
            },
            order: String(transport.order),
            optionsType: SpecSet.transportComponent + "Options"
        )
    }
}
