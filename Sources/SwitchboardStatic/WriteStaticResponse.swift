#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore
import NIOHTTP1
import NIOPosix

/// Failures of `writeStaticResponse(_:head:to:fileIO:chunkSize:)`
/// after the response head was sent (the connection is then closed, as the framing is broken).
public enum StaticWriteError: Error, Equatable {
    /// The file delivered fewer bytes than the `Content-Length` that was sent (it shrank or was
    /// replaced while being served).
    case fileShorterThanAnnounced(path: String, expected: Int, actual: Int)
}

/// Writes `response` as `HTTPServerResponsePart`s through `context` (a handler in a pipeline
/// with NIO's HTTP server handlers, e.g. `configureHTTPServerPipeline`). Must be called on the
/// channel's event loop.
///
/// - A `.file` body is opened and read on `fileIO`'s thread pool in chunks of `chunkSize`; each
///   chunk is written and flushed and the next is read only when that write completed (memory
///   use is one chunk per response, whatever the file size).
/// - HEAD: headers only (the announced `Content-Length` is kept), whatever `response.body` is.
/// - If the file can no longer be opened, a 404 is written instead. If it turns out shorter
///   than announced, the future fails with ``StaticWriteError`` and the channel is closed.
/// - `Connection: close` / `keep-alive` is set from the request; when the request is not
///   keep-alive the channel is closed after `.end` is written.
///
/// - Returns: a future that completes once `.end` has been written.
public func writeStaticResponse(
    _ response: StaticResponse,
    head: HTTPRequestHead,
    to context: ChannelHandlerContext,
    fileIO: NonBlockingFileIO,
    chunkSize: Int = NonBlockingFileIO.defaultChunkSize
) -> EventLoopFuture<Void> {
    let sink = PartSink(
        eventLoop: context.eventLoop, allocator: context.channel.allocator,
        context: NIOLoopBound(context, eventLoop: context.eventLoop))
    return sink.send(response, head: head, fileIO: fileIO, chunkSize: chunkSize)
}

/// Where response parts go: the context of the handler that answers; used on `eventLoop` only.
struct PartSink: Sendable {
    let eventLoop: EventLoop
    let allocator: ByteBufferAllocator
    let context: NIOLoopBound<ChannelHandlerContext>

    func write(_ part: HTTPServerResponsePart) -> EventLoopFuture<Void> { context.value.write(NIOAny(part)) }
    func writeAndFlush(_ part: HTTPServerResponsePart) -> EventLoopFuture<Void> { context.value.writeAndFlush(NIOAny(part)) }
    func close() { context.value.close(promise: nil) }

    func send(
        _ response: StaticResponse,
        head request: HTTPRequestHead,
        fileIO: NonBlockingFileIO,
        chunkSize: Int
    ) -> EventLoopFuture<Void> {
        eventLoop.preconditionInEventLoop()
        let keepAlive = request.isKeepAlive
        var headers = response.headers
        if keepAlive {
            if request.version.major == 1 && request.version.minor == 0 {
                headers.replaceOrAdd(name: "Connection", value: "keep-alive")
            }
        } else {
            headers.replaceOrAdd(name: "Connection", value: "close")
        }
        let bodyAllowed = request.method != .HEAD && response.status.mayHaveResponseBody
        var body = bodyAllowed ? response.body : .empty
        if case .bytes(let buffer) = body, buffer.readableBytes == 0 { body = .empty }
        if bodyAllowed && !headers.contains(name: "Content-Length") {
            switch body {
            case .empty: headers.add(name: "Content-Length", value: "0")
            case .bytes(let buffer): headers.add(name: "Content-Length", value: String(buffer.readableBytes))
            case .file(_, let size): headers.add(name: "Content-Length", value: String(size))
            }
        }
        let responseHead = HTTPResponseHead(version: request.version, status: response.status, headers: headers)

        let done: EventLoopFuture<Void>
        switch body {
        case .empty:
            _ = write(.head(responseHead))
            done = writeAndFlush(.end(nil))
        case .bytes(let buffer):
            _ = write(.head(responseHead))
            _ = write(.body(.byteBuffer(buffer)))
            done = writeAndFlush(.end(nil))
        case .file(let path, let size):
            done = sendFile(path: path, size: size, head: responseHead, request: request, fileIO: fileIO, chunkSize: chunkSize)
        }
        guard !keepAlive else { return done }
        let close = self.close
        return done.always { _ in close() }
    }

    private func sendFile(
        path: String,
        size: Int,
        head: HTTPResponseHead,
        request: HTTPRequestHead,
        fileIO: NonBlockingFileIO,
        chunkSize: Int
    ) -> EventLoopFuture<Void> {
        let sink = self
        // O_NOFOLLOW: `path` is canonical; refuse if its last component became a symlink since.
        let opened = fileIO.openFile(
            _deprecatedPath: path,
            mode: .read,
            flags: .posix(flags: O_NOFOLLOW, mode: 0),
            eventLoop: eventLoop
        )
        return opened.flatMapOrRecover { handle in
            _ = sink.write(.head(head))
            let sent = NIOLoopBoundBox(0, eventLoop: sink.eventLoop)
            return fileIO.readChunked(
                fileHandle: handle,
                fromOffset: 0,
                byteCount: size,
                chunkSize: chunkSize,
                allocator: sink.allocator,
                eventLoop: sink.eventLoop
            ) { chunk in
                guard chunk.readableBytes > 0 else {  // EOF before `size` bytes
                    return sink.eventLoop.makeFailedFuture(
                        StaticWriteError.fileShorterThanAnnounced(path: path, expected: size, actual: sent.value)
                    )
                }
                sent.value += chunk.readableBytes
                return sink.writeAndFlush(.body(.byteBuffer(chunk)))
            }
            .flatMapThrowing {
                guard sent.value == size else {
                    throw StaticWriteError.fileShorterThanAnnounced(path: path, expected: size, actual: sent.value)
                }
            }
            .always { _ in try? handle.close() }
            .flatMap { sink.writeAndFlush(.end(nil)) }
            .flatMapErrorThrowing { error in
                sink.close()  // head already sent: the response cannot be completed
                throw error
            }
        } recover: { _ in
            // Could not open (removed or replaced since resolve): nothing was written yet.
            let notFound = StaticResponse.notFound
            var headers = notFound.headers
            if let connection = head.headers.first(name: "Connection") {
                headers.replaceOrAdd(name: "Connection", value: connection)
            }
            let notFoundHead = HTTPResponseHead(version: head.version, status: .notFound, headers: headers)
            _ = sink.write(.head(notFoundHead))
            if request.method != .HEAD, case .bytes(let buffer) = notFound.body {
                _ = sink.write(.body(.byteBuffer(buffer)))
            }
            return sink.writeAndFlush(.end(nil))
        }
    }
}

extension EventLoopFuture {
    /// `flatMap` whose failure (of `self` only) is handled by `recover`.
    fileprivate func flatMapOrRecover<NewValue: Sendable>(
        _ body: @escaping @Sendable (Value) -> EventLoopFuture<NewValue>,
        recover: @escaping @Sendable (Error) -> EventLoopFuture<NewValue>
    ) -> EventLoopFuture<NewValue> {
        let promise = self.eventLoop.makePromise(of: NewValue.self)
        self.whenComplete { result in
            switch result {
            case .success(let value): body(value).cascade(to: promise)
            case .failure(let error): recover(error).cascade(to: promise)
            }
        }
        return promise.futureResult
    }
}
