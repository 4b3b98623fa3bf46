import NIOCore
import NIOWebSocket
import SwitchboardWire

/// RFC 6455 on NIO's frame type, the same at both ends: writing a server's frames, and reading a
/// whole frame's meaning (docs/protocol.md §6.1, §9.3). Frames are read from bytes, checked and
/// reassembled by ``RFC6455MessageReader``.
public enum RFC6455Frames {
    /// A server's frame, whole (RFC 6455 §5.2): FIN, `opcode`, the length, then `payload`, unmasked.
    public static func serverFrame(
        _ opcode: WebSocketOpcode, payload: ByteBuffer, allocator: ByteBufferAllocator = ByteBufferAllocator()
    ) -> ByteBuffer {
        var frame = allocator.buffer(capacity: payload.readableBytes + 10)
        writeServerHeader(opcode, length: payload.readableBytes, into: &frame)
        frame.writeImmutableBuffer(payload)
        return frame
    }

    /// The header of a server's final, unmasked frame of `length` payload bytes (§5.2): the
    /// shortest length encoding, as every endpoint must send it.
    public static func writeServerHeader(_ opcode: WebSocketOpcode, length: Int, into buffer: inout ByteBuffer) {
        buffer.writeInteger(0x80 | UInt8(webSocketOpcode: opcode))
        switch length {
        case ..<126:
            buffer.writeInteger(UInt8(length))
        case ...Int(UInt16.max):
            buffer.writeInteger(UInt8(126))
            buffer.writeInteger(UInt16(length))
        default:
            buffer.writeInteger(UInt8(127))
            buffer.writeInteger(UInt64(length))
        }
    }

    /// What one whole frame from ``RFC6455MessageReader`` carries.
    public enum Message {
        case text(String)
        case binary
        case ping(ByteBuffer)
        case pong
        /// A close frame and its code, nil when it had none.
        case close(UInt16?)
    }

    /// Reads a whole frame: a text message must be UTF-8 (else 1007), a close frame must carry a
    /// valid code (else 1002) and a UTF-8 reason (else 1007).
    public static func message(of frame: WebSocketFrame) -> Result<Message, RFC6455.Failure> {
        let data = frame.unmaskedData
        switch frame.opcode {
        case .text: return RFC6455.text(ofMessage: data.readableBytesView).map(Message.text)
        case .binary: return .success(.binary)
        case .ping: return .success(.ping(data))
        case .pong: return .success(.pong)
        case .connectionClose: return RFC6455.closeCode(ofPayload: data.readableBytesView).map(Message.close)
        default: return .failure(RFC6455.Failure(RFC6455.protocolError, "unexpected \(frame.opcode)"))
        }
    }
}

/// One end of an RFC 6455 connection after the handshake, the same at both ends: what to do with
/// each whole frame from ``RFC6455MessageReader``, when to fail
/// the connection and how the closing handshake goes (RFC 6455 §5.5, §7.1.7; docs/protocol.md
/// §9.3). Pure: the server's and the client's handlers carry its actions out.
public struct RFC6455Endpoint {
    public enum Action: Equatable {
        /// A text message for the session.
        case deliver(String)
        /// Answer a ping with a pong carrying its data.
        case pong(ByteBuffer)
        /// Write a close frame with `code`, then close the connection; `failure` says why the
        /// connection failed (to log), nil for a normal closing handshake.
        case sendClose(code: UInt16, failure: RFC6455.Failure?)
        /// The peer answered our close frame: close the connection.
        case closeConnection
        case none
    }

    /// Whether this end sent its close frame: it sends nothing more, pongs included.
    public private(set) var closing = false
    /// Whether the connection failed: nothing more is read.
    private var failed = false

    public init() {}

    /// What to do with a whole frame. After this end's close frame only the peer's close is read
    /// (§5.5.1), even from the rest of the same read; after a failure nothing is.
    public mutating func read(_ frame: WebSocketFrame) -> Action {
        guard !failed else { return .none }
        let message = RFC6455Frames.message(of: frame)
        if closing {
            if case .success(.close) = message { return .closeConnection }
            return .none
        }
        switch message {
        case .failure(let failure): return fail(failure)
        case .success(.text(let text)): return .deliver(text)
        case .success(.binary): return fail(RFC6455.Failure(RFC6455.unsupportedData, "binary message"))
        case .success(.ping(let data)): return .pong(data)
        case .success(.pong): return .none
        case .success(.close(let code)): return close(RFC6455.closeReply(to: code))
        }
    }

    /// What to do with the next message `reader` has read, or the failure it found; nil when it
    /// needs more bytes. A handler appends what it reads to `reader`, then carries these out in turn.
    public mutating func read(from reader: inout RFC6455MessageReader) -> Action? {
        switch reader.next() {
        case nil: return nil
        case .success(let frame)?: return read(frame)
        case .failure(let failure)?: return fail(failure)
        }
    }

    /// Fails the connection (§7.1.7) with the failure's code, unless it already failed or closes.
    public mutating func fail(_ failure: RFC6455.Failure) -> Action {
        guard !failed else { return .none }
        failed = true
        guard !closing else { return .none }
        closing = true
        return .sendClose(code: failure.code, failure: failure)
    }

    /// Starts the closing handshake with `code`, unless this end already closes.
    public mutating func close(_ code: UInt16) -> Action {
        guard !closing else { return .none }
        closing = true
        return .sendClose(code: code, failure: nil)
    }
}
