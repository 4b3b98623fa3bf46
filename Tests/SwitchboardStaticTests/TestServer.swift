import NIOCore
import NIOHTTP1
import NIOPosix
import SwitchboardStatic

/// The kind of handler the main server will have: the browser client from memory, then files,
/// then 404 (GET/HEAD) or 405.
final class StaticTestHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let files: StaticFiles
    let client: StaticAsset
    let fileIO: NonBlockingFileIO
    let threadPool: NIOThreadPool?
    let chunkSize: Int
    private var head: HTTPRequestHead?

    /// - Parameter threadPool: when set, `realpath`/`stat` run there (the async variant).
    init(files: StaticFiles, client: StaticAsset, fileIO: NonBlockingFileIO, threadPool: NIOThreadPool? = nil,
         chunkSize: Int = NonBlockingFileIO.defaultChunkSize) {
        self.files = files
        self.client = client
        self.fileIO = fileIO
        self.threadPool = threadPool
        self.chunkSize = chunkSize
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
        case .body:
            break
        case .end:
            guard let head = self.head else { return }
            self.head = nil
            let path = head.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            if path == "/socket.io/socket.io.js" {
                respond(client.response(for: head), head: head, context: context)
                return
            }
            guard head.method == .GET || head.method == .HEAD else {
                respond(.methodNotAllowed, head: head, context: context)
                return
            }
            if let threadPool {
                let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
                files.response(for: head, threadPool: threadPool, eventLoop: context.eventLoop).whenComplete { result in
                    let (handler, context) = bound.value
                    let response = (try? result.get()).flatMap { $0 } ?? .notFound
                    handler.respond(response, head: head, context: context)
                }
            } else {
                respond(files.response(for: head) ?? .notFound, head: head, context: context)
            }
        }
    }

    private func respond(_ response: StaticResponse, head: HTTPRequestHead, context: ChannelHandlerContext) {
        _ = writeStaticResponse(response, head: head, to: context, fileIO: fileIO, chunkSize: chunkSize)
    }
}
