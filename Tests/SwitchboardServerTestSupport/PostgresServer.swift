import Foundation
import NIOConcurrencyHelpers
import SwitchboardTestKit

/// A throwaway PostgreSQL server for one test: a new cluster (`initdb`) in a temporary folder,
/// started on a free loopback port, as the `postgres` user when the tests run as root (PostgreSQL
/// refuses root). Debian's `postgresql` package provides the programs; `scripts/test` installs it.
public final class PostgresServer: Sendable {
    public let port: Int
    private let directory: String
    private let binaries: String
    private let process = NIOLockedValueBox<Process?>(nil)

    /// `postgres://postgres@127.0.0.1:<port>/postgres`: trust authentication, no password.
    public var url: String { "postgres://postgres@127.0.0.1:\(port)/postgres" }

    /// Creates the cluster and starts the server; returns once it accepts connections.
    public static func start() async throws -> PostgresServer {
        let server = try PostgresServer()
        try await server.startProcess()
        return server
    }

    private init() throws {
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? []
        guard let version = versions.compactMap(Int.init).max() else {
            throw TestServerError("no PostgreSQL in /usr/lib/postgresql (apt-get install postgresql)")
        }
        binaries = "/usr/lib/postgresql/\(version)/bin"
        directory = NSTemporaryDirectory() + "switchboard-postgres-" + UUID().uuidString
        port = try freePort()
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        if geteuid() == 0 {
            try Self.run("/bin/chown", ["postgres:postgres", directory])
        }
        try Self.run(
            binaries + "/initdb",
            ["-D", directory + "/data", "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync", "--locale", "C"],
            asPostgres: true)
    }

    private func startProcess() async throws {
        let process = Process()
        (process.executableURL, process.arguments) = Self.command(
            binaries + "/postgres",
            [
                "-D", directory + "/data", "-p", "\(port)", "-k", directory, "-c", "listen_addresses=127.0.0.1",
                "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
            ], asPostgres: true)
        process.standardOutput = FileHandle.nullDevice
        process.standardError = ProcessInfo.processInfo.environment["HOST_LOG"] == nil ? FileHandle.nullDevice : FileHandle.standardError
        try process.run()
        self.process.withLockedValue { $0 = process }
        // A real server process starts; pg_isready asks it until it answers.
        let (binaries, port) = (binaries, port)
        do {
            try await eventually(timeout: .seconds(10), interval: .milliseconds(50)) {
                (try? Self.run(binaries + "/pg_isready", ["-q", "-h", "127.0.0.1", "-p", "\(port)"])) != nil
            }
        } catch {
            throw TestServerError("PostgreSQL did not start on port \(port)")
        }
    }

    /// Stops the server at once, every backend with it, as a crash would (`pg_ctl stop -m
    /// immediate`), keeping its data.
    public func kill() throws {
        guard let process = process.withLockedValue({ $0 }) else { return }
        try Self.run(binaries + "/pg_ctl", ["stop", "-D", directory + "/data", "-m", "immediate", "-w"], asPostgres: true)
        process.waitUntilExit()
        self.process.withLockedValue { $0 = nil }
    }

    /// Starts the server again on the same port and data, after ``kill()``.
    public func restart() async throws {
        try kill()
        try await startProcess()
    }

    /// Runs SQL with `psql`, as the `postgres` user.
    public func execute(_ sql: String) throws {
        try Self.run(binaries + "/psql", ["-h", "127.0.0.1", "-p", "\(port)", "-U", "postgres", "-qAt", "-c", sql])
    }

    /// Stops the server and removes its files.
    public func stop() {
        if let process = process.withLockedValue({ $0 }) {
            process.terminate()  // SIGTERM: smart shutdown, which waits for clients; then fast
            Foundation.kill(process.processIdentifier, SIGINT)
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// The program and arguments that run `path` as the `postgres` user when this is root.
    private static func command(_ path: String, _ arguments: [String], asPostgres: Bool) -> (URL, [String]) {
        guard asPostgres, geteuid() == 0 else { return (URL(fileURLWithPath: path), arguments) }
        return (
            URL(fileURLWithPath: "/usr/bin/setpriv"),
            ["--reuid=postgres", "--regid=postgres", "--init-groups", "--", path] + arguments
        )
    }

    @discardableResult
    private static func run(_ path: String, _ arguments: [String], asPostgres: Bool = false) throws -> Int32 {
        let process = Process()
        (process.executableURL, process.arguments) = command(path, arguments, asPostgres: asPostgres)
        process.standardOutput = FileHandle.nullDevice
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        let output = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw TestServerError("\(path) failed (\(process.terminationStatus)): \(String(decoding: output, as: UTF8.self))")
        }
        return 0
    }
}

/// A TCP port free on loopback now.
func freePort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
            bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
        }
    }
    guard bound else { throw TestServerError("no free port") }
    return Int(UInt16(bigEndian: address.sin_port))
}
