// RFC 6455 frames from a client, after the upgrade (docs/protocol.md §6.1, §9.3): the server's own
// pipeline (NIO's frame decoder, its protocol error handler, the frame aggregator and
// `WebSocketSessionHandler`, installed by `WebSocketTransport.configure`) on an `EmbeddedChannel`,
// with the input as the raw bytes the client sends; `maxHttpBufferSize` is 300 bytes.
//
// Checks, against an independent reading of RFC 6455 §5–§7 (masking, reserved bits and opcodes,
// lengths, fragments, control frames, UTF-8, close codes, the limits): the messages delivered are
// exactly those of the text messages before the first frame that fails or closes the connection
// (a text message that is not UTF-8 or not a good payload delivers nothing); every ping before it
// is answered by a pong with its data, none after; the server writes only valid frames (unmasked,
// text frames in UTF-8, pongs, one close frame, last) and closes with the code the rules give
// (1002, 1003, 1007, 1009, the client's own code, or 1000 when the session ends); the same bytes
// arriving in reads of any size do the same.
import Foundation
import FuzzSupport
import Logging
import NIOCore
import NIOEmbedded
import NIOHTTP1
import NIOWebSocket
import SwitchboardCore
import SwitchboardWebSocket
import SwitchboardWire

let maxFrameSize = 300

/// Messages delivered and bytes written, with how many bytes had been written at each delivery.
final class Recorded: @unchecked Sendable {
    var messages: [(message: Message, writtenBefore: Int)] = []
    var written: [UInt8] = []
}

/// Records the bytes the server writes, at the head of the pipeline.
final class WriteRecorder: ChannelOutboundHandler, @unchecked Sendable {
    typealias OutboundIn = ByteBuffer
    let recorded: Recorded
    init(_ recorded: Recorded) { self.recorded = recorded }
    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        recorded.written += unwrapOutboundIn(data).readableBytesView
        context.write(data, promise: promise)
    }
}

/// What the server did with a client's bytes.
struct Outcome {
    var delivered: [Message]
    var written: [UInt8]
}

/// Runs the server's WebSocket pipeline for a new session on `pieces`, one read each.
func serve(_ pieces: [ArraySlice<UInt8>]) -> Outcome {
    var options = ListenerOptions()
    options.log = Logger(label: "fuzz") { _ in SwiftLogNoOpLogHandler() }
    options.maxHttpBufferSize = maxFrameSize
    let transports = SwitchboardWebSocketTransports.all
    let listener = try! Listener(options: options, transports: TransportRegistry(transports))
    let recorded = Recorded()
    listener.on(.clientMessage) { message, _ in recorded.messages.append((message, recorded.written.count)) }
    let channel = EmbeddedChannel(handler: WriteRecorder(recorded))
    let session = listener.createSession(on: channel.embeddedEventLoop)!
    try! channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 9)).wait()
    let transport = transports.first { $0.descriptor.name == "websocket" } as! any UpgradeTransport
    try! transport.configure(
        channel: channel, request: HTTPRequestHead(version: .http1_1, method: .GET, uri: "/socket.io/websocket"),
        session: session, maxFrameSize: maxFrameSize, position: .last)
    for piece in pieces where channel.isActive {
        _ = try? channel.writeInbound(ByteBuffer(bytes: piece))
    }
    session.disconnect()
    _ = try? channel.finish()
    try? channel.embeddedEventLoop.syncShutdownGracefully()
    return Outcome(delivered: recorded.messages.map(\.message), written: recorded.written)
}

struct Frame {
    var fin: Bool
    var rsv: UInt8
    var opcode: UInt8
    var masked: Bool
    var payload: [UInt8]
}

enum Step {
    case frame(Frame, next: Int)
    case needMore
    /// A frame the decoder refuses, with its close code: too long (1009), a fragmented or long
    /// control frame (1002).
    case refused(UInt16)
}

/// One frame at `start` of `bytes`, read as RFC 6455 §5.2 says; the decoder refuses a frame as soon
/// as its length is known, before its mask and payload arrive.
func readFrame(in bytes: [UInt8], at start: Int, maxFrameSize: Int) -> Step {
    guard bytes.count - start >= 2 else { return .needMore }
    let first = bytes[start]
    let masked = bytes[start + 1] & 0x80 != 0
    var length = Int(bytes[start + 1] & 0x7F)
    var i = start + 2
    if length >= 126 {
        let size = length == 126 ? 2 : 8
        guard bytes.count - i >= size else { return .needMore }
        var value: UInt64 = 0
        for byte in bytes[i..<(i + size)] { value = value << 8 | UInt64(byte) }
        i += size
        guard value <= UInt64(maxFrameSize) else { return .refused(1009) }
        length = Int(value)
    }
    let fin = first & 0x80 != 0
    let control = first & 0x08 != 0
    if length > maxFrameSize { return .refused(1009) }
    if control && (!fin || length > 125) { return .refused(1002) }
    var mask: [UInt8] = [0, 0, 0, 0]
    if masked {
        guard bytes.count - i >= 4 else { return .needMore }
        mask = Array(bytes[i..<(i + 4)])
        i += 4
    }
    guard bytes.count - i >= length else { return .needMore }
    let payload = bytes[i..<(i + length)].enumerated().map { $1 ^ mask[$0 % 4] }
    return .frame(Frame(fin: fin, rsv: first >> 4 & 0x7, opcode: first & 0x0F, masked: masked, payload: payload), next: i + length)
}

/// What the server should do with a client's bytes.
struct Expected {
    var messages: [Message] = []
    var pings: [[UInt8]] = []
    /// The code of the server's close frame when the bytes break a rule or close (RFC 6455
    /// §5–§7, docs/protocol.md §9.3); nil when they do neither, and the session's end closes
    /// with 1000.
    var closeCode: UInt16?
}

func expected(_ bytes: [UInt8]) -> Expected {
    var result = Expected()
    let codec = FramedCodec(maxFrameLength: maxFrameSize)
    var fragments: (opcode: UInt8, payload: [UInt8], count: Int)?
    var offset = 0
    /// A whole message: a text message must be UTF-8 and a good payload (refused whole if not).
    func deliver(_ opcode: UInt8, _ payload: [UInt8]) -> UInt16? {
        guard opcode == 0x1 else { return 1003 }
        guard let text = String(validating: payload, as: UTF8.self) else { return 1007 }
        let decoded = codec.decode(text)
        guard decoded.problem == nil else { return 1007 }
        result.messages += decoded.frames.compactMap { frame in
            if case .message(let message) = frame { return message }
            return nil
        }
        return nil
    }
    while result.closeCode == nil {
        let frame: Frame
        switch readFrame(in: bytes, at: offset, maxFrameSize: maxFrameSize) {
        case .needMore: return result
        case .refused(let code): result.closeCode = code; continue
        case .frame(let read, let next): frame = read; offset = next
        }
        // The header: masked, no reserved bit, a known opcode (§5.1, §5.2).
        guard frame.masked, frame.rsv == 0, [0x0, 0x1, 0x2, 0x8, 0x9, 0xA].contains(frame.opcode) else {
            result.closeCode = 1002
            continue
        }
        switch frame.opcode {
        case 0x0, 0x1, 0x2:
            // Reassembly: a continuation needs a start, a start needs the last message ended,
            // at most 10,000 fragments and maxFrameSize bytes in all.
            if frame.opcode == 0 ? fragments == nil : fragments != nil {
                result.closeCode = 1002
                continue
            }
            if frame.opcode != 0, frame.fin {
                result.closeCode = deliver(frame.opcode, frame.payload)
                continue
            }
            var message = fragments ?? (frame.opcode, [], 0)
            guard message.count < 10_000, frame.fin || message.count + 1 < 10_000,
                message.payload.count + frame.payload.count <= maxFrameSize
            else {
                result.closeCode = 1009
                continue
            }
            message.payload += frame.payload
            message.count += 1
            fragments = message
            if frame.fin {
                fragments = nil
                result.closeCode = deliver(message.opcode, message.payload)
            }
        case 0x8:
            // A close: answered with its code when valid (1000 for none), 1002 for a bad code,
            // 1007 for a reason that is not UTF-8 (§5.5.1, §7.4).
            let payload = frame.payload
            if payload.isEmpty {
                result.closeCode = 1000
            } else if payload.count == 1 {
                result.closeCode = 1002
            } else {
                let code = UInt16(payload[0]) << 8 | UInt16(payload[1])
                if !maySend(code) {
                    result.closeCode = 1002
                } else if String(validating: payload.dropFirst(2), as: UTF8.self) == nil {
                    result.closeCode = 1007
                } else {
                    result.closeCode = code
                }
            }
        case 0x9:
            result.pings.append(frame.payload)
        default:
            break
        }
    }
    return result
}

/// Close codes an endpoint may send (RFC 6455 §7.4): 1000–1003, 1007–1014 (IANA), 3000–4999.
func maySend(_ code: UInt16) -> Bool {
    (1000...1003).contains(code) || (1007...1014).contains(code) || (3000...4999).contains(code)
}

/// The frames a server wrote, checked one by one: the pongs' data in order, and the code of the
/// close frame (nil when there is none or it has no code).
func checkWritten(_ bytes: [UInt8]) -> (pongs: [[UInt8]], closeCode: UInt16?) {
    var pongs: [[UInt8]] = []
    var closeCode: UInt16?
    var offset = 0
    var closed = false
    var first = true
    while offset < bytes.count {
        guard case .frame(let frame, let next) = readFrame(in: bytes, at: offset, maxFrameSize: Int(UInt32.max)) else {
            check(false, "the server wrote something that is not a frame: \(bytes[offset...].prefix(16))")
            return (pongs, closeCode)
        }
        offset = next
        check(!closed, "the server wrote a frame after its close frame")
        check(frame.fin && frame.rsv == 0 && !frame.masked, "the server wrote a fragmented, reserved or masked frame")
        switch frame.opcode {
        case 0x1:
            check(String(validating: frame.payload, as: UTF8.self) != nil, "the server wrote a text frame that is not UTF-8")
            if first {
                check(String(decoding: frame.payload, as: UTF8.self).hasPrefix("~m~22~m~"), "the first frame is not the handshake")
            }
        case 0x8:
            closed = true
            check(frame.payload.count != 1, "a close frame with a one-byte code")
            if frame.payload.count >= 2 {
                let code = UInt16(frame.payload[0]) << 8 | UInt16(frame.payload[1])
                check(maySend(code), "the server sent close code \(code), which RFC 6455 §7.4 does not allow")
                closeCode = code
            }
        case 0xA:
            pongs.append(frame.payload)
        default:
            check(false, "the server wrote a frame of opcode \(frame.opcode)")
        }
        first = false
    }
    check(closed, "the server wrote no close frame")
    return (pongs, closeCode)
}

func sameMessages(_ a: [Message], _ b: [Message]) -> Bool {
    a.count == b.count && zip(a, b).allSatisfy { $0.description == $1.description && ($0.text == nil) == ($1.text == nil) }
}

fuzzMain { buffer in
    let bytes = Array(buffer)
    let expected = expected(bytes)
    let whole = serve([bytes[...]])
    var generator = SeededGenerator(hashing: bytes)
    let split = serve(pieces(of: bytes, maxPiece: 7, using: &generator))

    for (outcome, name) in [(whole, "at once"), (split, "in pieces")] {
        check(sameMessages(outcome.delivered, expected.messages), "\(name): delivered \(outcome.delivered) instead of \(expected.messages)")
        let written = checkWritten(outcome.written)
        check(written.pongs == expected.pings, "\(name): pongs \(written.pongs) instead of \(expected.pings)")
        check(written.closeCode == (expected.closeCode ?? 1000),
              "\(name): closed with \(written.closeCode.map(String.init) ?? "no code") instead of \(expected.closeCode ?? 1000)")
    }
    check(sameMessages(whole.delivered, split.delivered), "at once \(whole.delivered), in pieces \(split.delivered)")
}
