import NIOCore
import NIOWebSocket
import SwitchboardWire

/// A peer's bytes to whole messages (RFC 6455 §5.2–§5.5), in one value: what NIO's frame decoder,
/// a header check and NIO's aggregator do as three handlers, with their refusals in their order,
/// for one handler at each end (the server's `WebSocketSessionHandler`, the Swift client's frame
/// handler; docs/architecture.md §4). Pure: bytes in, frames or a failure out.
///
/// - A frame is refused as soon as its length is known: over `maxMessageSize` (1009), a control
///   frame fragmented or longer than 125 bytes (1002).
/// - A whole frame is checked by ``RFC6455/checkHeader(rsv:opcode:masked:sentBy:)``.
/// - Fragments are reassembled; a message over `maxMessageSize` or of more than 10,000
///   fragments is refused (1009), a continuation with no message to continue or a new message
///   before the last one finished (1002). Control frames pass between fragments.
/// - After a refusal nothing more is read.
public struct RFC6455MessageReader {
    /// The most bytes of one frame, and of one reassembled message.
    public let maxMessageSize: Int
    /// Which end sends what is read (the server reads the client's masked frames).
    public let sender: RFC6455.Endpoint
    /// Bytes not yet read: nil once all are read, so an idle socket holds none.
    private var unread: ByteBuffer?
    /// The fragments of a message not yet finished.
    private var fragments: [WebSocketFrame] = []
    private var fragmentBytes = 0
    private var failed = false

    static let maxFragments = 10_000

    public init(maxMessageSize: Int, sender: RFC6455.Endpoint) {
        self.maxMessageSize = maxMessageSize
        self.sender = sender
    }

    /// Adds bytes read from the connection.
    public mutating func append(_ bytes: ByteBuffer) {
        guard !failed, bytes.readableBytes > 0 else { return }
        if unread == nil {
            unread = bytes
        } else {
            var bytes = bytes
            unread!.writeBuffer(&bytes)
        }
    }

    /// The next whole message or control frame, or the failure that ends the connection; nil
    /// when more bytes are needed (or after a failure).
    public mutating func next() -> Result<WebSocketFrame, RFC6455.Failure>? {
        while !failed, var bytes = unread {
            let step = Self.readFrame(&bytes, maxFrameSize: maxMessageSize)
            switch step {
            case .needMore:
                return nil
            case .refused(let failure):
                return fail(failure)
            case .frame(let frame, let masked, let firstByte):
                unread = bytes.readableBytes > 0 ? bytes : nil
                if let failure = RFC6455.checkHeader(
                    rsv: (firstByte >> 4) & 0b111, opcode: firstByte & 0x0F, masked: masked, sentBy: sender)
                {
                    return fail(failure)
                }
                switch reassemble(frame) {
                case .none: continue
                case .some(.success(let message)): return .success(message)
                case .some(.failure(let failure)): return fail(failure)
                }
            }
        }
        return nil
    }

    private mutating func fail(_ failure: RFC6455.Failure) -> Result<WebSocketFrame, RFC6455.Failure> {
        failed = true
        unread = nil
        fragments = []
        return .failure(failure)
    }

    private enum Step {
        case needMore
        case refused(RFC6455.Failure)
        case frame(WebSocketFrame, masked: Bool, firstByte: UInt8)
    }

    /// One frame from the front of `bytes` (consumed only when whole), as NIO's decoder reads it.
    private static func readFrame(_ bytes: inout ByteBuffer, maxFrameSize: Int) -> Step {
        var peek = bytes
        guard let first = peek.readInteger(as: UInt8.self), let second = peek.readInteger(as: UInt8.self) else {
            return .needMore
        }
        let masked = second & 0x80 != 0
        var length = Int(second & 0x7F)
        if length == 126 {
            guard let word = peek.readInteger(as: UInt16.self) else { return .needMore }
            length = Int(word)
        } else if length == 127 {
            guard let qword = peek.readInteger(as: UInt64.self) else { return .needMore }
            guard qword <= UInt64(Int.max) else { return .refused(tooLarge) }
            length = Int(qword)
        }
        // The length is known: refused now, before the mask and the payload arrive.
        let control = first & 0x08 != 0
        if length > maxFrameSize { return .refused(tooLarge) }
        if control && first & 0x80 == 0 { return .refused(RFC6455.Failure(RFC6455.protocolError, "fragmented control frame")) }
        if control && length > 125 {
            return .refused(RFC6455.Failure(RFC6455.protocolError, "control frame longer than 125 bytes"))
        }
        var key: UInt32?
        if masked {
            guard let word = peek.readInteger(as: UInt32.self) else { return .needMore }
            key = word
        }
        guard var data = peek.readSlice(length: length) else { return .needMore }
        bytes = peek
        if let key { data = unmasked(data, key: key) }
        // The frame as NIO's decoder gives it, its payload already unmasked.
        let frame = WebSocketFrame(
            fin: first & 0x80 != 0, rsv1: first & 0x40 != 0, rsv2: first & 0x20 != 0, rsv3: first & 0x10 != 0,
            opcode: WebSocketOpcode(encodedWebSocketOpcode: first & 0x0F)!, maskKey: nil, data: data)
        return .frame(frame, masked: masked, firstByte: first)
    }

    /// `payload` unmasked with `key` (§5.3), into a buffer of its own.
    private static func unmasked(_ payload: ByteBuffer, key: UInt32) -> ByteBuffer {
        var out = ByteBufferAllocator().buffer(capacity: payload.readableBytes)
        payload.withUnsafeReadableBytes { source in
            _ = out.writeWithUnsafeMutableBytes(minimumWritableBytes: source.count) { target in
                for index in 0..<source.count {
                    target[index] = source[index] ^ UInt8(truncatingIfNeeded: key >> (24 - 8 * (index & 3)))
                }
                return source.count
            }
        }
        return out
    }

    private static let tooLarge = RFC6455.Failure(RFC6455.messageTooBig, "frame larger than the limit")

    /// A whole message when `frame` is one or ends one; nil while fragments are still coming.
    private mutating func reassemble(_ frame: WebSocketFrame) -> Result<WebSocketFrame, RFC6455.Failure>? {
        switch frame.opcode {
        case .continuation:
            guard let opcode = fragments.first?.opcode else {
                return .failure(RFC6455.Failure(RFC6455.protocolError, "continuation frame without a message to continue"))
            }
            if let failure = buffer(frame) { return .failure(failure) }
            guard frame.fin else { return nil }
            var data = ByteBuffer()
            data.reserveCapacity(fragmentBytes)
            for fragment in fragments {
                var unmasked = fragment.unmaskedData
                data.writeBuffer(&unmasked)
            }
            fragments = []
            fragmentBytes = 0
            return .success(WebSocketFrame(fin: true, opcode: opcode, data: data))
        case .text, .binary:
            guard frame.fin else { return buffer(frame).map { .failure($0) } }
            guard fragments.isEmpty else { return .failure(Self.newBeforeFinished) }
            return .success(frame)
        default:
            return .success(frame)
        }
    }

    private static let newBeforeFinished = RFC6455.Failure(RFC6455.protocolError, "new message before the fragmented one finished")

    /// Keeps a fragment, or says why the message cannot take it.
    private mutating func buffer(_ frame: WebSocketFrame) -> RFC6455.Failure? {
        guard fragments.isEmpty || frame.opcode == .continuation else { return Self.newBeforeFinished }
        guard fragments.count < Self.maxFragments, frame.fin || fragments.count + 1 < Self.maxFragments else {
            return RFC6455.Failure(RFC6455.messageTooBig, "fragmented message over the limit (tooManyFragments)")
        }
        fragments.append(frame)
        fragmentBytes += frame.length
        guard fragmentBytes <= maxMessageSize else {
            return RFC6455.Failure(RFC6455.messageTooBig, "fragmented message over the limit (accumulatedFrameSizeIsTooLarge)")
        }
        return nil
    }
}
