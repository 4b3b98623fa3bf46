import Foundation
import SwitchboardCore
import SwitchboardServerTestSupport
import SwitchboardTestKit
import Testing

/// Reads payloads out of each transport's wire format (docs/protocol.md §6), as a client would.
enum Wire {
    /// The payload inside one write of a stream or one jsonp-polling body.
    static func payload(of text: String, transport: String) throws -> String {
        switch transport {
        case "htmlfile":
            return try jsonString(between: "<script>parent.s._(", and: ", document);</script>", in: text)
        case "xhr-multipart":
            let prefix = "Content-Type: text/plain\n\n", suffix = "\n--socketio\n"
            try #require(text.hasPrefix(prefix) && text.hasSuffix(suffix), "not a multipart part: \(text.debugDescription)")
            return String(text.dropFirst(prefix.count).dropLast(suffix.count))
        case "server-events":
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
            try #require(lines.count == 4 && lines[0].hasPrefix("id: ") && lines[1].hasPrefix("data: ") && text.hasSuffix("\n\n"),
                "not one event: \(text.debugDescription)")
            return try decodeJSONString(String(lines[1].dropFirst("data: ".count)))
        case "jsonp-polling":
            try #require(text.hasPrefix("io.JSONP["), "not a JSONP call: \(text.debugDescription)")
            let afterIndex = try #require(text.range(of: "]._(")).upperBound
            try #require(text.hasSuffix(");"))
            return try decodeJSONString(String(text[afterIndex...].dropLast(2)))
        default:
            return text
        }
    }

    static func jsonString(between prefix: String, and suffix: String, in text: String) throws -> String {
        try #require(text.hasPrefix(prefix) && text.hasSuffix(suffix), "unexpected write: \(text.debugDescription)")
        return try decodeJSONString(String(text.dropFirst(prefix.count).dropLast(suffix.count)))
    }

    static func decodeJSONString(_ literal: String) throws -> String {
        try #require(!literal.contains("<") && !literal.contains("\u{2028}") && !literal.contains("\u{2029}"),
            "the literal must escape <, U+2028 and U+2029: \(literal)")
        return try JSONDecoder().decode(String.self, from: Data(literal.utf8))
    }

    /// The session id in a handshake payload.
    static func sessionId(inHandshake payload: String) throws -> String {
        try #require(payload.hasPrefix("~m~22~m~"), "not a handshake: \(payload)")
        return String(payload.dropFirst("~m~22~m~".count))
    }
}

/// A session over a streaming transport: one long GET whose chunks are payloads.
struct StreamSession {
    let transport: String
    let stream: TestHTTPStream
    let sessionId: String
    /// The first chunk (the prelude) when the transport has one.
    let prelude: String?

    /// Opens the stream (resuming `sid` when given) and, for a new session, reads the handshake.
    /// `resumeHeaders` re-attach without a SID in the path (server-events' `Last-Event-ID`).
    static func open(
        _ server: TestServer, _ transport: String, resume sid: String? = nil,
        resumeHeaders: [(String, String)] = []
    ) async throws -> StreamSession {
        let connection = try await server.http()
        // Clients always send the SID slot, empty for a new session.
        let path = "/\(server.resource)/\(transport)/\(sid ?? "")/\(TestServer.now())"
        let stream = try await connection.startRequest("GET", path, headers: resumeHeaders)
        try #require(stream.status == 200, "status \(stream.status)")
        let prelude = ["htmlfile", "xhr-multipart"].contains(transport) ? try await stream.nextChunkString() : nil
        let session = StreamSession(transport: transport, stream: stream, sessionId: sid ?? "", prelude: prelude)
        guard sid == nil, resumeHeaders.isEmpty else { return session }
        let handshake = try await session.next()
        return StreamSession(
            transport: transport, stream: stream, sessionId: try Wire.sessionId(inHandshake: handshake), prelude: prelude)
    }

    /// The next payload written on the stream.
    func next(timeout: Duration = .seconds(5)) async throws -> String {
        let chunk = try #require(try await stream.nextChunkString(timeout: timeout), "the stream ended")
        return try Wire.payload(of: chunk, transport: transport)
    }

    /// The raw next write, for exact-bytes checks.
    func nextRaw() async throws -> String? {
        try await stream.nextChunkString()
    }

    func close() async {
        await stream.connection.close()
    }
}
