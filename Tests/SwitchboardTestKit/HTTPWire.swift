import NIOCore

/// How a response body is delimited (RFC 9112 §6.3).
enum BodyFraming: Sendable, Equatable {
    case none
    case contentLength(Int)
    case chunked
    case untilClose
}

/// One step of reading a chunked body.
enum ChunkStep: Sendable {
    case chunk([UInt8])
    case end(trailers: TestHTTPHeaders)
}

/// HTTP/1.1 response parsing on raw bytes.
enum HTTPWire {
    static let maxHeadBytes = 1 << 20

    /// Reads a status line and header fields up to the empty line.
    static func readHead(_ inbox: ByteInbox, deadline: NIODeadline) async throws -> TestHTTPResponseHead {
        let statusLine = try await inbox.readLine(deadline: deadline)
        let (version, status, reason) = try parseStatusLine(statusLine)
        let headers = try await readFields(inbox, deadline: deadline)
        return TestHTTPResponseHead(version: version, status: status, reason: reason, headers: headers)
    }

    static func parseStatusLine(_ line: String) throws -> (String, Int, String) {
        // HTTP-version SP 3DIGIT SP [reason]
        guard line.hasPrefix("HTTP/") else {
            throw TestKitError.malformedResponse("bad status line \(line.debugDescription)")
        }
        let parts = line.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count >= 2, parts[1].count == 3, let status = Int(parts[1]) else {
            throw TestKitError.malformedResponse("bad status line \(line.debugDescription)")
        }
        return (String(parts[0]), status, parts.count > 2 ? String(parts[2]) : "")
    }

    /// Header (or trailer) fields until an empty line.
    static func readFields(_ inbox: ByteInbox, deadline: NIODeadline) async throws -> TestHTTPHeaders {
        var headers = TestHTTPHeaders()
        var total = 0
        while true {
            let line = try await inbox.readLine(deadline: deadline)
            if line.isEmpty { return headers }
            total += line.utf8.count
            if total > maxHeadBytes { throw TestKitError.malformedResponse("header section too large") }
            if line.first == " " || line.first == "\t" {
                // obs-fold: continuation of the previous field value
                guard headers.count > 0 else {
                    throw TestKitError.malformedResponse("continuation line before any field")
                }
                headers.appendToLastValue(" " + trimOWS(line))
                continue
            }
            guard let colon = line.firstIndex(of: ":") else {
                throw TestKitError.malformedResponse("header line without colon \(line.debugDescription)")
            }
            let name = String(line[..<colon])
            guard !name.isEmpty, !name.contains(" "), !name.contains("\t") else {
                throw TestKitError.malformedResponse("bad header name \(name.debugDescription)")
            }
            headers.add(name: name, value: trimOWS(String(line[line.index(after: colon)...])))
        }
    }

    static func framing(of head: TestHTTPResponseHead, requestMethod: String) throws -> BodyFraming {
        if requestMethod.uppercased() == "HEAD" { return .none }
        if (100..<200).contains(head.status) || head.status == 204 || head.status == 304 { return .none }
        let codings = head.headers.tokens("Transfer-Encoding")
        if !codings.isEmpty {
            return codings.last == "chunked" ? .chunked : .untilClose
        }
        let lengths = head.headers.values("Content-Length")
            .flatMap { $0.split(separator: ",") }.map { trimOWS(String($0)) }
        if let first = lengths.first {
            guard lengths.allSatisfy({ $0 == first }), !first.isEmpty,
                first.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
                let length = Int(first)
            else {
                throw TestKitError.malformedResponse("bad Content-Length \(lengths)")
            }
            return .contentLength(length)
        }
        return .untilClose
    }

    /// Reads one chunk (size line, data, CRLF), or the last chunk and its trailers.
    static func readChunk(_ inbox: ByteInbox, deadline: NIODeadline) async throws -> ChunkStep {
        let sizeLine = try await inbox.readLine(deadline: deadline)
        let sizeField = trimOWS(String(sizeLine.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false)[0]))
        guard !sizeField.isEmpty, sizeField.count <= 15, let size = Int(sizeField, radix: 16), size >= 0 else {
            throw TestKitError.malformedResponse("bad chunk size line \(sizeLine.debugDescription)")
        }
        if size == 0 {
            return .end(trailers: try await readFields(inbox, deadline: deadline))
        }
        let data = try await inbox.readExactly(size, deadline: deadline)
        let terminator = try await inbox.readLine(deadline: deadline, maxLength: 2)
        guard terminator.isEmpty else {
            throw TestKitError.malformedResponse("chunk of \(size) bytes not followed by CRLF")
        }
        return .chunk(data)
    }

    /// Reads a whole response (skipping interim 1xx responses other than 101).
    static func readResponse(_ inbox: ByteInbox, requestMethod: String, deadline: NIODeadline) async throws
        -> TestHTTPResponse
    {
        var head = try await readHead(inbox, deadline: deadline)
        while (100..<200).contains(head.status) && head.status != 101 {
            head = try await readHead(inbox, deadline: deadline)
        }
        return try await readBody(of: head, inbox, requestMethod: requestMethod, deadline: deadline)
    }

    static func readBody(
        of head: TestHTTPResponseHead,
        _ inbox: ByteInbox,
        requestMethod: String,
        deadline: NIODeadline
    ) async throws -> TestHTTPResponse {
        switch try framing(of: head, requestMethod: requestMethod) {
        case .none:
            return TestHTTPResponse(head: head, body: [])
        case .contentLength(let length):
            return TestHTTPResponse(head: head, body: try await inbox.readExactly(length, deadline: deadline))
        case .untilClose:
            return TestHTTPResponse(head: head, body: try await inbox.readToEOF(deadline: deadline))
        case .chunked:
            var chunks: [[UInt8]] = []
            var body: [UInt8] = []
            while true {
                switch try await readChunk(inbox, deadline: deadline) {
                case .chunk(let data):
                    chunks.append(data)
                    body += data
                case .end(let trailers):
                    return TestHTTPResponse(head: head, body: body, chunks: chunks, trailers: trailers)
                }
            }
        }
    }

    /// Serializes a request; adds `Host` and `Content-Length` unless the caller gave them.
    static func serializeRequest(
        method: String,
        path: String,
        headers: [(String, String)],
        body: [UInt8]?,
        defaultHost: String
    ) -> [UInt8] {
        let given = Set(headers.map { $0.0.lowercased() })
        var text = "\(method) \(path) HTTP/1.1\r\n"
        if !given.contains("host") { text += "Host: \(defaultHost)\r\n" }
        for (name, value) in headers { text += "\(name): \(value)\r\n" }
        if !given.contains("content-length") && !given.contains("transfer-encoding") {
            if let body {
                text += "Content-Length: \(body.count)\r\n"
            } else if ["POST", "PUT", "PATCH"].contains(method.uppercased()) {
                text += "Content-Length: 0\r\n"
            }
        }
        text += "\r\n"
        return Array(text.utf8) + (body ?? [])
    }
}
