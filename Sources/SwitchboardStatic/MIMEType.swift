/// Content types for static files, chosen by file extension.
public enum MIMEType {
    /// The type for unknown extensions.
    public static let fallback = "application/octet-stream"

    /// Extension (lower case, no dot) to bare media type. Text-like types get `; charset=UTF-8`
    /// appended by ``forExtension(_:)``.
    public static let table: [String: String] = [
        "html": "text/html",
        "htm": "text/html",
        "js": "text/javascript",
        "mjs": "text/javascript",
        "css": "text/css",
        "json": "application/json",
        "map": "application/json",
        "txt": "text/plain",
        "xml": "application/xml",
        "svg": "image/svg+xml",
        "png": "image/png",
        "jpg": "image/jpeg",
        "jpeg": "image/jpeg",
        "gif": "image/gif",
        "webp": "image/webp",
        "ico": "image/x-icon",
        "wasm": "application/wasm",
        "woff": "font/woff",
        "woff2": "font/woff2",
        "ttf": "font/ttf",
        "otf": "font/otf",
        "mp3": "audio/mpeg",
        "mp4": "video/mp4",
        "webm": "video/webm",
        "ogg": "audio/ogg",
        "pdf": "application/pdf",
        "swf": "application/x-shockwave-flash",
        "zip": "application/zip",
        "csv": "text/csv",
        "md": "text/markdown",
    ]

    /// The `Content-Type` value for a file path (or name), from its extension, case-insensitively.
    /// Text types (`text/*`, JSON, XML, SVG) carry `; charset=UTF-8`; unknown or missing
    /// extensions give `application/octet-stream`.
    public static func forPath(_ path: String) -> String {
        let name = path.split(separator: "/", omittingEmptySubsequences: false).last ?? Substring(path)
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return fallback }
        return forExtension(String(name[name.index(after: dot)...]))
    }

    /// The `Content-Type` value for an extension without the dot (`"js"`), case-insensitively.
    public static func forExtension(_ ext: String) -> String {
        guard let type = table[ext.lowercased()] else { return fallback }
        return isText(type) ? type + "; charset=UTF-8" : type
    }

    static func isText(_ type: String) -> Bool {
        type.hasPrefix("text/") || type == "application/json" || type == "application/xml"
            || type == "image/svg+xml"
    }
}
