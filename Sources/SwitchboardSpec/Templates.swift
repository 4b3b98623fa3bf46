import Mustache

/// A template file's text, with the path used in diagnostics.
public struct TemplateFile: Sendable, Hashable {
    /// Path as given, used in diagnostics.
    public var path: String
    /// Name without directory and extension: `options` for `Templates/swift/options.mustache`.
    public var name: String
    public var contents: String

    public init(path: String, name: String, contents: String) {
        (self.path, self.name, self.contents) = (path, name, contents)
    }
}

/// The Swift templates, parsed and checked against the views they are rendered with.
public struct TemplateSet: Sendable {
    /// Every template the generator renders, with the names its view provides.
    static let schemas: [String: ViewSchema] = [
        "header": ViewSchema(prototype: HeaderView.prototype),
        "options": ViewSchema(prototype: OptionsView.prototype),
        "events": ViewSchema(prototype: EventsView.prototype),
        "transport": ViewSchema(prototype: TransportView.prototype),
        "transport-module": ViewSchema(prototype: TransportModuleView.prototype),
        "registry": ViewSchema(prototype: RegistryView.prototype),
        "client-transports": ViewSchema(prototype: ClientTransportsView.prototype),
    ]

    /// Names of the template files the generator needs (`<name>.mustache`).
    public static var requiredNames: [String] { schemas.keys.sorted() }

    private let templates: [String: MustacheTemplate]

    /// Parses and checks the Swift templates (see ``init(files:directory:schemas:)``).
    public init(files: [TemplateFile], directory: String) throws(DiagnosticsError) {
        try self.init(files: files, directory: directory, schemas: Self.schemas)
    }

    /// Parses and checks `files` against `schemas` (template name → the names its view provides).
    ///
    /// - Throws: ``DiagnosticsError`` for a missing or unused template, a Mustache syntax error,
    ///   and every `{{name}}` that the template's view does not provide, at the tag.
    init(files: [TemplateFile], directory: String, schemas: [String: ViewSchema]) throws(DiagnosticsError) {
        let requiredNames = schemas.keys.sorted()
        let diagnostics = DiagnosticCollector()
        var templates: [String: MustacheTemplate] = [:]
        for file in files {
            let start = SourceLocation(path: file.path, line: 1, column: 1)
            guard let schema = schemas[file.name] else {
                diagnostics.error(
                    "no generated piece uses template '\(file.name)' (expected: \(requiredNames.joined(separator: ", ")))",
                    at: start
                )
                continue
            }
            let problems = TemplateChecker(file: file, schema: schema).check()
            diagnostics.append(contentsOf: problems)
            do {
                templates[file.name] = try MustacheTemplate(string: file.contents)
            } catch let error as MustacheTemplate.ParserError {
                diagnostics.error(
                    "invalid Mustache: \(error.error)",
                    at: SourceLocation(
                        path: file.path, line: error.context.lineNumber, column: error.context.columnNumber)
                )
            } catch {
                diagnostics.error("invalid Mustache: \(error)", at: start)
            }
        }
        for name in requiredNames where !files.contains(where: { $0.name == name }) {
            diagnostics.error(
                "missing template \(name).mustache",
                at: SourceLocation(
                    path: directory.hasSuffix("/")
                        ? directory + name + ".mustache" : directory + "/" + name + ".mustache", line: 1, column: 1)
            )
        }
        guard diagnostics.isEmpty else { throw DiagnosticsError(diagnostics.diagnostics) }
        self.templates = templates
    }

    func render(_ name: String, _ view: Any) -> String {
        guard let template = templates[name] else { preconditionFailure("template \(name) was checked at load") }
        return template.render(view)
    }
}

/// Checks a template's tags against its view's schema: every name must be provided by the view
/// (or an enclosing section's value), sections must be lists, objects or booleans, and the
/// template must switch off HTML escaping first.
struct TemplateChecker {
    let file: TemplateFile
    let schema: ViewSchema

    private struct Tag {
        var content: String
        var triple: Bool
        var location: SourceLocation
    }

    private struct Scope {
        var name: String
        var schema: ViewSchema?
        var location: SourceLocation
    }

    func check() -> [Diagnostic] {
        var diagnostics: [Diagnostic] = []
        let (tags, scanProblems) = scan()
        diagnostics += scanProblems
        var scopes: [Scope] = []
        var sawPragma = false
        var sawOther = false
        for tag in tags {
            let content = tag.content.trimmingWhitespace()
            if tag.triple {
                sawOther = true
                diagnostics += checkName(content, tag, scopes)
                continue
            }
            guard let sigil = content.first else {
                diagnostics.append(Diagnostic("empty tag", at: tag.location))
                continue
            }
            let name = String(content.dropFirst()).trimmingWhitespace()
            switch sigil {
            case "!":
                continue
            case "%":
                let words = name.split(whereSeparator: { $0 == " " || $0 == ":" })
                if words == ["CONTENT_TYPE", "TEXT"] {
                    if !sawOther { sawPragma = true }
                } else {
                    diagnostics.append(
                        Diagnostic(
                            "only the pragma {{% CONTENT_TYPE: TEXT}} is used in Swift templates", at: tag.location))
                }
            case "#", "^":
                sawOther = true
                diagnostics += checkName(name, tag, scopes)
                let resolved = resolve(name, scopes)
                var pushed: ViewSchema?
                if sigil == "#" {
                    switch resolved {
                    case .list(let element): pushed = element
                    case .object: pushed = resolved
                    case .value:
                        diagnostics.append(
                            Diagnostic(
                                "'\(name)' is a text value, not a list, object or boolean; it cannot open a section",
                                at: tag.location))
                    default: break
                    }
                }
                scopes.append(Scope(name: name, schema: pushed, location: tag.location))
            case "/":
                guard let open = scopes.popLast() else {
                    diagnostics.append(Diagnostic("'{{/\(name)}}' closes no open section", at: tag.location))
                    continue
                }
                if open.name != name {
                    diagnostics.append(
                        Diagnostic(
                            "'{{/\(name)}}' closes section '\(open.name)' opened at \(open.location)", at: tag.location)
                    )
                }
            case ">", "<", "$", "=":
                sawOther = true
                diagnostics.append(
                    Diagnostic(
                        "'{{\(sigil)...}}' (partials, blocks, delimiter changes) is not used in Swift templates",
                        at: tag.location))
            case "&":
                sawOther = true
                diagnostics += checkName(name, tag, scopes)
            default:
                sawOther = true
                diagnostics += checkName(content, tag, scopes)
            }
        }
        for scope in scopes {
            diagnostics.append(Diagnostic("section '\(scope.name)' is not closed", at: scope.location))
        }
        if !sawPragma {
            diagnostics.append(
                Diagnostic(
                    "a Swift template must begin with {{% CONTENT_TYPE: TEXT}} (otherwise values are HTML-escaped)",
                    at: SourceLocation(path: file.path, line: 1, column: 1)
                )
            )
        }
        return diagnostics.sorted { ($0.location.line, $0.location.column) < ($1.location.line, $1.location.column) }
    }

    private func checkName(_ name: String, _ tag: Tag, _ scopes: [Scope]) -> [Diagnostic] {
        if name.contains("(") {
            return [Diagnostic("'\(name)': transforms are not used in Swift templates", at: tag.location)]
        }
        if name == "." || resolve(name, scopes) != nil { return [] }
        let innermost = scopes.reversed().compactMap(\.schema).first ?? schema
        var available: [String] = []
        if case .object(let fields) = innermost { available = fields.keys.sorted() }
        return [
            Diagnostic(
                "unknown name '\(name)': the view of \(file.name).mustache does not provide it here (available: \(available.joined(separator: ", ")))",
                at: tag.location
            )
        ]
    }

    /// The schema `name` refers to, looked up the way Mustache does (innermost context first).
    private func resolve(_ name: String, _ scopes: [Scope]) -> ViewSchema? {
        if name == "." { return scopes.reversed().compactMap(\.schema).first ?? schema }
        let parts = name.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard !parts.contains("") else { return nil }
        let stack = [schema] + scopes.compactMap(\.schema)
        for context in stack.reversed() {
            guard case .object(let fields) = context, var current = fields[parts[0]] else { continue }
            for part in parts.dropFirst() {
                guard case .object(let inner) = current, let next = inner[part] else { return nil }
                current = next
            }
            return current
        }
        return nil
    }

    /// Every `{{...}}` / `{{{...}}}` tag with its 1-based line and column.
    private func scan() -> ([Tag], [Diagnostic]) {
        var tags: [Tag] = []
        let characters = Array(file.contents)
        var index = 0
        var line = 1
        var column = 1
        func advance(_ count: Int) {
            for _ in 0..<count where index < characters.count {
                if characters[index] == "\n" {
                    line += 1
                    column = 1
                } else {
                    column += 1
                }
                index += 1
            }
        }
        func hasPrefix(_ text: String, at position: Int) -> Bool {
            let needle = Array(text)
            guard position + needle.count <= characters.count else { return false }
            return Array(characters[position..<position + needle.count]) == needle
        }
        while index < characters.count {
            guard hasPrefix("{{", at: index) else {
                advance(1)
                continue
            }
            let location = SourceLocation(path: file.path, line: line, column: column)
            let triple = hasPrefix("{{{", at: index)
            let open = triple ? 3 : 2
            let close = triple ? "}}}" : "}}"
            var end = index + open
            while end < characters.count, !hasPrefix(close, at: end) { end += 1 }
            guard end < characters.count else {
                return (tags, [Diagnostic("tag is not closed with '\(close)'", at: location)])
            }
            tags.append(Tag(content: String(characters[(index + open)..<end]), triple: triple, location: location))
            advance(end + close.count - index)
        }
        return (tags, [])
    }
}
