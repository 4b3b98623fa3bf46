/// JSON string literals that are also safe inside an HTML `<script>` element: the `json-string`
/// escaping of docs/protocol.md §6.3, and its reading.
///
/// ```swift
/// JSONString.encode("</script>")                       // "\"\\u003c/script>\""
/// JSONString.decode(Array(#""a\u00e9\n""#.utf8)[...])  // "aé\n"
/// ```
public enum JSONString {
    /// `"..."` with `"`, `\`, control characters, `<`, U+2028 and U+2029 escaped, so the literal can
    /// close neither a `<script>` element nor a JavaScript line.
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
            case _ where scalar.value < 0x20: out += "\\u" + hex4(UInt16(scalar.value))
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    /// The index of the closing quote of the literal whose opening quote is at `start`, or nil when
    /// the bytes end first (an escaped quote does not close it).
    public static func end(of bytes: ArraySlice<UInt8>, from start: Int) -> Int? {
        var cursor = start + 1
        while cursor < bytes.endIndex {
            switch bytes[cursor] {
            case 0x5C: cursor += 2  // a backslash: the next byte is escaped
            case 0x22: return cursor
            default: cursor += 1
            }
        }
        return nil
    }

    /// The text of one whole JSON string literal (quotes included), or nil when it is not a valid
    /// one: unescaped control characters, unknown escapes, lone surrogates, invalid UTF-8.
    public static func decode(_ literal: ArraySlice<UInt8>) -> String? {
        guard literal.count >= 2, literal.first == 0x22, literal.last == 0x22 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(literal.count)
        var index = literal.startIndex + 1
        let end = literal.endIndex - 1
        while index < end {
            let byte = literal[index]
            index += 1
            switch byte {
            case 0x22, ..<0x20:
                return nil
            case 0x5C:
                guard index < end else { return nil }
                let escape = literal[index]
                index += 1
                switch escape {
                case 0x22, 0x5C, 0x2F: bytes.append(escape)
                case UInt8(ascii: "b"): bytes.append(0x08)
                case UInt8(ascii: "f"): bytes.append(0x0C)
                case UInt8(ascii: "n"): bytes.append(0x0A)
                case UInt8(ascii: "r"): bytes.append(0x0D)
                case UInt8(ascii: "t"): bytes.append(0x09)
                case UInt8(ascii: "u"):
                    guard let unit = hexUnit(literal, at: &index, end: end) else { return nil }
                    var value = UInt32(unit)
                    if UTF16.isLeadSurrogate(unit) {
                        guard index + 1 < end, literal[index] == 0x5C, literal[index + 1] == UInt8(ascii: "u") else {
                            return nil
                        }
                        index += 2
                        guard let low = hexUnit(literal, at: &index, end: end), UTF16.isTrailSurrogate(low) else {
                            return nil
                        }
                        value = 0x10000 + ((UInt32(unit) - 0xD800) << 10) + (UInt32(low) - 0xDC00)
                    }
                    guard let scalar = Unicode.Scalar(value) else { return nil }
                    UTF8.encode(scalar) { bytes.append($0) }
                default:
                    return nil
                }
            default:
                bytes.append(byte)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }

    /// Four hex digits at `index`, moving past them.
    private static func hexUnit(_ bytes: ArraySlice<UInt8>, at index: inout Int, end: Int) -> UInt16? {
        guard index + 4 <= end else { return nil }
        var unit: UInt16 = 0
        for byte in bytes[index..<(index + 4)] {
            guard let digit = HexDigit.value(byte) else { return nil }
            unit = unit << 4 | UInt16(digit)
        }
        index += 4
        return unit
    }

    private static func hex4(_ value: UInt16) -> String {
        String((0..<4).reversed().map { Character(Unicode.Scalar(HexDigit.lower[Int(value >> ($0 * 4) & 0xF)])) })
    }
}
