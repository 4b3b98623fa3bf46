import NIOCore
import NIOEmbedded
import NIOWebSocket
import SwitchboardCore
import SwitchboardTestKit
import Testing

@testable import SwitchboardWebSocket

/// The RFC 6455 session handler on an `EmbeddedChannel`: frames in and out, heartbeats and their
/// timeout in virtual time (`advanceTime`), close codes (docs/protocol.md §4, §6.1).
@Suite("websocket session handler")
struct WebSocketSessionHandlerTests {
    final class Harness {
        let channel = EmbeddedChannel()
        let listener: Listener
        let session: Client
        let messages = Recorded<Message>()
        let disconnects = Recorded<DisconnectReason>()

        init() throws {
            listener = try Listener(transports: TransportRegistry(SwitchboardWebSocketTransports.all))
            session = try #require(listener.createSession(on: channel.embeddedEventLoop))
            listener.on(.clientMessage) { [messages] message, _ in messages.append(message) }
            listener.on(.clientDisconnect) { [disconnects] _, reason in disconnects.append(reason) }
            try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 9)).wait()
            try channel.pipeline.syncOperations.addHandler(
                WebSocketSessionHandler(transportName: "websocket", session: session, maxMessageSize: 1000))
        }

        func send(_ opcode: NIOWebSocket.WebSocketOpcode, _ text: String) throws {
            try send(opcode, Array(text.utf8))
        }

        /// A client's frame, as its bytes (masked with a zero key).
        func send(_ opcode: NIOWebSocket.WebSocketOpcode, _ payload: [UInt8]) throws {
            try channel.writeInbound(ByteBuffer(bytes: WebSocketSessionHandlerTests.clientFrame(UInt8(webSocketOpcode: opcode), payload)))
        }

        /// The frames written since the last call, flushed at the end of the loop's tick.
        func written() throws -> [WebSocketFrame] {
            channel.embeddedEventLoop.run()
            var frames: [WebSocketFrame] = []
            while let bytes = try channel.readOutbound(as: ByteBuffer.self) { frames += try WebSocketSessionHandlerTests.frames(in: bytes) }
            return frames
        }

        func texts() throws -> [String] {
            try written().filter { $0.opcode == .text }.map { String(buffer: $0.unmaskedData) }
        }

        func closeCode(_ frame: WebSocketFrame?) -> WebSocketErrorCode? {
            guard let frame, frame.opcode == .connectionClose else { return nil }
            var data = frame.unmaskedData
            return data.readWebSocketErrorCode()
        }
    }

    @Test("the handshake is the first frame; a text frame is a payload for the session")
    func handshakeAndReceive() throws {
        let h = try Harness()
        #expect(try h.texts() == ["~m~\(h.session.sessionId.utf16.count)~m~\(h.session.sessionId)"])
        try h.send(.text, "~m~5~m~hello~m~2~m~yo")
        #expect(h.messages.all == ["hello", "yo"])
        h.session.send("back")
        #expect(try h.texts() == ["~m~4~m~back"])
    }

    @Test("frames written in one tick of the loop go out with one flush, at the end of the tick")
    func oneFlushPerTick() throws {
        let h = try Harness()
        _ = try h.written()
        let flushes = FlushCounter()
        try h.channel.pipeline.syncOperations.addHandler(flushes, position: .first)
        h.session.send("one")
        h.session.send("two")
        h.listener.broadcast("three")
        #expect(try h.channel.readOutbound(as: ByteBuffer.self) == nil, "nothing flushed within the tick")
        #expect(try h.texts() == ["~m~3~m~one", "~m~3~m~two", "~m~5~m~three"])
        #expect(flushes.count == 1)
        h.session.send("alone")
        #expect(try h.texts() == ["~m~5~m~alone"])
        #expect(flushes.count == 2)
    }

    /// Counts the flushes that pass it.
    final class FlushCounter: ChannelOutboundHandler, @unchecked Sendable {
        typealias OutboundIn = Any
        var count = 0

        func flush(context: ChannelHandlerContext) {
            count += 1
            context.flush()
        }
    }

    @Test("heartbeats every interval; the echo keeps the socket; a missing echo closes it (1000), then the grace ends the session")
    func heartbeats() throws {
        let h = try Harness()
        _ = try h.written()
        h.channel.embeddedEventLoop.advanceTime(by: .seconds(10))
        #expect(try h.texts() == ["~m~4~m~~h~1"])
        try h.send(.text, "~m~4~m~~h~1")
        h.channel.embeddedEventLoop.advanceTime(by: .seconds(10))
        #expect(try h.texts() == ["~m~4~m~~h~2"])
        h.channel.embeddedEventLoop.advanceTime(by: .seconds(7))
        #expect(try h.written().isEmpty)
        h.channel.embeddedEventLoop.advanceTime(by: .seconds(1))
        #expect(h.closeCode(try h.written().last) == .normalClosure)
        #expect(!h.channel.isActive)
        #expect(h.session.connected, "the grace has begun")
        h.channel.embeddedEventLoop.advanceTime(by: .seconds(8))
        #expect(h.disconnects.all == [.closeTimeout])
    }

    @Test("a ping is answered with a pong carrying its data")
    func ping() throws {
        let h = try Harness()
        _ = try h.written()
        try h.send(.ping, "are you there")
        let pong = try #require(try h.written().first)
        #expect(pong.opcode == .pong)
        #expect(String(buffer: pong.unmaskedData) == "are you there")
    }

    static let refusals: [(String, NIOWebSocket.WebSocketOpcode, [UInt8], UInt16)] = [
        ("binary", .binary, [0, 1], 1003),
        ("a bad ~j~ after a good frame: never {}", .text, Array("~m~5~m~first~m~5~m~~j~{x".utf8), 1007),
        ("a surrogate", .text, Array("~m~1~m~".utf8) + [0xED, 0xA0, 0x80], 1007),
        ("close code 1005", .connectionClose, [0x03, 0xED], 1002),
        ("close reason not UTF-8", .connectionClose, [0x03, 0xE8, 0xC0, 0xAF], 1007),
    ]

    @Test("a message the session cannot take fails the connection with its code; nothing of it is delivered",
          arguments: refusals)
    func refused(name: String, opcode: NIOWebSocket.WebSocketOpcode, payload: [UInt8], code: UInt16) throws {
        let h = try Harness()
        _ = try h.written()
        try h.send(opcode, payload)
        #expect(h.closeCode(try h.written().last) == WebSocketErrorCode(codeNumber: Int(code)), "\(name)")
        #expect(!h.channel.isActive)
        try? h.send(.text, "~m~5~m~after")
        #expect(h.messages.all.isEmpty)
    }

    @Test("the client's close is answered with its code; the server's disconnect closes with 1000")
    func closes() throws {
        let h = try Harness()
        _ = try h.written()
        var data = ByteBuffer()
        data.write(webSocketErrorCode: .goingAway)
        try h.send(.connectionClose, Array(data.readableBytesView))
        #expect(h.closeCode(try h.written().last) == .goingAway)

        let other = try Harness()
        _ = try other.written()
        other.session.disconnect()
        #expect(other.closeCode(try other.written().last) == .normalClosure)
        #expect(other.disconnects.all == [.serverDisconnect])
    }

    /// A client frame as bytes, masked with a zero key (so its payload reads as it is).
    static func clientFrame(_ opcode: UInt8, _ payload: [UInt8]) -> [UInt8] {
        [0x80 | opcode, 0x80 | UInt8(payload.count), 0, 0, 0, 0] + payload
    }

    @Test("after a close frame nothing more in the same read is handled: no message, no pong, one close frame",
          arguments: [("the client's close", [UInt8(0x8)], [UInt8(0x03), 0xE9], UInt16(1001)), ("a binary frame", [0x2], [0x00], 1003)])
    func nothingAfterClose(name: String, opcode: [UInt8], payload: [UInt8], code: UInt16) throws {
        let channel = EmbeddedChannel()
        let listener = try Listener(transports: TransportRegistry(SwitchboardWebSocketTransports.all))
        let session = try #require(listener.createSession(on: channel.embeddedEventLoop))
        let messages = Recorded<Message>()
        listener.on(.clientMessage) { message, _ in messages.append(message) }
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 9)).wait()
        try channel.pipeline.syncOperations.addHandlers(
            [WebSocketSessionHandler(transportName: "websocket", session: session, maxMessageSize: 1000)])
        channel.embeddedEventLoop.run()  // the end of the tick: the handshake is flushed
        _ = try channel.readOutbound(as: ByteBuffer.self)  // the handshake

        let bytes = Self.clientFrame(opcode[0], payload) + Self.clientFrame(0x1, Array("~m~1~m~a".utf8))
            + Self.clientFrame(0x9, Array("hi".utf8))
        try? channel.writeInbound(ByteBuffer(bytes: bytes))
        var written: [WebSocketFrame] = []
        while let bytes = try channel.readOutbound(as: ByteBuffer.self) { written += try Self.frames(in: bytes) }
        #expect(written.map(\.opcode) == [.connectionClose], "\(name)")
        var data = try #require(written.first).unmaskedData
        #expect(data.readWebSocketErrorCode() == WebSocketErrorCode(codeNumber: Int(code)))
        #expect(messages.all.isEmpty, "\(name)")
    }

    /// The server's frames in `bytes`: unmasked, final, each whole (RFC 6455 §5.2).
    static func frames(in bytes: ByteBuffer) throws -> [WebSocketFrame] {
        struct Truncated: Error {}
        var bytes = bytes
        var frames: [WebSocketFrame] = []
        while bytes.readableBytes > 0 {
            guard let first = bytes.readInteger(as: UInt8.self), let second = bytes.readInteger(as: UInt8.self) else { throw Truncated() }
            #expect(first & 0x80 != 0 && second & 0x80 == 0, "final and unmasked")
            var length = Int(second & 0x7F)
            if length == 126 { length = Int(bytes.readInteger(as: UInt16.self) ?? 0) }
            if length == 127 { length = Int(bytes.readInteger(as: UInt64.self) ?? 0) }
            guard let payload = bytes.readSlice(length: length),
                let opcode = WebSocketOpcode(encodedWebSocketOpcode: first & 0x0F)
            else { throw Truncated() }
            frames.append(WebSocketFrame(fin: true, opcode: opcode, data: payload))
        }
        return frames
    }
}
