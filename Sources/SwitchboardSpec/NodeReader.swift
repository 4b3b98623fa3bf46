import Yams

/// Reads Yams nodes of one file, reporting every problem at the node it concerns.
struct NodeReader {
    let file: SpecFile
    let diagnostics: DiagnosticCollector

    func location(_ node: Node) -> SourceLocation {
        let mark = node.mark
        return SourceLocation(path: file.path, line: mark?.line ?? 1, column: mark?.column ?? 1)
    }

    func error(_ message: String, at node: Node) {
        diagnostics.error(message, at: location(node))
    }

    /// How a node looks, for "found ..." in messages.
    func describe(_ node: Node) -> String {
        switch node {
        case .scalar(let scalar):
            switch Tag.Name(rawValue: node.tag.rawValue) {
            case .null: return "null"
            case .int: return "the integer \(scalar.string)"
            case .bool: return "the boolean \(scalar.string)"
            case .float: return "the number \(scalar.string)"
            default: return "the string '\(scalar.string)'"
            }
        case .mapping: return "a mapping"
        case .sequence: return "a sequence"
        case .alias: return "an alias"
        }
    }

    /// The pairs of a mapping by key, after reporting keys not in `allowed` (at the key).
    func entries(of mapping: Node.Mapping, allowed: [String], in what: String) -> [String: (key: Node, value: Node)] {
        var result: [String: (key: Node, value: Node)] = [:]
        for (key, value) in mapping {
            guard let name = key.scalar?.string else {
                error("\(what): keys must be plain names, found \(describe(key))", at: key)
                continue
            }
            guard allowed.contains(name) else {
                error("unknown key '\(name)' in \(what) (expected one of: \(allowed.joined(separator: ", ")))", at: key)
                continue
            }
            result[name] = (key, value)
        }
        return result
    }

    /// The mapping in `node`, or an error saying `what` must be a mapping.
    func mapping(_ node: Node, _ what: String) -> Node.Mapping? {
        if let mapping = node.mapping { return mapping }
        error("\(what) must be a mapping, found \(describe(node))", at: node)
        return nil
    }

    /// Reports `missing required key` at the mapping's position for each absent key.
    func require(_ keys: [String], in entries: [String: (key: Node, value: Node)], mapping: Node, context: String = "")
    {
        for key in keys where entries[key] == nil {
            error("missing required key '\(key)'\(context)", at: mapping)
        }
    }

    /// The string in `node` when it is one that passes `rule`; otherwise nil, after reporting why.
    func string(_ node: Node, _ key: String, _ rule: Rule? = nil) -> String? {
        guard let scalar = node.scalar, Tag.Name(rawValue: node.tag.rawValue) == .str else {
            error("'\(key)' must be a string, found \(describe(node))", at: node)
            return nil
        }
        if let message = rule?.check(scalar.string) {
            error(message, at: node)
            return nil
        }
        return scalar.string
    }

    func int(_ node: Node, _ key: String) -> Int? {
        if node.scalar != nil, Tag.Name(rawValue: node.tag.rawValue) == .int, let value = node.int { return value }
        error("'\(key)' must be an integer, found \(describe(node))", at: node)
        return nil
    }

    func bool(_ node: Node, _ key: String) -> Bool? {
        if node.scalar != nil, Tag.Name(rawValue: node.tag.rawValue) == .bool, let value = node.bool { return value }
        error("'\(key)' must be true or false, found \(describe(node))", at: node)
        return nil
    }

    func strings(_ node: Node, _ key: String) -> [String]? {
        guard let sequence = node.sequence else {
            error("'\(key)' must be a sequence of strings, found \(describe(node))", at: node)
            return nil
        }
        var result: [String] = []
        var ok = true
        for item in sequence {
            if let value = string(item, "\(key)[\(result.count)]") { result.append(value) } else { ok = false }
        }
        return ok ? result : nil
    }

    /// A value of an option type, as written for `default:` or in a transport's `options:`.
    func optionValue(_ node: Node, type: OptionType, key: String) -> OptionValue? {
        switch type {
        case .string: return string(node, key).map(OptionValue.string)
        case .int: return int(node, key).map(OptionValue.int)
        case .bool: return bool(node, key).map(OptionValue.bool)
        case .milliseconds:
            guard let value = int(node, key) else { return nil }
            guard value >= 0 else {
                error("'\(key)' must be a duration in milliseconds (0 or more), found \(value)", at: node)
                return nil
            }
            return .milliseconds(value)
        case .strings: return strings(node, key).map(OptionValue.strings)
        case .enumeration(_, let values):
            guard let value = string(node, key) else { return nil }
            guard values.contains(value) else {
                error("'\(key)' value '\(value)' is not one of the values: \(values.joined(separator: ", "))", at: node)
                return nil
            }
            return .enumCase(value)
        case .logger, .transportOptions:
            error("'\(key)': options of this type take no value in a spec", at: node)
            return nil
        }
    }
}

/// A check of a string value in a spec: the message to report when the value fails it.
struct Rule {
    let check: (String) -> String?

    /// `<what> '<value>' must be <description>` unless `test` accepts the value.
    static func must(_ what: String, be description: String, _ test: @escaping (String) -> Bool) -> Rule {
        Rule { test($0) ? nil : "\(what) '\($0)' must be \(description)" }
    }

    /// `unknown <what> '<value>' (expected one of: ...)` unless the value is one of `values`.
    static func oneOf(_ what: String, _ values: [String]) -> Rule {
        Rule {
            values.contains($0) ? nil : "unknown \(what) '\($0)' (expected one of: \(values.joined(separator: ", ")))"
        }
    }

    static func typeName(_ what: String) -> Rule { must(what, be: "a Swift type name", SwiftNames.isTypeName) }
    static func identifier(_ what: String) -> Rule { must(what, be: "a Swift identifier", SwiftNames.isIdentifier) }
    static var module: Rule { must("module", be: "a Swift target name", SwiftNames.isIdentifier) }
}

/// The keys of one mapping of a spec, each read with its type and rule; a problem is reported at
/// the value (a missing required key at the mapping), and every problem is reported, not the first.
final class Fields {
    let reader: NodeReader
    /// The mapping node.
    let node: Node
    private let entries: [String: (key: Node, value: Node)]
    /// Whether a value that is present could not be read.
    private(set) var failed = false

    /// Reads the keys of the mapping `node` (nil after reporting when it is not a mapping), reporting
    /// keys not in `allowed` and the absent `required` ones.
    init?(_ node: Node, _ what: String, allowed: [String], required: [String] = [], reader: NodeReader) {
        guard let mapping = reader.mapping(node, what) else { return nil }
        self.reader = reader
        self.node = node
        self.entries = reader.entries(of: mapping, allowed: allowed, in: what)
        require(required)
    }

    /// The value of `key`, if present.
    subscript(key: String) -> Node? { entries[key]?.value }
    /// The key node of `key`, if present.
    func keyNode(_ key: String) -> Node? { entries[key]?.key }

    func require(_ keys: [String], context: String = "") {
        reader.require(keys, in: entries, mapping: node, context: context)
    }

    /// Reports `message` at the value of `key`.
    func error(_ message: String, at key: String) {
        if let value = self[key] { reader.error(message, at: value) }
    }

    private func read<T>(_ key: String, _ get: (Node) -> T?) -> T? {
        guard let node = self[key] else { return nil }
        let value = get(node)
        if value == nil { failed = true }
        return value
    }

    func string(_ key: String, _ rule: Rule? = nil) -> String? { read(key) { reader.string($0, key, rule) } }
    func int(_ key: String) -> Int? { read(key) { reader.int($0, key) } }
    func bool(_ key: String) -> Bool? { read(key) { reader.bool($0, key) } }
    func strings(_ key: String) -> [String]? { read(key) { reader.strings($0, key) } }

    /// One of the cases of `T`, by raw value (`unknown <what> ...` otherwise).
    func choice<T: CaseIterable & RawRepresentable>(_ key: String, _ what: String) -> T? where T.RawValue == String {
        string(key, .oneOf(what, T.allCases.map(\.rawValue))).flatMap(T.init)
    }

    /// The pairs of the mapping at `key`, in order; none when absent or not a mapping.
    func mapping(_ key: String) -> [(key: Node, value: Node)] {
        read(key) { reader.mapping($0, "'\(key)'").map(Array.init) } ?? []
    }
}
