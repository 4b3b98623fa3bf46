import Foundation
import NIOCore
import NIOPosix

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// What every scenario shares: the generator's event loops and how to reach the server.
final class Harness: @unchecked Sendable {
    let common: CommonOptions
    let group: MultiThreadedEventLoopGroup
    let loops: [any EventLoop]
    let stats: [LoopStats]
    var fields: [(String, JSONField)] = []
    let retransmitsAtStart = tcpRetransmits()

    init(_ common: CommonOptions) {
        self.common = common
        self.group = MultiThreadedEventLoopGroup(numberOfThreads: common.threads)
        self.loops = Array(group.makeIterator())
        self.stats = loops.map { _ in LoopStats() }
    }

    /// The first server's pid (memory is read from one server).
    var pid: Int32? { common.serverPids.first }

    func openerConfig() -> SessionOpener.Config {
        SessionOpener.Config(
            wire: common.wire, host: common.host, ports: common.ports, resource: common.resource,
            sources: common.sources.split(separator: ",").map(String.init), concurrency: common.concurrency)
    }

    /// Opens `count` WebSocket sessions; fails unless every one opened.
    func openSessions(_ count: Int, delegate: any SessionDelegate, allowFailures: Bool = false) throws -> (clients: [WebSocketClient], seconds: Double, failed: Int) {
        let start = nowNanos()
        let opener = SessionOpener(count: count, config: openerConfig(), loops: loops, stats: stats, delegate: delegate)
        try opener.start().wait()
        let result = opener.result
        let seconds = Double(result.finishedAt - start) / 1e9
        if result.failed > 0 && !allowFailures {
            throw BenchError("\(result.failed) of \(count) sessions failed to open: \(mergedStats().lastError ?? "?")")
        }
        return (result.clients.sorted { $0.index < $1.index }, seconds, result.failed)
    }

    /// The per-loop counters, read on their loops, merged.
    func mergedStats() -> LoopStats {
        let merged = LoopStats()
        for (loop, stats) in zip(loops, stats) {
            let snapshot = try? loop.submit { () -> (Histogram, Int, Int, Int, Int, Int, String?) in
                (stats.latency, stats.messages, stats.polls, stats.emptyPolls, stats.reconnects, stats.errors, stats.lastError)
            }.wait()
            guard let s = snapshot else { continue }
            merged.latency.merge(s.0)
            merged.messages += s.1
            merged.polls += s.2
            merged.emptyPolls += s.3
            merged.reconnects += s.4
            merged.errors += s.5
            merged.lastError = s.6 ?? merged.lastError
        }
        return merged
    }

    /// Waits up to the common timeout for `done`; its failure, if any, is reported with the figures.
    func outcome(of done: Once, what: String) -> (any Error)? {
        do {
            try done.wait(seconds: Int64(common.timeout), what: what)
            return nil
        } catch {
            return error
        }
    }

    /// Prints a scenario's figures followed by its latency, CPU and error fields and the failure;
    /// then throws the failure.
    func report(
        _ fields: [(String, JSONField)], stats: LoopStats,
        used: CPUUsage,
        failure: (any Error)?
    ) throws {
        var fields = fields + stats.latency.summary(prefix: "latency") + cpuFields(used) + errorFields(stats)
        if let failure { fields.append(("failure", .string("\(failure)"))) }
        printResult(fields)
        if let failure { throw failure }
    }

    func baseFields(scenario: String) -> [(String, JSONField)] {
        [
            ("scenario", .string(scenario)),
            ("wire", .string(common.wire.rawValue)),
            ("label", .string(common.label)),
            ("message_bytes", .int(common.size)),
            ("generator_threads", .int(common.threads)),
        ]
    }

    func cpuFields(
        _ cpu: CPUUsage
    ) -> [(String, JSONField)] {
        [
            ("tcp_retransmits_systemwide", .int(max(0, tcpRetransmits() - retransmitsAtStart))),
            ("wall_s", .number(cpu.wall)),
            ("server_cpu_s", cpu.server.map { .number($0) } ?? .null),
            ("generator_cpu_s", .number(cpu.generator)),
            ("server_runqueue_wait_s", cpu.serverWait.map { .number($0) } ?? .null),
            ("generator_runqueue_wait_s", cpu.generatorWait.map { .number($0) } ?? .null),
        ]
    }

    func errorFields(_ stats: LoopStats) -> [(String, JSONField)] {
        [("errors", .int(stats.errors)), ("last_error", stats.lastError.map { .string($0) } ?? .null)]
    }

    func shutdown() {
        try? group.syncShutdownGracefully()
    }
}

/// What `CPUWindow.finish()` measured.
typealias CPUUsage = (wall: Double, server: Double?, generator: Double, serverWait: Double?, generatorWait: Double?)

/// Completes a promise once, from whichever loop gets there first.
final class Once: @unchecked Sendable {
    private let flag = Counter()
    let promise: EventLoopPromise<Void>
    init(_ loop: any EventLoop) { promise = loop.makePromise() }
    deinit { fail(BenchError("abandoned")) }
    func succeed() { if flag.add(1) == 1 { promise.succeed(()) } }
    func fail(_ error: any Error) { if flag.add(1) == 1 { promise.fail(error) } }

    /// Waits for completion; fails after `seconds`.
    func wait(seconds: Int64, what: String) throws {
        let timeout = promise.futureResult.eventLoop.scheduleTask(in: .seconds(seconds)) { [self] in
            fail(BenchError("timed out after \(seconds) s: \(what)"))
        }
        defer { timeout.cancel() }
        try promise.futureResult.wait()
    }
}

final class NoDelegate: SessionDelegate {
    func received(_ text: UnsafeRawBufferPointer, on client: WebSocketClient) {}
}

func sleep(seconds: Double) {
    guard seconds > 0 else { return }
    Thread.sleep(forTimeInterval: seconds)
}

func sleep(until deadline: UInt64) {
    let now = nowNanos()
    if deadline > now { sleep(seconds: Double(deadline - now) / 1e9) }
}

// MARK: 1. Idle sessions

func runIdle(_ h: Harness, sessions: Int, settle: Double) throws {
    guard let pid = h.pid, let before = ProcessStats.rssKiB(pid: pid) else { throw BenchError("idle needs --server-pid") }
    let delegate = NoDelegate()
    let window = CPUWindow(pids: [pid])
    let opened = try h.openSessions(sessions, delegate: delegate, allowFailures: true)
    sleep(seconds: settle)
    let after = ProcessStats.rssKiB(pid: pid) ?? before
    let cpu = window.finish()
    let stats = h.mergedStats()
    let count = opened.clients.count
    var fields = h.baseFields(scenario: "idle")
    fields += [
        ("sessions_requested", .int(sessions)),
        ("sessions_open", .int(count)),
        ("sessions_failed", .int(opened.failed)),
        ("open_s", .number(opened.seconds)),
        ("opens_per_s", .number(Double(count) / max(opened.seconds, 1e-9))),
        ("server_rss_before_kib", .int(before)),
        ("server_rss_after_kib", .int(after)),
        ("bytes_per_session", .number(count == 0 ? 0 : Double(after - before) * 1024 / Double(count))),
        ("generator_rss_kib", .int(ProcessStats.rssKiB(pid: getpid()) ?? 0)),
    ]
    fields += h.cpuFields(cpu) + h.errorFields(stats)
    printResult(fields)
    if opened.failed > 0 { throw BenchError("\(opened.failed) sessions failed to open") }
}

// MARK: 2. Broadcast fan-out

final class BroadcastRun: SessionDelegate, @unchecked Sendable {
    let receivers: Int
    let messages: Int
    let size: Int
    let delivered = Counter()
    let done: Once
    var sender: WebSocketClient!
    /// Sender's loop only.
    var sent = 0

    init(clients: Int, messages: Int, size: Int, loop: any EventLoop) {
        self.receivers = clients - 1
        self.messages = messages
        self.size = size
        self.done = Once(loop)
    }

    func received(_ text: UnsafeRawBufferPointer, on client: WebSocketClient) {
        if let parsed = MessageText.parse(text), parsed.kind == UInt8(ascii: "B") {
            let now = nowNanos()
            client.stats.latency.record(now &- parsed.timestamp)
        }
        let count = delivered.add(1)
        if count % receivers == 0 {
            if count / receivers >= messages {
                done.succeed()
            } else if let loop = sender.eventLoop {
                loop.execute { self.sendNext() }
            }
        }
    }

    /// On the sender's loop: asks the server for one more broadcast.
    func sendNext() {
        guard sent < messages else { return }
        MessageText.write(
            prefix: "broadcast:", kind: UInt8(ascii: "B"), sequence: sent, timestamp: nowNanos(), size: size, into: &sender.scratch)
        sender.sendScratch()
        sent += 1
    }
}

func runBroadcast(_ h: Harness, clients: Int, messages: Int, window: Int) throws {
    guard clients >= 2 else { throw BenchError("broadcast needs at least 2 clients") }
    let run = BroadcastRun(clients: clients, messages: messages, size: h.common.size, loop: h.loops[0])
    let opened = try h.openSessions(clients, delegate: run)
    run.sender = opened.clients[0]
    sleep(seconds: 0.5)
    let cpu = CPUWindow(pids: h.common.serverPids)
    let senderLoop = run.sender.eventLoop!
    senderLoop.execute {
        for _ in 0..<min(window, messages) { run.sendNext() }
    }
    let failure = h.outcome(of: run.done, what: "broadcast deliveries")
    let used = cpu.finish()
    let stats = h.mergedStats()
    let deliveries = run.delivered.current
    var fields = h.baseFields(scenario: "broadcast")
    fields += [
        ("clients", .int(clients)),
        ("broadcasts", .int(messages)),
        ("window", .int(window)),
        ("open_s", .number(opened.seconds)),
        ("deliveries_expected", .int(messages * (clients - 1))),
        ("deliveries", .int(deliveries)),
        ("deliveries_per_s", .number(Double(deliveries) / used.wall)),
    ]
    if let server = used.server, server > 0 {
        fields += [
            ("server_cpu_s_per_million", .number(server / Double(deliveries) * 1e6)),
            ("deliveries_per_server_cpu_s", .number(Double(deliveries) / server)),
        ]
    }
    try h.report(fields, stats: stats, used: used, failure: failure)
}

// MARK: 3. Echo

final class EchoRun: SessionDelegate, @unchecked Sendable {
    let measureFrom: UInt64
    let endAt: UInt64
    let size: Int
    let remaining: Counter
    let done: Once

    /// Nanoseconds between a client's sends; 0 for a closed loop (send on each echo).
    let interval: UInt64

    init(clients: Int, measureFrom: UInt64, endAt: UInt64, size: Int, interval: UInt64 = 0, loop: any EventLoop) {
        self.measureFrom = measureFrom
        self.endAt = endAt
        self.size = size
        self.interval = interval
        self.remaining = Counter()
        remaining.add(clients)
        self.done = Once(loop)
    }

    func send(_ client: WebSocketClient) {
        client.sentAt = nowNanos()
        client.sequence += 1
        MessageText.write(kind: UInt8(ascii: "E"), sequence: client.sequence, timestamp: client.sentAt, size: size, into: &client.scratch)
        client.sendScratch()
    }

    func received(_ text: UnsafeRawBufferPointer, on client: WebSocketClient) {
        guard !client.done, let parsed = MessageText.parse(text), parsed.kind == UInt8(ascii: "E") else { return }
        let now = nowNanos()
        if client.sentAt >= measureFrom, now <= endAt {
            client.stats.latency.record(now - client.sentAt)
        }
        if now < endAt {
            let next = client.sentAt + interval
            if interval == 0 || next <= now {
                send(client)
            } else if let loop = client.eventLoop {
                loop.scheduleTask(in: .nanoseconds(Int64(next - now))) { self.send(client) }
            }
        } else {
            client.done = true
            if remaining.add(-1) == 0 { done.succeed() }
        }
    }
}

func runEcho(_ h: Harness, clients: Int, duration: Double, warmup: Double, rate: Double) throws {
    let placeholder = EchoRun(clients: 0, measureFrom: 0, endAt: 0, size: h.common.size, loop: h.loops[0])
    let forwarder = ForwardingDelegate(placeholder)
    let opened = try h.openSessions(clients, delegate: forwarder)
    let start = nowNanos()
    let measureFrom = start + UInt64(warmup * 1e9)
    let endAt = measureFrom + UInt64(duration * 1e9)
    let interval = rate > 0 ? UInt64(1e9 / rate) : 0
    let run = EchoRun(
        clients: clients, measureFrom: measureFrom, endAt: endAt, size: h.common.size, interval: interval, loop: h.loops[0])
    forwarder.target = run
    for (i, client) in opened.clients.enumerated() {
        // Paced clients start spread over one interval.
        let offset = interval == 0 ? 0 : Int64(interval) * Int64(i) / Int64(max(1, clients))
        client.eventLoop?.scheduleTask(in: .nanoseconds(offset)) { run.send(client) }
    }
    sleep(until: measureFrom)
    let cpu = CPUWindow(pids: h.common.serverPids)
    sleep(until: endAt)
    let used = cpu.finish()
    let failure = h.outcome(of: run.done, what: "last echoes")
    let stats = h.mergedStats()
    var fields = h.baseFields(scenario: "echo")
    fields += [
        ("clients", .int(clients)),
        ("rate_per_client", .number(rate)),
        ("duration_s", .number(duration)),
        ("open_s", .number(opened.seconds)),
        ("round_trips", .int(stats.latency.total)),
        ("round_trips_per_s", .number(Double(stats.latency.total) / duration)),
    ]
    if let server = used.server, server > 0 {
        fields.append(("server_cpu_us_per_round_trip", .number(server / Double(max(1, stats.latency.total)) * 1e6)))
    }
    try h.report(fields, stats: stats, used: used, failure: failure)
}

/// Lets sessions open before the run they serve exists.
final class ForwardingDelegate: SessionDelegate, @unchecked Sendable {
    var target: any SessionDelegate
    init(_ target: any SessionDelegate) { self.target = target }
    func received(_ text: UnsafeRawBufferPointer, on client: WebSocketClient) { target.received(text, on: client) }
}

// MARK: 4. xhr-polling

func runPolling(_ h: Harness, clients count: Int, duration: Double, warmup: Double) throws {
    let sources = h.common.sources.split(separator: ",").map(String.init)
    let inFlight = Counter()
    let opened = Once(h.loops[0])
    let openCount = Counter()
    let failedCount = Counter()
    var clients: [PollingClient] = []
    let start = nowNanos()
    for i in 0..<count {
        let loopIndex = i % h.loops.count
        let client = PollingClient(
            index: i, wire: h.common.wire, loop: h.loops[loopIndex], host: h.common.host, port: h.common.ports[i % h.common.ports.count],
            resource: h.common.resource, source: sources[i % sources.count], stats: h.stats[loopIndex])
        client.pollsInFlight = inFlight
        client.onOpen = { _, ok in
            if !ok { failedCount.add(1) }
            if openCount.add(1) == count { opened.succeed() }
        }
        clients.append(client)
    }
    for client in clients { client.loop.execute { client.start() } }
    try opened.wait(seconds: Int64(h.common.timeout), what: "polling sessions to open")
    let openSeconds = Double(nowNanos() - start) / 1e9
    if failedCount.current > 0 {
        throw BenchError("\(failedCount.current) polling sessions failed: \(h.mergedStats().lastError ?? "?")")
    }

    let begin = nowNanos()
    let measureFrom = begin + UInt64(warmup * 1e9)
    let endAt = measureFrom + UInt64(duration * 1e9)
    let size = h.common.size
    let remaining = Counter()
    remaining.add(count)
    let done = Once(h.loops[0])
    let measured = Counter()
    @Sendable func send(_ client: PollingClient) {
        client.sentAt = nowNanos()
        client.sequence += 1
        MessageText.write(kind: UInt8(ascii: "P"), sequence: client.sequence, timestamp: client.sentAt, size: size, into: &client.scratch)
        client.post(client.scratch)
    }
    for client in clients {
        client.onMessage = { client, text in
            guard !client.done, let parsed = MessageText.parse(text), parsed.kind == UInt8(ascii: "P") else { return }
            let now = nowNanos()
            if parsed.timestamp >= measureFrom, now <= endAt {
                client.stats.latency.record(now - parsed.timestamp)
                measured.add(1)
            }
            if now < endAt {
                send(client)
            } else {
                client.done = true
                client.polling = false
                if remaining.add(-1) == 0 { done.succeed() }
            }
        }
        client.loop.execute {
            client.polling = true
            client.poll()
            send(client)
        }
    }
    sleep(until: measureFrom)
    let pollsBefore = h.mergedStats().polls
    let cpu = CPUWindow(pids: h.common.serverPids)
    var samples: [Int] = []
    while nowNanos() < endAt {
        samples.append(inFlight.current)
        sleep(seconds: 0.05)
    }
    let used = cpu.finish()
    let pollsDuring = h.mergedStats().polls - pollsBefore
    let failure = h.outcome(of: done, what: "last polling echoes")
    let stats = h.mergedStats()
    var fields = h.baseFields(scenario: "polling")
    fields += [
        ("clients", .int(count)),
        ("duration_s", .number(duration)),
        ("open_s", .number(openSeconds)),
        ("messages", .int(measured.current)),
        ("messages_per_s", .number(Double(measured.current) / duration)),
        ("polls_per_s", .number(Double(pollsDuring) / duration)),
        ("held_polls_avg", .number(samples.isEmpty ? 0 : Double(samples.reduce(0, +)) / Double(samples.count))),
        ("held_polls_max", .int(samples.max() ?? 0)),
        ("empty_polls", .int(stats.emptyPolls)),
        ("poll_reconnects", .int(stats.reconnects)),
    ]
    if let server = used.server, server > 0 {
        fields.append(("server_cpu_us_per_message", .number(server / Double(max(1, measured.current)) * 1e6)))
    }
    defer { for client in clients { client.loop.execute { client.close() } } }
    try h.report(fields, stats: stats, used: used, failure: failure)
}
