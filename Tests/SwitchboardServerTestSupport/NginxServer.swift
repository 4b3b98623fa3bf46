import Foundation
import SwitchboardTestKit

/// A throwaway nginx for one test: the configuration of docs/cluster.md, with free ports put in,
/// in front of the given nodes. Debian's `nginx` package provides it; `scripts/test` installs it.
public final class NginxServer: Sendable {
    public let port: Int
    private let process: Process
    private let directory: String

    /// Starts nginx with docs/cluster.md's configuration in front of `upstreams` (ports on 127.0.0.1).
    public init(upstreams: [Int]) async throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let document = try String(contentsOf: root.appendingPathComponent("docs/cluster.md"), encoding: .utf8)
        guard let start = document.range(of: "```nginx\n"), let end = document.range(of: "```", range: start.upperBound..<document.endIndex)
        else { throw TestServerError("no nginx block in docs/cluster.md") }
        var config = String(document[start.upperBound..<end.lowerBound])
        port = try freePort()
        config = config.replacingOccurrences(of: "listen 8080;", with: "listen 127.0.0.1:\(port);")
        let servers = upstreams.map { "        server 127.0.0.1:\($0);" }.joined(separator: "\n")
        guard let first = config.range(of: "        server 127.0.0.1:8081;"), let last = config.range(of: "        server 127.0.0.1:8083;")
        else { throw TestServerError("no upstream servers in docs/cluster.md's nginx block") }
        config.replaceSubrange(first.lowerBound..<last.upperBound, with: servers)

        directory = NSTemporaryDirectory() + "switchboard-nginx-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let file = directory + "/nginx.conf"
        try config.write(toFile: file, atomically: true, encoding: .utf8)
        let nginx = ["/usr/sbin/nginx", "/usr/local/sbin/nginx"].first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let nginx else { throw TestServerError("no nginx (apt-get install nginx)") }
        process = Process()
        process.executableURL = URL(fileURLWithPath: nginx)
        process.arguments = ["-p", directory, "-c", file, "-e", "stderr", "-g", "daemon off; pid \(directory)/nginx.pid;"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = ProcessInfo.processInfo.environment["HOST_LOG"] == nil ? FileHandle.nullDevice : FileHandle.standardError
        try process.run()
        // A real process starts; it is ready when it accepts connections.
        let port = port
        do {
            try await eventually(timeout: .seconds(5), interval: .milliseconds(25)) { canConnect(port: port) }
        } catch {
            process.terminate()
            throw TestServerError("nginx did not start on port \(port)")
        }
    }

    public func stop() {
        process.terminate()
        process.waitUntilExit()
        try? FileManager.default.removeItem(atPath: directory)
    }
}

/// Whether something accepts TCP connections on a loopback port now.
public func canConnect(port: Int) -> Bool {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = UInt16(port).bigEndian
    return withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
    }
}
