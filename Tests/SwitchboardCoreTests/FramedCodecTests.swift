import SwitchboardWire
import Testing

@testable import SwitchboardCore

@Suite("framed codec (docs/protocol.md §2.1)")
struct FramedCodecTests {
    let codec = FramedCodec(maxFrameLength: 1000)

    func payload(_ messages: [Message]) -> String {
        codec.payload(messages.map(codec.frame))
    }

    @Test("encodes the exact bytes of the protocol's examples")
    func encodeExamples() {
        #expect(payload(["hello"]) == "~m~5~m~hello")
        #expect(payload(["abcde", "123456789"]) == "~m~5~m~abcde~m~9~m~123456789")
        #expect(payload([""]) == "~m~0~m~")
        #expect(payload([.json(["b": 2])]) == "~m~10~m~~j~{\"b\":2}")
        #expect(codec.heartbeatFrame(1) == "~m~4~m~~h~1")
        #expect(codec.heartbeatFrame(10) == "~m~5~m~~h~10")
        #expect(payload(["ünï€😀"]) == "~m~6~m~ünï€😀")
        #expect(codec.handshakeFrame(sessionId: "8354960129037499") == "~m~16~m~8354960129037499")
    }

    @Test("decodes single, several, empty and astral frames")
    func decodeFrames() {
        #expect(codec.decode("~m~5~m~abcde").frames == [.message("abcde")])
        #expect(codec.decode("~m~5~m~abcde~m~9~m~123456789").frames == [.message("abcde"), .message("123456789")])
        #expect(codec.decode("~m~0~m~").frames == [.message("")])
        #expect(codec.decode("~m~6~m~ünï€😀").frames == [.message("ünï€😀")])
        #expect(codec.decode("~m~2~m~😀~m~1~m~a").frames == [.message("😀"), .message("a")])
    }

    @Test("a payload with a bad frame is refused whole; trailing bytes after the frames are ignored")
    func decodeBadFrames() {
        let garbage = codec.decode("~m~5~m~abcde~m\u{0}RUBBISH")
        #expect(garbage.frames == [.message("abcde")])
        #expect(garbage.problem == nil)
        let pastEnd = codec.decode("~m~5~m~abcde~m~9~m~1234")
        #expect(pastEnd.frames.isEmpty, "the good frame before the bad one is not delivered either")
        #expect(pastEnd.problem != nil)
        #expect(codec.decode("hello").frames.isEmpty)
        #expect(codec.decode("hello").problem != nil)
        #expect(codec.decode("~m~x~m~a").frames.isEmpty)
        #expect(codec.decode("~m~1~m~😀").problem != nil, "a length that splits a surrogate pair is a bad frame")
    }

    @Test("a length above the maximum is a bad frame")
    func decodeTooLong() {
        let small = FramedCodec(maxFrameLength: 4)
        #expect(small.decode("~m~5~m~abcde").frames.isEmpty)
        #expect(small.decode("~m~4~m~abcd").frames == [.message("abcd")])
    }

    @Test("interprets heartbeats and JSON")
    func interpretation() {
        #expect(codec.decode("~m~4~m~~h~7").frames == [.heartbeat(7)])
        #expect(codec.decode("~m~10~m~~j~{\"b\":2}").frames == [.message(.json(["b": 2]))])
        #expect(codec.decode("~m~5~m~~j~{}").frames == [.message(.json([:]))], "a real empty object")
        #expect(codec.decode("~m~4~m~~h~1~m~2~m~hi").frames == [.heartbeat(1), .message("hi")], "a heartbeat echo and a message in one payload")
    }

    @Test("a ~j~ frame that is not a JSON object is a bad frame, never {}", arguments: [
        "~j~{x", "~j~", "~j~[1]", "~j~\"s\"", "~j~null", "~j~1", "~j~{\"a\":1}x",
    ])
    func badJSON(text: String) {
        for payload in [Framed.frame(text), Framed.frame("a") + Framed.frame(text), Framed.frame(text) + Framed.frame("a")] {
            let decoded = codec.decode(payload)
            #expect(decoded.frames.isEmpty, "\(payload)")
            #expect(decoded.problem?.contains("~j~") == true)
            #expect(decoded.warnings.isEmpty)
        }
    }

    @Test("round-trips arbitrary text", arguments: ["</script>", "a\r\nb", "\"\\", "😀😀x", "~m~3~m~abc", ""])
    func roundTrip(text: String) {
        #expect(codec.decode(payload([.text(text)])).frames == [.message(.text(text))])
    }
}

@Suite("envelope codec (docs/protocol.md §2.2)")
struct EnvelopeCodecTests {
    let codec = EnvelopeCodec()

    @Test("the first write carries the SID as a JSON string")
    func handshake() {
        #expect(codec.payload([codec.handshakeFrame(sessionId: "abc")]) == #"{"messages":["{\"sessionid\":\"abc\"}"]}"#)
        #expect(codec.heartbeatFrame(1) == nil)
    }

    @Test("batches strings and objects in one envelope; decodes arrays")
    func batches() {
        #expect(codec.payload([codec.frame("a"), codec.frame(.json(["b": 1]))]) == #"{"messages":["a",{"b":1}]}"#)
        #expect(codec.decode(#"["a",{"b":1}]"#).frames == [.message("a"), .message(.json(["b": 1]))])
        #expect(codec.decode("nope").problem != nil)
    }

    @Test("an element that is neither a string nor an object refuses the whole payload", arguments: [
        #"["a",1]"#, #"[true,"a"]"#, #"["a",null]"#, #"[["a"]]"#, #"[1.5]"#,
    ])
    func badElements(payload: String) {
        let decoded = codec.decode(payload)
        #expect(decoded.frames.isEmpty)
        #expect(decoded.problem != nil)
        #expect(codec.decodeServerPayload(#"{"messages":"# + payload + "}").frames.isEmpty, "the client's side too")
    }
}

@Suite("origins")
struct OriginPolicyTests {
    @Test("host:port patterns with wildcards")
    func patterns() {
        #expect(OriginPolicy(patterns: ["*:*"]).allows("http://evil.example"))
        let policy = OriginPolicy(patterns: ["example.com:*", "*:8080"])
        #expect(policy.allows("https://example.com"))
        #expect(policy.allows("http://localhost:8080"))
        #expect(!policy.allows("http://localhost:9090"))
        #expect(!policy.allows("null"))
        #expect(policy.allows(nil), "requests without an Origin header are not cross-origin")
    }
}

@Suite("session ids")
struct SessionIDTests {
    @Test("22 URL-safe characters, never repeating")
    func shape() {
        let ids = (0..<1000).map { _ in SessionID.generate() }
        #expect(Set(ids).count == 1000)
        #expect(ids.allSatisfy { $0.count == 22 && SessionID.isWellFormed($0[...]) })
    }
}
