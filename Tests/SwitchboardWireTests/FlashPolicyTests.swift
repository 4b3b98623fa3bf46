import SwitchboardWire
import Testing

@Suite("the Flash policy file (docs/protocol.md §6.2)")
struct FlashPolicyTests {
    @Test("the request is 23 bytes; a connection's first bytes are it, a beginning of it, or something else")
    func request() {
        #expect(FlashPolicy.request.count == 23)
        #expect(FlashPolicy.match(FlashPolicy.request + [0x41]) == .request)
        #expect(FlashPolicy.match(FlashPolicy.request.prefix(5)) == .partial)
        #expect(FlashPolicy.match([UInt8]()) == .partial)
        #expect(FlashPolicy.match(Array("GET / HTTP/1.1".utf8)) == .other)
    }

    @Test("the policy lists one line per origins entry, escaped, without a trailing NUL")
    func document() {
        #expect(
            FlashPolicy.document(origins: ["*:*"]) == """
                <?xml version="1.0"?>
                <!DOCTYPE cross-domain-policy SYSTEM "http://www.macromedia.com/xml/dtds/cross-domain-policy.dtd">
                <cross-domain-policy>
                <allow-access-from domain="*" to-ports="*"/>
                </cross-domain-policy>

                """)
        let document = FlashPolicy.document(origins: ["example.com:80", "*:8080", "a\"b"])
        #expect(document.contains(#"<allow-access-from domain="example.com" to-ports="80"/>"# + "\n"))
        #expect(document.contains(#"<allow-access-from domain="*" to-ports="8080"/>"# + "\n"))
        #expect(document.contains(#"<allow-access-from domain="a&quot;b" to-ports="*"/>"# + "\n"))
        #expect(!document.contains("\0"))
    }

    @Test("each origins entry is split at its first colon and written as it is: an empty side stays empty")
    func documentFollowsOriginsExactly() {
        func lines(_ origins: [String]) -> [String] {
            FlashPolicy.document(origins: origins).split(separator: "\n").map(String.init).filter { $0.hasPrefix("<allow") }
        }
        #expect(
            lines(["example.com:8080", "*.example.org", "a:1-2:3", ":80", "host:", ""]) == [
                #"<allow-access-from domain="example.com" to-ports="8080"/>"#,
                #"<allow-access-from domain="*.example.org" to-ports="*"/>"#,
                #"<allow-access-from domain="a" to-ports="1-2:3"/>"#,
                #"<allow-access-from domain="" to-ports="80"/>"#,
                #"<allow-access-from domain="host" to-ports=""/>"#,
                #"<allow-access-from domain="" to-ports="*"/>"#,
            ])
        #expect(lines([]) == [], "no origins: nothing is allowed")
        #expect(!FlashPolicy.allows(FlashPolicy.document(origins: [""]), host: "127.0.0.1", port: 80), "an empty entry allows nothing")
        #expect(!FlashPolicy.allows(FlashPolicy.document(origins: [":80"]), host: "127.0.0.1", port: 80))
    }

    @Test("the player's check: domain and ports")
    func allows() {
        let policy = """
            <?xml version="1.0"?>
            <cross-domain-policy>
            <allow-access-from domain="example.com" to-ports="80, 8000-8100"/>
            <allow-access-from domain="*.local" to-ports="*"/>
            </cross-domain-policy>
            """
        #expect(FlashPolicy.allows(policy, host: "example.com", port: 8080))
        #expect(FlashPolicy.allows(policy, host: "example.com", port: 80))
        #expect(!FlashPolicy.allows(policy, host: "example.com", port: 443))
        #expect(FlashPolicy.allows(policy, host: "box.local", port: 1))
        #expect(!FlashPolicy.allows(policy, host: "other.org", port: 80))
        #expect(FlashPolicy.allows(#"<allow-access-from domain="*" to-ports="*"/>"#, host: "127.0.0.1", port: 9))
        #expect(!FlashPolicy.allows("", host: "127.0.0.1", port: 9))
        #expect(FlashPolicy.allows(FlashPolicy.document(origins: ["*:*"]), host: "127.0.0.1", port: 9))
    }
}
