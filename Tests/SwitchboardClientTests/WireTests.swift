import Foundation
import SwitchboardCore
import SwitchboardWire
import Testing

@testable import SwitchboardClient

/// The client's reading and writing of each transport's wire format, without sockets, from the
/// descriptors generated into the client. SwitchboardWireTests checks the pieces themselves.
@Suite("client wire formats")
struct WireTests {
    static let hostile = "</script>\r\n\"quoted\" back\\slash 😀 \u{2028} {payload} {sid}"
    static let payloads = [
        "", "~m~5~m~hello", Framed.frame(hostile) + Framed.frame("~j~{\"k\":\"<\"}"),
    ]

    @Test(
        "every transport the client knows reads back what the server writes",
        arguments: ClientTransports.known.map(\.name))
    func roundTrip(transport: String) throws {
        let descriptor = try #require(ClientTransports.descriptor(transport))
        let reader = WrappedPayloadReader(descriptor.wrapping)
        for payload in Self.payloads {
            let written = descriptor.wrap(payload: payload, sessionId: "Zx8_-a", sequence: 12, index: "3")
            #expect(
                reader.read(Array(written.utf8)[...], complete: true) == .payload(payload, consumed: written.utf8.count)
            )
            guard descriptor.kind == .stream else { continue }
            // A stream: the prelude, then two writes (SwitchboardWireTests splits them at every byte).
            var buffer = StreamPayloadBuffer(reader: reader, maxPayloadSize: 1 << 20)
            let next = descriptor.wrap(payload: "next", sessionId: "S", sequence: 13)
            #expect(try buffer.append((descriptor.paddedPrelude + written + next).utf8).get() == [payload, "next"])
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
        #expect(EnvelopeCodec.sessionId(inHandshake: #"{"sessionid":"Zx8"}"#) == "Zx8")
        #expect(EnvelopeCodec.sessionId(inHandshake: "Zx8") == nil)
    }

    @Test("options: unknown transports are named")
    func options() throws {
        var unknown = SocketOptions()
        try unknown.set("transports", to: "websocket, carrier-pigeon")
        #expect(throws: SocketError.unknownTransport("carrier-pigeon")) { try Socket(port: 1, options: unknown) }
        #expect(ClientTransports.known.map(\.name) == TransportMatrixTests.transports + ["xhr-streaming"])
    }
}
