/// Hexadecimal digits, as the percent-encoding of forms and the `\u` escapes of JSON write them.
enum HexDigit {
    /// `0123456789ABCDEF`.
    static let upper = Array("0123456789ABCDEF".utf8)
    /// `0123456789abcdef`.
    static let lower = Array("0123456789abcdef".utf8)

    /// The value of one hex digit (either case), or nil.
    static func value(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
