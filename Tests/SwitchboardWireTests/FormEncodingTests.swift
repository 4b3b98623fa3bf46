import SwitchboardWire
import Testing

@Suite("form bodies: data=<payload> (docs/protocol.md §3)")
struct FormEncodingTests {
    @Test("encoding keeps every byte of the payload: + and & and line breaks encoded")
    func encode() {
        #expect(
            String(decoding: FormEncoding.body(data: "~m~5~m~a b+c&\r\n€"), as: UTF8.self)
                == "data=%7Em%7E5%7Em%7Ea+b%2Bc%26%0D%0A%E2%82%AC")
    }

    @Test("decoding: + is a space, then %-decoding as UTF-8; the first field of the name")
    func decode() throws {
        func value(_ body: String, _ field: String = "data") throws(FormEncoding.Failure) -> String {
            try FormEncoding.value(of: field, in: Array(body.utf8))
        }
        #expect(try value("data=%7Em%7E1%7Em%7Ea+b%2B%e2%82%ac") == "~m~1~m~a b+€")
        #expect(try value("x=1&data=a&data=b") == "a")
        #expect(try value("data") == "")
        #expect(try value("d%61ta=~m~1~m~x") == "~m~1~m~x", "names are decoded too; ~ may come unencoded")
        #expect(throws: FormEncoding.Failure.missingField("data")) { try value("x=1") }
        #expect(throws: FormEncoding.Failure.badEncoding) { try value("data=%4") }
        #expect(throws: FormEncoding.Failure.badEncoding) { try value("data=%zz") }
        #expect(throws: FormEncoding.Failure.badEncoding) { try value("data=%ff") }
        #expect(try value("&&data=é€=x&") == "é€=x", "empty pairs are skipped; raw UTF-8 and = in a value are kept")
        #expect(throws: FormEncoding.Failure.badEncoding, "raw bytes that are not UTF-8, with nothing encoded") {
            try FormEncoding.value(of: "data", in: Array("data=".utf8) + [0xFF, 0x41])
        }
    }

    @Test("decoding reverses encoding", arguments: ["", "a b", "</script>\r\n😀 +&=%", "~m~3~m~abc"])
    func roundTrip(text: String) throws {
        #expect(try FormEncoding.value(of: "data", in: FormEncoding.body(data: text)) == text)
    }
}
