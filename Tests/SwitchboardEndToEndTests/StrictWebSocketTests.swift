import Logging
import SwitchboardCore
import SwitchboardServerTestSupport
import SwitchboardTestKit
import SwitchboardWire
import Testing

/// One way for a client to break RFC 6455 (or the payload rules), the raw frames that do it, and
/// the close code the server must fail the connection with (docs/protocol.md §9.3).
struct BadWebSocketInput: Sendable, CustomTestStringConvertible {
    let name: String
    let code: UInt16
    let send: @Sendable (WebSocketTestClient) async throws -> Void

    var testDescription: String { "\(name) → \(code)" }

    static let text = WebSocketOpcode.text, continuation = WebSocketOpcode.continuation

    /// One frame.
    static func frame(_ name: String, _ code: UInt16, opcode: UInt8 = text, fin: Bool = true, _ payload: [UInt8],
                      masked: Bool = true, rsv: UInt8 = 0) -> Self {
        Self(name: name, code: code) { try await $0.sendFrame(opcode: opcode, fin: fin, payload: payload, masked: masked, rsv: rsv) }
    }

    /// A text message whose bytes follow a valid frame's text.
    static func text(_ name: String, _ code: UInt16, _ bytes: [UInt8]) -> Self {
        frame(name, code, Array("~m~5~m~ab".utf8) + bytes)
    }

    /// A close frame with `payload`.
    static func close(_ name: String, _ code: UInt16, _ payload: [UInt8]) -> Self {
        frame(name, code, opcode: WebSocketOpcode.close, payload)
    }

    static func closeCode(_ value: UInt16) -> Self {
        close("close code \(value)", 1002, [UInt8(value >> 8), UInt8(value & 0xFF)])
    }

    static let message = Array(Framed.frame("hello").utf8)

    static let all: [Self] = [
        frame("unmasked text frame", 1002, message, masked: false),
        frame("RSV1 set", 1002, message, rsv: 0b100),
        frame("RSV2 set", 1002, message, rsv: 0b010),
        frame("RSV3 set", 1002, message, rsv: 0b001),
        frame("reserved data opcode 0x3", 1002, opcode: 0x3, message),
        frame("reserved control opcode 0xB", 1002, opcode: 0xB, []),
        frame("continuation without a start", 1002, opcode: continuation, message),
        Self(name: "new text frame while a fragmented message is open", code: 1002) {
            try await $0.sendFrame(opcode: text, fin: false, payload: Array("~m~5~m~".utf8))
            try await $0.sendFrame(opcode: text, fin: true, payload: message)
        },
        frame("fragmented ping", 1002, opcode: WebSocketOpcode.ping, fin: false, [1]),
        frame("ping over 125 bytes", 1002, opcode: WebSocketOpcode.ping, [UInt8](repeating: 0x61, count: 126)),
        close("close with a 1-byte payload", 1002, [0x03]),
        closeCode(0), closeCode(999), closeCode(1004), closeCode(1005), closeCode(1006), closeCode(1015),
        closeCode(2999), closeCode(5000),
        close("close reason not UTF-8", 1007, [0x03, 0xE8, 0xC0, 0xAF]),
        text("overlong '/'", 1007, [0xC0, 0xAF]),
        text("overlong NUL in three bytes", 1007, [0xE0, 0x80, 0x80]),
        text("surrogate U+D800", 1007, [0xED, 0xA0, 0x80]),
        text("above U+10FFFF", 1007, [0xF4, 0x90, 0x80, 0x80]),
        text("truncated sequence at the end", 1007, [0xE2, 0x82]),
        Self(name: "truncated sequence across fragments", code: 1007) {
            try await $0.sendFrame(opcode: text, fin: false, payload: Array("~m~2~m~a".utf8) + [0xE2, 0x82])
            try await $0.sendFrame(opcode: continuation, fin: true, payload: Array("b".utf8))
        },
        frame("~j~ with invalid JSON", 1007, Array(Framed.frame("~j~{x").utf8)),
        frame("~j~ that is an array", 1007, Array(Framed.frame("~j~[1]").utf8)),
        frame("good frames then a bad ~j~", 1007, Array((Framed.frame("first") + Framed.frame("~j~{x")).utf8)),
        frame("frame over maxHttpBufferSize", 1009, [UInt8](repeating: 0x61, count: 1001)),
        Self(name: "fragments over maxHttpBufferSize", code: 1009) {
            try await $0.sendFrame(opcode: text, fin: false, payload: [UInt8](repeating: 0x61, count: 600))
            try await $0.sendFrame(opcode: continuation, fin: true, payload: [UInt8](repeating: 0x61, count: 600))
        },
        frame("binary message", 1003, opcode: WebSocketOpcode.binary, [1, 2, 3]),
    ]
}

@Suite("strict RFC 6455: every failure closes with its code (docs/protocol.md §9.3)")
struct StrictWebSocketTests {
    /// A server with a 1000-byte limit whose warnings are kept.
    static func server(_ logs: CapturedLogs) async throws -> TestServer {
        try await TestServer.start {
            $0.maxHttpBufferSize = 1000
            $0.log = logs.logger(level: .warning)
        }
    }

    @Test("a bad frame or message fails the connection at once with its close code; the application sees nothing of it; another session goes on",
          arguments: BadWebSocketInput.all)
    func failsWithCloseCode(_ input: BadWebSocketInput) async throws {
        let logs = CapturedLogs()
        let server = try await Self.server(logs)
        defer { Task { await server.stop() } }
        let (bystander, _) = try await server.webSocket()
        let (socket, sid) = try await server.webSocket()

        try await input.send(socket)
        #expect(try await socket.waitForClose(timeout: .seconds(5)) == input.code, "the server's close frame")
        #expect(socket.isClosed, "the TCP connection is closed")
        #expect(server.recorder.messages(from: sid).isEmpty, "nothing of it was delivered")
        #expect(
            logs.lines(at: .warning).contains { $0.metadata["sid"] == "\(sid)" && $0.message.contains("close \(input.code)") },
            "a warning with the SID, the reason and the code")

        try await bystander.send(text: framed("still here"))
        #expect(try await bystander.receiveText() == framed("still here"))
        #expect(!bystander.isClosed)
    }

    @Test("valid input passes: UTF-8 cut between fragments, noncharacters, valid close codes echoed")
    func validInput() async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        let (socket, _) = try await server.webSocket()
        let euro = Array("€".utf8)
        try await socket.sendFrame(opcode: WebSocketOpcode.text, fin: false, payload: Array("~m~2~m~a".utf8) + euro.prefix(2))
        try await socket.sendFrame(opcode: WebSocketOpcode.continuation, fin: true, payload: Array(euro.dropFirst(2)))
        #expect(try await socket.receiveText() == framed("a€"))
        let noncharacters = String(decoding: [0xEF, 0xBF, 0xBF, 0xF4, 0x8F, 0xBF, 0xBF] as [UInt8], as: UTF8.self)  // U+FFFF, U+10FFFF
        try await socket.send(text: framed(noncharacters))
        #expect(try await socket.receiveText() == framed(noncharacters))
        try await socket.close(code: 4000, reason: "done ✓")
        #expect(try await socket.waitForClose() == 4000)
    }

    @Test("a POST with Upgrade: websocket never gets 101", arguments: ["websocket", "flashsocket", "xhr-polling"])
    func postUpgrade(transport: String) async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        let tcp = try await RawTCPClient.connect(port: server.port)
        try await tcp.write(
            "POST /socket.io/\(transport) HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nContent-Length: 0\r\n\r\n")
        let answer = String(decoding: try await tcp.read(until: "\r\n\r\n"), as: UTF8.self)
        #expect(!answer.hasPrefix("HTTP/1.1 101"), "\(answer)")
        #expect(answer.hasPrefix("HTTP/1.1 4"), "\(answer)")
        _ = try await tcp.readUntilClose(timeout: .seconds(5))
        #expect(server.listener.clientCount == 0)
    }
}

@Suite("hixie-76 framing errors close the connection (docs/protocol.md §9.7)")
struct StrictHixie76Tests {
    static let cases: [(String, [UInt8])] = [
        ("length-prefixed frame type 0x80", [0x80, 0x03, 0x61, 0x62, 0x63]),
        ("0xFF with a length other than 0", [0xFF, 0x03, 0x61, 0x62, 0x63]),
        ("text that is not UTF-8", [0x00] + Array(Framed.frame("a").utf8) + [0xC0, 0xAF, 0xFF]),
        ("a whole frame over maxHttpBufferSize", Hixie76.frame(Framed.frame(String(repeating: "a", count: 1200)))),
        ("a frame over maxHttpBufferSize without its end", [0x00] + [UInt8](repeating: 0x61, count: 1200)),
        ("~j~ with invalid JSON", Hixie76.frame(Framed.frame("first") + Framed.frame("~j~{x"))),
    ]

    @Test("a bad frame is answered 0xFF 0x00, then the connection closes; nothing of it is delivered; another session goes on",
          arguments: cases)
    func badFrame(name: String, bytes: [UInt8]) async throws {
        let logs = CapturedLogs()
        let server = try await TestServer.start {
            $0.maxHttpBufferSize = 1000
            $0.log = logs.logger(level: .warning)
        }
        defer { Task { await server.stop() } }
        let bystander = try await HixieClient.connect(port: server.port, path: "/socket.io/websocket")
        _ = try await bystander.receive()
        let client = try await HixieClient.connect(port: server.port, path: "/socket.io/websocket")
        let sid = try Wire.sessionId(inHandshake: try await client.receive())

        try await client.tcp.write(bytes)
        #expect(try await client.tcp.readUntilClose(timeout: .seconds(5)) == Hixie76.closeFrame, "\(name)")
        #expect(server.recorder.messages(from: sid).isEmpty)
        #expect(logs.lines(at: .warning).contains { $0.metadata["sid"] == "\(sid)" && $0.message.contains("hixie-76") })

        try await bystander.send(framed("still here"))
        #expect(try await bystander.receive() == framed("still here"))
    }
}
