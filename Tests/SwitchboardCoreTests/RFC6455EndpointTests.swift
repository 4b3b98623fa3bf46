import NIOCore
import NIOWebSocket
import SwitchboardCore
import SwitchboardWire
import Testing

/// The rules of one RFC 6455 endpoint, bare: frames in, actions out (docs/protocol.md §9.3).
@Suite("RFC 6455 endpoint: failing and closing")
struct RFC6455EndpointTests {
    typealias Action = RFC6455Endpoint.Action

    static func frame(_ opcode: WebSocketOpcode, _ bytes: [UInt8]) -> WebSocketFrame {
        WebSocketFrame(fin: true, opcode: opcode, data: ByteBuffer(bytes: bytes))
    }
    static func text(_ text: String) -> WebSocketFrame { frame(.text, Array(text.utf8)) }

    @Test("texts are delivered, pings answered with their data, pongs ignored")
    func open() {
        var endpoint = RFC6455Endpoint()
        #expect(endpoint.read(Self.text("a")) == .deliver("a"))
        #expect(endpoint.read(Self.frame(.ping, [1, 2])) == .pong(ByteBuffer(bytes: [1, 2])))
        #expect(endpoint.read(Self.frame(.pong, [])) == .none)
        #expect(!endpoint.closing)
    }

    @Test("a bad frame fails the connection with its code; nothing after it is read",
          arguments: [
            (WebSocketOpcode.binary, [UInt8(0)], UInt16(1003)), (.text, [0xC0, 0xAF], 1007),
            (.connectionClose, [0x03], 1002), (.connectionClose, [0x03, 0xED], 1002), (.connectionClose, [0x03, 0xE8, 0xFF], 1007),
          ])
    func failures(opcode: WebSocketOpcode, bytes: [UInt8], code: UInt16) {
        var endpoint = RFC6455Endpoint()
        guard case .sendClose(code, let failure?) = endpoint.read(Self.frame(opcode, bytes)) else {
            Issue.record("no failure with \(code)")
            return
        }
        #expect(failure.code == code)
        #expect(endpoint.read(Self.text("a")) == .none)
        #expect(endpoint.read(Self.frame(.connectionClose, [])) == .none)
        #expect(endpoint.fail(RFC6455.Failure(1009, "again")) == .none, "one close frame only")
    }

    @Test("the peer's close is answered with its code (1000 for none); then only the peer's close is read")
    func peerCloses() {
        var endpoint = RFC6455Endpoint()
        #expect(endpoint.read(Self.frame(.connectionClose, [0x03, 0xE9])) == .sendClose(code: 1001, failure: nil))
        #expect(endpoint.read(Self.text("after")) == .none)
        #expect(endpoint.read(Self.frame(.ping, [])) == .none, "no pong after the close frame")
        var other = RFC6455Endpoint()
        #expect(other.read(Self.frame(.connectionClose, [])) == .sendClose(code: 1000, failure: nil))
    }

    @Test("this end closes once; the peer's answer closes the connection; a failure then writes nothing")
    func thisEndCloses() {
        var endpoint = RFC6455Endpoint()
        #expect(endpoint.close(1000) == .sendClose(code: 1000, failure: nil))
        #expect(endpoint.close(1008) == .none)
        #expect(endpoint.read(Self.text("late")) == .none)
        #expect(endpoint.fail(RFC6455.Failure(1002, "late")) == .none)
        var answered = RFC6455Endpoint()
        _ = answered.close(1000)
        #expect(answered.read(Self.frame(.connectionClose, [0x03, 0xE8])) == .closeConnection)
    }
}
