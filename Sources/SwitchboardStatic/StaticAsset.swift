import NIOCore
import NIOHTTP1

/// A fixed asset kept in memory (the browser client `/socket.io/socket.io.js`, embedded demo
/// pages), served with the same rules as files: quoted `ETag` (FNV-1a 64 of the bytes),
/// `If-None-Match` → 304, HEAD without body.
public struct StaticAsset: Sendable {
    public let bytes: ByteBuffer
    public let contentType: String
    /// Quoted strong entity tag, `"<16 hex digits of FNV-1a 64>-<length hex>"`.
    public let etag: String
    public var cacheControl: String?

    /// - Parameters:
    ///   - cacheControl: sent on 200 and 304; default `no-cache` (clients revalidate with the
    ///     ETag every time, so a new server build is picked up at once). nil: no header.
    public init(buffer: ByteBuffer, contentType: String, cacheControl: String? = "no-cache") {
        self.bytes = buffer
        self.contentType = contentType
        self.cacheControl = cacheControl
        let hash = buffer.withUnsafeReadableBytes { FNV1a64.hash($0) }
        self.etag = "\"\(hex(hash, width: 16))-\(String(buffer.readableBytes, radix: 16))\""
    }

    public init(bytes: [UInt8], contentType: String, cacheControl: String? = "no-cache") {
        self.init(buffer: ByteBuffer(bytes: bytes), contentType: contentType, cacheControl: cacheControl)
    }

    public init(string: String, contentType: String, cacheControl: String? = "no-cache") {
        self.init(buffer: ByteBuffer(string: string), contentType: contentType, cacheControl: cacheControl)
    }

    /// 200 (GET: body; HEAD: same headers, no body) or 304 for a matching `If-None-Match`.
    /// Other methods: `405` with `Allow: GET, HEAD`.
    public func response(for head: HTTPRequestHead) -> StaticResponse {
        let representation = Representation(
            contentType: contentType,
            length: bytes.readableBytes,
            etag: etag,
            lastModified: nil,
            cacheControl: cacheControl
        )
        return representation.response(for: head) { .bytes(bytes) } ?? .methodNotAllowed
    }
}

/// FNV-1a, 64 bits.
enum FNV1a64 {
    static func hash(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in bytes {
            h ^= UInt64(b)
            h = h &* 0x0000_0100_0000_01b3
        }
        return h
    }
}

func hex<T: BinaryInteger>(_ value: T, width: Int = 0) -> String {
    let s = String(value, radix: 16)
    return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
}
