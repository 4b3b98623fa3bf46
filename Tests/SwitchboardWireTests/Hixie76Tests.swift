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

    @Test("the frame size limit holds however the bytes arrive (found by fuzz-hixie76)")
    func frameSizeLimit() {
        // maxFrameSize counts the frame's two framing bytes: "ab" fits in 4, "abc" does not.
        var whole = Hixie76FrameReader(maxFrameSize: 4)
        whole.append(Hixie76.frame("ab") + Hixie76.frame("abc"))
        #expect(whole.next() == .text("ab"))
        #expect(whole.next() == .tooLarge, "a complete frame above the limit, in one read")

        var pieces = Hixie76FrameReader(maxFrameSize: 4)
        pieces.append([0x00] + Array("abc".utf8))
        #expect(pieces.next() == .tooLarge, "4 bytes without the end: the frame is at least 5")

        var short = Hixie76FrameReader(maxFrameSize: 4)
        short.append([0x00] + Array("ab".utf8))
        #expect(short.next() == nil)
        short.append([0xFF])
        #expect(short.next() == .text("ab"))
    }
}
