// `data=` form bodies (docs/protocol.md §3): the body of every POST a client sends.
//
// Checks: reading a body agrees with an independent reading of the rules (fields split at `&`,
// name and value at the first `=`, `+` is a space, `%XX` decoded, the bytes must be UTF-8, the
// first `data` wins, a bad name before it fails the body); encoding writes only the unreserved
// characters, `+` and `%XX`; every text, and every value read, survives body → value, also with
// other fields before and after it.
import FuzzSupport
import SwitchboardWire

enum Reference {
    struct Bad: Error {}

    static func decode(_ encoded: ArraySlice<UInt8>) throws(Bad) -> String {
        var bytes: [UInt8] = []
        var i = encoded.startIndex
        func hex(_ byte: UInt8) -> UInt8? {
            switch byte {
            case 0x30...0x39: return byte - 0x30
            case 0x41...0x46: return byte - 0x41 + 10
            case 0x61...0x66: return byte - 0x61 + 10
            default: return nil
            }
        }
        while i < encoded.endIndex {
            switch encoded[i] {
            case 0x2B:
                bytes.append(0x20)
                i += 1
            case 0x25:
                guard encoded.endIndex - i >= 3, let high = hex(encoded[i + 1]), let low = hex(encoded[i + 2]) else {
                    throw Bad()
                }
                bytes.append(high * 16 + low)
                i += 3
            case let byte:
                bytes.append(byte)
                i += 1
            }
        }
        guard let text = String(validating: bytes, as: UTF8.self) else { throw Bad() }
        return text
    }

    /// nil: the body has no `data` field; `.failure`: a bad escape or bytes that are not UTF-8.
    static func data(in body: [UInt8]) -> Result<String, Bad>? {
        for field in body.split(separator: 0x26) where !field.isEmpty {
            let name: ArraySlice<UInt8>
            let value: ArraySlice<UInt8>?
            if let equals = field.firstIndex(of: 0x3D) {
                name = field[..<equals]
                value = field[(equals + 1)...]
            } else {
                name = field
                value = nil
            }
            do {
                guard try decode(name) == "data" else { continue }
                return .success(try value.map(decode) ?? "")
            } catch {
                return .failure(error)
            }
        }
        return nil
    }
}

func read(_ body: [UInt8]) -> Result<String, FormEncoding.Failure> {
    Result { () throws(FormEncoding.Failure) in try FormEncoding.value(of: "data", in: body) }
}

fuzzMain { buffer in
    let body = Array(buffer)
    let result = read(body)
    switch (result, Reference.data(in: body)) {
    case (.success(let value), .success(let expected)?):
        check(value == expected, "read \(value.debugDescription), the reference reads \(expected.debugDescription)")
        check(read(FormEncoding.body(data: value)) == .success(value), "the value read does not survive body → value")
    case (.failure(.missingField("data")), nil), (.failure(.badEncoding), .failure?):
        break
    case (let got, let expected):
        check(false, "read \(got), the reference reads \(String(describing: expected))")
    }

    // Any text survives, alone and among other fields.
    let text = String(decoding: buffer, as: UTF8.self)
    let encoded = FormEncoding.encode(text)
    let allowed = Set(Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789*-._+%".utf8))
    check(encoded.allSatisfy(allowed.contains), "encoding wrote a byte outside the unreserved set")
    for (index, byte) in encoded.enumerated() where byte == 0x25 {
        let hex = Set(Array("0123456789ABCDEF".utf8))
        check(index + 2 < encoded.count && hex.contains(encoded[index + 1]) && hex.contains(encoded[index + 2]),
              "a % not followed by two upper-case hex digits")
    }
    check(read(FormEncoding.body(data: text)) == .success(text), "\(text.debugDescription) does not survive body → value")
    let among = Array("x=1&&name%3D=a+b&".utf8) + FormEncoding.body(data: text) + Array("&data=second".utf8)
    check(read(among) == .success(text), "\(text.debugDescription) is not read among other fields")
}
