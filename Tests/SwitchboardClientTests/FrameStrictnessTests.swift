import NIOCore
import NIOEmbedded
import NIOWebSocket
import SwitchboardCore
import SwitchboardTestKit
import SwitchboardWire
import Testing

@testable import SwitchboardClient

/// The Swift client holds the server's frames to RFC 6455 as the server holds the client's
/// (docs/protocol.md §9.3): its frame handlers on an `EmbeddedChannel`, fed raw bytes.
@Suite("the client's WebSocket strictness")
struct FrameStrictnessTests {
    final class Harness {
        let channel = EmbeddedChannel()
        let reports = Recorded<ConnectionReport>()
        let logs = CapturedLogs()

        init(hixie76: Bool = false) throws {
            let report: @Sendable (ConnectionReport) -> Void = { [reports] in reports.append($0) }
            let handlers: [any ChannelHandler] =
                hixie76
                ? [Hixie76FrameHandler(maxPayloadSize: 1000, logger: logs.logger(), report: report)]
                : [WebSocketFrameEncoder(), RFC6455FrameHandler(maxPayloadSize: 1000, logger: logs.logger(), report: report)]
            try channel.pipeline.syncOperations.addHandlers(handlers)
            try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 9)).wait()
        }

        /// Bytes from the server.
        func receive(_ bytes: [UInt8]) throws {
            try channel.writeInbound(ByteBuffer(bytes: bytes))
        }

        /// One frame from the server, unmasked unless told.
        func receive(opcode: UInt8, fin: Bool = true, _ payload: [UInt8], masked: Bool = false, rsv: UInt8 = 0) throws {
            try receive(
                WebSocketWire.encodeFrame(opcode: opcode, fin: fin, rsv: rsv, payload: payload, maskKey: masked ? [1, 2, 3, 4] : nil))
        }

        /// The bytes the client wrote.
        func written() throws -> [UInt8] {
            var bytes: [UInt8] = []
            while let buffer = try channel.readOutbound(as: ByteBuffer.self) { bytes += buffer.readableBytesView }
            return bytes
        }

        /// The frames the client wrote, every one masked.
        func frames() throws -> [WebSocketFrameInfo] {
            var buffer = ByteBuffer(bytes: try written())
            var frames: [WebSocketFrameInfo] = []
            while let frame = try WebSocketWire.parseFrame(&buffer, maxPayload: 1 << 20) {
                #expect(frame.masked, "a client masks every frame")
                frames.append(frame)
            }
            return frames
        }

        /// The code of the close frame the client wrote last.
        func closeCode() throws -> UInt16? {
            guard let close = try frames().last, close.opcode == WebSocketOpcode.close, close.payload.count >= 2 else { return nil }
            return UInt16(close.payload[0]) << 8 | UInt16(close.payload[1])
        }

        var payloads: [String] {
            reports.all.compactMap { if case .payload(let text) = $0 { return text } else { return nil } }
        }
    }

    static let bad: [(String, UInt16, @Sendable (Harness) throws -> Void)] = [
        ("masked frame", 1002, { try $0.receive(opcode: WebSocketOpcode.text, Array("~m~1~m~a".utf8), masked: true) }),
        ("RSV1", 1002, { try $0.receive(opcode: WebSocketOpcode.text, Array("~m~1~m~a".utf8), rsv: 0b100) }),
        ("reserved opcode 0x7", 1002, { try $0.receive(opcode: 0x7, []) }),
        ("continuation without a start", 1002, { try $0.receive(opcode: WebSocketOpcode.continuation, Array("a".utf8)) }),
        ("ping over 125 bytes", 1002, { try $0.receive(opcode: WebSocketOpcode.ping, [UInt8](repeating: 0, count: 126)) }),
        ("close with 1 byte", 1002, { try $0.receive(opcode: WebSocketOpcode.close, [0x03]) }),
        ("close code 1006", 1002, { try $0.receive(opcode: WebSocketOpcode.close, [0x03, 0xEE]) }),
        ("close reason not UTF-8", 1007, { try $0.receive(opcode: WebSocketOpcode.close, [0x03, 0xE8, 0xED, 0xA0, 0x80]) }),
        ("overlong text", 1007, { try $0.receive(opcode: WebSocketOpcode.text, Array("~m~1~m~".utf8) + [0xC0, 0xAF]) }),
        ("binary message", 1003, { try $0.receive(opcode: WebSocketOpcode.binary, [1]) }),
        ("frame over the limit", 1009, { try $0.receive(opcode: WebSocketOpcode.text, [UInt8](repeating: 0x61, count: 1001)) }),
    ]

    @Test("a bad frame from the server fails the connection with its code; nothing of it is reported; the socket sees a drop",
          arguments: 0..<bad.count)
    func badFrame(index: Int) throws {
        let (name, code, send) = Self.bad[index]
        let h = try Harness()
        try send(h)
        #expect(try h.closeCode() == code, "\(name)")
        #expect(!h.channel.isActive, "\(name): the TCP connection is closed")
        #expect(h.payloads.isEmpty)
        #expect(h.reports.all == [.closed], "\(name): as any dropped connection")
        #expect(h.logs.lines(at: .warning).contains { $0.message.contains("close \(code)") }, "\(name)")
    }

    @Test("valid frames pass: text, a fragmented message, ping, the server's close echoed")
    func validFrames() throws {
        let h = try Harness()
        try h.receive(opcode: WebSocketOpcode.text, Array("~m~1~m~a".utf8))
        try h.receive(opcode: WebSocketOpcode.text, fin: false, Array("~m~1~m~".utf8) + [0xE2, 0x82])
        try h.receive(opcode: WebSocketOpcode.continuation, [0xAC])
        #expect(h.payloads == ["~m~1~m~a", "~m~1~m~€"])
        try h.receive(opcode: WebSocketOpcode.ping, [7])
        #expect(try h.frames().map(\.opcode) == [WebSocketOpcode.pong])
        try h.receive(opcode: WebSocketOpcode.close, [0x0F, 0xA0])
        #expect(try h.closeCode() == 4000)
    }

    @Test("hixie-76: a text frame that is not UTF-8 is answered 0xFF 0x00, then the connection closes")
    func hixie76() throws {
        let h = try Harness(hixie76: true)
        try h.receive(Hixie76.frame("~m~1~m~a"))
        try h.receive([0x00, 0xC0, 0xAF, 0xFF])
        #expect(h.payloads == ["~m~1~m~a"])
        #expect(try h.written() == Hixie76.closeFrame)
        #expect(!h.channel.isActive)
    }
}
