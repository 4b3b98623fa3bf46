import SwitchboardWire
import Testing

@Suite("framed: ~m~<L>~m~ frames, L in UTF-16 units (docs/protocol.md §2.1)")
struct FramedTests {
    struct Split: Equatable {
        var texts: [String]
        var problem: String?
        init(_ texts: [String], _ problem: String?) {
            self.texts = texts
            self.problem = problem
        }
    }

    func split(_ payload: String, _ maxFrameLength: Int) -> Split {
        let (texts, problem) = Framed.split(payload, maxFrameLength: maxFrameLength)
        return Split(texts, problem)
    }

    @Test("frames count UTF-16 units, not bytes or characters")
    func frame() {
        #expect(Framed.frame("hello") == "~m~5~m~hello")
        #expect(Framed.frame("") == "~m~0~m~")
        #expect(Framed.frame("ünï€😀") == "~m~6~m~ünï€😀")
        #expect(Framed.frame(Framed.heartbeat(10)) == "~m~5~m~~h~10")
    }

    @Test("splits several frames, keeps the ones before a bad frame, ignores trailing bytes")
    func splits() {
        #expect(split("~m~5~m~abcde~m~9~m~123456789", 100) == Split(["abcde", "123456789"], nil))
        #expect(split("~m~2~m~😀~m~1~m~a", 100) == Split(["😀", "a"], nil))
        #expect(split("~m~5~m~abcde~m\u{0}RUBBISH", 100) == Split(["abcde"], nil))
        #expect(split("", 100) == Split([], nil))
        #expect(split("hello", 100) == Split([], "payload does not start with ~m~"))
        #expect(split("~m~x~m~a", 100) == Split([], "frame length is not a number"))
        #expect(split("~m~1x", 100) == Split([], "frame length not followed by ~m~"))
        #expect(
            split("~m~5~m~abcde~m~9~m~1234", 100)
                == Split(["abcde"], "frame length 9 runs past the end of the payload"))
        #expect(split("~m~1~m~😀", 100) == Split([], "frame length splits a surrogate pair"))
        #expect(split("~m~5~m~abcde", 4) == Split([], "frame length above 4"))
        #expect(split("~m~4~m~abcd", 4) == Split(["abcd"], nil))
    }

    @Test("scans bytes in place: the text's byte range and where the next frame starts")
    func scan() {
        let bytes = Array("~m~2~m~é!~m~1~m~".utf8)
        bytes.withUnsafeBytes { raw in
            #expect(Framed.scan(raw, at: 0, maxFrameLength: 10) == .frame(text: 7..<10, next: 10))
            #expect(Framed.scan(raw, at: 10, maxFrameLength: 10) == .bad(.runsPastEnd(length: 1)))
            #expect(Framed.scan(raw, at: bytes.count, maxFrameLength: 10) == .end)
        }
    }

    @Test("heartbeats and JSON frames are told apart by their markers")
    func markers() {
        #expect(Framed.heartbeatNumber(in: "~h~7") == 7)
        #expect(Framed.heartbeatNumber(in: "~h~x") == nil)
        // Only decimal digits (docs/protocol.md §2.1): no sign, no space.
        for text in ["~h~-0", "~h~+5", "~h~-5", "~h~ 5", "~h~"] {
            #expect(Framed.heartbeatNumber(in: text) == nil, "\(text)")
        }
        #expect(Framed.heartbeatNumber(in: "7") == nil)
        #expect(Framed.jsonText(in: #"~j~{"b":2}"#) == #"{"b":2}"#)
        #expect(Framed.jsonText(in: "hello") == nil)
    }

    @Test("round-trips arbitrary text", arguments: ["</script>", "a\r\nb", "\"\\", "😀😀x", "~m~3~m~abc", ""])
    func roundTrip(text: String) {
        #expect(split(Framed.frame(text) + Framed.frame(text), 100) == Split([text, text], nil))
    }
}
