import NIOCore
import NIOEmbedded
import NIOHTTP1
import SwitchboardCore
import SwitchboardWebSocket
import SwitchboardWire
import SwitchboardXHRPolling
import Testing

@testable import SwitchboardServer

/// What a connection's pipeline holds (`configureSwitchboard`): every handler costs memory on each
/// idle connection and a step on each message, so none stays where it has no work.
@Suite("the shape of a connection's pipeline")
struct PipelineShapeTests {
    /// The handlers' type names, head to tail, from NIO's description of a pipeline (a line per
    /// handler: its inbound type, `↓↑`, its outbound type, its name in brackets).
    static func handlerTypes(_ channel: EmbeddedChannel) -> [String] {
        String(describing: channel.pipeline).split(separator: "\n").compactMap { line -> String? in
            guard line.contains("[handler"), let arrows = line.range(of: "↓↑") else { return nil }
            let inbound = line[..<arrows.lowerBound].trimmingCharacters(in: .whitespaces)
            let outbound = line[arrows.upperBound...].split(separator: "[").first?.trimmingCharacters(in: .whitespaces) ?? ""
            return inbound.isEmpty ? outbound : inbound
        }
    }

    @Test("after an RFC 6455 upgrade only the session's WebSocket handler is left: no HTTP handler, no request timeout")
    func afterUpgrade() throws {
        let channel = EmbeddedChannel()
        let listener = try Listener(transports: TransportRegistry(SwitchboardWebSocketTransports.all + SwitchboardXHRPollingTransports.all))
        try channel.pipeline.syncOperations.configureSwitchboard([listener])
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 9)).wait()
        let before = Self.handlerTypes(channel)
        #expect(
            before == [
                "RequestTimeoutHandler", "HTTPResponseEncoder", "ByteToMessageHandler<HTTPDecoder<HTTPPart<HTTPRequestHead, ByteBuffer>, HTTPPart<HTTPResponseHead, IOData>>>",
                "HTTPServerPipelineHandler", "NIOHTTPResponseHeadersValidator", "HTTPExchangeObserver", "HTTPServerUpgradeHandler",
                "SessionHTTPHandler",
            ])

        try channel.writeInbound(ByteBuffer(string: RFC6455.requestHead(path: "/socket.io/websocket", host: "h", key: "dGhlIHNhbXBsZSBub25jZQ==")))
        channel.embeddedEventLoop.run()
        var answer = try channel.readOutbound(as: ByteBuffer.self)
        #expect(answer?.readString(length: 12) == "HTTP/1.1 101")
        #expect(Self.handlerTypes(channel) == ["WebSocketSessionHandler"])
        _ = try? channel.finish()
    }

    @Test("after a hixie-76 handshake only the session's hixie-76 handler is left")
    func afterLegacyUpgrade() throws {
        let channel = EmbeddedChannel()
        let listener = try Listener(transports: TransportRegistry(SwitchboardWebSocketTransports.all))
        try channel.pipeline.syncOperations.configureSwitchboard([listener])
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 9)).wait()
        let head = Hixie76.requestHead(
            path: "/socket.io/websocket", host: "h", origin: "http://h", key1: "4 @1  46546xW%0l 1 5", key2: "12998 5 Y3 1  .P00")
        try channel.writeInbound(ByteBuffer(string: head + "^n:ds[4U"))
        channel.embeddedEventLoop.run()
        var answer = try channel.readOutbound(as: ByteBuffer.self)
        #expect(answer?.readString(length: 12) == "HTTP/1.1 101")
        #expect(Self.handlerTypes(channel) == ["Hixie76SessionHandler"])
        _ = try? channel.finish()
    }
}
