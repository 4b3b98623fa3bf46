import NIOHTTP1

/// A response's header fields, gathered as pairs and made into `HTTPHeaders` once. NIO's
/// `HTTPHeaders.add(name:value:)` checks each name it is given byte by byte, and every poll, post
/// and stream answer adds several; these names are Switchboard's constants or its specs', and
/// NIO's header validator checks every field that goes out.
struct ResponseFields {
    private var pairs: [(String, String)] = []

    /// The fields of `headers` (none by default), with room for `extra` more.
    init(_ headers: HTTPHeaders = [:], reserving extra: Int = 4) {
        pairs.reserveCapacity(headers.count + extra)
        for (name, value) in headers { pairs.append((name, value)) }
    }

    mutating func add(_ name: String, _ value: String) {
        pairs.append((name, value))
    }

    /// Adds the field in place of any of the same name.
    mutating func replaceOrAdd(_ name: String, _ value: String) {
        pairs.removeAll { Self.sameName($0.0, name) }
        pairs.append((name, value))
    }

    mutating func add(_ headers: HTTPHeaders) {
        for (name, value) in headers { pairs.append((name, value)) }
    }

    /// Whether a field of this name is here (names compare without regard to ASCII case).
    func contains(_ name: String) -> Bool {
        pairs.contains { Self.sameName($0.0, name) }
    }

    var headers: HTTPHeaders { HTTPHeaders(pairs) }

    private static func sameName(_ a: String, _ b: String) -> Bool {
        func lower(_ byte: UInt8) -> UInt8 { (0x41...0x5A).contains(byte) ? byte | 0x20 : byte }
        return a.utf8.count == b.utf8.count && zip(a.utf8, b.utf8).allSatisfy { lower($0) == lower($1) }
    }
}
