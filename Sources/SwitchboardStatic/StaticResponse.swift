import NIOCore
import NIOHTTP1

/// A response ready to write: status, headers, and body.
///
/// The headers are complete (`Content-Type`, `Content-Length`, `ETag`, ...); `writeStaticResponse(_:head:to:fileIO:chunkSize:)`
/// only adds `Connection` to match the request's keep-alive state.
public struct StaticResponse: Sendable, Equatable {
    public var status: HTTPResponseStatus
    public var headers: HTTPHeaders
    public var body: Body

    public enum Body: Sendable, Equatable {
        /// No body (HEAD, 304, 405 without text). `Content-Length` in the headers, if any, is
        /// what a GET would have carried.
        case empty
        /// Bytes in memory.
        case bytes(ByteBuffer)
        /// A file streamed from disk: its canonical path and the size the headers announce.
        case file(path: String, size: Int)
    }

    public init(status: HTTPResponseStatus, headers: HTTPHeaders = HTTPHeaders(), body: Body = .empty) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A short `text/plain; charset=UTF-8` response, e.g. `.plain(.notFound, "Not Found")`.
    /// A trailing newline is added to the body.
    public static func plain(_ status: HTTPResponseStatus, _ text: String) -> StaticResponse {
        var buffer = ByteBuffer()
        buffer.writeString(text)
        buffer.writeString("\n")
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "text/plain; charset=UTF-8")
        headers.add(name: "Content-Length", value: String(buffer.readableBytes))
        headers.add(name: "Cache-Control", value: "no-cache")
        return StaticResponse(status: status, headers: headers, body: .bytes(buffer))
    }

    /// `404 Not Found`, text/plain.
    public static var notFound: StaticResponse { .plain(.notFound, "Not Found") }

    /// `405 Method Not Allowed` with `Allow: GET, HEAD`, text/plain.
    public static var methodNotAllowed: StaticResponse {
        var r = StaticResponse.plain(.methodNotAllowed, "Method Not Allowed")
        r.headers.add(name: "Allow", value: "GET, HEAD")
        return r
    }
}

/// Validators of one representation, and the shared GET/HEAD/304 logic of files and assets.
struct Representation {
    var contentType: String
    var length: Int
    /// Quoted strong ETag, e.g. `"1a2b-17f3c"`.
    var etag: String
    /// Seconds since the epoch, for `Last-Modified` / `If-Modified-Since`; nil for assets.
    var lastModified: Int?
    var cacheControl: String?

    /// Builds the response for GET or HEAD (nil for other methods). `body` is produced only for a
    /// 200 to a GET.
    func response(for head: HTTPRequestHead, body: () -> StaticResponse.Body) -> StaticResponse? {
        guard head.method == .GET || head.method == .HEAD else { return nil }
        var headers = HTTPHeaders()
        if Conditional.notModified(request: head.headers, etag: etag, lastModified: lastModified) {
            headers.add(name: "ETag", value: etag)
            if let lastModified { headers.add(name: "Last-Modified", value: HTTPDate.format(lastModified)) }
            if let cacheControl { headers.add(name: "Cache-Control", value: cacheControl) }
            return StaticResponse(status: .notModified, headers: headers, body: .empty)
        }
        headers.add(name: "Content-Type", value: contentType)
        headers.add(name: "Content-Length", value: String(length))
        headers.add(name: "ETag", value: etag)
        if let lastModified { headers.add(name: "Last-Modified", value: HTTPDate.format(lastModified)) }
        if let cacheControl { headers.add(name: "Cache-Control", value: cacheControl) }
        headers.add(name: "X-Content-Type-Options", value: "nosniff")
        return StaticResponse(status: .ok, headers: headers, body: head.method == .HEAD ? .empty : body())
    }
}
