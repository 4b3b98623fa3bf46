/// Response headers in wire order, with case-insensitive lookup.
public struct TestHTTPHeaders: Sendable, Equatable, Sequence, CustomStringConvertible {
    public typealias Field = (name: String, value: String)

    /// Every field, in the order the server sent them (names as sent).
    public private(set) var fields: [Field]

    public init(_ fields: [(String, String)] = []) {
        self.fields = fields.map { (name: $0.0, value: $0.1) }
    }

    public mutating func add(name: String, value: String) {
        self.fields.append((name: name, value: value))
    }

    mutating func appendToLastValue(_ text: String) {
        self.fields[self.fields.count - 1].value += text
    }

    /// The first value of `name` (case-insensitive), or nil.
    public subscript(name: String) -> String? {
        let lowered = name.lowercased()
        return self.fields.first { $0.name.lowercased() == lowered }?.value
    }

    /// All values of `name` (case-insensitive), in order.
    public func values(_ name: String) -> [String] {
        let lowered = name.lowercased()
        return self.fields.filter { $0.name.lowercased() == lowered }.map(\.value)
    }

    public func contains(_ name: String) -> Bool { self[name] != nil }

    /// Comma-separated tokens of every `name` field, trimmed and lowercased
    /// (e.g. `tokens("Connection")` → `["keep-alive"]`).
    public func tokens(_ name: String) -> [String] {
        self.values(name).flatMap { $0.split(separator: ",") }.map { trimOWS(String($0)).lowercased() }
            .filter { !$0.isEmpty }
    }

    /// Whether the comma-separated field `name` contains `token` (case-insensitive).
    public func hasToken(_ token: String, in name: String) -> Bool {
        self.tokens(name).contains(token.lowercased())
    }

    public var count: Int { self.fields.count }
    public var names: [String] { self.fields.map(\.name) }

    public func makeIterator() -> IndexingIterator<[Field]> { self.fields.makeIterator() }

    public static func == (lhs: TestHTTPHeaders, rhs: TestHTTPHeaders) -> Bool {
        lhs.fields.count == rhs.fields.count
            && zip(lhs.fields, rhs.fields).allSatisfy { $0.name == $1.name && $0.value == $1.value }
    }

    public var description: String {
        self.fields.map { "\($0.name): \($0.value)" }.joined(separator: "\n")
    }
}

/// Status line and headers of a response.
public struct TestHTTPResponseHead: Sendable, Equatable, CustomStringConvertible {
    /// e.g. `"HTTP/1.1"`.
    public var version: String
    public var status: Int
    public var reason: String
    public var headers: TestHTTPHeaders

    public init(version: String, status: Int, reason: String, headers: TestHTTPHeaders) {
        self.version = version
        self.status = status
        self.reason = reason
        self.headers = headers
    }

    /// `Transfer-Encoding`'s last coding is `chunked`.
    public var isChunked: Bool { self.headers.tokens("Transfer-Encoding").last == "chunked" }

    /// The `Content-Length` value, if present and a valid number.
    public var contentLength: Int? { self.headers["Content-Length"].flatMap { Int(trimOWS($0)) } }

    public var description: String { "\(self.version) \(self.status) \(self.reason)\n\(self.headers)" }
}

/// A complete response.
public struct TestHTTPResponse: Sendable, Equatable, CustomStringConvertible {
    public var head: TestHTTPResponseHead
    /// The body (chunked bodies are de-chunked; chunk framing is in `chunks`).
    public var body: [UInt8]
    /// Each chunk's data exactly as the server framed it (empty unless `isChunked`).
    public var chunks: [[UInt8]]
    /// Trailer fields after the last chunk (empty unless chunked with trailers).
    public var trailers: TestHTTPHeaders

    public init(head: TestHTTPResponseHead, body: [UInt8], chunks: [[UInt8]] = [], trailers: TestHTTPHeaders = .init()) {
        self.head = head
        self.body = body
        self.chunks = chunks
        self.trailers = trailers
    }

    public var status: Int { self.head.status }
    public var reason: String { self.head.reason }
    public var version: String { self.head.version }
    public var headers: TestHTTPHeaders { self.head.headers }
    public var isChunked: Bool { self.head.isChunked }
    /// The body decoded as UTF-8 (invalid sequences replaced).
    public var bodyString: String { String(decoding: self.body, as: UTF8.self) }

    public var description: String { "\(self.head)\n\n\(self.bodyString)" }
}

func trimOWS(_ s: String) -> String {
    var scalars = Substring(s)
    while let first = scalars.first, first == " " || first == "\t" { scalars.removeFirst() }
    while let last = scalars.last, last == " " || last == "\t" { scalars.removeLast() }
    return String(scalars)
}
