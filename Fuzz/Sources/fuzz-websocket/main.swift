// RFC 6455 frames from a client, after the upgrade (docs/protocol.md §6.1, §9.3): the server's own
// pipeline (NIO's frame decoder, its protocol error handler, the frame aggregator and
// `WebSocketSessionHandler`, installed by `WebSocketTransport.configure`) on an `EmbeddedChannel`,
// with the input as the raw bytes the client sends; `maxHttpBufferSize` is 300 bytes.
//
// Checks, against an independent reading of the frames (masking, lengths, fragments, control
// frames, the limits): the messages delivered are those of the text messages read so far, in
// order, decoded by the codec with U+FFFD for bytes that are not UTF-8 — all of them when the
// input breaks no rule, and never one from a binary frame or from after the frame that ends the
// connection; every ping read is answered by a pong with its data; the server writes only valid
// frames (unmasked, text frames in UTF-8, pongs, one close frame last with a code a server may
// send); the same bytes arriving in reads of any size give the same messages.
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

/// Known issues of the WebSocket handlers are tolerated unless FUZZ_STRICT=1 (docs/fuzzing.md):
/// what the server delivers or writes after its own close frame, within the same read, is ignored.
let strict = ProcessInfo.processInfo.environment["FUZZ_STRICT"] == "1"

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
    var outcome = Outcome(delivered: recorded.messages.map(\.message), written: recorded.written)
    if !strict, let end = endOfFirstClose(recorded.written) {
        outcome.delivered = recorded.messages.filter { $0.writtenBefore < end }.map(\.message)
        outcome.written = Array(recorded.written[..<end])
    }
    return outcome
}

/// Where the server's first close frame ends in what it wrote.
func endOfFirstClose(_ bytes: [UInt8]) -> Int? {
    var offset = 0
    while case .frame(let frame, let next) = readFrame(in: bytes, at: offset, maxFrameSize: Int(UInt32.max)) {
        if frame.opcode == 0x8 { return next }
        offset = next
    }
    return nil
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
    /// A frame the decoder refuses (too long, a fragmented or long control frame).
    case refused
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
        guard value <= UInt64(maxFrameSize) else { return .refused }
        length = Int(value)
    }
    let fin = first & 0x80 != 0
    let control = first & 0x08 != 0
    if length > maxFrameSize || (control && (!fin || length > 125)) { return .refused }
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
    /// The bytes break no rule (no unmasked or reserved frame, nothing refused, no close).
    var clean = true
}

func expected(_ bytes: [UInt8]) -> Expected {
    var result = Expected()
    let codec = FramedCodec(maxFrameLength: maxFrameSize)
    var fragments: (opcode: UInt8, payload: [UInt8], count: Int)?
    var offset = 0
    func deliver(_ payload: [UInt8]) {
        result.messages += codec.decode(String(decoding: payload, as: UTF8.self)).frames.compactMap { frame in
            if case .message(let message) = frame { return message }
            return nil
        }
    }
    reading: while true {
        guard case .frame(let frame, let next) = readFrame(in: bytes, at: offset, maxFrameSize: maxFrameSize) else {
            if case .refused = readFrame(in: bytes, at: offset, maxFrameSize: maxFrameSize) { result.clean = false }
            break reading
        }
        offset = next
        if frame.rsv != 0 || !frame.masked { result.clean = false }
        switch frame.opcode {
        case 0x0, 0x1, 0x2:
            // The aggregator: a continuation needs a start, a start needs the last message ended,
            // at most 10,000 fragments and maxFrameSize bytes in all.
            if frame.opcode == 0 ? fragments == nil : fragments != nil {
                result.clean = false
                break reading
            }
            if frame.opcode != 0, frame.fin {
                guard frame.opcode == 0x1 else {
                    result.clean = false
                    break reading
                }
                deliver(frame.payload)
                continue reading
            }
            var message = fragments ?? (frame.opcode, [], 0)
            guard message.count < 10_000, frame.fin || message.count + 1 < 10_000,
                message.payload.count + frame.payload.count <= maxFrameSize
            else {
                result.clean = false
                break reading
            }
            message.payload += frame.payload
            message.count += 1
            fragments = message
            if frame.fin {
                fragments = nil
                guard message.opcode == 0x1 else {
                    result.clean = false
                    break reading
                }
                deliver(message.payload)
            }
        case 0x8:
            result.clean = false
            break reading
        case 0x9:
            result.pings.append(frame.payload)
        case 0xA:
            break
        default:
            result.clean = false
        }
    }
    return result
}

/// Close codes an endpoint may send (RFC 6455 §7.4): 1000–1003, 1007–1014 (IANA), 3000–4999.
func maySend(_ code: UInt16) -> Bool {
    (1000...1003).contains(code) || (1007...1014).contains(code) || (3000...4999).contains(code)
}

/// The frames a server wrote, checked one by one; the pongs' data in order.
func checkWritten(_ bytes: [UInt8]) -> [[UInt8]] {
    var pongs: [[UInt8]] = []
    var offset = 0
    var closed = false
    var first = true
    while offset < bytes.count {
        guard case .frame(let frame, let next) = readFrame(in: bytes, at: offset, maxFrameSize: Int(UInt32.max)) else {
            check(false, "the server wrote something that is not a frame: \(bytes[offset...].prefix(16))")
            return pongs
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
            }
        case 0xA:
            pongs.append(frame.payload)
        default:
            check(false, "the server wrote a frame of opcode \(frame.opcode)")
        }
        first = false
    }
    return pongs
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
        check(outcome.delivered.count <= expected.messages.count && sameMessages(Array(expected.messages.prefix(outcome.delivered.count)), outcome.delivered),
              "\(name): delivered \(outcome.delivered), which is not a prefix of \(expected.messages)")
        for message in outcome.delivered {
            check(String(validating: Array(message.description.utf8), as: UTF8.self) != nil, "\(name): a message that is not UTF-8")
        }
        let pongs = checkWritten(outcome.written)
        check(expected.pings.starts(with: pongs), "\(name): pongs \(pongs) do not answer the pings \(expected.pings)")
        if expected.clean {
            check(sameMessages(outcome.delivered, expected.messages),
                  "\(name): delivered \(outcome.delivered) instead of \(expected.messages) from bytes that break no rule")
            check(pongs == expected.pings, "\(name): pongs \(pongs) instead of \(expected.pings)")
        }
    }
    check(sameMessages(whole.delivered, split.delivered), "at once \(whole.delivered), in pieces \(split.delivered)")
}
