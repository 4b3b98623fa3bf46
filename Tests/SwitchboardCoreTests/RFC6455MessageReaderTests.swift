import NIOCore
import NIOWebSocket
import SwitchboardCore
import Testing

/// The server's reading of a client's bytes (RFC 6455 §5.2–§5.5), bare: frames, the refusals and
/// their codes, reassembly, bytes that arrive a few at a time.
@Suite("RFC 6455 message reader")
struct RFC6455MessageReaderTests {
    /// A client's frame: masked with `key` unless `masked` is false.
    static func frame(
        _ opcode: UInt8, _ payload: [UInt8], fin: Bool = true, rsv: UInt8 = 0, masked: Bool = true,
        key: [UInt8] = [1, 2, 3, 4], length: Int? = nil
    ) -> [UInt8] {
        var bytes: [UInt8] = [(fin ? 0x80 : 0) | rsv << 4 | opcode]
        let count = length ?? payload.count
        let mask: UInt8 = masked ? 0x80 : 0
        switch count {
        case ..<126: bytes.append(mask | UInt8(count))
        case ...0xFFFF: bytes += [mask | 126, UInt8(count >> 8), UInt8(count & 0xFF)]
        default: bytes += [mask | 127] + (0..<8).reversed().map { UInt8((count >> ($0 * 8)) & 0xFF) }
        }
        guard masked else { return bytes + payload }
        return bytes + key + payload.enumerated().map { $1 ^ key[$0 % 4] }
    }

    static func text(_ text: String, fin: Bool = true) -> [UInt8] { frame(0x1, Array(text.utf8), fin: fin) }

    /// Everything the reader gives for `bytes`, appended in pieces of `piece` bytes.
    static func read(_ bytes: [UInt8], piece: Int = .max, max: Int = 1000) -> [String] {
        var reader = RFC6455MessageReader(maxMessageSize: max, sender: .client)
        var out: [String] = []
        var start = 0
        while start < bytes.count {
            let end = Swift.min(bytes.count, start + piece)
            reader.append(ByteBuffer(bytes: bytes[start..<end]))
            start = end
            while let next = reader.next() {
                switch next {
                case .success(let frame): out.append("\(frame.opcode):\(String(buffer: frame.unmaskedData))")
                case .failure(let failure): out.append("fail \(failure.code)")
                }
            }
        }
        return out
    }

    @Test("a masked text frame; two frames in one read; bytes one at a time")
    func frames() {
        #expect(Self.read(Self.text("hello")) == ["WebSocketOpcode.text:hello"])
        #expect(Self.read(Self.text("a") + Self.text("b")) == ["WebSocketOpcode.text:a", "WebSocketOpcode.text:b"])
        #expect(Self.read(Self.text("slow") + Self.text("ly"), piece: 1) == ["WebSocketOpcode.text:slow", "WebSocketOpcode.text:ly"])
        let long = String(repeating: "x", count: 300)
        #expect(Self.read(Self.text(long), piece: 7) == ["WebSocketOpcode.text:\(long)"], "a 16-bit length")
    }

    @Test("fragments are reassembled; a ping between them passes first")
    func fragments() {
        let bytes = Self.text("hel", fin: false) + Self.frame(0x9, Array("p".utf8)) + Self.frame(0x0, Array("lo".utf8))
        #expect(Self.read(bytes) == ["WebSocketOpcode.ping:p", "WebSocketOpcode.text:hello"])
        #expect(Self.read(bytes, piece: 3) == ["WebSocketOpcode.ping:p", "WebSocketOpcode.text:hello"])
    }

    @Test(
        "refusals and their codes; nothing is read after one",
        arguments: [
            ("over the limit, refused before its payload", frame(0x1, [], length: 1001), UInt16(1009)),
            ("a 64-bit length over the limit", frame(0x1, [], length: 70000), 1009),
            ("a fragmented ping", frame(0x9, [1], fin: false), 1002),
            ("a ping longer than 125 bytes", frame(0x9, [UInt8](repeating: 0, count: 126)), 1002),
            ("a continuation with nothing to continue", frame(0x0, [1]), 1002),
            ("a new message before the last finished", text("a", fin: false) + text("b"), 1002),
            ("an unmasked frame from a client", frame(0x1, [0x61], masked: false), 1002),
            ("a reserved bit", frame(0x1, [0x61], rsv: 0b100), 1002),
            ("a reserved opcode", frame(0x3, [0x61]), 1002),
            ("fragments over the limit", frame(0x1, [UInt8](repeating: 0x61, count: 600), fin: false)
                + frame(0x0, [UInt8](repeating: 0x61, count: 600)), 1009),
        ])
    func refusals(name: String, bytes: [UInt8], code: UInt16) {
        #expect(Self.read(bytes + Self.text("after")) == ["fail \(code)"], "\(name)")
    }
}
