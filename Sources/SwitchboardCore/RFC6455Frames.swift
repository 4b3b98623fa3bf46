import NIOCore
import NIOWebSocket
import SwitchboardWire

/// RFC 6455 on NIO's frames, the same at both ends: the server's websocket transport and the Swift
/// client (docs/protocol.md §6.1, §9.3). NIO's `WebSocketFrameDecoder` refuses frames over the size
/// limit and control frames that are fragmented or longer than 125 bytes; its
/// `NIOWebSocketFrameAggregator` refuses broken fragmentation and messages over the limit. The
/// rest is SwitchboardWire's ``RFC6455``: the header checks (mask, reserved bits, opcodes) on each
/// frame before reassembly, and on each whole message strict UTF-8 and valid close frames. Every
/// refusal is an ``RFC6455/Failure``, the close code the connection fails with.
public enum RFC6455Frames {
    /// The inbound handlers, in order, from the connection's bytes to whole messages: frames are
    /// decoded, checked as sent by `sender`, then reassembled, each at most `maxMessageSize` bytes.
    /// Their errors are ``failure(for:)``'s to read.
    public static func inboundHandlers(maxMessageSize: Int, sender: RFC6455.Endpoint) -> [any ChannelHandler] {
        [
            ByteToMessageHandler(WebSocketFrameDecoder(maxFrameSize: maxMessageSize)),
            RFC6455FrameChecker(sender: sender),
            NIOWebSocketFrameAggregator(
                minNonFinalFragmentSize: 0, maxAccumulatedFrameCount: 10_000, maxAccumulatedFrameSize: maxMessageSize),
        ]
    }

    /// What one whole frame from ``inboundHandlers(maxMessageSize:sender:)`` carries.
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

    /// The failure an error of the inbound handlers stands for; nil for any other error (I/O).
    public static func failure(for error: any Error) -> RFC6455.Failure? {
        switch error {
        case let failure as RFC6455.Failure:
            return failure
        case ByteToMessageDecoderError.dataReceivedInErrorState(let first, _):
            return failure(for: first)
        case let error as NIOWebSocketError:
            switch error {
            case .invalidFrameLength: return RFC6455.Failure(RFC6455.messageTooBig, "frame larger than the limit")
            case .fragmentedControlFrame: return RFC6455.Failure(RFC6455.protocolError, "fragmented control frame")
            case .multiByteControlFrameLength: return RFC6455.Failure(RFC6455.protocolError, "control frame longer than 125 bytes")
            }
        case let error as NIOWebSocketFrameAggregator.Error:
            switch error {
            case .didReceiveFragmentBeforeReceivingTextOrBinaryFrame:
                return RFC6455.Failure(RFC6455.protocolError, "continuation frame without a message to continue")
            case .receivedNewFrameWithoutFinishingPrevious:
                return RFC6455.Failure(RFC6455.protocolError, "new message before the fragmented one finished")
            default:
                return RFC6455.Failure(RFC6455.messageTooBig, "fragmented message over the limit (\(error))")
            }
        default:
            return nil
        }
    }
}

/// Applies ``RFC6455/checkHeader(rsv:opcode:masked:sentBy:)`` to every frame before reassembly
/// (the aggregator drops the mask and the reserved bits); after the first bad frame it passes
/// nothing more on.
final class RFC6455FrameChecker: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias InboundOut = WebSocketFrame

    private let sender: RFC6455.Endpoint
    private var failed = false

    init(sender: RFC6455.Endpoint) {
        self.sender = sender
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !failed else { return }
        let frame = unwrapInboundIn(data)
        let rsv: UInt8 = (frame.rsv1 ? 0b100 : 0) | (frame.rsv2 ? 0b010 : 0) | (frame.rsv3 ? 0b001 : 0)
        let opcode = UInt8(webSocketOpcode: frame.opcode)
        if let failure = RFC6455.checkHeader(rsv: rsv, opcode: opcode, masked: frame.maskKey != nil, sentBy: sender) {
            failed = true
            context.fireErrorCaught(failure)
        } else {
            context.fireChannelRead(data)
        }
    }
}
