/// `application/x-www-form-urlencoded` bodies with one field, `data=<payload>`, the way clients
/// POST their payloads (docs/protocol.md §3).
///
/// Encoding keeps every byte of the payload (UTF-8, spaces as `+`, everything but ASCII letters,
/// digits and `*-._` percent-encoded; no textarea turns `\n` into `\r\n`). Decoding is full: `+` is
/// a space, then percent-decoding as UTF-8.
///
/// ```swift
/// FormEncoding.body(data: "a b+c")                        // data=a+b%2Bc
/// try FormEncoding.value(of: "data", in: Array("data=a+b%2Bc".utf8))   // "a b+c"
/// ```
public enum FormEncoding {
    /// Why a body could not be read.
    public enum Failure: Error, Sendable, Hashable {
        case missingField(String)
        case badEncoding
    }

    /// `data=<payload>`, encoded.
    public static func body(data payload: String) -> [UInt8] {
        Array("data=".utf8) + encode(payload)
    }

    /// One value, encoded.
    public static func encode(_ text: String) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count * 3)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "*"), UInt8(ascii: "-"), UInt8(ascii: "."),
                UInt8(ascii: "_"):
                out.append(byte)
            case UInt8(ascii: " "):
                out.append(UInt8(ascii: "+"))
            default:
                out += [UInt8(ascii: "%"), HexDigit.upper[Int(byte >> 4)], HexDigit.upper[Int(byte & 0x0F)]]
            }
        }
        return out
    }

    /// The decoded value of `field` in `body` (the first one when it repeats).
    public static func value(of field: String, in body: [UInt8]) throws(Failure) -> String {
        var start = body.startIndex
        while start < body.endIndex {
            let end = body[start...].firstIndex(of: UInt8(ascii: "&")) ?? body.endIndex
            let equals = body[start..<end].firstIndex(of: UInt8(ascii: "="))
            if end > start, try decode(body[start..<(equals ?? end)]) == field {
                guard let equals else { return "" }
                return try decode(body[(equals + 1)..<end])
            }
            start = end + 1
        }
        throw .missingField(field)
    }

    /// One name or value, decoded.
    public static func decode(_ encoded: ArraySlice<UInt8>) throws(Failure) -> String {
        // Most payloads have nothing encoded: their bytes are the text.
        if !encoded.contains(where: { $0 == UInt8(ascii: "%") || $0 == UInt8(ascii: "+") }) {
            guard let text = String(validating: encoded, as: UTF8.self) else { throw .badEncoding }
            return text
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(encoded.count)
        var index = encoded.startIndex
        while index < encoded.endIndex {
            let byte = encoded[index]
            switch byte {
            case UInt8(ascii: "+"):
                bytes.append(UInt8(ascii: " "))
            case UInt8(ascii: "%"):
                guard index + 2 < encoded.endIndex,
                    let high = HexDigit.value(encoded[index + 1]), let low = HexDigit.value(encoded[index + 2])
                else { throw .badEncoding }
                bytes.append(high << 4 | low)
                index += 2
            default:
                bytes.append(byte)
            }
            index += 1
        }
        guard let text = String(validating: bytes, as: UTF8.self) else { throw .badEncoding }
        return text
    }
}
