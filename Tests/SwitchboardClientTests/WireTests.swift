import Foundation
import SwitchboardCore
import SwitchboardWebSocket
import Testing

@testable import SwitchboardClient

/// The client's reading and writing of each transport's wire format, without sockets. Payloads are
/// wrapped with the server's own `TransportDescriptor.wrap`, so the reader is checked against it.
@Suite("client wire formats")
struct WireTests {
    static let hostile = "</script>\r\n\"quoted\" back\\slash 😀 \u{2028} {payload} {sid}"
    static let payloads = [
        "", "~m~5~m~hello", FramedCodec.frame(text: hostile) + FramedCodec.frame(text: "~j~{\"k\":\"<\"}"),
    ]

    @Test(
        "every transport's writes read back to the payload, whole or split at any byte",
        arguments: ClientTransports.known.map(\.name))
    func roundTrip(transport: String) throws {
        let descriptor = try #require(ClientTransports.descriptor(transport))
        let reader = WrappedPayloadReader(descriptor: descriptor)
        for payload in Self.payloads {
            let written = descriptor.wrap(payload: payload, sessionId: "Zx8_-a", sequence: 12, index: "3")
            #expect(
                reader.read(Array(written.utf8)[...], complete: true) == .payload(payload, consumed: written.utf8.count)
            )
            guard descriptor.kind == .stream else { continue }
            // A stream: the prelude, then two writes, arriving in pieces.
            let bytes = Array(
                (descriptor.paddedPrelude + written + descriptor.wrap(payload: "next", sessionId: "S", sequence: 13))
                    .utf8)
            for split in stride(from: 0, to: bytes.count, by: max(1, bytes.count / 37)) {
                var buffer = StreamPayloadBuffer(reader: reader, maxPayloadSize: 1 << 20)
                let first = try buffer.append(bytes[..<split]).get()
                let second = try buffer.append(bytes[split...]).get()
                #expect(first + second == [payload, "next"], "split at \(split)")
            }
        }
    }

    @Test("a stream that is not the transport's fails")
    func malformedStream() {
        let htmlfile = ClientTransports.descriptor("htmlfile")!
        var buffer = StreamPayloadBuffer(reader: WrappedPayloadReader(descriptor: htmlfile), maxPayloadSize: 1000)
        #expect(throws: ConnectionFailure.self) { try buffer.append(Array("app:GET /".utf8)).get() }
        let events = ClientTransports.descriptor("server-events")!
        var sse = StreamPayloadBuffer(reader: WrappedPayloadReader(descriptor: events), maxPayloadSize: 1000)
        #expect(throws: ConnectionFailure.self) { try sse.append(Array("id: a.1\ndata: not json\n\n".utf8)).get() }
        var big = StreamPayloadBuffer(reader: WrappedPayloadReader(descriptor: events), maxPayloadSize: 10)
        #expect(throws: ConnectionFailure.self) {
            try big.append(Array("id: a.1\ndata: \"0123456789ABCDEF".utf8)).get()
        }
    }

    @Test("URL paths follow each transport's URL shape")
    func paths() {
        func paths(_ name: String) -> TransportPaths {
            TransportPaths(resource: "socket.io", descriptor: ClientTransports.descriptor(name)!)
        }
        let date = Date(timeIntervalSince1970: 1_795_716_587.721)
        #expect(paths("websocket").connect(sessionId: nil) == "/socket.io/websocket")
        #expect(paths("flashsocket").connect(sessionId: "S") == "/socket.io/flashsocket/S")
        #expect(paths("xhr-polling").connect(sessionId: nil, now: date) == "/socket.io/xhr-polling//1795716587721")
        #expect(
            paths("jsonp-polling").connect(sessionId: "S", index: 4, now: date)
                == "/socket.io/jsonp-polling/S/1795716587721/4")
        #expect(paths("xhr-multipart").connect(sessionId: nil) == "/socket.io/xhr-multipart")
        #expect(paths("htmlfile").send(sessionId: "S") == "/socket.io/htmlfile/S/send")
    }

    @Test("the form body keeps every byte of the payload: + and & and line breaks encoded")
    func form() {
        #expect(
            String(decoding: FormEncoding.body(data: "~m~5~m~a b+c&\r\n€"), as: UTF8.self)
                == "data=%7Em%7E5%7Em%7Ea+b%2Bc%26%0D%0A%E2%82%AC")
    }

    @Test("codec: the framed payload the client writes; heartbeats echoed as ~h~; JSON arrays for the envelope")
    func codec() {
        let framed = ClientCodec(.framed, maxFrameLength: 1000)
        #expect(
            framed.encode([.message("abcde"), .heartbeat(10), .message(.json(["b": 2]))])
                == "~m~5~m~abcde~m~5~m~~h~10~m~10~m~~j~{\"b\":2}")
        #expect(framed.decode("~m~4~m~~h~3~m~1~m~x").frames == [.heartbeat(3), .message("x")])
        #expect(framed.decode("").frames.isEmpty && framed.decode("").problem == nil)
        let envelope = ClientCodec(.envelope, maxFrameLength: 1000)
        #expect(envelope.encode([.message("a"), .heartbeat(1), .message(.json(["b": 1]))]) == #"["a",{"b":1}]"#)
        #expect(
            envelope.decode(#"{"messages":["{\"sessionid\":\"S\"}","a",{"b":1}]}"#).frames == [
                .message(#"{"sessionid":"S"}"#), .message("a"), .message(.json(["b": 1])),
            ])
        #expect(envelope.decode("~m~1~m~a").problem != nil)
        #expect(ClientCodec.envelopeSessionId(#"{"sessionid":"Zx8"}"#) == "Zx8")
        #expect(ClientCodec.envelopeSessionId("Zx8") == nil)
    }

    @Test("RFC 6455 accept value (the RFC's example)")
    func accept() {
        #expect(Handshake.acceptValue(key: "dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
    }

    @Test("hixie-76 keys hide their number the way the server reads it")
    func hixieKeys() {
        for _ in 0..<200 {
            let (key, number) = Handshake.hixieKey()
            #expect(Hixie76.keyNumber(key) == number, "\(key)")
            #expect(key.first != " " && key.last != " ")
        }
    }

    @Test("the Flash policy check: domain and ports")
    func flashPolicy() {
        let policy = """
            <?xml version="1.0"?>
            <cross-domain-policy>
            <allow-access-from domain="example.com" to-ports="80,8000-8100"/>
            <allow-access-from domain="*.local" to-ports="*"/>
            </cross-domain-policy>
            """
        #expect(FlashPolicyCheck.allows(policy, host: "example.com", port: 8080))
        #expect(!FlashPolicyCheck.allows(policy, host: "example.com", port: 443))
        #expect(FlashPolicyCheck.allows(policy, host: "box.local", port: 1))
        #expect(!FlashPolicyCheck.allows(policy, host: "other.org", port: 80))
        #expect(FlashPolicyCheck.allows(#"<allow-access-from domain="*" to-ports="*"/>"#, host: "127.0.0.1", port: 9))
        #expect(!FlashPolicyCheck.allows("", host: "127.0.0.1", port: 9))
    }

    @Test("options: secure is refused clearly; unknown transports are named")
    func options() throws {
        var secure = SocketOptions()
        secure.secure = true
        #expect(throws: SocketError.secureNotSupported) { try Socket(port: 1, options: secure) }
        #expect(SocketError.secureNotSupported.description.contains("not supported"))
        var unknown = SocketOptions()
        try unknown.set("transports", to: "websocket, carrier-pigeon")
        #expect(throws: SocketError.unknownTransport("carrier-pigeon")) { try Socket(port: 1, options: unknown) }
        #expect(ClientTransports.known.map(\.name).count == 7)
    }
}
