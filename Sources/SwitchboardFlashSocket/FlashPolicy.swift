import NIOCore
import NIOPosix

/// The Flash cross-domain policy (docs/protocol.md §6.2).
public enum FlashPolicy {
    /// What Flash sends first: `<policy-file-request/>` and a NUL byte (23 bytes).
    public static let request = Array("<policy-file-request/>\0".utf8)

    /// The policy document: one `allow-access-from` line per `origins` entry `host:port`.
    public static func document(origins: [String]) -> String {
        var lines = [
            #"<?xml version="1.0"?>"#,
            #"<!DOCTYPE cross-domain-policy SYSTEM "http://www.macromedia.com/xml/dtds/cross-domain-policy.dtd">"#,
            "<cross-domain-policy>",
        ]
        for origin in origins {
            let parts = origin.split(separator: ":", maxSplits: 1)
            let domain = parts.first.map(String.init) ?? "*"
            let ports = parts.count > 1 ? String(parts[1]) : "*"
            lines.append(#"<allow-access-from domain="\#(xmlEscaped(domain))" to-ports="\#(xmlEscaped(ports))"/>"#)
        }
        lines.append("</cross-domain-policy>")
        return lines.map { $0 + "\n" }.joined()
    }

    private static func xmlEscaped(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "\"", with: "&quot;")
            .replacingOccurrences(of: "<", with: "&lt;")
    }
}

/// First on every HTTP connection: answers a connection whose first bytes are exactly the policy
/// request with the policy and closes it; on anything else it steps aside, passing the bytes on.
final class FlashPolicySniffer: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let policy: String
    private var seen = ByteBuffer()

    init(policy: String) {
        self.policy = policy
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        seen.writeBuffer(&bytes)
        let prefix = Array(seen.readableBytesView.prefix(FlashPolicy.request.count))
        if prefix == FlashPolicy.request {
            context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: policy)))
                .whenComplete { [channel = context.channel] _ in channel.close(promise: nil) }
            seen.clear()
        } else if prefix != Array(FlashPolicy.request.prefix(prefix.count)) {
            // Not a policy request: hand everything seen to HTTP and leave.
            context.fireChannelRead(wrapInboundOut(seen))
            seen = ByteBuffer()
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        }
        // Otherwise a prefix of the request: wait for more.
    }
}

/// The policy server on `flashPolicyPort`: answers the policy request with the policy and closes.
enum FlashPolicyServer {
    static func start(host: String, port: Int, origins: [String], group: any EventLoopGroup) async throws -> any Channel {
        let policy = FlashPolicy.document(origins: origins)
        return try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(FlashPolicySniffer(policy: policy))
                    try channel.pipeline.syncOperations.addHandler(ClosingHandler())
                }
            }
            .bind(host: host, port: port)
            .get()
    }

    /// Anything that is not a policy request closes the connection.
    final class ClosingHandler: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            context.close(promise: nil)
        }
    }
}
