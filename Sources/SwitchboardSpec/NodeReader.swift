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

    func string(_ node: Node, _ key: String) -> String? {
        if let scalar = node.scalar, Tag.Name(rawValue: node.tag.rawValue) == .str { return scalar.string }
        error("'\(key)' must be a string, found \(describe(node))", at: node)
        return nil
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
