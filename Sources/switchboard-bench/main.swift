import ArgumentParser
import Foundation

// The load generator of Benchmarks/run: raw sockets on SwiftNIO, speaking either Switchboard's
// protocol or python-socketio's (Engine.IO v4), with the same message sizes and counts.
// Each run prints one JSON object on stdout; progress and errors go to stderr.

extension Wire: ExpressibleByArgument {}

struct CommonOptions: ParsableArguments {
    @Option(help: "Protocol of the server: switchboard or engineio (python-socketio 5).")
    var wire: Wire = .switchboard

    @Option(help: "Server address.")
    var host = "127.0.0.1"

    @Option(help: "Server port; several comma-separated for a cluster's nodes (sessions are spread over them in turn).")
    var port: String

    /// The ports of `--port`.
    var ports: [Int] { port.split(separator: ",").compactMap { Int($0) } }

    @Option(help: "URL prefix of the server's sessions.")
    var resource = "socket.io"

    @Option(help: "Pid of the server process (its CPU time and memory are read from /proc); several comma-separated for a cluster's nodes (their CPU times are summed).")
    var serverPid: String?

    /// The pids of `--server-pid`.
    var serverPids: [Int32] { serverPid.map { $0.split(separator: ",").compactMap { Int32($0) } } ?? [] }

    @Option(help: "Event loop threads of the generator.")
    var threads = 2

    @Option(help: "Comma-separated source addresses, used in turn (more than one allows more connections).")
    var sources = "127.0.0.1,127.0.0.2"

    @Option(help: "Handshakes in flight while opening sessions.")
    var concurrency = 200

    @Option(help: "Bytes of application text in each message (at least 31).")
    var size = 32

    @Option(help: "Seconds before a run gives up.")
    var timeout = 300

    @Option(help: "Free text copied into the result.")
    var label = ""

    func validate() throws {
        guard size >= MessageText.minimumSize, size <= 60000 else { throw ValidationError("--size must be 31...60000") }
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
        guard !ports.isEmpty, ports.count == port.split(separator: ",").count else { throw ValidationError("--port: one or more port numbers") }
    }
}

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "switchboard-bench",
        abstract: "Load generator for Switchboard and python-socketio (Benchmarks/run).",
        subcommands: [Idle.self, Broadcast.self, Echo.self, Polling.self, Soak.self, Floor.self]
    )
}

/// Runs a scenario with a harness, shutting the generator's loops down after it.
func withHarness(_ common: CommonOptions, _ body: (Harness) throws -> Void) throws {
    let harness = Harness(common)
    defer { harness.shutdown() }
    do {
        try body(harness)
    } catch {
        log("\(error)")
        throw ExitCode(1)
    }
}

struct Idle: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Open N WebSocket sessions; the server's RSS delta per session and the time to open them.")
    @OptionGroup var common: CommonOptions
    @Option(help: "Sessions to open.") var sessions = 15_000
    @Option(help: "Seconds to wait after the last open before reading the server's memory.") var settle = 2.0

    func run() throws {
        try withHarness(common) { try runIdle($0, sessions: sessions, settle: settle) }
    }
}

struct Broadcast: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "N WebSocket clients; one asks the server for M broadcasts (`broadcast:<text>`), the others receive them.")
    @OptionGroup var common: CommonOptions
    @Option(help: "Clients, the sender included.") var clients = 1_000
    @Option(help: "Broadcasts.") var messages = 1_000
    @Option(help: "Broadcasts in flight (the next is asked for when one has reached every receiver).") var window = 8

    func run() throws {
        try withHarness(common) { try runBroadcast($0, clients: clients, messages: messages, window: window) }
    }
}

struct Echo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "C WebSocket clients, each sending a message and waiting for its echo, for a fixed time.")
    @OptionGroup var common: CommonOptions
    @OptionGroup var load: LoadOptions
    @Option(help: "Messages per second per client (paced, open loop); 0 sends on each echo (closed loop).") var rate = 0.0

    func run() throws {
        try withHarness(common) { try runEcho($0, clients: load.clients, duration: load.duration, warmup: load.warmup, rate: rate) }
    }
}

struct Polling: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "C long-polling clients (xhr-polling / Engine.IO polling), each posting a message and polling for its echo.")
    @OptionGroup var common: CommonOptions
    @OptionGroup var load: LoadOptions

    func run() throws {
        try withHarness(common) { try runPolling($0, clients: load.clients, duration: load.duration, warmup: load.warmup) }
    }
}

/// How many clients a timed scenario runs, and for how long.
struct LoadOptions: ParsableArguments {
    @Option(help: "Clients.") var clients = 100
    @Option(help: "Measured seconds.") var duration = 10.0
    @Option(help: "Seconds of warm-up before measuring.") var warmup = 1.0
}

Bench.main()
