extension TransportDescriptor {
    /// What a stream writes first: the spec's prelude, padded to `padTo` bytes when asked.
    public var paddedPrelude: String {
        let missing = padTo - prelude.utf8.count
        guard missing > 0, let pad = padding.first else { return prelude }
        return prelude + String(repeating: pad, count: missing / max(1, String(pad).utf8.count))
    }

    /// One payload inside the spec's wrapper, escaped as the spec says.
    ///
    /// Placeholders: `{payload}`, `{sid}`, `{seq}`, `{index}`. Substitution is a single pass, so a
    /// payload that contains `{sid}` stays as it is.
    public func wrap(payload: String, sessionId: String, sequence: Int, index: String? = nil) -> String {
        var out = ""
        var rest = wrapper[...]
        while let open = rest.firstIndex(of: "{") {
            out += rest[..<open]
            guard let close = rest[open...].firstIndex(of: "}") else { break }
            switch rest[rest.index(after: open)..<close] {
            case "payload": out += escaping == .jsonString ? JSONStringLiteral.encode(payload) : payload
            case "sid": out += sessionId
            case "seq": out += String(sequence)
            case "index": out += index ?? ""
            default: out += rest[open...close]
            }
            rest = rest[rest.index(after: close)...]
        }
        out += rest
        return out
    }
}

/// JSON string literals that are also safe inside an HTML `<script>` element (docs/protocol.md §6.3).
public enum JSONStringLiteral {
    /// `"..."` with `"`, `\`, control characters, `<`, U+2028 and U+2029 escaped.
    public static func encode(_ text: String) -> String {
        var out = "\""
        out.reserveCapacity(text.utf8.count + 2)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "<": out += "\\u003c"
            case "\u{2028}": out += "\\u2028"
            case "\u{2029}": out += "\\u2029"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
