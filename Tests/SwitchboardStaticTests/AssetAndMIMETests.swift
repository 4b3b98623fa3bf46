import NIOCore
import NIOHTTP1
import Testing
@testable import SwitchboardStatic

@Suite struct StaticAssetTests {
    let asset = StaticAsset(string: "var io = {};\n", contentType: MIMEType.forExtension("js"))

    @Test func getServesTheBytes() throws {
        let response = asset.response(for: request(.GET, "/socket.io/socket.io.js"))
        #expect(response.status == .ok)
        #expect(response.headers["Content-Type"] == ["text/javascript; charset=UTF-8"])
        #expect(response.headers["Content-Length"] == ["13"])
        #expect(response.headers["ETag"] == [asset.etag])
        #expect(response.headers["Cache-Control"] == ["no-cache"])
        #expect(response.body == .bytes(ByteBuffer(string: "var io = {};\n")))
    }

    @Test func etagIsQuotedFNVAndDependsOnBytes() {
        #expect(asset.etag.first == "\"" && asset.etag.last == "\"")
        #expect(asset.etag == StaticAsset(bytes: Array("var io = {};\n".utf8), contentType: "x").etag)
        #expect(asset.etag != StaticAsset(string: "var io = {}; \n", contentType: "x").etag)
        // FNV-1a 64 of "" is the offset basis; of "a" is af63dc4c8601ec8c.
        #expect(StaticAsset(string: "", contentType: "x").etag == "\"cbf29ce484222325-0\"")
        #expect(StaticAsset(string: "a", contentType: "x").etag == "\"af63dc4c8601ec8c-1\"")
    }

    @Test func headAndNotModified() {
        let head = asset.response(for: request(.HEAD, "/socket.io/socket.io.js"))
        #expect(head.status == .ok)
        #expect(head.body == .empty)
        #expect(head.headers["Content-Length"] == ["13"])
        for value in [asset.etag, "W/\(asset.etag)", "\"a\", \(asset.etag)", "*"] {
            let response = asset.response(for: request(.GET, "/socket.io/socket.io.js", [("If-None-Match", value)]))
            #expect(response.status == .notModified)
            #expect(response.headers["ETag"] == [asset.etag])
            #expect(response.body == .empty)
        }
        let miss = asset.response(for: request(.GET, "/socket.io/socket.io.js", [("If-None-Match", "\"old\"")]))
        #expect(miss.status == .ok)
    }

    @Test func otherMethodsGet405() {
        let response = asset.response(for: request(.POST, "/socket.io/socket.io.js"))
        #expect(response.status == .methodNotAllowed)
        #expect(response.headers["Allow"] == ["GET, HEAD"])
        #expect(response.headers.first(name: "Content-Type")?.hasPrefix("text/plain") == true)
    }
}

@Suite struct MIMETypeTests {
    @Test(arguments: [
        ("index.html", "text/html; charset=UTF-8"), ("a.HTM", "text/html; charset=UTF-8"),
        ("a.js", "text/javascript; charset=UTF-8"), ("a.mjs", "text/javascript; charset=UTF-8"),
        ("a.css", "text/css; charset=UTF-8"), ("a.json", "application/json; charset=UTF-8"),
        ("a.js.map", "application/json; charset=UTF-8"), ("a.txt", "text/plain; charset=UTF-8"),
        ("a.xml", "application/xml; charset=UTF-8"), ("a.svg", "image/svg+xml; charset=UTF-8"),
        ("a.png", "image/png"), ("a.jpg", "image/jpeg"), ("a.JPEG", "image/jpeg"), ("a.gif", "image/gif"),
        ("a.webp", "image/webp"), ("favicon.ico", "image/x-icon"), ("a.wasm", "application/wasm"),
        ("a.woff", "font/woff"), ("a.woff2", "font/woff2"), ("a.ttf", "font/ttf"), ("a.otf", "font/otf"),
        ("a.mp3", "audio/mpeg"), ("a.mp4", "video/mp4"), ("a.webm", "video/webm"), ("a.ogg", "audio/ogg"),
        ("a.pdf", "application/pdf"), ("WebSocketMain.swf", "application/x-shockwave-flash"),
        ("a.zip", "application/zip"), ("a.csv", "text/csv; charset=UTF-8"), ("a.md", "text/markdown; charset=UTF-8"),
        ("a.exe", "application/octet-stream"), ("README", "application/octet-stream"),
        (".bashrc", "application/octet-stream"), ("dir.js/file", "application/octet-stream"),
        ("/srv/www/lib/app.min.js", "text/javascript; charset=UTF-8"), ("a.", "application/octet-stream"),
    ])
    func table(path: String, expected: String) {
        #expect(MIMEType.forPath(path) == expected)
    }
}
