import Testing

@testable import SwitchboardTestKit

@Suite struct WebSocketTestClientTests {
    @Test func acceptValueMatchesRFC6455Example() {
        #expect(webSocketAccept(forKey: "dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
    }

    @Test func textAndBinaryEcho() async throws {
        try await withHTTPServer { server in
            let ws = try await WebSocketTestClient.connect(port: server.port, path: "/ws")
            #expect(ws.handshake.status == 101)
            #expect(ws.handshake.headers["Sec-WebSocket-Accept"] == webSocketAccept(forKey: ws.key))
            try await ws.send(text: "héllo ~m~")
            #expect(try await ws.receive() == .text("héllo ~m~"))
            try await ws.send(binary: [0, 1, 2, 255])
            #expect(try await ws.receive() == .binary([0, 1, 2, 255]))
            // a masked 64 KiB+ frame (64-bit length) round-trips
            let big = [UInt8]((0..<70_000).map { UInt8(truncatingIfNeeded: $0) })
            try await ws.send(binary: big)
            #expect(try await ws.receive() == .binary(big))
            await ws.disconnect()
        }
    }

    @Test func serverFramesWithExtendedLengths() async throws {
        try await withHTTPServer { server in
            let ws = try await WebSocketTestClient.connect(port: server.port, path: "/ws")
            try await ws.send(text: "big:200")
            #expect(try await ws.receiveText() == String(repeating: "a", count: 200))
            try await ws.send(text: "big:70000")
            #expect(try await ws.receiveText().utf8.count == 70000)
            await ws.disconnect()
        }
    }

    @Test func fragmentedMessageIsReassembledAndPingIsAnsweredAndSurfaced() async throws {
        try await withHTTPServer { server in
            let ws = try await WebSocketTestClient.connect(port: server.port, path: "/ws")
            try await ws.send(text: "frag")
            #expect(try await ws.receive() == .ping(Array("p1".utf8)))
            #expect(try await ws.receive() == .text("Hello, World"))
            // the automatic pong reached the server, which reports it
            #expect(try await ws.receive() == .text("pong:p1"))
            await ws.disconnect()
        }
    }

    @Test func rawFramesFromServer() async throws {
        try await withHTTPServer { server in
            let ws = try await WebSocketTestClient.connect(port: server.port, path: "/ws")
            try await ws.send(text: "frag")
            let first = try await ws.receiveFrame()
            #expect(first == WebSocketFrameInfo(fin: false, rsv: 0, opcode: WebSocketOpcode.text, masked: false, payload: Array("Hel".utf8)))
            #expect(try await ws.receiveFrame().opcode == WebSocketOpcode.ping)
            #expect(try await ws.receiveFrame().opcode == WebSocketOpcode.continuation)
            #expect(try await ws.receiveFrame().fin)
            await ws.disconnect()
        }
    }

    @Test func clientFragmentsAndPing() async throws {
        try await withHTTPServer { server in
            let ws = try await WebSocketTestClient.connect(port: server.port, path: "/ws")
            try await ws.sendFrame(opcode: WebSocketOpcode.text, fin: false, payload: Array("ab".utf8))
            try await ws.ping(Array("x".utf8))
            try await ws.sendFrame(opcode: WebSocketOpcode.continuation, fin: true, payload: Array("cd".utf8))
            #expect(try await ws.receive() == .pong(Array("x".utf8)))
            #expect(try await ws.receive() == .text("abcd"))
            await ws.disconnect()
        }
    }

    @Test func unmaskedFrameGetsProtocolErrorClose() async throws {
        try await withHTTPServer { server in
            let ws = try await WebSocketTestClient.connect(port: server.port, path: "/ws")
            try await ws.sendFrame(opcode: WebSocketOpcode.text, fin: true, payload: Array("x".utf8), masked: false)
            #expect(try await ws.receive() == .close(code: 1002, reason: "unmasked"))
            #expect(try await ws.waitForClose() == 1002)
            #expect(ws.isClosed)
            await #expect(throws: TestKitError.connectionClosed) { try await ws.receive() }
        }
    }

    @Test func refusedUpgradeSurfacesTheResponse() async throws {
        try await withHTTPServer { server in
            do {
                _ = try await WebSocketTestClient.connect(port: server.port, path: "/nope")
                Issue.record("upgrade should have been refused")
            } catch TestKitError.upgradeRefused(let response) {
                #expect(response.status == 404)
                #expect(response.bodyString == "not found: /nope")
            }
        }
    }

    @Test func clientInitiatedClose() async throws {
        try await withHTTPServer { server in
            let ws = try await WebSocketTestClient.connect(port: server.port, path: "/ws")
            try await ws.close(code: 1000, reason: "done")
            #expect(try await ws.waitForClose() == 1000)
            #expect(ws.isClosed)
        }
    }

    @Test func serverInitiatedCloseCode() async throws {
        try await withHTTPServer { server in
            let ws = try await WebSocketTestClient.connect(port: server.port, path: "/ws")
            try await ws.send(text: "close:4001")
            #expect(try await ws.receive() == .close(code: 4001, reason: "bye"))
            // our automatic close reply makes the server close TCP
            #expect(try await ws.waitForClose() == 4001)
            #expect(ws.receivedClose?.code == 4001)
        }
        try await withHTTPServer { server in
            let ws = try await WebSocketTestClient.connect(port: server.port, path: "/ws")
            try await ws.send(text: "close:1003")
            #expect(try await ws.waitForClose() == 1003)
        }
    }

    @Test func droppedConnectionHasNoCloseCode() async throws {
        try await withHTTPServer { server in
            let ws = try await WebSocketTestClient.connect(port: server.port, path: "/ws")
            try await ws.send(text: "drop")
            #expect(try await ws.waitForClose() == nil)
            #expect(ws.isClosed)
            #expect(ws.receivedClose == nil)
        }
    }

    @Test func receiveTimesOut() async throws {
        try await withHTTPServer { server in
            let ws = try await WebSocketTestClient.connect(port: server.port, path: "/ws")
            let clock = ContinuousClock()
            let start = clock.now
            await #expect(throws: TestKitError.timeout) { try await ws.receive(timeout: .milliseconds(150)) }
            #expect(clock.now - start < .seconds(2))
            await #expect(throws: TestKitError.timeout) { try await ws.waitForClose(timeout: .milliseconds(100)) }
            // still usable after a timeout
            try await ws.send(text: "again")
            #expect(try await ws.receiveText() == "again")
            await ws.disconnect()
        }
    }

    @Test func surfacePingsCanBeTurnedOff() async throws {
        try await withHTTPServer { server in
            let ws = try await WebSocketTestClient.connect(
                port: server.port,
                path: "/ws",
                options: WebSocketTestOptions(surfacePings: false)
            )
            try await ws.send(text: "ping:hb")
            #expect(try await ws.receive() == .text("pong:hb"))
            await ws.disconnect()
        }
    }

    @Test func strictModeFlagsMaskedServerFrames() async throws {
        // a fake server answering a correct 101 for a fixed key, then sending a masked text frame
        let key = "dGhlIHNhbXBsZSBub25jZQ=="
        let masked = WebSocketWire.encodeFrame(opcode: 1, fin: true, rsv: 0, payload: Array("hi".utf8), maskKey: [1, 2, 3, 4])
        let script: [RawScriptServer.Step] = [
            .write("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: \(webSocketAccept(forKey: key))\r\n\r\n"),
            .writeBytes(masked + masked),
        ]
        try await withRawServer(script) { server in
            let strict = try await WebSocketTestClient.connect(port: server.port, headers: [("Sec-WebSocket-Key", key)])
            await #expect(throws: TestKitError.protocolViolation("server frame is masked")) { try await strict.receive() }
            await strict.disconnect()
            let lenient = try await WebSocketTestClient.connect(
                port: server.port,
                headers: [("Sec-WebSocket-Key", key)],
                options: WebSocketTestOptions(strict: false)
            )
            #expect(try await lenient.receive() == .text("hi"))
            #expect(try await lenient.receiveFrame().masked)
            await lenient.disconnect()
        }
    }

    @Test func refusalWithoutLengthStillSurfacesTheResponse() async throws {
        // no Content-Length and the connection stays open: the refusal arrives at the deadline
        try await withRawServer([.write("HTTP/1.1 403 Forbidden\r\n\r\norigin not allowed")]) { server in
            do {
                _ = try await WebSocketTestClient.connect(port: server.port, timeout: .seconds(2))
                Issue.record("expected a refusal")
            } catch TestKitError.upgradeRefused(let response) {
                #expect(response.status == 403)
                #expect(response.bodyString == "origin not allowed")
            }
        }
    }

    @Test func cancellationAndConcurrentReceive() async throws {
        try await withHTTPServer { server in
            let ws = try await WebSocketTestClient.connect(port: server.port, path: "/ws")
            let waiting = Task { try await ws.receive(timeout: .seconds(30)) }
            try await eventually { ws.isReceiving }
            await #expect(throws: TestKitError.invalidState("concurrent receive calls")) {
                try await ws.receive(timeout: .milliseconds(50))
            }
            let clock = ContinuousClock()
            let start = clock.now
            waiting.cancel()
            await #expect(throws: CancellationError.self) { try await waiting.value }
            #expect(clock.now - start < .seconds(2))
            try await ws.send(text: "still works")
            #expect(try await ws.receiveText() == "still works")
            await ws.disconnect()
        }
    }

    @Test func wrongAcceptIsAHandshakeFailure() async throws {
        let script: [RawScriptServer.Step] = [
            .write("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: nope\r\n\r\n")
        ]
        try await withRawServer(script) { server in
            do {
                _ = try await WebSocketTestClient.connect(port: server.port)
                Issue.record("expected a handshake failure")
            } catch TestKitError.handshakeFailed(_, let response) {
                #expect(response.status == 101)
            }
        }
    }
}
