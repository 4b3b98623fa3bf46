#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore
import NIOHTTP1
import NIOPosix

/// Why ``StaticFiles/init(root:cacheControl:)`` refused a root.
public enum StaticFilesError: Error, Equatable, CustomStringConvertible {
    /// The root does not exist or cannot be canonicalised (realpath failed).
    case rootNotFound(path: String, errno: Int32)
    /// The root exists but is not a directory.
    case rootNotADirectory(path: String)

    public var description: String {
        switch self {
        case .rootNotFound(let path, let code):
            return "static root \(path) cannot be resolved: \(String(cString: strerror(code)))"
        case .rootNotADirectory(let path):
            return "static root \(path) is not a directory"
        }
    }
}

/// A regular file under the root that a request path resolved to.
public struct ResolvedFile: Sendable, Equatable {
    /// Canonical absolute path (symlinks resolved, inside the root).
    public var path: String
    public var size: Int
    /// Modification time, seconds and nanoseconds since the epoch.
    public var modificationSeconds: Int
    public var modificationNanoseconds: Int
    /// From the requested name's extension (`index.html` for a directory), see ``MIMEType``.
    public var contentType: String

    /// Quoted strong entity tag, `"<size hex>-<mtime in ns, hex>"`.
    public var etag: String {
        let ns = UInt64(truncatingIfNeeded: modificationSeconds) &* 1_000_000_000
            &+ UInt64(truncatingIfNeeded: modificationNanoseconds)
        return "\"\(hex(size))-\(hex(ns))\""
    }

    /// `Last-Modified` value (IMF-fixdate).
    public var lastModified: String { HTTPDate.format(modificationSeconds) }
}

/// Files under one root folder, served read-only with ETag/304/HEAD rules.
///
/// `resolve` and `response(for:)` do `realpath`/`stat` on the calling thread; use
/// ``response(for:threadPool:eventLoop:)`` to keep even those off the event loop.
public struct StaticFiles: Sendable {
    /// The canonical root (realpath), without trailing slash (except for `/` itself).
    public let root: String
    /// Sent on 200 and 304. Default `no-cache`: clients may keep a copy but revalidate it.
    public var cacheControl: String?
    /// Served for a directory path. Default `index.html`.
    public var indexFile: String = "index.html"

    /// - Throws: ``StaticFilesError`` if `root` does not exist or is not a directory.
    public init(root: String, cacheControl: String? = "no-cache") throws {
        guard let canonical = Self.realPath(root) else {
            throw StaticFilesError.rootNotFound(path: root, errno: errno)
        }
        guard let st = Self.fileStatus(canonical), (st.st_mode & S_IFMT) == S_IFDIR else {
            throw StaticFilesError.rootNotADirectory(path: root)
        }
        self.root = canonical
        self.cacheControl = cacheControl
    }

    /// Resolves a request path (the URI path, still percent-encoded, may carry a query or
    /// fragment) to a regular file under the root; nil for anything that does not exist, is not
    /// a regular file, is hidden (a segment starting with `.`), or escapes the root (`..`,
    /// encoded separators, NUL, backslashes, symlinks pointing outside).
    public func resolve(uriPath: String) -> ResolvedFile? {
        guard let (segments, trailingSlash) = RequestPath.segments(uriPath) else { return nil }
        let joined = segments.isEmpty ? root : joinRoot(segments.joined(separator: "/"))
        guard let (canonical, st) = inside(joined) else { return nil }
        switch st.st_mode & S_IFMT {
        case S_IFREG:
            guard !trailingSlash else { return nil }  // "/file.txt/" names a directory
            return ResolvedFile(canonical, st, name: segments.last ?? canonical)
        case S_IFDIR:
            let indexPath = canonical == "/" ? "/" + indexFile : canonical + "/" + indexFile
            guard let (indexCanonical, indexSt) = inside(indexPath), (indexSt.st_mode & S_IFMT) == S_IFREG else {
                return nil
            }
            return ResolvedFile(indexCanonical, indexSt, name: indexFile)
        default:
            return nil
        }
    }

    /// The response for a GET or HEAD: 200 (GET with a `.file` body, HEAD with the same headers
    /// and `.empty`), or 304 for a matching `If-None-Match` (or, without it, `If-Modified-Since`).
    /// nil when there is no such file (the caller answers 404) and for other methods (the caller
    /// decides).
    public func response(for head: HTTPRequestHead) -> StaticResponse? {
        guard head.method == .GET || head.method == .HEAD else { return nil }
        guard let file = resolve(uriPath: head.uri) else { return nil }
        return response(for: head, file: file)
    }

    /// The response for an already resolved file (see ``response(for:)``).
    public func response(for head: HTTPRequestHead, file: ResolvedFile) -> StaticResponse? {
        let representation = Representation(
            contentType: file.contentType,
            length: file.size,
            etag: file.etag,
            lastModified: file.modificationSeconds,
            cacheControl: cacheControl
        )
        return representation.response(for: head) { .file(path: file.path, size: file.size) }
    }

    /// ``response(for:)`` with its `realpath`/`stat` calls run on `threadPool`; the future
    /// completes on `eventLoop`.
    public func response(
        for head: HTTPRequestHead,
        threadPool: NIOThreadPool,
        eventLoop: EventLoop
    ) -> EventLoopFuture<StaticResponse?> {
        threadPool.runIfActive(eventLoop: eventLoop) { self.response(for: head) }
    }

    // MARK: - Internals

    private func joinRoot(_ relative: String) -> String {
        root == "/" ? "/" + relative : root + "/" + relative
    }

    /// Canonicalises `path` and checks that it is the root or strictly inside it (prefix with a
    /// trailing slash), and that no segment below the root is hidden.
    private func inside(_ path: String) -> (String, stat)? {
        guard let canonical = Self.realPath(path) else { return nil }
        if canonical != root {
            let prefix = root == "/" ? "/" : root + "/"
            guard canonical.hasPrefix(prefix) else { return nil }
            let relative = canonical.dropFirst(prefix.count)
            for segment in relative.split(separator: "/") where segment.hasPrefix(".") {
                return nil
            }
        }
        guard let st = Self.fileStatus(canonical) else { return nil }
        return (canonical, st)
    }

    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    static func fileStatus(_ path: String) -> stat? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return st
    }
}

extension ResolvedFile {
    init(_ path: String, _ st: stat, name: String) {
        #if canImport(Darwin)
        let seconds = Int(st.st_mtimespec.tv_sec)
        let nanos = Int(st.st_mtimespec.tv_nsec)
        #else
        let seconds = Int(st.st_mtim.tv_sec)
        let nanos = Int(st.st_mtim.tv_nsec)
        #endif
        self.init(
            path: path,
            size: Int(st.st_size),
            modificationSeconds: seconds,
            modificationNanoseconds: nanos,
            contentType: MIMEType.forPath(name)
        )
    }
}

/// Splitting and decoding of a request path into safe file-name segments.
enum RequestPath {
    /// Decoded path segments and whether the path ends with `/`, or nil if the path is hostile
    /// or malformed. Empty segments (`//`, trailing `/`) are dropped. Query and fragment are
    /// ignored.
    static func segments(_ uri: String) -> (segments: [String], trailingSlash: Bool)? {
        var path = Substring(uri)
        if let end = path.firstIndex(where: { $0 == "?" || $0 == "#" }) { path = path[..<end] }
        guard path.utf8.first == UInt8(ascii: "/") else { return nil }  // origin-form only
        var result: [String] = []
        for raw in path.utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: true) {
            guard let segment = decodeSegment(raw) else { return nil }
            result.append(segment)
        }
        return (result, path.utf8.last == UInt8(ascii: "/"))
    }

    /// Percent-decodes one raw segment as UTF-8 and refuses anything that could change the
    /// meaning of the path: `.`-prefixed names (`.`, `..`, dot-files), `/` or `\` (raw or
    /// encoded), NUL and other control characters, bad `%` escapes, invalid UTF-8.
    static func decodeSegment(_ raw: Substring.UTF8View.SubSequence) -> String? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(raw.count)
        var i = raw.startIndex
        while i < raw.endIndex {
            let b = raw[i]
            if b == UInt8(ascii: "%") {
                let h = raw.index(after: i)
                guard h < raw.endIndex else { return nil }
                let l = raw.index(after: h)
                guard l < raw.endIndex, let hi = hexValue(raw[h]), let lo = hexValue(raw[l]) else { return nil }
                bytes.append(hi << 4 | lo)
                i = raw.index(after: l)
            } else {
                bytes.append(b)
                i = raw.index(after: i)
            }
        }
        guard let first = bytes.first, first != UInt8(ascii: ".") else { return nil }
        for b in bytes where b < 0x20 || b == 0x7F || b == UInt8(ascii: "/") || b == UInt8(ascii: "\\") {
            return nil
        }
        return String(validating: bytes, as: UTF8.self)
    }

    private static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
