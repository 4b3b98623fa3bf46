/// An `application/x-www-form-urlencoded` body: `name=value` pairs joined by `&`, UTF-8
/// percent-encoded, spaces as `+` (only ASCII alphanumerics and `*-._` stay literal).
public func formBody(_ fields: [(String, String)]) -> [UInt8] {
    Array(fields.map { formURLEncode($0.0) + "=" + formURLEncode($0.1) }.joined(separator: "&").utf8)
}

/// One form-urlencoded component (see `formBody`).
public func formURLEncode(_ string: String) -> String {
    let hex = Array("0123456789ABCDEF".utf8)
    var out: [UInt8] = []
    for byte in string.utf8 {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"),
            UInt8(ascii: "*"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"):
            out.append(byte)
        case UInt8(ascii: " "):
            out.append(UInt8(ascii: "+"))
        default:
            out += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]]
        }
    }
    return String(decoding: out, as: UTF8.self)
}

/// Polls `condition` every `interval` until it returns true; throws `TestKitError.timeout` if it
/// is still false after `timeout`. The condition runs in the caller's isolation.
///
/// The test suites' one real-time wait: end-to-end tests watch real servers over real sockets,
/// which move in real time. Timers are tested in virtual time instead (`advanceTime`).
public func eventually(
    timeout: Duration = .seconds(15),
    interval: Duration = .milliseconds(10),
    isolation: isolated (any Actor)? = #isolation,
    _ condition: () async throws -> Bool
) async throws {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    while true {
        if try await condition() { return }
        if clock.now >= deadline { throw TestKitError.timeout }
        try await Task.sleep(for: interval)
    }
}
