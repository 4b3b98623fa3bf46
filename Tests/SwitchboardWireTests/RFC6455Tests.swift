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
        #expect(RFC6455.closeReply(to: 1011) == 1011)
        #expect(RFC6455.closeReply(to: 3000) == 3000)
        #expect(RFC6455.closeReply(to: 4999) == 4999)
    }

    @Test("a close code no endpoint may send is answered with 1002, never echoed (found by fuzz-websocket)")
    func closeReplyToForbiddenCodes() {
        for code: UInt16 in [0, 999, 1004, 1006, 1015, 1016, 2999, 5000, 65535] {
            #expect(RFC6455.closeReply(to: code) == 1002, "close code \(code)")
        }
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
