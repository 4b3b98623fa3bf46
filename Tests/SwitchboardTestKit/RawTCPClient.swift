/// A plain TCP connection for hand-written protocol exchanges (hixie-76 handshakes, the Flash
/// policy request, refused `Upgrade: IRC`, malformed HTTP...).
public final class RawTCPClient: Sendable {
    let connection: TCPConnection

    private init(connection: TCPConnection) {
        self.connection = connection
    }

    public static func connect(
        host: String = "127.0.0.1",
        port: Int,
        timeout: Duration = .seconds(15)
    ) async throws -> RawTCPClient {
        RawTCPClient(connection: try await TCPConnection.connect(host: host, port: port, timeout: timeout))
    }

    public func write(_ bytes: [UInt8], timeout: Duration = .seconds(15)) async throws {
        try await self.connection.write(bytes, deadline: makeDeadline(after: timeout))
    }

    /// Writes a string's UTF-8 bytes.
    public func write(_ text: String, timeout: Duration = .seconds(15)) async throws {
        try await self.write(Array(text.utf8), timeout: timeout)
    }

    /// Everything buffered, once at least `count` bytes are there (`count` ≥ 1).
    /// Throws `connectionClosed` if the peer closes first (the bytes stay readable).
    public func read(atLeast count: Int = 1, timeout: Duration = .seconds(15)) async throws -> [UInt8] {
        try await self.connection.inbox.read(atLeast: count, deadline: makeDeadline(after: timeout))
    }

    /// Exactly `count` bytes.
    public func read(exactly count: Int, timeout: Duration = .seconds(15)) async throws -> [UInt8] {
        try await self.connection.inbox.readExactly(count, deadline: makeDeadline(after: timeout))
    }

    /// Bytes up to and including `delimiter` (e.g. `Array("\r\n\r\n".utf8)`).
    public func read(until delimiter: [UInt8], timeout: Duration = .seconds(15)) async throws -> [UInt8] {
        try await self.connection.inbox.readUntil(delimiter, deadline: makeDeadline(after: timeout))
    }

    /// Bytes up to and including `delimiter`.
    public func read(until delimiter: String, timeout: Duration = .seconds(15)) async throws -> [UInt8] {
        try await self.read(until: Array(delimiter.utf8), timeout: timeout)
    }

    /// Everything the peer sends until it closes the connection.
    public func readUntilClose(timeout: Duration = .seconds(15)) async throws -> [UInt8] {
        try await self.connection.inbox.readToEOF(deadline: makeDeadline(after: timeout))
    }

    /// Number of received bytes not read yet.
    public var bufferedByteCount: Int { self.connection.inbox.bufferedByteCount }

    /// True once the TCP connection is closed (by the peer or by `close()`).
    public var isClosed: Bool { self.connection.isClosed }

    /// Waits until the TCP connection is closed.
    public func waitForClose(timeout: Duration = .seconds(15)) async throws {
        try await self.connection.waitForClose(deadline: makeDeadline(after: timeout))
    }

    public func close() async {
        await self.connection.close()
    }
}
