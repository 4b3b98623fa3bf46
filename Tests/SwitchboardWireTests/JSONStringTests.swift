import SwitchboardWire
import Testing

@Suite("json-string escaping, safe inside <script> (docs/protocol.md §6.3)")
struct JSONStringTests {
    @Test("escapes <, U+2028, U+2029, quotes, backslashes and controls")
    func encode() {
        #expect(JSONString.encode("</script>") == #""\u003c/script>""#)
        #expect(JSONString.encode("a\u{2028}b\u{2029}") == #""a\u2028b\u2029""#)
        #expect(JSONString.encode("\"\\\n\r\t\u{1}\u{1b}😀") == #""\"\\\n\r\t\u0001\u001b😀""#)
        #expect(JSONString.encode("") == #""""#)
    }

    @Test(
        "decodes what it encodes",
        arguments: ["hello </script>", "a\nb\r\t\"q\"\\", "\u{2028}\u{2029}\u{1}", "😀 ünï€ {payload}", ""])
    func roundTrip(text: String) {
        let literal = Array(JSONString.encode(text).utf8)
        #expect(JSONString.end(of: literal[...], from: 0) == literal.count - 1)
        #expect(JSONString.decode(literal[...]) == text)
    }

    @Test("decodes every JSON escape, surrogate pairs included; refuses what JSON refuses")
    func decode() {
        func decode(_ text: String) -> String? { JSONString.decode(Array(text.utf8)[...]) }
        #expect(decode(#""\/\b\f\u00e9\ud83d\ude00""#) == "/\u{8}\u{c}é😀")
        #expect(decode(#""\ud83d""#) == nil, "a lone surrogate")
        #expect(decode(#""\x""#) == nil)
        #expect(decode("\"a\nb\"") == nil, "an unescaped control character")
        #expect(decode(#""a"#) == nil)
        #expect(JSONString.end(of: Array(#""a\"b"#.utf8)[...], from: 0) == nil, "an escaped quote does not close it")
    }
}
