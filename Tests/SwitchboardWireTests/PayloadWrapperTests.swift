import SwitchboardWire
import Testing

@Suite("payload wrappers: written by the server, read by clients (docs/protocol.md §6.3–§6.7)")
struct PayloadWrapperTests {
    static let htmlfile = PayloadWrapper(
        prelude: "<html><body>", padTo: 256, padding: " ",
        template: "<script>parent.s._({payload}, document);</script>", escaping: .jsonString)
    static let serverEvents = PayloadWrapper(
        prelude: "", padTo: 0, padding: " ", template: "id: {sid}.{seq}\ndata: {payload}\n\n", escaping: .jsonString)
    static let multipart = PayloadWrapper(
        prelude: "--socketio\n", padTo: 0, padding: " ", template: "Content-Type: text/plain\n\n{payload}\n--socketio\n",
        escaping: .none)
    static let jsonp = PayloadWrapper(
        prelude: "", padTo: 0, padding: " ", template: "io.JSONP[{index}]._({payload});", escaping: .jsonString)
    static let bare = PayloadWrapper(prelude: "", padTo: 0, padding: " ", template: "{payload}", escaping: .none)
    static let all = [htmlfile, serverEvents, multipart, jsonp, bare]

    @Test("placeholders are substituted once; the prelude is padded to exactly padTo bytes")
    func wrap() {
        #expect(Self.htmlfile.paddedPrelude.utf8.count == 256)
        #expect(Self.htmlfile.paddedPrelude.hasPrefix("<html><body>"))
        #expect(
            Self.htmlfile.wrap(payload: "~m~16~m~8354960129037499", sessionId: "s", sequence: 1)
                == #"<script>parent.s._("~m~16~m~8354960129037499", document);</script>"#)
        #expect(Self.serverEvents.wrap(payload: "{sid}", sessionId: "S", sequence: 3) == "id: S.3\ndata: \"{sid}\"\n\n")
        #expect(Self.jsonp.wrap(payload: "", sessionId: "S", sequence: 0, index: "4") == #"io.JSONP[4]._("");"#)
    }

    @Test("a reader takes back each write, whole or arriving in pieces", arguments: all)
    func readBack(wrapper: PayloadWrapper) throws {
        let reader = WrappedPayloadReader(wrapper)
        let hostile = "</script>\r\n\"quoted\" back\\slash 😀 \u{2028} {payload} {sid}"
        for payload in ["", "~m~5~m~hello", Framed.frame(hostile)] {
            let written = wrapper.wrap(payload: payload, sessionId: "Zx8_-a", sequence: 12, index: "3")
            let bytes = Array(written.utf8)
            #expect(reader.read(bytes[...], complete: true) == .payload(payload, consumed: bytes.count))
            guard wrapper != Self.bare, wrapper != Self.jsonp else { continue }  // the stream wrappers
            let stream = Array((wrapper.paddedPrelude + written + wrapper.wrap(payload: "next", sessionId: "S", sequence: 13)).utf8)
            for split in stride(from: 0, to: stream.count, by: max(1, stream.count / 37)) {
                var buffer = StreamPayloadBuffer(reader: reader, maxPayloadSize: 1 << 20)
                let first = try buffer.append(stream[..<split]).get()
                let second = try buffer.append(stream[split...]).get()
                #expect(first + second == [payload, "next"], "split at \(split)")
            }
        }
    }

    @Test("a stream that is not the transport's fails, and so does one write too large")
    func malformedStream() {
        var html = StreamPayloadBuffer(reader: WrappedPayloadReader(Self.htmlfile), maxPayloadSize: 1000)
        #expect(throws: UnreadableStream.self) { try html.append(Array("app:GET /".utf8)).get() }
        var sse = StreamPayloadBuffer(reader: WrappedPayloadReader(Self.serverEvents), maxPayloadSize: 1000)
        #expect(throws: UnreadableStream.self) { try sse.append(Array("id: a.1\ndata: not json\n\n".utf8)).get() }
        var big = StreamPayloadBuffer(reader: WrappedPayloadReader(Self.serverEvents), maxPayloadSize: 10)
        #expect(throws: UnreadableStream("a write larger than 10 bytes")) {
            try big.append(Array("id: a.1\ndata: \"0123456789ABCDEF".utf8)).get()
        }
    }

    @Test("the write limit holds whether a write arrives whole or in pieces (found by fuzz-wrapped-payload)")
    func writeLimit() throws {
        let write = Array(Self.serverEvents.wrap(payload: "~m~5~m~hello", sessionId: "S", sequence: 1).utf8)
        var whole = StreamPayloadBuffer(reader: WrappedPayloadReader(Self.serverEvents), maxPayloadSize: write.count - 1)
        #expect(throws: UnreadableStream("a write larger than \(write.count - 1) bytes")) { try whole.append(write).get() }
        var pieces = StreamPayloadBuffer(reader: WrappedPayloadReader(Self.serverEvents), maxPayloadSize: write.count - 1)
        #expect(throws: UnreadableStream.self) { try pieces.append(write.dropLast()).get() }
        var fits = StreamPayloadBuffer(reader: WrappedPayloadReader(Self.serverEvents), maxPayloadSize: write.count)
        #expect(try fits.append(write.dropLast()).get() == [])
        #expect(try fits.append(write.suffix(1)).get() == ["~m~5~m~hello"])
    }
}
