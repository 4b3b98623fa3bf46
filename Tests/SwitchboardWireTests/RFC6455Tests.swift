import Crypto
import SwitchboardWire
import Testing

@Suite("RFC 6455 handshake facts, and base64")
struct RFC6455Tests {
    @Test("the accept value of the RFC's example")
    func accept() {
        #expect(RFC6455.acceptValue(key: "dGhlIHNhbXBsZSBub25jZQ==") { Array(Insecure.SHA1.hash(data: $0)) } == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
    }

    @Test("a client's key is 16 random bytes in base64; its request asks for version 13")
    func request() {
        var random = SystemRandomNumberGenerator()
        let key = RFC6455.makeKey(using: &random)
        #expect(key.utf8.count == 24 && key.hasSuffix("=="))
        #expect(
            RFC6455.requestHead(path: "/p", host: "h:1", key: key)
                == "GET /p HTTP/1.1\r\nHost: h:1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Key: \(key)\r\nSec-WebSocket-Version: 13\r\n\r\n")
    }

    @Test("a close frame is answered with its code, or 1000 when it had none")
    func closeReply() {
        #expect(RFC6455.closeReply(to: nil) == 1000)
        #expect(RFC6455.closeReply(to: 1005) == 1000)
        #expect(RFC6455.closeReply(to: 1001) == 1001)
    }

    @Test("a client's frames must be masked, a server's not; no reserved bits, no reserved opcodes")
    func headers() {
        for opcode: UInt8 in [0x0, 0x1, 0x2, 0x8, 0x9, 0xA] {
            #expect(RFC6455.checkHeader(rsv: 0, opcode: opcode, masked: true, sentBy: .client) == nil)
            #expect(RFC6455.checkHeader(rsv: 0, opcode: opcode, masked: false, sentBy: .server) == nil)
        }
        #expect(RFC6455.checkHeader(rsv: 0, opcode: 0x1, masked: false, sentBy: .client)?.code == 1002)
        #expect(RFC6455.checkHeader(rsv: 0, opcode: 0x1, masked: true, sentBy: .server)?.code == 1002)
        for rsv: UInt8 in [0b100, 0b010, 0b001, 0b111] {
            #expect(RFC6455.checkHeader(rsv: rsv, opcode: 0x1, masked: true, sentBy: .client)?.code == 1002)
        }
        for opcode: UInt8 in [0x3, 0x4, 0x5, 0x6, 0x7, 0xB, 0xC, 0xD, 0xE, 0xF] {
            #expect(RFC6455.checkHeader(rsv: 0, opcode: opcode, masked: true, sentBy: .client)?.code == 1002)
        }
    }

    @Test("close codes a peer may send (§7.4)")
    func closeCodes() {
        let valid: [UInt16] = [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999]
        let invalid: [UInt16] = [0, 1, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535]
        #expect(valid.allSatisfy(RFC6455.isValidCloseCode))
        #expect(!invalid.contains(where: RFC6455.isValidCloseCode))
    }

    @Test("a close payload: empty, or a valid code and a UTF-8 reason")
    func closePayloads() {
        #expect(RFC6455.closeCode(ofPayload: [UInt8]()) == .success(nil))
        #expect(RFC6455.closeCode(ofPayload: [0x03, 0xE8]) == .success(1000))
        #expect(RFC6455.closeCode(ofPayload: [0x0B, 0xB8] + Array("bye ✓".utf8)) == .success(3000))
        #expect(RFC6455.closeCode(ofPayload: [0x03]).failure?.code == 1002, "a 1-byte payload")
        for code: UInt16 in [0, 999, 1005, 1006, 1015, 5000] {
            #expect(RFC6455.closeCode(ofPayload: [UInt8(code >> 8), UInt8(code & 0xFF)]).failure?.code == 1002, "code \(code)")
        }
        #expect(RFC6455.closeCode(ofPayload: [0x03, 0xE8, 0xC0, 0xAF]).failure?.code == 1007, "an overlong reason")
    }

    @Test("text must be strict UTF-8: valid text, noncharacters included, passes")
    func validText() {
        for text in ["", "hello", "ünï€😀", "\u{0}"] {
            #expect(RFC6455.text(ofMessage: Array(text.utf8)) == .success(text))
        }
        let noncharacters: [UInt8] = [0xEF, 0xBF, 0xBF, 0xEF, 0xB7, 0x90, 0xF4, 0x8F, 0xBF, 0xBF]  // U+FFFF, U+FDD0, U+10FFFF
        #expect(RFC6455.text(ofMessage: noncharacters).map { $0.unicodeScalars.map(\.value) } == .success([0xFFFF, 0xFDD0, 0x10FFFF]))
    }

    @Test("text that is not UTF-8 fails with 1007", arguments: [
        [0xC0, 0x80], [0xC1, 0xBF], [0xE0, 0x80, 0x80], [0xF0, 0x80, 0x80, 0x80],  // overlong forms
        [0xED, 0xA0, 0x80], [0xED, 0xBF, 0xBF], [0xED, 0xA0, 0x80, 0xED, 0xB0, 0x80],  // surrogates, a pair too
        [0xF4, 0x90, 0x80, 0x80], [0xF5, 0x80, 0x80, 0x80], [0xF8, 0x88, 0x80, 0x80, 0x80], [0xFF],  // above U+10FFFF
        [0xCE, 0xBA, 0xE1], [0xF0, 0x9F, 0x98], [0x80], [0x61, 0xBF, 0x62],  // cut short, lone continuation
    ] as [[UInt8]])
    func invalidText(bytes: [UInt8]) {
        #expect(RFC6455.text(ofMessage: bytes).failure?.code == 1007)
    }

    @Test("base64: padded standard alphabet, or URL-safe without padding")
    func base64() {
        #expect(Base64.encode(Array("".utf8)) == "")
        #expect(Base64.encode(Array("f".utf8)) == "Zg==")
        #expect(Base64.encode(Array("fo".utf8)) == "Zm8=")
        #expect(Base64.encode(Array("foo".utf8)) == "Zm9v")
        #expect(Base64.encode(Array("foobar".utf8)) == "Zm9vYmFy")
        #expect(Base64.encode([0xFB, 0xFF], urlSafe: true) == "-_8")
        #expect(Base64.encode([UInt8](repeating: 0xFF, count: 16), urlSafe: true).count == 22)
    }
}

extension Result {
    /// The error of a failure, nil on success.
    var failure: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}
