#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import NIOHTTP1

/// Conditional-request evaluation (RFC 9110 §13) for GET/HEAD.
enum Conditional {
    /// True when the request's validators say the client's copy is current (→ 304).
    /// `If-None-Match` wins when present (weak comparison, lists, `W/`, `*`); otherwise
    /// `If-Modified-Since` is compared with `lastModified` (whole seconds).
    static func notModified(request: HTTPHeaders, etag: String, lastModified: Int?) -> Bool {
        let inm = request["If-None-Match"]
        if !inm.isEmpty {
            return inm.contains { ifNoneMatch($0, matches: etag) }
        }
        if let lastModified, let ims = request.first(name: "If-Modified-Since"),
            let since = HTTPDate.parse(ims)
        {
            let now = Int(time(nil))
            return since <= now && lastModified <= since
        }
        return false
    }

    /// Does one `If-None-Match` header value (`*`, or a comma list of entity tags, each maybe
    /// `W/`-prefixed) match `etag` under weak comparison? Unquoted tokens sent by sloppy clients
    /// are compared with the quoted tag's content.
    static func ifNoneMatch(_ value: String, matches etag: String) -> Bool {
        let target = opaque(etag)
        var bytes = Array(value.utf8)[...]
        while true {
            while let b = bytes.first, b == UInt8(ascii: " ") || b == UInt8(ascii: "\t") || b == UInt8(ascii: ",") {
                bytes = bytes.dropFirst()
            }
            guard !bytes.isEmpty else { return false }
            if bytes.first == UInt8(ascii: "*") { return true }
            if bytes.starts(with: "W/".utf8) { bytes = bytes.dropFirst(2) }
            let tag: ArraySlice<UInt8>
            if bytes.first == UInt8(ascii: "\"") {
                let rest = bytes.dropFirst()
                guard let close = rest.firstIndex(of: UInt8(ascii: "\"")) else { return false }
                tag = rest[rest.startIndex..<close]
                bytes = rest[(close + 1)...]
            } else {
                let end = bytes.firstIndex(of: UInt8(ascii: ",")) ?? bytes.endIndex
                var token = bytes[bytes.startIndex..<end]
                while let last = token.last, last == UInt8(ascii: " ") || last == UInt8(ascii: "\t") {
                    token = token.dropLast()
                }
                tag = token
                bytes = bytes[end...]
            }
            if tag.elementsEqual(target) { return true }
        }
    }

    /// The opaque part of an entity tag: without `W/` and quotes.
    static func opaque(_ etag: String) -> [UInt8] {
        var bytes = Array(etag.utf8)[...]
        if bytes.starts(with: "W/".utf8) { bytes = bytes.dropFirst(2) }
        if bytes.count >= 2, bytes.first == UInt8(ascii: "\""), bytes.last == UInt8(ascii: "\"") {
            bytes = bytes.dropFirst().dropLast()
        }
        return Array(bytes)
    }
}

/// IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), formatted and parsed without locale.
enum HTTPDate {
    private static let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    static func format(_ seconds: Int) -> String {
        var t = time_t(seconds)
        var tm = tm()
        gmtime_r(&t, &tm)
        func two(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(days[Int(tm.tm_wday)]), \(two(tm.tm_mday)) \(months[Int(tm.tm_mon)]) \(tm.tm_year + 1900) "
            + "\(two(tm.tm_hour)):\(two(tm.tm_min)):\(two(tm.tm_sec)) GMT"
    }

    /// Parses IMF-fixdate only (the form every current client echoes back); nil otherwise.
    static func parse(_ string: String) -> Int? {
        let s = Array(string.utf8)
        guard s.count == 29, s[3] == UInt8(ascii: ","), s[4] == 32, s[7] == 32, s[11] == 32, s[16] == 32,
            s[19] == UInt8(ascii: ":"), s[22] == UInt8(ascii: ":"), s[25] == 32,
            s[26...].elementsEqual("GMT".utf8)
        else { return nil }
        func num(_ r: Range<Int>) -> Int32? {
            var v: Int32 = 0
            for i in r {
                guard s[i] >= 48, s[i] <= 57 else { return nil }
                v = v * 10 + Int32(s[i] - 48)
            }
            return v
        }
        let monthName = String(decoding: s[8..<11], as: UTF8.self)
        guard let day = num(5..<7), let month = months.firstIndex(of: monthName), let year = num(12..<16),
            let hour = num(17..<19), let minute = num(20..<22), let second = num(23..<25),
            day >= 1, day <= 31, hour < 24, minute < 60, second < 61
        else { return nil }
        var tm = tm()
        tm.tm_year = year - 1900
        tm.tm_mon = Int32(month)
        tm.tm_mday = day
        tm.tm_hour = hour
        tm.tm_min = minute
        tm.tm_sec = second
        let t = timegm(&tm)
        return t == -1 ? nil : Int(t)
    }
}
