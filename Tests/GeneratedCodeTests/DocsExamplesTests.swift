import SwitchboardCore
import Testing

@testable import SwitchboardSpec

/// The docs generator renders wrapped examples with its own copy of the `json-string` escaping
/// (it cannot depend on the core it generates); it must match the server's, byte for byte.
@Suite struct DocsExamplesTests {
    @Test(arguments: ["hello </script>", "a\nb\r\t\"q\"\\", "\u{2028}\u{2029}\u{1}", "😀 ünï€", ""])
    func docsEscapingMatchesTheServer(text: String) {
        #expect(scriptSafeJSONString(text) == JSONStringLiteral.encode(text))
    }
}
