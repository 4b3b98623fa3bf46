import NIOCore
import NIOHTTP1
import NIOPosix
import SwitchboardCore
import SwitchboardServer
import SwitchboardServerTestSupport
import SwitchboardTestKit
import Testing

/// An application's own NIO handler, as in a server that existed before Switchboard was added.
final class ExistingApplicationHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .head(let head) = unwrapInboundIn(data) else { return }
        let body = "existing app: \(head.uri)"
        var headers = HTTPHeaders()
        headers.add(name: "Content-Length", value: String(body.utf8.count))
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: .ok, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: body)))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }
}

@Suite("attaching to a NIO server the application already runs")
struct AttachTests {
    @Test("its own handler keeps serving its routes; Switchboard serves its resource, WebSocket included")
    func attachToExistingPipeline() async throws {
        var options = ListenerOptions()
        options.log.logLevel = .critical
        let listener = try Listener(options: options, transports: TestServer.transports)
        listener.on(.clientMessage) { message, client in client.send(message) }
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureSwitchboard([listener])
                    try channel.pipeline.syncOperations.addHandler(ExistingApplicationHandler())
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        defer { channel.close(promise: nil) }
        let port = try #require(channel.localAddress?.port)

        let http = try await HTTPTestConnection.connect(port: port)
        #expect(try await http.request("GET", "/about").bodyString == "existing app: /about")
        let handshake = try await http.request("GET", "/socket.io/xhr-polling//1")
        #expect(handshake.bodyString.hasPrefix("~m~22~m~"))

        let socket = try await WebSocketTestClient.connect(port: port, path: "/socket.io/websocket")
        #expect(try await socket.receiveText().hasPrefix("~m~22~m~"))
        try await socket.send(text: framed("over the existing server"))
        #expect(try await socket.receiveText() == framed("over the existing server"), "frames never reach the application's HTTP handler")
        #expect(listener.clientCount == 2)
    }
}
