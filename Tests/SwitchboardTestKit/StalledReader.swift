#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A peer that sends a request and then never reads: a plain blocking socket with a small
/// receive buffer, so the server's writes back up quickly (a slow or stalled consumer).
public final class StalledReader: @unchecked Sendable {
    private var descriptor: Int32

    /// Connects to `127.0.0.1:port` and writes `request`.
    public init(port: Int, request: [UInt8]) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw TestKitError.invalidState("socket: errno \(errno)") }
        var size: Int32 = 4096
        setsockopt(descriptor, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw TestKitError.invalidState("connect: errno \(errno)") }
        let written = request.withUnsafeBytes { send(descriptor, $0.baseAddress, $0.count, 0) }
        guard written == request.count else { throw TestKitError.invalidState("send: errno \(errno)") }
    }

    /// Reads what the server left in the socket, up to its end; true when the server closed the
    /// connection within `seconds` (a reader that starts reading again after its stall).
    public func drainUntilClosed(seconds: Int = 15) -> Bool {
        var timeout = timeval(tv_sec: seconds, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if count == 0 { return true }
            if count < 0 { return errno == ECONNRESET }
        }
    }

    deinit { close(descriptor) }
}
