import Testing

@testable import SwitchboardWire

@Suite("the handshakes' digests: MD5 and SHA-1")
struct DigestTests {
    func hex(_ bytes: [UInt8]) -> String {
        bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }

    @Test("MD5: the test suite of RFC 1321 §A.5, and messages around the block size")
    func md5() {
        #expect(hex(Digest.md5([])) == "d41d8cd98f00b204e9800998ecf8427e")
        #expect(hex(Digest.md5(Array("abc".utf8))) == "900150983cd24fb0d6963f7d28e17f72")
        #expect(hex(Digest.md5(Array("message digest".utf8))) == "f96b697d7cb7938d525a2f31aaf161d0")
        #expect(
            hex(Digest.md5(Array(String(repeating: "1234567890", count: 8).utf8)))
                == "57edf4a22be3c955ac49da2e2107b67a")
        #expect(hex(Digest.md5(Array(repeating: 0x61, count: 55))) == "ef1772b6dff9a122358552954ad0df65")
        #expect(hex(Digest.md5(Array(repeating: 0x61, count: 56))) == "3b0c8ac703f828b04c6c197006d17218")
        #expect(hex(Digest.md5(Array(repeating: 0x61, count: 64))) == "014842d480b571495a4a0363793f7367")
    }

    @Test("SHA-1: FIPS 180 examples")
    func sha1() {
        #expect(hex(Digest.sha1([])) == "da39a3ee5e6b4b0d3255bfef95601890afd80709")
        #expect(hex(Digest.sha1(Array("abc".utf8))) == "a9993e364706816aba3e25717850c26c9cd0d89d")
        #expect(
            hex(Digest.sha1(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)))
                == "84983e441c3bd26ebaae4aa1f95129e5e54670f1")
        #expect(hex(Digest.sha1(Array(repeating: 0x61, count: 1000))).count == 40)
    }
}
