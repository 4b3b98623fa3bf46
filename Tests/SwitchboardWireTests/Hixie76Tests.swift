import Crypto
import SwitchboardWire
import Testing

@Suite("hixie-76: key numbers, the answer, frames (docs/protocol.md §6.1)")
struct Hixie76Tests {
    /// The example of draft-hixie-thewebsocketprotocol-76 §1.3, with its expected answer.
    static let key1 = "4 @1  46546xW%0l 1 5", key2 = "12998 5 Y3 1  .P00", key3 = Array("^n:ds[4U".utf8)
    static let expectedAnswer = Array("8jKS'y:G*Co,Wxa-".utf8)

    @Test("key numbers: digits over spaces; no spaces or an inexact division is refused")
    func keyNumbers() {
        #expect(Hixie76.keyNumber(Self.key1) == 829_309_203)
        #expect(Hixie76.keyNumber(Self.key2) == 259_970_620)
        #expect(Hixie76.keyNumber("1234") == nil)
        #expect(Hixie76.keyNumber("1 0") == 10)
        #expect(Hixie76.keyNumber("1  0") == 5)
        #expect(Hixie76.keyNumber("1   1") == nil, "11 / 3 is not exact")
        #expect(Hixie76.answer(key1: 829_309_203, key2: 259_970_620, key3: Self.key3) { Array(Insecure.MD5.hash(data: $0)) } == Self.expectedAnswer)
    }

    @Test("a client's random keys hide their number the way the server reads it")
    func clientKeys() {
        var random = SystemRandomNumberGenerator()
        for _ in 0..<200 {
            let (key, number) = Hixie76.makeKey(using: &random)
            #expect(Hixie76.keyNumber(key) == number, "\(key)")
            #expect(key.first != " " && key.last != " ")
        }
    }

    @Test("the response head echoes origin, location and subprotocol")
    func responseHead() {
        #expect(
            Hixie76.responseHead(host: "h:1", uri: "/socket.io/websocket", origin: "http://o", subprotocol: nil)
                == "HTTP/1.1 101 WebSocket Protocol Handshake\r\nUpgrade: WebSocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Origin: http://o\r\nSec-WebSocket-Location: ws://h:1/socket.io/websocket\r\n\r\n")
    }

    @Test("frames arrive whole or in pieces; the close frame and unknown types end the reading")
    func frames() {
        var reader = Hixie76FrameReader(maxFrameSize: 100)
        let bytes = [0x01, 0x02] + Hixie76.frame("héllo") + Hixie76.frame("") + Hixie76.closeFrame
        reader.append(bytes.prefix(1))
        #expect(reader.take(2) == nil)
        reader.append(bytes.dropFirst().prefix(4))
        #expect(reader.take(2) == [0x01, 0x02])
        #expect(reader.next() == nil, "a frame not yet ended")
        reader.append(bytes.dropFirst(5))
        #expect(reader.next() == .text("héllo"))
        #expect(reader.next() == .text(""))
        #expect(reader.next() == .close)
        #expect(reader.next() == nil)

        var binary = Hixie76FrameReader(maxFrameSize: 100)
        binary.append([0x80, 0x01])
        #expect(binary.next() == .unknownType(0x80))
        var large = Hixie76FrameReader(maxFrameSize: 4)
        large.append([0x00] + Array("abcd".utf8))
        #expect(large.next() == .tooLarge)
    }

    @Test("a frame over the limit is refused even when it arrives whole; 0xFF with a length is no close")
    func strictFrames() {
        var whole = Hixie76FrameReader(maxFrameSize: 5)
        whole.append(Hixie76.frame("abc"))
        #expect(whole.next() == .text("abc"), "5 bytes with the framing: at the limit")
        whole.append(Hixie76.frame("abcd"))
        #expect(whole.next() == .tooLarge)

        var unfinished = Hixie76FrameReader(maxFrameSize: 5)
        unfinished.append([0x00] + Array("abc".utf8))
        #expect(unfinished.next() == nil, "with its end byte it is 5 bytes: it may still come")
        unfinished.append(Array("d".utf8))
        #expect(unfinished.next() == .tooLarge, "5 bytes without the end: it can only pass the limit")

        var lengthPrefixed = Hixie76FrameReader(maxFrameSize: 100)
        lengthPrefixed.append([0xFF, 0x03, 0x61, 0x62, 0x63])
        #expect(lengthPrefixed.next() == .unknownType(0xFF))
    }

    @Test("a text frame must be strict UTF-8", arguments: [
        [0xC0, 0xAF], [0xE0, 0x80, 0xAF], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xE2, 0x82], [0xFE],
    ] as [[UInt8]])
    func notUTF8(bytes: [UInt8]) {
        var reader = Hixie76FrameReader(maxFrameSize: 100)
        reader.append([0x00] + bytes + [0xFF])
        #expect(reader.next() == .notUTF8)
    }
}
