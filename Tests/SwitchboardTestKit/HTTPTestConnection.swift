import NIOConcurrencyHelpers
import NIOCore

/// One TCP connection speaking HTTP/1.1 (keep-alive: reusable for several requests).
///
/// Requests on one connection are sequential: `request`/`startRequest`/`readResponse` throw
/// `TestKitError.invalidState` while a `TestHTTPStream` from `startRequest` is not yet finished.
public final class HTTPTestConnection: Sendable {
    let connection: TCPConnection
    private let busy = NIOLockedValueBox(false)

    public var host: String { self.connection.host }
    public var port: Int { self.connection.port }

    private init(connection: TCPConnection) {
        self.connection = connection
    }

    /// Opens the TCP connection.
    public static func connect(
        host: String = "127.0.0.1",
        port: Int,
        timeout: Duration = .seconds(15)
    ) async throws -> HTTPTestConnection {
        HTTPTestConnection(connection: try await TCPConnection.connect(host: host, port: port, timeout: timeout))
    }

    /// `Host` header value used when the caller does not give one.
    var defaultHost: String {
        self.host.contains(":") ? "[\(self.host)]:\(self.port)" : "\(self.host):\(self.port)"
    }

    /// Sends a request and waits for the complete response (Content-Length, chunked, or
    /// close-delimited). `Host` is added unless given; `Content-Length` is added for a body (and
    /// `0` for a body-less POST/PUT/PATCH) unless `Content-Length`/`Transfer-Encoding` is given.
    /// Interim 1xx responses (except 101) are skipped.
    public func request(
        _ method: String,
        _ path: String,
        headers: [(String, String)] = [],
        body: [UInt8]? = nil,
        timeout: Duration = .seconds(15)
    ) async throws -> TestHTTPResponse {
        let deadline = makeDeadline(after: timeout)
        try self.acquire()
        defer { self.release() }
        try await self.connection.write(
            HTTPWire.serializeRequest(method: method, path: path, headers: headers, body: body, defaultHost: self.defaultHost),
            deadline: deadline
        )
        return try await HTTPWire.readResponse(self.connection.inbox, requestMethod: method, deadline: deadline)
    }

    /// Sends a request and waits only for the response head; read the body with
    /// `TestHTTPStream.nextChunk`, which gives each HTTP chunk exactly as the server framed it.
    public func startRequest(
        _ method: String,
        _ path: String,
        headers: [(String, String)] = [],
        body: [UInt8]? = nil,
        timeout: Duration = .seconds(15)
    ) async throws -> TestHTTPStream {
        let deadline = makeDeadline(after: timeout)
        try self.acquire()
        do {
            try await self.connection.write(
                HTTPWire.serializeRequest(method: method, path: path, headers: headers, body: body, defaultHost: self.defaultHost),
                deadline: deadline
            )
            return try await self.readStreamHead(requestMethod: method, deadline: deadline)
        } catch {
            self.release()
            throw error
        }
    }

    /// Writes a request without waiting for anything (pair with `readResponse` / `readStreamingResponse`).
    public func send(
        _ method: String,
        _ path: String,
        headers: [(String, String)] = [],
        body: [UInt8]? = nil,
        timeout: Duration = .seconds(15)
    ) async throws {
        try await self.connection.write(
            HTTPWire.serializeRequest(method: method, path: path, headers: headers, body: body, defaultHost: self.defaultHost),
            deadline: makeDeadline(after: timeout)
        )
    }

    /// Reads the next complete response (e.g. after `sendRaw` or `send`). `requestMethod` matters
    /// only for `HEAD` (no body).
    public func readResponse(requestMethod: String = "GET", timeout: Duration = .seconds(15)) async throws
        -> TestHTTPResponse
    {
        let deadline = makeDeadline(after: timeout)
        try self.acquire()
        defer { self.release() }
        return try await HTTPWire.readResponse(self.connection.inbox, requestMethod: requestMethod, deadline: deadline)
    }

    /// Reads the next response head and returns a stream for its body.
    public func readStreamingResponse(requestMethod: String = "GET", timeout: Duration = .seconds(15)) async throws
        -> TestHTTPStream
    {
        let deadline = makeDeadline(after: timeout)
        try self.acquire()
        do {
            return try await self.readStreamHead(requestMethod: requestMethod, deadline: deadline)
        } catch {
            self.release()
            throw error
        }
    }

    private func readStreamHead(requestMethod: String, deadline: NIODeadline) async throws -> TestHTTPStream {
        var head = try await HTTPWire.readHead(self.connection.inbox, deadline: deadline)
        while (100..<200).contains(head.status) && head.status != 101 {
            head = try await HTTPWire.readHead(self.connection.inbox, deadline: deadline)
        }
        let framing = try HTTPWire.framing(of: head, requestMethod: requestMethod)
        let stream = TestHTTPStream(head: head, framing: framing, connection: self)
        if framing == .none || framing == .contentLength(0) {
            stream.markFinished()
        }
        return stream
    }

    /// Writes raw bytes (malformed requests, partial requests, pipelining...).
    public func sendRaw(_ bytes: [UInt8], timeout: Duration = .seconds(15)) async throws {
        try await self.connection.write(bytes, deadline: makeDeadline(after: timeout))
    }

    /// Writes a string's UTF-8 bytes.
    public func sendRaw(_ text: String, timeout: Duration = .seconds(15)) async throws {
        try await self.sendRaw(Array(text.utf8), timeout: timeout)
    }

    /// True once the TCP connection is closed (by the peer or by `close()`).
    public var isClosed: Bool { self.connection.isClosed }

    /// Waits until the peer closes the TCP connection; throws `TestKitError.timeout` otherwise.
    public func waitForClose(timeout: Duration = .seconds(15)) async throws {
        try await self.connection.waitForClose(deadline: makeDeadline(after: timeout))
    }

    /// Closes the connection (idempotent).
    public func close() async {
        await self.connection.close()
    }

    // MARK: sequencing

    private func acquire() throws {
        let wasBusy = self.busy.withLockedValue { busy -> Bool in
            defer { busy = true }
            return busy
        }
        if wasBusy {
            throw TestKitError.invalidState("a response (or streaming body) is still being read on this connection")
        }
    }

    func release() {
        self.busy.withLockedValue { $0 = false }
    }
}

/// A response whose body is read piece by piece.
///
/// For chunked bodies each `nextChunk` is one HTTP chunk exactly as framed by the server. For
/// Content-Length or close-delimited bodies it is whatever bytes arrived next (TCP boundaries).
public final class TestHTTPStream: Sendable {
    private struct State {
        var finished = false
        var reading = false
        var remaining: Int  // for Content-Length bodies
        var trailers = TestHTTPHeaders()
    }

    /// Status line and headers.
    public let head: TestHTTPResponseHead
    /// The connection this response arrives on (reusable once the body is finished).
    public let connection: HTTPTestConnection
    private let framing: BodyFraming
    private let state: NIOLockedValueBox<State>

    init(head: TestHTTPResponseHead, framing: BodyFraming, connection: HTTPTestConnection) {
        self.head = head
        self.framing = framing
        self.connection = connection
        if case .contentLength(let length) = framing {
            self.state = NIOLockedValueBox(State(remaining: length))
        } else {
            self.state = NIOLockedValueBox(State(remaining: 0))
        }
    }

    public var status: Int { self.head.status }
    public var headers: TestHTTPHeaders { self.head.headers }
    public var isChunked: Bool { self.framing == .chunked }

    /// True once the whole body was read (`nextChunk` returned nil).
    public var isFinished: Bool { self.state.withLockedValue { $0.finished } }
    /// Trailer fields of a chunked body (available once finished).
    public var trailers: TestHTTPHeaders { self.state.withLockedValue { $0.trailers } }

    func markFinished() {
        let wasFinished = self.state.withLockedValue { state -> Bool in
            defer { state.finished = true }
            return state.finished
        }
        if !wasFinished { self.connection.release() }
    }

    /// The next body piece, or nil at the end of the body.
    public func nextChunk(timeout: Duration = .seconds(15)) async throws -> [UInt8]? {
        let deadline = makeDeadline(after: timeout)
        let (finished, remaining) = try self.state.withLockedValue { state -> (Bool, Int) in
            if state.reading { throw TestKitError.invalidState("concurrent nextChunk calls") }
            if !state.finished { state.reading = true }
            return (state.finished, state.remaining)
        }
        if finished { return nil }
        defer { self.state.withLockedValue { $0.reading = false } }
        let inbox = self.connection.connection.inbox

        switch self.framing {
        case .none:
            self.markFinished()
            return nil
        case .chunked:
            switch try await HTTPWire.readChunk(inbox, deadline: deadline) {
            case .chunk(let data):
                return data
            case .end(let trailers):
                self.state.withLockedValue { $0.trailers = trailers }
                self.markFinished()
                return nil
            }
        case .contentLength:
            if remaining == 0 {
                self.markFinished()
                return nil
            }
            let data = try await inbox.readAvailable(maxCount: remaining, deadline: deadline)
            if data.isEmpty { throw TestKitError.connectionClosed }
            let left = self.state.withLockedValue { state -> Int in
                state.remaining -= data.count
                return state.remaining
            }
            if left == 0 { self.markFinished() }
            return data
        case .untilClose:
            let data = try await inbox.readAvailable(deadline: deadline)
            if data.isEmpty {
                self.markFinished()
                return nil
            }
            return data
        }
    }

    /// `nextChunk` decoded as UTF-8.
    public func nextChunkString(timeout: Duration = .seconds(15)) async throws -> String? {
        try await self.nextChunk(timeout: timeout).map { String(decoding: $0, as: UTF8.self) }
    }

    /// Reads all remaining pieces until the end of the body (within `timeout` overall).
    public func readToEnd(timeout: Duration = .seconds(15)) async throws -> [[UInt8]] {
        let deadline = ContinuousClock.now + timeout
        var pieces: [[UInt8]] = []
        while let piece = try await self.nextChunk(timeout: deadline - ContinuousClock.now) {
            pieces.append(piece)
        }
        return pieces
    }
}
