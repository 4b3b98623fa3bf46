import Foundation
import NIOConcurrencyHelpers

/// The `switchboard` executable as a user runs it: a real process on a free port.
public final class HostProcess: Sendable {
    let process: Process
    public let port: Int
    /// The first line it printed.
    public let banner: String
    private let errors = NIOLockedValueBox(Data())

    /// Starts a built executable of the package (it sits next to the test bundle) with `arguments`.
    /// - Parameters:
    ///   - fileLimit: the process's limit of open files (`ulimit -n`), when it must be low.
    ///   - keepErrors: keep what it writes to its standard error (its log), for ``errorOutput``.
    public init(_ arguments: [String], executable name: String = "switchboard", fileLimit: Int? = nil, keepErrors: Bool = false)
        async throws
    {
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            .appendingPathComponent(name)
        let candidates = [binary, Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent(name)]
        let executable = try candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) }
            .orThrow(TestServerError("no executable \(name) next to the tests (swift build --build-tests builds it)"))
        let process = Process()
        let hostArguments = ["--port", "0"] + (name == "switchboard" ? ["--log-level", "warning"] : []) + arguments
        if let fileLimit {
            // The shell lowers the limit, then becomes the host: same process, same pid.
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", "ulimit -n \(fileLimit) && exec \"$0\" \"$@\"", executable.path] + hostArguments
        } else {
            process.executableURL = executable
            process.arguments = hostArguments
        }
        let output = Pipe()
        process.standardOutput = output
        if keepErrors {
            let errorPipe = Pipe()
            errorPipe.fileHandleForReading.readabilityHandler = { [errors] handle in
                let chunk = handle.availableData
                if chunk.isEmpty {
                    handle.readabilityHandler = nil
                } else {
                    errors.withLockedValue { $0.append(chunk) }
                }
            }
            process.standardError = errorPipe
        } else {
            // HOST_LOG=1 in the environment shows the host's log while debugging a test.
            process.standardError =
                ProcessInfo.processInfo.environment["HOST_LOG"] == nil ? FileHandle.nullDevice : FileHandle.standardError
        }
        try process.run()
        // A host that never prints is stopped, so the read below ends instead of hanging.
        let watchdog = DispatchWorkItem { [process] in if process.isRunning { process.terminate() } }
        DispatchQueue.global().asyncAfter(deadline: .now() + 20, execute: watchdog)
        defer { watchdog.cancel() }
        // The first line says where it listens: "... http://127.0.0.1:PORT/ ...". Read on a
        // Dispatch thread: a blocking read would hold one of the test pool's threads meanwhile.
        let line = await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                var line = Data()
                while !line.contains(UInt8(ascii: "\n")) {
                    let chunk = output.fileHandleForReading.availableData
                    if chunk.isEmpty { break }
                    line += chunk
                }
                continuation.resume(returning: line)
            }
        }
        let text = String(decoding: line, as: UTF8.self)
        let port = text.range(of: "127.0.0.1:").flatMap { Int(text[$0.upperBound...].prefix { $0.isNumber }) }
        self.process = process
        self.banner = text
        self.port = try port.orThrow(TestServerError("no port in \(text)"))
    }

    /// The process's resident memory now, in KiB (`VmRSS` of /proc/<pid>/status).
    public var residentKiB: Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") })
        else { return nil }
        return Int(line.split(separator: " ").dropFirst().first ?? "")
    }

    public func stop() {
        process.terminate()
        process.waitUntilExit()
    }

    /// Sends it SIGTERM, as a deploy does, and waits for it to exit: its exit status.
    public func terminateAndWait() -> Int32 {
        Foundation.kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// Kills it at once (SIGKILL), as a crash or an out-of-memory kill would.
    public func kill() {
        Foundation.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// What it wrote to its standard error so far (with `keepErrors`).
    public var errorOutput: String {
        errors.withLockedValue { String(decoding: $0, as: UTF8.self) }
    }

    /// Its process id.
    public var pid: Int32 { process.processIdentifier }

    /// The CPU time it has used so far, user and system (Linux: `/proc/<pid>/stat`).
    public func cpuTime() throws -> Duration {
        let stat = try String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)
        // From the parenthesis that ends the command name: state (field 3) is at 1, utime (14) at 12, stime (15) at 13.
        let fields = try stat[stat.lastIndex(of: ")").orThrow(TestServerError("bad stat: \(stat)"))...]
            .split(separator: " ")
        let ticks = try [12, 13].map { try Int(fields[$0]).orThrow(TestServerError("bad stat: \(stat)")) }.reduce(0, +)
        return .milliseconds(ticks * 1000 / sysconf(Int32(_SC_CLK_TCK)))
    }

    /// How many files it has open now (Linux: `/proc/<pid>/fd`).
    public func openFiles() throws -> Int {
        try FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count
    }
}

extension Optional {
    /// The value, or `error` thrown.
    func orThrow(_ error: @autoclosure () -> any Error) throws -> Wrapped {
        guard let value = self else { throw error() }
        return value
    }
}
