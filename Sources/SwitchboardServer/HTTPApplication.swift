import NIOCore
import NIOHTTP1

/// A request for the application: everything that is not Switchboard's.
public struct HTTPRequest: Sendable {
    public var head: HTTPRequestHead
    public var body: ByteBuffer

    /// The path without the query.
    public var path: Substring { head.uri.prefix { $0 != "?" } }
    public var method: HTTPMethod { head.method }
}

/// The application's answer.
public struct HTTPResponse: Sendable {
    public var status: HTTPResponseStatus
    public var headers: HTTPHeaders
    public var body: ByteBuffer

    public init(status: HTTPResponseStatus = .ok, headers: HTTPHeaders = [:], body: ByteBuffer = ByteBuffer()) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A response with a text body and its content type.
    public init(status: HTTPResponseStatus = .ok, contentType: String = "text/html; charset=UTF-8", body: String) {
        self.init(status: status, headers: ["Content-Type": contentType], body: ByteBuffer(string: body))
    }
}

/// The application's own routes: return nil for a request it does not serve (static files and
/// then 404 come next).
public typealias HTTPApplication = @Sendable (HTTPRequest) async throws -> HTTPResponse?
