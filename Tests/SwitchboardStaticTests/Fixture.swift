import Foundation
import NIOCore
import NIOHTTP1
@testable import SwitchboardStatic

/// A temporary folder tree for one test:
///
///     <base>/secret.txt                 outside the root
///     <base>/www-evil/secret.txt        sibling whose name starts with the root's name
///     <base>/www/                       the root
///         index.html, app.js, style.css, data.json, logo.png, movie.SWF, README,
///         hello world ü.txt, big.bin (300_001 bytes)
///         sub/index.html, sub/page.txt, empty/ (no index)
///         .hidden, .git/config
///         inner-link.txt -> sub/page.txt        symlink inside the root
///         subdir-link -> sub                    directory symlink inside the root
///         outside-link.txt -> ../secret.txt     symlink escaping the root
///         evil-link -> ../www-evil              directory symlink to the sibling
///         evil-file-link.txt -> ../www-evil/secret.txt
///         hidden-link.txt -> .hidden            symlink to a dot-file
///         fifo (a named pipe: not a regular file)
final class Fixture {
    let base: String
    let root: String
    var bigBytes: [UInt8] { Self.big }
    /// 300_001 bytes: more than two default read chunks (128 KiB), not a multiple of any.
    static let big: [UInt8] = (0..<300_001).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 8) }
    static let indexHTML = "<!doctype html><h1>root index</h1>\n"
    static let subIndexHTML = "<h1>sub index</h1>\n"
    static let pageText = "page in sub\n"

    init() throws {
        let fm = FileManager.default
        var template = Array((NSTemporaryDirectory() + "/sbstatic-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else { throw CocoaError(.fileWriteUnknown) }
        // Canonical base so that tests can compare paths with realpath output.
        base = URL(fileURLWithPath: String(cString: made)).resolvingSymlinksInPath().path
        root = base + "/www"

        func write(_ path: String, _ text: String) throws {
            try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        }
        try fm.createDirectory(atPath: root + "/sub", withIntermediateDirectories: true)
        try fm.createDirectory(atPath: root + "/empty", withIntermediateDirectories: true)
        try fm.createDirectory(atPath: root + "/.git", withIntermediateDirectories: true)
        try fm.createDirectory(atPath: base + "/www-evil", withIntermediateDirectories: true)
        try write(base + "/secret.txt", "TOP SECRET\n")
        try write(base + "/www-evil/secret.txt", "EVIL SECRET\n")
        try write(root + "/index.html", Self.indexHTML)
        try write(root + "/app.js", "console.log('hi');\n")
        try write(root + "/style.css", "body{}\n")
        try write(root + "/data.json", "{\"a\":1}\n")
        try Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]).write(to: URL(fileURLWithPath: root + "/logo.png"))
        try write(root + "/movie.SWF", "FWS")
        try write(root + "/README", "readme\n")
        try write(root + "/hello world ü.txt", "unicode name\n")
        try Data(bigBytes).write(to: URL(fileURLWithPath: root + "/big.bin"))
        try write(root + "/sub/index.html", Self.subIndexHTML)
        try write(root + "/sub/page.txt", Self.pageText)
        try write(root + "/.hidden", "hidden\n")
        try write(root + "/.git/config", "[core]\n")
        try fm.createSymbolicLink(atPath: root + "/inner-link.txt", withDestinationPath: "sub/page.txt")
        try fm.createSymbolicLink(atPath: root + "/subdir-link", withDestinationPath: "sub")
        try fm.createSymbolicLink(atPath: root + "/outside-link.txt", withDestinationPath: "../secret.txt")
        try fm.createSymbolicLink(atPath: root + "/evil-link", withDestinationPath: "../www-evil")
        try fm.createSymbolicLink(
            atPath: root + "/evil-file-link.txt", withDestinationPath: base + "/www-evil/secret.txt")
        try fm.createSymbolicLink(atPath: root + "/hidden-link.txt", withDestinationPath: ".hidden")
        guard mkfifo(root + "/fifo", 0o600) == 0 else { throw CocoaError(.fileWriteUnknown) }
    }

    deinit {
        try? FileManager.default.removeItem(atPath: base)
    }
}

func request(
    _ method: HTTPMethod = .GET,
    _ uri: String,
    _ headers: [(String, String)] = []
) -> HTTPRequestHead {
    HTTPRequestHead(version: .http1_1, method: method, uri: uri, headers: HTTPHeaders(headers))
}

/// A parsed HTTP/1.1 response with a Content-Length body (test helper).
struct RawResponse {
    var statusLine: String
    var headers: [(String, String)]
    var body: [UInt8]

    var status: Int { Int(statusLine.split(separator: " ")[1])! }
    func header(_ name: String) -> String? {
        headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }

    /// Parses one response from the front of `bytes`, removing it; nil if incomplete.
    /// `bodyless` (HEAD, 304): no body is expected whatever Content-Length says.
    static func parse(_ bytes: inout [UInt8], bodyless: Bool = false) -> RawResponse? {
        let crlfcrlf: [UInt8] = [13, 10, 13, 10]
        guard let end = bytes.indices.dropLast(3).first(where: { bytes[$0..<($0 + 4)].elementsEqual(crlfcrlf) })
        else { return nil }
        let headText = String(decoding: bytes[..<end], as: UTF8.self)
        var lines = headText.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst()
        let headers = lines.map { line -> (String, String) in
            let colon = line.firstIndex(of: ":")!
            return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        var response = RawResponse(statusLine: statusLine, headers: headers, body: [])
        let length = (bodyless || response.status == 304 || response.status == 204) ? 0 : Int(response.header("Content-Length") ?? "0")!
        let bodyStart = end + 4
        guard bytes.count >= bodyStart + length else { return nil }
        response.body = Array(bytes[bodyStart..<(bodyStart + length)])
        bytes.removeFirst(bodyStart + length)
        return response
    }
}
