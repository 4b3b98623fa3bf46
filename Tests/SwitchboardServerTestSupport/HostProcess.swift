import Foundation

/// The `switchboard` executable as a user runs it: a real process on a free port.
public final class HostProcess: Sendable {
    let process: Process
    public let port: Int
    /// The first line it printed.
    public let banner: String

    /// Starts a built executable of the package (it sits next to the test bundle) with `arguments`.
    public init(_ arguments: [String], executable name: String = "switchboard") async throws {
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            .appendingPathComponent(name)
        let candidates = [binary, Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent(name)]
        let executable = try candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) }
            .orThrow(TestServerError("no executable \(name) next to the tests (swift build --build-tests builds it)"))
        let process = Process()
        process.executableURL = executable
        process.arguments = ["--port", "0"] + (name == "switchboard" ? ["--log-level", "warning"] : []) + arguments
        let output = Pipe()
        process.standardOutput = output
        // HOST_LOG=1 in the environment shows the host's log while debugging a test.
        process.standardError = ProcessInfo.processInfo.environment["HOST_LOG"] == nil ? FileHandle.nullDevice : FileHandle.standardError
        try process.run()
        // A host that never prints is stopped, so the read below ends instead of hanging.
        let watchdog = DispatchWorkItem { [process] in if process.isRunning { process.terminate() } }
        DispatchQueue.global().asyncAfter(deadline: .now() + 20, execute: watchdog)
        defer { watchdog.cancel() }
        // The first line says where it listens: "... http://127.0.0.1:PORT/ ..."
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            line += chunk
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
}

extension Optional {
    /// The value, or `error` thrown.
    func orThrow(_ error: @autoclosure () -> any Error) throws -> Wrapped {
        guard let value = self else { throw error() }
        return value
    }
}
