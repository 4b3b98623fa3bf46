import NIOConcurrencyHelpers
import NIOCore
import SwitchboardWire

/// A message (or control frame) received by `WebSocketTestClient.receive`.
public enum WebSocketMessage: Sendable, Equatable, CustomStringConvertible {
    case text(String)
    case binary([UInt8])
    case ping([UInt8])
    case pong([UInt8])
    /// A close frame; `code` is nil when the frame had no payload.
    case close(code: UInt16?, reason: String)

    public var description: String {
        switch self {
        case .text(let s): return "text(\(s.debugDescription))"
        case .binary(let b): return "binary(\(b.count) bytes)"
        case .ping(let b): return "ping(\(b))"
        case .pong(let b): return "pong(\(b))"
        case .close(let code, let reason): return "close(\(code.map(String.init) ?? "nil"), \(reason.debugDescription))"
        }
    }
}

/// One WebSocket frame as it came off the wire (see `WebSocketTestClient.receiveFrame`).
public struct WebSocketFrameInfo: Sendable, Equatable {
    public var fin: Bool
    /// RSV1..RSV3 as the low three bits (RSV1 = 0b100).
    public var rsv: UInt8
    public var opcode: UInt8
    /// Whether the server masked it (servers must not).
    public var masked: Bool
    /// The (unmasked) payload.
    public var payload: [UInt8]
}

/// WebSocket opcodes (RFC 6455 §5.2).
public enum WebSocketOpcode {
    public static let continuation: UInt8 = 0x0
    public static let text: UInt8 = 0x1
    public static let binary: UInt8 = 0x2
    public static let close: UInt8 = 0x8
    public static let ping: UInt8 = 0x9
    public static let pong: UInt8 = 0xA
}

public struct WebSocketTestOptions: Sendable {
    /// Answer every ping with a pong carrying the same payload.
    public var autoReplyToPings: Bool
    /// Return pings from `receive` (after answering them).
    public var surfacePings: Bool
    /// Return pongs from `receive`.
    public var surfacePongs: Bool
    /// Echo the close code back when the server sends a close frame first.
    public var autoReplyToClose: Bool
    /// Check the server's frames: unmasked, no RSV bits, control frames unfragmented and ≤125
    /// bytes, valid continuation sequence, valid UTF-8 text. Violations throw `protocolViolation`.
    /// Also checks the 101's `Upgrade`/`Connection` tokens.
    public var strict: Bool
    /// Largest accepted frame payload / reassembled message.
    public var maxMessageSize: Int

    public init(
        autoReplyToPings: Bool = true,
        surfacePings: Bool = true,
        surfacePongs: Bool = true,
        autoReplyToClose: Bool = true,
        strict: Bool = true,
        maxMessageSize: Int = 64 << 20
    ) {
        self.autoReplyToPings = autoReplyToPings
        self.surfacePings = surfacePings
        self.surfacePongs = surfacePongs
        self.autoReplyToClose = autoReplyToClose
        self.strict = strict
        self.maxMessageSize = maxMessageSize
    }
}

/// An RFC 6455 client over one TCP connection. Frames it sends are masked unless asked otherwise.
public final class WebSocketTestClient: Sendable {
    private struct State {
        var fragmentOpcode: UInt8?
        var fragmentData: [UInt8] = []
        var closeSent = false
        var closeReceived: (code: UInt16?, reason: String)?
        var receiving = false
    }

    let connection: TCPConnection
    /// The server's `101 Switching Protocols` response.
    public let handshake: TestHTTPResponse
    /// The `Sec-WebSocket-Key` that was sent.
    public let key: String
    public let options: WebSocketTestOptions
    private let state = NIOLockedValueBox(State())

    private init(connection: TCPConnection, handshake: TestHTTPResponse, key: String, options: WebSocketTestOptions) {
        self.connection = connection
        self.handshake = handshake
        self.key = key
        self.options = options
    }

    /// Connects and performs the RFC 6455 handshake. Default headers (`Host`, `Upgrade: websocket`,
    /// `Connection: Upgrade`, a random `Sec-WebSocket-Key`, `Sec-WebSocket-Version: 13`) are left out
    /// when `headers` has a field of the same name. Throws `TestKitError.upgradeRefused(response)`
    /// for any non-101 answer, `.handshakeFailed` for a wrong `Sec-WebSocket-Accept`.
    public static func connect(
        host: String = "127.0.0.1",
        port: Int,
        path: String = "/",
        headers: [(String, String)] = [],
        options: WebSocketTestOptions = .init(),
        timeout: Duration = .seconds(15)
    ) async throws -> WebSocketTestClient {
        let deadline = makeDeadline(after: timeout)
        let connection = try await TCPConnection.connect(host: host, port: port, timeout: timeout)
        do {
            let given = Dictionary(headers.map { ($0.0.lowercased(), $0.1) }, uniquingKeysWith: { first, _ in first })
            var random = SystemRandomNumberGenerator()
            let key = given["sec-websocket-key"] ?? RFC6455.makeKey(using: &random)
            var all: [(String, String)] = []
            for (name, value) in [
                ("Upgrade", "websocket"), ("Connection", "Upgrade"), ("Sec-WebSocket-Key", key),
                ("Sec-WebSocket-Version", "13"),
            ] where given[name.lowercased()] == nil {
                all.append((name, value))
            }
            all += headers
            let hostHeader = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
            let request = HTTPWire.serializeRequest(method: "GET", path: path, headers: all, body: nil, defaultHost: hostHeader)
            try await connection.write(request, deadline: deadline)

            var head = try await HTTPWire.readHead(connection.inbox, deadline: deadline)
            while (100..<200).contains(head.status) && head.status != 101 {
                head = try await HTTPWire.readHead(connection.inbox, deadline: deadline)
            }
            guard head.status == 101 else {
                let response: TestHTTPResponse
                if try HTTPWire.framing(of: head, requestMethod: "GET") == .untilClose {
                    // A close-delimited refusal: take what arrives until close, or until the deadline
                    // if the server keeps the connection open.
                    do {
                        response = TestHTTPResponse(head: head, body: try await connection.inbox.readToEOF(deadline: deadline))
                    } catch TestKitError.timeout {
                        response = TestHTTPResponse(head: head, body: connection.inbox.takeBuffered())
                    }
                } else {
                    response = try await HTTPWire.readBody(of: head, connection.inbox, requestMethod: "GET", deadline: deadline)
                }
                await connection.close()
                throw TestKitError.upgradeRefused(response)
            }
            let response = TestHTTPResponse(head: head, body: [])
            let expected = webSocketAccept(forKey: key)
            guard response.headers["Sec-WebSocket-Accept"] == expected else {
                await connection.close()
                throw TestKitError.handshakeFailed(
                    "Sec-WebSocket-Accept is \(response.headers["Sec-WebSocket-Accept"] ?? "missing"), expected \(expected)",
                    response
                )
            }
            if options.strict {
                guard response.headers.hasToken("websocket", in: "Upgrade"),
                    response.headers.hasToken("upgrade", in: "Connection")
                else {
                    await connection.close()
                    throw TestKitError.handshakeFailed("101 without Upgrade: websocket / Connection: Upgrade", response)
                }
            }
            return WebSocketTestClient(connection: connection, handshake: response, key: key, options: options)
        } catch {
            await connection.close()
            throw error
        }
    }

    // MARK: sending

    /// One masked text frame.
    public func send(text: String, timeout: Duration = .seconds(15)) async throws {
        try await self.sendFrame(opcode: WebSocketOpcode.text, fin: true, payload: Array(text.utf8), timeout: timeout)
    }

    /// One masked binary frame.
    public func send(binary: [UInt8], timeout: Duration = .seconds(15)) async throws {
        try await self.sendFrame(opcode: WebSocketOpcode.binary, fin: true, payload: binary, timeout: timeout)
    }

    /// Any frame, exactly as described: no validation (fragments, unmasked frames, reserved
    /// opcodes, RSV bits, oversized control frames...). The length encoding follows the payload size.
    public func sendFrame(
        opcode: UInt8,
        fin: Bool,
        payload: [UInt8],
        masked: Bool = true,
        rsv: UInt8 = 0,
        timeout: Duration = .seconds(15)
    ) async throws {
        let maskKey: [UInt8]? = masked ? (0..<4).map { _ in UInt8.random(in: .min ... .max) } : nil
        let bytes = WebSocketWire.encodeFrame(opcode: opcode, fin: fin, rsv: rsv, payload: payload, maskKey: maskKey)
        try await self.connection.write(bytes, deadline: makeDeadline(after: timeout))
        if opcode == WebSocketOpcode.close {
            self.state.withLockedValue { $0.closeSent = true }
        }
    }

    /// Many masked text frames in one write (a fast sender).
    public func send(texts: [String], timeout: Duration = .seconds(15)) async throws {
        let bytes = texts.flatMap { text in
            WebSocketWire.encodeFrame(
                opcode: WebSocketOpcode.text, fin: true, rsv: 0, payload: Array(text.utf8),
                maskKey: (0..<4).map { _ in UInt8.random(in: .min ... .max) })
        }
        try await self.connection.write(bytes, deadline: makeDeadline(after: timeout))
    }

    /// Raw bytes on the socket (e.g. a frame header that promises more than is sent).
    public func sendRaw(_ bytes: [UInt8], timeout: Duration = .seconds(15)) async throws {
        try await self.connection.write(bytes, deadline: makeDeadline(after: timeout))
    }

    public func ping(_ payload: [UInt8] = [], timeout: Duration = .seconds(15)) async throws {
        try await self.sendFrame(opcode: WebSocketOpcode.ping, fin: true, payload: payload, timeout: timeout)
    }

    public func pong(_ payload: [UInt8] = [], timeout: Duration = .seconds(15)) async throws {
        try await self.sendFrame(opcode: WebSocketOpcode.pong, fin: true, payload: payload, timeout: timeout)
    }

    /// Sends a close frame (`code` nil: empty payload). Does not wait: use `waitForClose`.
    public func close(code: UInt16? = 1000, reason: String = "", timeout: Duration = .seconds(15)) async throws {
        var payload: [UInt8] = []
        if let code {
            payload = [UInt8(code >> 8), UInt8(code & 0xFF)] + Array(reason.utf8)
        }
        try await self.sendFrame(opcode: WebSocketOpcode.close, fin: true, payload: payload, timeout: timeout)
    }

    /// Drops the TCP connection without a close handshake.
    public func disconnect() async {
        await self.connection.close()
    }

    // MARK: receiving

    /// The next message: text/binary (fragments reassembled), or a control frame (pings are
    /// answered automatically and returned too; see `WebSocketTestOptions`). After a close frame,
    /// or if the connection drops, throws `TestKitError.connectionClosed`.
    public func receive(timeout: Duration = .seconds(15)) async throws -> WebSocketMessage {
        try await self.receive(deadline: makeDeadline(after: timeout))
    }

    /// The next text message, skipping pings and pongs; anything else throws `unexpectedMessage`.
    public func receiveText(timeout: Duration = .seconds(15)) async throws -> String {
        let deadline = makeDeadline(after: timeout)
        while true {
            switch try await self.receive(deadline: deadline) {
            case .text(let text): return text
            case .ping, .pong: continue
            case let other: throw TestKitError.unexpectedMessage(other)
            }
        }
    }

    /// The next raw frame, without reassembly or validation (pings are still auto-answered and a
    /// close frame is still recorded/answered per the options).
    public func receiveFrame(timeout: Duration = .seconds(15)) async throws -> WebSocketFrameInfo {
        let deadline = makeDeadline(after: timeout)
        try self.beginReceiving()
        defer { self.endReceiving() }
        let frame = try await self.readFrame(deadline: deadline)
        switch frame.opcode {
        case WebSocketOpcode.ping: await self.answerPing(frame.payload)
        case WebSocketOpcode.close: _ = try await self.handleClose(frame.payload, strict: false)
        default: break
        }
        return frame
    }

    /// Waits for the server's close frame (discarding messages before it) and then for the TCP
    /// connection to close. Returns the close code; nil if the connection dropped without a close
    /// frame (or the frame had no code).
    public func waitForClose(timeout: Duration = .seconds(15)) async throws -> UInt16? {
        let deadline = makeDeadline(after: timeout)
        while self.state.withLockedValue({ $0.closeReceived == nil }) {
            do {
                if case .close = try await self.receive(deadline: deadline) { break }
            } catch TestKitError.connectionClosed {
                break
            }
        }
        try await self.connection.waitForClose(deadline: deadline)
        return self.state.withLockedValue { $0.closeReceived?.code }
    }

    /// The close frame received from the server, if any.
    public var receivedClose: (code: UInt16?, reason: String)? { self.state.withLockedValue { $0.closeReceived } }

    /// True once the TCP connection is closed.
    public var isClosed: Bool { self.connection.isClosed }

    /// True while a `receive` call waits.
    public var isReceiving: Bool { self.state.withLockedValue { $0.receiving } }

    // MARK: internals

    private func beginReceiving() throws {
        try self.state.withLockedValue { state in
            if state.receiving { throw TestKitError.invalidState("concurrent receive calls") }
            state.receiving = true
        }
    }

    private func endReceiving() {
        self.state.withLockedValue { $0.receiving = false }
    }

    private func readFrame(deadline: NIODeadline) async throws -> WebSocketFrameInfo {
        let maxSize = self.options.maxMessageSize
        return try await self.connection.inbox.read(deadline: deadline) { buffer, _ in
            try WebSocketWire.parseFrame(&buffer, maxPayload: maxSize)
        }
    }

    private func answerPing(_ payload: [UInt8]) async {
        guard self.options.autoReplyToPings, !self.state.withLockedValue({ $0.closeSent }) else { return }
        try? await self.sendFrame(opcode: WebSocketOpcode.pong, fin: true, payload: payload)
    }

    /// Records a close frame and answers it; returns the message.
    private func handleClose(_ payload: [UInt8], strict: Bool) async throws -> WebSocketMessage {
        var code: UInt16?
        var reason = ""
        if payload.count == 1 && strict {
            throw TestKitError.protocolViolation("close frame with a 1-byte payload")
        }
        if payload.count >= 2 {
            code = UInt16(payload[0]) << 8 | UInt16(payload[1])
            let reasonBytes = Array(payload[2...])
            if strict {
                guard let decoded = String(validating: reasonBytes, as: UTF8.self) else {
                    throw TestKitError.protocolViolation("close reason is not valid UTF-8")
                }
                reason = decoded
            } else {
                reason = String(decoding: reasonBytes, as: UTF8.self)
            }
        }
        let shouldReply = self.state.withLockedValue { state -> Bool in
            state.closeReceived = (code, reason)
            return !state.closeSent && self.options.autoReplyToClose
        }
        if shouldReply {
            let echo: [UInt8] = code.map { [UInt8($0 >> 8), UInt8($0 & 0xFF)] } ?? []
            try? await self.sendFrame(opcode: WebSocketOpcode.close, fin: true, payload: echo)
        }
        return .close(code: code, reason: reason)
    }

    private func receive(deadline: NIODeadline) async throws -> WebSocketMessage {
        try self.beginReceiving()
        defer { self.endReceiving() }
        let strict = self.options.strict
        while true {
            if self.state.withLockedValue({ $0.closeReceived != nil }) {
                throw TestKitError.connectionClosed
            }
            let frame = try await self.readFrame(deadline: deadline)
            let isControl = frame.opcode & 0x8 != 0
            if strict {
                if frame.masked { throw TestKitError.protocolViolation("server frame is masked") }
                if frame.rsv != 0 { throw TestKitError.protocolViolation("RSV bits \(frame.rsv) set without an extension") }
                if isControl && (!frame.fin || frame.payload.count > 125) {
                    throw TestKitError.protocolViolation("fragmented or oversized control frame (opcode \(frame.opcode))")
                }
            }
            switch frame.opcode {
            case WebSocketOpcode.ping:
                await self.answerPing(frame.payload)
                if self.options.surfacePings { return .ping(frame.payload) }
            case WebSocketOpcode.pong:
                if self.options.surfacePongs { return .pong(frame.payload) }
            case WebSocketOpcode.close:
                return try await self.handleClose(frame.payload, strict: strict)
            case WebSocketOpcode.text, WebSocketOpcode.binary:
                let inFragment = self.state.withLockedValue { $0.fragmentOpcode != nil }
                if inFragment && strict {
                    throw TestKitError.protocolViolation("new data frame inside a fragmented message")
                }
                if frame.fin {
                    return try self.message(opcode: frame.opcode, payload: frame.payload, strict: strict)
                }
                self.state.withLockedValue { state in
                    state.fragmentOpcode = frame.opcode
                    state.fragmentData = frame.payload
                }
            case WebSocketOpcode.continuation:
                let assembled = try self.state.withLockedValue { state -> (UInt8, [UInt8])? in
                    guard let opcode = state.fragmentOpcode else {
                        if strict { throw TestKitError.protocolViolation("continuation frame without a started message") }
                        return nil
                    }
                    state.fragmentData += frame.payload
                    if state.fragmentData.count > self.options.maxMessageSize {
                        throw TestKitError.protocolViolation("message larger than \(self.options.maxMessageSize) bytes")
                    }
                    guard frame.fin else { return nil }
                    defer {
                        state.fragmentOpcode = nil
                        state.fragmentData = []
                    }
                    return (opcode, state.fragmentData)
                }
                if let (opcode, payload) = assembled {
                    return try self.message(opcode: opcode, payload: payload, strict: strict)
                }
            default:
                if strict { throw TestKitError.protocolViolation("reserved opcode \(frame.opcode)") }
            }
        }
    }

    private func message(opcode: UInt8, payload: [UInt8], strict: Bool) throws -> WebSocketMessage {
        if opcode == WebSocketOpcode.binary { return .binary(payload) }
        if strict {
            guard let text = String(validating: payload, as: UTF8.self) else {
                throw TestKitError.protocolViolation("text message is not valid UTF-8")
            }
            return .text(text)
        }
        return .text(String(decoding: payload, as: UTF8.self))
    }
}

/// RFC 6455 frame encoding/decoding on raw bytes, exactly as told (no validation): what a test
/// sends as a peer that breaks the rules, and reads of what the code under test wrote.
public enum WebSocketWire {
    public static func encodeFrame(opcode: UInt8, fin: Bool, rsv: UInt8, payload: [UInt8], maskKey: [UInt8]?) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(payload.count + 14)
        out.append((fin ? 0x80 : 0) | ((rsv & 0x7) << 4) | (opcode & 0x0F))
        let maskBit: UInt8 = maskKey == nil ? 0 : 0x80
        let count = payload.count
        if count < 126 {
            out.append(maskBit | UInt8(count))
        } else if count <= 0xFFFF {
            out.append(maskBit | 126)
            out.append(UInt8(count >> 8))
            out.append(UInt8(count & 0xFF))
        } else {
            out.append(maskBit | 127)
            for shift in stride(from: 56, through: 0, by: -8) {
                out.append(UInt8(truncatingIfNeeded: UInt64(count) >> UInt64(shift)))
            }
        }
        if let maskKey {
            out += maskKey
            for (index, byte) in payload.enumerated() {
                out.append(byte ^ maskKey[index & 3])
            }
        } else {
            out += payload
        }
        return out
    }

    /// Consumes one complete frame from `buffer`, or returns nil (consuming nothing) if incomplete.
    public static func parseFrame(_ buffer: inout ByteBuffer, maxPayload: Int) throws -> WebSocketFrameInfo? {
        let base = buffer.readerIndex
        let available = buffer.readableBytes
        guard available >= 2,
            let b0 = buffer.getInteger(at: base, as: UInt8.self),
            let b1 = buffer.getInteger(at: base + 1, as: UInt8.self)
        else { return nil }
        let masked = b1 & 0x80 != 0
        var headerLength = 2
        var length: UInt64
        switch b1 & 0x7F {
        case 126:
            guard available >= 4, let l = buffer.getInteger(at: base + 2, as: UInt16.self) else { return nil }
            length = UInt64(l)
            headerLength = 4
        case 127:
            guard available >= 10, let l = buffer.getInteger(at: base + 2, as: UInt64.self) else { return nil }
            if l >> 63 != 0 { throw TestKitError.protocolViolation("64-bit frame length with the high bit set") }
            length = l
            headerLength = 10
        case let l:
            length = UInt64(l)
        }
        if length > UInt64(maxPayload) {
            throw TestKitError.protocolViolation("frame of \(length) bytes exceeds maxMessageSize \(maxPayload)")
        }
        var maskKey: [UInt8]?
        if masked {
            guard available >= headerLength + 4 else { return nil }
            maskKey = buffer.getBytes(at: base + headerLength, length: 4)
            headerLength += 4
        }
        guard available >= headerLength + Int(length) else { return nil }
        buffer.moveReaderIndex(forwardBy: headerLength)
        var payload = buffer.readBytes(length: Int(length))!
        if let maskKey {
            for index in payload.indices {
                payload[index] ^= maskKey[index & 3]
            }
        }
        return WebSocketFrameInfo(fin: b0 & 0x80 != 0, rsv: (b0 >> 4) & 0x7, opcode: b0 & 0x0F, masked: masked, payload: payload)
    }
}
