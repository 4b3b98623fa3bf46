import ArgumentParser
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import SwitchboardClient
import SwitchboardCore

/// Sessions over every transport, with Switchboard's Swift client (acknowledged delivery, docs/protocol.md
/// §11), through a proxy that cuts connections at random; every message is numbered, both ways.
/// The server must be the host with `--app echo`: each message comes back to its sender, so the
/// sequence of echoes shows what the server received and what the client received.
struct Soak: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Sessions on every transport through a proxy that cuts connections at random; counts lost, duplicated and reordered messages.",
        discussion: "The last line reads lost=<n> duplicated=<n> reordered=<n> ...; the exit status is 1 unless all three are 0 and every session lived.")

    @Option(help: "Server address.") var host = "127.0.0.1"
    @Option(help: "Server port (the host with --app echo).") var port: Int
    @Option(help: "Pid of the server process: its memory and open files are read from /proc.") var serverPid: Int32?
    @Option(help: "Seconds of sending.") var seconds = 10.0
    @Option(help: "Sessions per transport.") var sessions = 2
    @Option(help: "Messages per second per session.") var rate = 20.0
    @Option(help: "Mean seconds between two cuts of a random connection.") var cutEvery = 0.25
    @Option(help: "Share of new connections the proxy refuses (a failed re-attachment tries the next transport).")
    var refuse = 0.2
    @Option(help: "Seconds to wait, after the sessions end, for the server to forget them.") var settle = 3.0
    @Option(help: "Comma-separated transports (default: every transport the client knows).") var transports = ""
    @Flag(help: "Without acknowledged delivery: the original, at-most-once protocol (for comparison).") var classic = false

    func run() throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        defer { try? group.syncShutdownGracefully() }
        let before = ServerFigures(pid: serverPid)
        let proxy = try CuttingProxy.start(to: host, port: port, refusing: refuse, group: group)
        let names = transports.isEmpty ? Socket.knownTransports : transports.split(separator: ",").map(String.init)
        var runs: [SoakSession] = []
        for name in names {
            for _ in 0..<sessions {
                // Its own transport first, then the others: a re-attachment that fails switches.
                let order = [name] + names.filter { $0 != name }
                runs.append(try SoakSession(transports: order, port: proxy.port, acknowledged: !classic, group: group))
            }
        }
        for run in runs { try run.connect() }

        // Sending, with cuts at random moments.
        let end = Date().addingTimeInterval(seconds)
        var nextCut = Date().addingTimeInterval(Double.random(in: 0...(2 * cutEvery)))
        var nextSend = Date()
        while Date() < end {
            if Date() >= nextCut {
                proxy.cutOne()
                nextCut = Date().addingTimeInterval(Double.random(in: 0...(2 * cutEvery)))
            }
            if Date() >= nextSend {
                for run in runs { run.sendNext() }
                nextSend = nextSend.addingTimeInterval(1 / rate)
            }
            Thread.sleep(forTimeInterval: 0.002)
        }

        // Every echo back, then the end of every session.
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline, !runs.allSatisfy(\.complete) { Thread.sleep(forTimeInterval: 0.05) }
        let sessionsEnded = runs.filter(\.ended).count
        for run in runs { run.socket.disconnect() }
        proxy.stop()
        Thread.sleep(forTimeInterval: settle)
        let after = ServerFigures(pid: serverPid)

        let totals = runs.map(\.result).reduce(SoakResult(), +)
        for run in runs where run.result.lost + run.result.duplicated + run.result.reordered > 0 {
            log("\(run.transport): \(run.result)")
        }
        print(
            "lost=\(totals.lost) duplicated=\(totals.duplicated) reordered=\(totals.reordered) sent=\(totals.sent)"
                + " received=\(totals.received) cuts=\(proxy.cuts) refused=\(proxy.refusals) resumes=\(totals.resumes)"
                + " switches=\(totals.switches) sessions=\(runs.count)"
                + " sessions_ended=\(sessionsEnded) transports=\(names.joined(separator: ","))"
                + " server_rss_kib=\(before.rss.map(String.init) ?? "?")->\(after.rss.map(String.init) ?? "?")"
                + " server_open_files=\(before.files.map(String.init) ?? "?")->\(after.files.map(String.init) ?? "?")")
        if totals.lost + totals.duplicated + totals.reordered > 0 || sessionsEnded > 0 { throw ExitCode(1) }
    }
}

/// What the numbering of one session's messages showed.
struct SoakResult: CustomStringConvertible {
    var sent = 0
    var received = 0
    var lost = 0
    var duplicated = 0
    var reordered = 0
    var resumes = 0
    /// Resumes on another transport than the one before.
    var switches = 0

    static func + (a: SoakResult, b: SoakResult) -> SoakResult {
        SoakResult(
            sent: a.sent + b.sent, received: a.received + b.received, lost: a.lost + b.lost,
            duplicated: a.duplicated + b.duplicated, reordered: a.reordered + b.reordered, resumes: a.resumes + b.resumes,
            switches: a.switches + b.switches)
    }

    var description: String {
        "sent=\(sent) received=\(received) lost=\(lost) duplicated=\(duplicated) reordered=\(reordered) resumes=\(resumes)"
            + " switches=\(switches)"
    }
}

/// One session: sends 1, 2, 3, … and reads their echoes.
final class SoakSession: Sendable {
    let transport: String
    let socket: Socket
    private struct State {
        var sent = 0
        var echoes: [Int] = []
        var resumes = 0
        var switches = 0
        var transport: String
        var ended = false
    }
    private let state: NIOLockedValueBox<State>

    init(transports: [String], port: Int, acknowledged: Bool, group: any EventLoopGroup) throws {
        self.transport = transports[0]
        self.state = NIOLockedValueBox(State(transport: transports[0]))
        var options = SocketOptions()
        options.transports = transports
        options.acknowledged = acknowledged
        options.reconnectionDelay = .milliseconds(50)
        options.maxReconnectionAttempts = 1000
        options.connectTimeout = .seconds(3)
        options.log.logLevel = .critical
        socket = try Socket(port: port, options: options, group: group)
        socket.on(.message) { [state] message in
            guard case .text(let text) = message, let n = Int(text) else { return }
            state.withLockedValue { $0.echoes.append(n) }
        }
        socket.on(.reconnect) { [state] transport, _ in
            state.withLockedValue {
                $0.resumes += 1
                if transport != $0.transport { $0.switches += 1 }
                $0.transport = transport
            }
        }
        socket.on(.disconnect) { [state] in state.withLockedValue { $0.ended = true } }
    }

    func connect() throws {
        let done = DispatchSemaphore(value: 0)
        let failure = NIOLockedValueBox<(any Error)?>(nil)
        Task {
            do { try await socket.connect() } catch { failure.withLockedValue { $0 = error } }
            done.signal()
        }
        done.wait()
        if let error = failure.withLockedValue({ $0 }) { throw BenchError("\(transport): \(error)") }
    }

    func sendNext() {
        let n = state.withLockedValue { state -> Int? in
            guard !state.ended else { return nil }
            state.sent += 1
            return state.sent
        }
        if let n { socket.send(String(n)) }
    }

    /// Every message sent has come back.
    var complete: Bool { state.withLockedValue { Set($0.echoes).count >= $0.sent || $0.ended } }
    /// The session ended (it could not resume within the server's grace).
    var ended: Bool { state.withLockedValue { $0.ended } }

    var result: SoakResult {
        state.withLockedValue { state in
            var result = SoakResult(
                sent: state.sent, received: state.echoes.count, resumes: state.resumes, switches: state.switches)
            var seen = Set<Int>()
            var highest = 0
            for n in state.echoes {
                if !seen.insert(n).inserted {
                    result.duplicated += 1
                } else {
                    if n < highest { result.reordered += 1 }
                    highest = max(highest, n)
                }
            }
            result.lost = state.sent - seen.count
            return result
        }
    }
}

/// The server's memory and open files, from /proc.
struct ServerFigures {
    var rss: Int?
    var files: Int?

    init(pid: Int32?) {
        guard let pid else { return }
        rss = ProcessStats.rssKiB(pid: pid)
        files = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd"))?.count
    }
}

/// A TCP proxy on a free local port that can cut any of its connections (both sides, at once).
final class CuttingProxy: Sendable {
    let port: Int
    private let listener: any Channel
    private let pairs = NIOLockedValueBox<[ObjectIdentifier: (any Channel, any Channel)]>([:])
    private let cutCount = NIOLockedValueBox(0)
    private let refusalCount = NIOLockedValueBox(0)

    var cuts: Int { cutCount.withLockedValue { $0 } }
    var refusals: Int { refusalCount.withLockedValue { $0 } }

    private init(listener: any Channel) {
        self.listener = listener
        self.port = listener.localAddress?.port ?? 0
    }

    /// - Parameter refusing: the share of new connections closed at once.
    static func start(to host: String, port: Int, refusing: Double, group: any EventLoopGroup) throws -> CuttingProxy {
        let proxy = NIOLockedValueBox<CuttingProxy?>(nil)
        let listener = try ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.autoRead, value: false)
            .childChannelInitializer { inbound in
                if Double.random(in: 0..<1) < refusing, let proxy = proxy.withLockedValue({ $0 }) {
                    proxy.refusalCount.withLockedValue { $0 += 1 }
                    return inbound.close()
                }
                return ClientBootstrap(group: inbound.eventLoop)
                    .connect(host: host, port: port)
                    .flatMap { outbound in
                        proxy.withLockedValue { $0 }?.add(inbound, outbound)
                        return inbound.pipeline.addHandler(Glue(peer: outbound)).flatMap {
                            outbound.pipeline.addHandler(Glue(peer: inbound))
                        }.flatMap { inbound.setOption(ChannelOptions.autoRead, value: true) }
                    }
            }
            .bind(host: "127.0.0.1", port: 0).wait()
        let result = CuttingProxy(listener: listener)
        proxy.withLockedValue { $0 = result }
        return result
    }

    private func add(_ inbound: any Channel, _ outbound: any Channel) {
        pairs.withLockedValue { $0[ObjectIdentifier(inbound)] = (inbound, outbound) }
        inbound.closeFuture.whenComplete { [pairs] _ in
            _ = pairs.withLockedValue { $0.removeValue(forKey: ObjectIdentifier(inbound)) }
            outbound.close(promise: nil)
        }
    }

    /// Closes one connection, chosen at random, on both sides.
    func cutOne() {
        guard let pair = pairs.withLockedValue({ $0.values.randomElement() }) else { return }
        cutCount.withLockedValue { $0 += 1 }
        pair.0.close(promise: nil)
        pair.1.close(promise: nil)
    }

    func stop() {
        try? listener.close().wait()
        for pair in pairs.withLockedValue({ Array($0.values) }) {
            pair.0.close(promise: nil)
            pair.1.close(promise: nil)
        }
    }

    /// Passes what one side reads to the other.
    final class Glue: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let peer: any Channel
        init(peer: any Channel) { self.peer = peer }
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            peer.writeAndFlush(unwrapInboundIn(data), promise: nil)
        }
        func channelInactive(context: ChannelHandlerContext) {
            peer.close(promise: nil)
            context.fireChannelInactive()
        }
    }
}
