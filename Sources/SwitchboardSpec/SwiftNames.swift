/// Helpers for writing Swift source: identifiers, keywords and string literals.
enum SwiftNames {
    /// Words that need back-ticks when used as an identifier in a declaration.
    static let keywords: Set<String> = [
        "associatedtype", "borrowing", "class", "consuming", "deinit", "enum", "extension",
        "fileprivate", "func", "import", "init", "inout", "internal", "let", "nonisolated",
        "open", "operator", "private", "precedencegroup", "protocol", "public", "rethrows",
        "static", "struct", "subscript", "typealias", "var", "break", "case", "catch", "continue",
        "default", "defer", "do", "else", "fallthrough", "for", "guard", "if", "in", "repeat",
        "return", "throw", "switch", "where", "while", "Any", "as", "await", "false", "is", "nil",
        "self", "Self", "super", "throws", "true", "try", "_",
    ]

    /// `name`, back-ticked when it is a Swift keyword.
    static func identifier(_ name: String) -> String {
        keywords.contains(name) ? "`\(name)`" : name
    }

    /// Whether `name` is a plain Swift identifier (ASCII letters, digits and `_`, not starting with a digit).
    static func isIdentifier(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first else { return false }
        func isLetter(_ c: Unicode.Scalar) -> Bool { (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || c == "_" }
        func isDigit(_ c: Unicode.Scalar) -> Bool { c >= "0" && c <= "9" }
        return isLetter(first) && name.unicodeScalars.allSatisfy { isLetter($0) || isDigit($0) }
    }

    /// Whether `name` is an identifier starting with an upper-case letter (a type name).
    static func isTypeName(_ name: String) -> Bool {
        guard isIdentifier(name), let first = name.unicodeScalars.first else { return false }
        return first >= "A" && first <= "Z"
    }

    /// `reconnect_failed` → `reconnectFailed`, `xhr-polling` → `xhrPolling`.
    static func lowerCamel(_ name: String) -> String {
        var result = ""
        var upperNext = false
        for character in name {
            if character == "_" || character == "-" {
                upperNext = !result.isEmpty
                continue
            }
            result += upperNext ? character.uppercased() : String(character)
            upperNext = false
        }
        return result
    }

    /// `reconnect_failed` → `ReconnectFailed`.
    static func upperCamel(_ name: String) -> String {
        let lower = lowerCamel(name)
        guard let first = lower.first else { return lower }
        return first.uppercased() + lower.dropFirst()
    }

    /// A Swift string literal with quotes, escaping `\`, `"`, and control characters; other
    /// characters (non-ASCII included) are kept as they are.
    static func stringLiteral(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\\": result += "\\\\"
            case "\"": result += "\\\""
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case "\0": result += "\\0"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F || (0x80...0x9F).contains(scalar.value)
                    || scalar.value == 0x2028 || scalar.value == 0x2029
                {
                    result += "\\u{\(String(scalar.value, radix: 16, uppercase: true))}"
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result + "\""
    }

    /// `[String]` literal: `["a", "b"]`.
    static func stringArrayLiteral(_ items: [String]) -> String {
        "[" + items.map(stringLiteral).joined(separator: ", ") + "]"
    }

    /// Splits documentation text into `///` lines of at most `width` characters of text.
    /// Explicit line breaks in the text are kept as paragraph breaks.
    static func docComment(_ text: String, width: Int = 92) -> [String] {
        var lines: [String] = []
        let paragraphs = text.trimmingWhitespace().split(separator: "\n", omittingEmptySubsequences: false)
        for paragraph in paragraphs {
            let words = paragraph.split(separator: " ", omittingEmptySubsequences: true)
            if words.isEmpty {
                lines.append("///")
                continue
            }
            var line = ""
            for word in words {
                if line.isEmpty {
                    line = String(word)
                } else if line.count + 1 + word.count > width {
                    lines.append("/// " + line)
                    line = String(word)
                } else {
                    line += " " + word
                }
            }
            if !line.isEmpty { lines.append("/// " + line) }
        }
        return lines
    }
}

extension String {
    /// The string without leading and trailing spaces, tabs and line breaks.
    func trimmingWhitespace() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        guard let start = firstIndex(where: { !isSpace($0) }), let end = lastIndex(where: { !isSpace($0) }) else {
            return ""
        }
        return String(self[start...end])
    }
}
