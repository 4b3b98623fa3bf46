import Foundation
import NIOCore
import NIOHTTP1
import Testing
@testable import SwitchboardStatic

@Suite struct StaticFilesResolveTests {
    let fixture: Fixture
    let files: StaticFiles

    init() throws {
        fixture = try Fixture()
        files = try StaticFiles(root: fixture.root)
    }

    @Test func rootIsCanonicalised() throws {
        let viaDots = try StaticFiles(root: fixture.root + "/sub/../")
        #expect(viaDots.root == fixture.root)
        let viaLink = try StaticFiles(root: fixture.root + "/subdir-link")
        #expect(viaLink.root == fixture.root + "/sub")
        #expect(viaLink.resolve(uriPath: "/")?.path == fixture.root + "/sub/index.html")
    }

    @Test func badRootsThrowClearErrors() throws {
        #expect(throws: StaticFilesError.self) { try StaticFiles(root: fixture.base + "/missing") }
        #expect(throws: StaticFilesError.rootNotADirectory(path: fixture.root + "/index.html")) {
            try StaticFiles(root: fixture.root + "/index.html")
        }
        do {
            _ = try StaticFiles(root: fixture.base + "/missing")
        } catch {
            #expect("\(error)".contains("missing"))
            #expect("\(error)".contains("No such file"))
        }
    }

    @Test(arguments: [
        ("/", "/index.html"),
        ("/index.html", "/index.html"),
        ("/index.html?x=1&y=/../../etc", "/index.html"),
        ("/index.html#frag/../..", "/index.html"),
        ("//index.html", "/index.html"),
        ("/sub/", "/sub/index.html"),
        ("/sub", "/sub/index.html"),
        ("/sub/index.html", "/sub/index.html"),
        ("/sub/page.txt", "/sub/page.txt"),
        ("/%73ub/page%2Etxt", "/sub/page.txt"),
        ("/inner-link.txt", "/sub/page.txt"),
        ("/subdir-link/page.txt", "/sub/page.txt"),
        ("/subdir-link/", "/sub/index.html"),
        ("/hello%20world%20%C3%BC.txt", "/hello world ü.txt"),
        ("/hello%20world%20ü.txt", "/hello world ü.txt"),
        ("/big.bin", "/big.bin"),
    ])
    func resolvesInsideTheRoot(uri: String, expected: String) throws {
        let file = try #require(files.resolve(uriPath: uri), "\(uri)")
        #expect(file.path == fixture.root + expected)
    }

    @Test(arguments: [
        // dot segments, plain and encoded
        "/../secret.txt", "/../../etc/passwd", "/../../../../../../etc/passwd", "/sub/../index.html",
        "/./index.html", "/%2e%2e/secret.txt", "/%2E%2e/secret.txt", "/%2e%2E/%2e%2e/etc/passwd",
        "/.%2e/secret.txt", "/%2e./secret.txt", "/%2e/index.html", "/sub/%2e%2e/%2e%2e/secret.txt",
        // encoded separators inside a segment
        "/..%2fsecret.txt", "/..%2Fsecret.txt", "/sub%2f..%2f..%2fsecret.txt", "/%2fetc%2fpasswd",
        "/%2Fetc/passwd", "/sub%2fpage.txt", "/sub%5c..%5c..%5csecret.txt", "/..%5csecret.txt", "/%5C",
        // raw backslashes
        "/sub\\..\\..\\secret.txt", "/..\\secret.txt", "/sub\\page.txt",
        // NUL and control characters
        "/index.html%00", "/index.html%00.png", "/%00", "/sub/page.txt%0a", "/%7f",
        // absolute / not origin-form
        "index.html", "http://example.com/index.html", "*", "", "?/index.html",
        // hidden files and directories
        "/.hidden", "/.git/config", "/.git/", "/%2ehidden", "/sub/../.hidden",
        // symlinks that leave the root, or point at hidden files
        "/outside-link.txt", "/evil-link/secret.txt", "/evil-link/", "/evil-file-link.txt",
        "/hidden-link.txt",
        // the sibling directory whose name extends the root's
        "/../www-evil/secret.txt", "/%2e%2e/www-evil/secret.txt",
        // bad escapes and invalid UTF-8
        "/%", "/%e", "/%zz", "/index%2.html", "/%C3%28", "/%ff", "/%C0%AE%C0%AE/secret.txt", "/%ED%A0%80",
        // not there, or not a regular file
        "/nope.html", "/empty/", "/empty", "/sub/nope/", "/index.html/", "/index.html/x", "/fifo",
    ])
    func refusesHostileOrMissingPaths(uri: String) {
        #expect(files.resolve(uriPath: uri) == nil, "\(uri)")
        #expect(files.response(for: request(.GET, uri)) == nil, "\(uri)")
    }

    @Test func rootPrefixNeedsTrailingSlash() throws {
        // A root configured as <base>/www must not accept <base>/www-evil through a symlink,
        // even though the string "<base>/www-evil/..." starts with "<base>/www".
        #expect(files.resolve(uriPath: "/evil-link/secret.txt") == nil)
        let evil = try StaticFiles(root: fixture.base + "/www-evil")
        #expect(evil.resolve(uriPath: "/secret.txt") != nil)
    }

    @Test func fileMetadata() throws {
        let file = try #require(files.resolve(uriPath: "/big.bin"))
        #expect(file.size == 300_001)
        #expect(file.contentType == "application/octet-stream")
        let attributes = try FileManager.default.attributesOfItem(atPath: fixture.root + "/big.bin")
        let mtime = try #require(attributes[.modificationDate] as? Date)
        #expect(abs(Double(file.modificationSeconds) - mtime.timeIntervalSince1970) < 1.5)
        #expect(file.etag.hasPrefix("\"493e1-"))  // 300_001 = 0x493e1
        #expect(file.etag.hasSuffix("\""))
        // Content type follows the requested name, not the symlink target.
        #expect(files.resolve(uriPath: "/inner-link.txt")?.contentType == "text/plain; charset=UTF-8")
        #expect(files.resolve(uriPath: "/sub")?.contentType == "text/html; charset=UTF-8")
    }
}

@Suite struct StaticFilesResponseTests {
    let fixture: Fixture
    let files: StaticFiles

    init() throws {
        fixture = try Fixture()
        files = try StaticFiles(root: fixture.root)
    }

    @Test(arguments: [
        ("/index.html", "text/html; charset=UTF-8"),
        ("/app.js", "text/javascript; charset=UTF-8"),
        ("/style.css", "text/css; charset=UTF-8"),
        ("/data.json", "application/json; charset=UTF-8"),
        ("/logo.png", "image/png"),
        ("/movie.SWF", "application/x-shockwave-flash"),
        ("/README", "application/octet-stream"),
        ("/big.bin", "application/octet-stream"),
    ])
    func getHeaders(uri: String, contentType: String) throws {
        let response = try #require(files.response(for: request(.GET, uri)))
        let file = try #require(files.resolve(uriPath: uri))
        #expect(response.status == .ok)
        #expect(response.headers["Content-Type"] == [contentType])
        #expect(response.headers["Content-Length"] == [String(file.size)])
        #expect(response.body == .file(path: file.path, size: file.size))
        let etag = try #require(response.headers.first(name: "ETag"))
        #expect(etag == file.etag)
        #expect(etag.first == "\"" && etag.last == "\"" && etag.count > 2)
        #expect(response.headers.first(name: "Last-Modified") == file.lastModified)
        #expect(response.headers.first(name: "Cache-Control") == "no-cache")
    }

    @Test func contentLengthIsBytes() throws {
        let response = try #require(files.response(for: request(.GET, "/hello%20world%20%C3%BC.txt")))
        #expect(response.headers["Content-Length"] == ["13"])
        let big = try #require(files.response(for: request(.GET, "/big.bin")))
        #expect(big.headers["Content-Length"] == ["300001"])
    }

    @Test func headHasSameHeadersAndNoBody() throws {
        let get = try #require(files.response(for: request(.GET, "/app.js")))
        let head = try #require(files.response(for: request(.HEAD, "/app.js")))
        #expect(head.status == .ok)
        #expect(head.headers == get.headers)
        #expect(head.body == .empty)
    }

    @Test func etagIsStableAndChangesWithTheFile() throws {
        let first = try #require(files.resolve(uriPath: "/app.js")).etag
        #expect(try #require(files.resolve(uriPath: "/app.js")).etag == first)
        try Data("console.log('changed, longer');\n".utf8).write(to: URL(fileURLWithPath: fixture.root + "/app.js"))
        #expect(try #require(files.resolve(uriPath: "/app.js")).etag != first)
    }

    @Test func notModifiedForMatchingIfNoneMatch() throws {
        let etag = try #require(files.resolve(uriPath: "/app.js")).etag
        let opaque = String(etag.dropFirst().dropLast())
        for value in [
            etag, "W/\(etag)", "\"nope\", \(etag)", "\"a\",W/\(etag) , \"b\"", "*", " \(etag) ", opaque,
            "\"x,y\", \(etag)",
        ] {
            for method in [HTTPMethod.GET, .HEAD] {
                let response = try #require(files.response(for: request(method, "/app.js", [("If-None-Match", value)])))
                #expect(response.status == .notModified, "\(value)")
                #expect(response.headers.first(name: "ETag") == etag)
                #expect(response.headers["Content-Length"].isEmpty)
                #expect(response.body == .empty)
            }
        }
        // Two header lines, the second matching.
        let twoLines = request(.GET, "/app.js", [("If-None-Match", "\"zzz\""), ("If-None-Match", etag)])
        #expect(files.response(for: twoLines)?.status == .notModified)
    }

    @Test func okForNonMatchingIfNoneMatch() throws {
        let etag = try #require(files.resolve(uriPath: "/app.js")).etag
        for value in ["\"nope\"", "W/\"nope\", \"other\"", "\(etag.dropLast())x\"", "", "\"", "\"x,\(etag.dropFirst())"] {
            let response = try #require(files.response(for: request(.GET, "/app.js", [("If-None-Match", value)])))
            #expect(response.status == .ok, "\(value)")
        }
    }

    @Test func ifModifiedSince() throws {
        let file = try #require(files.resolve(uriPath: "/app.js"))
        let same = request(.GET, "/app.js", [("If-Modified-Since", file.lastModified)])
        #expect(files.response(for: same)?.status == .notModified)
        let older = request(.GET, "/app.js", [("If-Modified-Since", "Sun, 06 Nov 1994 08:49:37 GMT")])
        #expect(files.response(for: older)?.status == .ok)
        let garbage = request(.GET, "/app.js", [("If-Modified-Since", "yesterday")])
        #expect(files.response(for: garbage)?.status == .ok)
        // If-None-Match wins over If-Modified-Since.
        let both = request(.GET, "/app.js", [("If-None-Match", "\"nope\""), ("If-Modified-Since", file.lastModified)])
        #expect(files.response(for: both)?.status == .ok)
    }

    @Test func otherMethodsAndMissingFilesAreNil() {
        for method in [HTTPMethod.POST, .PUT, .DELETE, .OPTIONS, .PATCH] {
            #expect(files.response(for: request(method, "/index.html")) == nil)
        }
        #expect(files.response(for: request(.GET, "/missing.html")) == nil)
        #expect(files.response(for: request(.HEAD, "/missing.html")) == nil)
    }
}

@Suite struct HTTPDateTests {
    @Test func formatAndParse() {
        #expect(HTTPDate.format(784_111_777) == "Sun, 06 Nov 1994 08:49:37 GMT")
        #expect(HTTPDate.parse("Sun, 06 Nov 1994 08:49:37 GMT") == 784_111_777)
        #expect(HTTPDate.format(0) == "Thu, 01 Jan 1970 00:00:00 GMT")
        #expect(HTTPDate.parse("Sunday, 06-Nov-94 08:49:37 GMT") == nil)
        #expect(HTTPDate.parse("Sun, 06 Foo 1994 08:49:37 GMT") == nil)
    }
}

