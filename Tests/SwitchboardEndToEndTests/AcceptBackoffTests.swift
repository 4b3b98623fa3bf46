import Foundation
import SwitchboardServerTestSupport
import SwitchboardTestKit
import Testing

/// The host at its open-file limit (docs/protocol.md §9.4): its server sockets stop accepting for
/// a while instead of failing `accept` thousands of times a second.
@Suite("accepting at the open-file limit")
struct AcceptBackoffTests {
    static let fileLimit = 64

    @Test(
        "at its file limit the host backs off: little CPU, one warning a second per socket, service resumes by itself",
        .enabled(if: FileManager.default.fileExists(atPath: "/proc/self/stat"), "reads /proc")
    )
    func backOffAtTheFileLimit() async throws {
        let policyPort = try await FlashSocketTests.freePort()
        let host = try await HostProcess(
            ["--app", "echo", "--transports", "xhr-polling,flashsocket", "--flash-policy-port", "\(policyPort)"],
            fileLimit: Self.fileLimit, keepErrors: true)
        defer { host.stop() }

        // Connections that send nothing hold what descriptors the host has left.
        var clients: [RawTCPClient] = []
        for _ in 0..<Self.fileLimit {
            clients.append(try await RawTCPClient.connect(port: host.port))
        }
        try await eventually { try host.openFiles() >= Self.fileLimit }
        // More clients wait on both ports, in the sockets' backlogs: every accept fails.
        for port in [host.port, policyPort, host.port, policyPort] {
            clients.append(try await RawTCPClient.connect(port: port))
        }
        try await eventually { Self.warnings(host) >= 2 }

        // The host's real CPU time until three more back-off warnings (at least a second: one a
        // second per socket), while clients keep trying on both ports.
        let clock = ContinuousClock()
        let (cpuBefore, warningsBefore, start) = (try host.cpuTime(), Self.warnings(host), clock.now)
        for port in [host.port, policyPort] {
            clients.append(try await RawTCPClient.connect(port: port))
        }
        try await eventually { Self.warnings(host) >= warningsBefore + 3 }
        let (cpu, warnings, elapsed) = (try host.cpuTime() - cpuBefore, Self.warnings(host) - warningsBefore, clock.now - start)
        print("at the file limit: \(cpu) of CPU in \(elapsed), \(warnings) warnings")
        #expect(cpu < elapsed / 5, "under 20 % of a core (a busy accept loop takes all of one)")
        #expect(warnings >= 1)
        #expect(warnings <= 2 * (Int(elapsed.components.seconds) + 2), "one per second and socket, not one per failed accept")
        #expect(host.errorOutput.contains("Too many open files"))

        // Descriptors free again: both ports serve new clients, within the back-off.
        for client in clients { await client.close() }
        let http = try await HTTPTestConnection.connect(port: host.port)
        let handshake = try await http.request("GET", "/socket.io/xhr-polling//1", timeout: .seconds(5))
        #expect(handshake.bodyString.hasPrefix("~m~22~m~"))
        #expect(try await FlashSocketTests.policy(from: policyPort) == FlashSocketTests.policy)
    }

    /// How many back-off warnings the host has logged.
    static func warnings(_ host: HostProcess) -> Int {
        host.errorOutput.split(separator: "\n").filter { $0.contains("server cannot accept connections") }.count
    }
}
