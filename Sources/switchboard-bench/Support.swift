import Foundation
import NIOCore
import NIOPosix
import Synchronization
import SwitchboardWire

// MARK: Clock

/// Monotonic nanoseconds (CLOCK_MONOTONIC), the clock every latency is measured with.
@inline(__always) func nowNanos() -> UInt64 { NIODeadline.now().uptimeNanoseconds }

// MARK: Latency histogram

/// A log-linear histogram of nanosecond values: exact below 128, then 64 sub-buckets per power of
/// two (under 1.6 % error). Not thread-safe: one per event loop, merged at the end.
struct Histogram {
    private(set) var counts = [Int](repeating: 0, count: 128 + 57 * 64)
    private(set) var total = 0
    private(set) var maxValue: UInt64 = 0
    private(set) var sum: UInt64 = 0

    @inline(__always) static func index(_ value: UInt64) -> Int {
        if value < 128 { return Int(value) }
        let msb = 63 - value.leadingZeroBitCount
        let mantissa = Int((value >> UInt64(msb - 6)) & 63)
        return 128 + (msb - 7) * 64 + mantissa
    }

    /// The largest value that falls in bucket `index`.
    static func upperBound(_ index: Int) -> UInt64 {
        if index < 128 { return UInt64(index) }
        let msb = (index - 128) / 64 + 7
        let mantissa = UInt64((index - 128) % 64)
        return ((64 + mantissa + 1) << UInt64(msb - 6)) - 1
    }

    @inline(__always) mutating func record(_ value: UInt64) {
        counts[Self.index(value)] += 1
        total += 1
        sum &+= value
        if value > maxValue { maxValue = value }
    }

    mutating func merge(_ other: Histogram) {
        for i in 0..<counts.count where other.counts[i] != 0 { counts[i] += other.counts[i] }
        total += other.total
        sum &+= other.sum
        maxValue = max(maxValue, other.maxValue)
    }

    /// The value at quantile `q` (0...1), at most the recorded maximum.
    func percentile(_ q: Double) -> UInt64 {
        guard total > 0 else { return 0 }
        let rank = max(1, Int((Double(total) * q).rounded(.up)))
        var seen = 0
        for (i, c) in counts.enumerated() where c != 0 {
            seen += c
            if seen >= rank { return min(Self.upperBound(i), maxValue) }
        }
        return maxValue
    }

    /// p50, p90, p99, p99.9 and max in microseconds, for the report.
    func summary(prefix: String) -> [(String, JSONField)] {
        func us(_ v: UInt64) -> JSONField { .number(Double(v) / 1000) }
        return [
            ("\(prefix)_samples", .int(total)),
            ("\(prefix)_p50_us", us(percentile(0.50))),
            ("\(prefix)_p90_us", us(percentile(0.90))),
            ("\(prefix)_p99_us", us(percentile(0.99))),
            ("\(prefix)_p999_us", us(percentile(0.999))),
            ("\(prefix)_max_us", us(maxValue)),
            ("\(prefix)_mean_us", .number(total == 0 ? 0 : Double(sum) / Double(total) / 1000)),
        ]
    }
}

// MARK: Per-loop counters

/// What the connections of one event loop count; touched on that loop only.
final class LoopStats: @unchecked Sendable {
    var latency = Histogram()
    var messages = 0
    var polls = 0
    var emptyPolls = 0
    var reconnects = 0
    var errors = 0
    var lastError: String?

    func note(error: String) {
        errors += 1
        lastError = error
    }
}

// MARK: The server process, from /proc

enum ProcessStats {
    static let ticksPerSecond = Double(sysconf(Int32(_SC_CLK_TCK)))

    /// User + system CPU seconds of `pid` (fields 14 and 15 of /proc/<pid>/stat).
    static func cpuSeconds(pid: Int32) -> Double? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = text.lastIndex(of: ")")
        else { return nil }
        // Fields after the command name: state is field 3, utime 14, stime 15.
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        return (user + system) / ticksPerSecond
    }

    /// Resident memory of `pid` in KiB (VmRSS of /proc/<pid>/status).
    static func rssKiB(pid: Int32) -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            return Int(line.split(separator: " ", omittingEmptySubsequences: true)[1])
        }
        return nil
    }

    /// CPU seconds of this process (the generator), user + system.
    static func selfCPUSeconds() -> Double {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
            + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
    }
}

/// TCP segments retransmitted by the whole machine (RetransSegs of /proc/net/snmp): on loopback a
/// retransmission means a dropped segment, and a latency of at least the retransmission timeout.
func tcpRetransmits() -> Int {
    guard let text = try? String(contentsOfFile: "/proc/net/snmp", encoding: .utf8) else { return 0 }
    let lines = text.split(separator: "\n").filter { $0.hasPrefix("Tcp:") }
    guard lines.count >= 2 else { return 0 }
    let names = lines[0].split(separator: " "), values = lines[1].split(separator: " ")
    guard let i = names.firstIndex(of: "RetransSegs"), i < values.count else { return 0 }
    return Int(values[i]) ?? 0
}

/// Seconds the threads of `pid` have waited on a run queue, ready to run but not running
/// (second field of /proc/<pid>/task/*/schedstat): how long a busy machine kept them waiting.
func runQueueWaitSeconds(pid: Int32) -> Double? {
    let folder = "/proc/\(pid)/task"
    guard let tasks = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return nil }
    var total = 0.0
    for task in tasks {
        guard let text = try? String(contentsOfFile: "\(folder)/\(task)/schedstat", encoding: .utf8) else { continue }
        let fields = text.split(separator: " ")
        if fields.count >= 2, let wait = Double(fields[1]) { total += wait }
    }
    return total / 1e9
}

/// CPU used by the server (all of its processes: a cluster's nodes) and by the generator over a
/// window, and their waits for a core.
struct CPUWindow {
    let pids: [Int32]
    let start = nowNanos()
    let serverStart: Double?
    let selfStart = ProcessStats.selfCPUSeconds()
    let serverWaitStart: Double?
    let selfWaitStart = runQueueWaitSeconds(pid: getpid())

    init(pids: [Int32]) {
        Self.runHook("BENCH_WINDOW_START")
        self.pids = pids
        self.serverStart = Self.sum(pids, ProcessStats.cpuSeconds)
        self.serverWaitStart = Self.sum(pids, runQueueWaitSeconds)
    }

    /// Runs the shell command in environment variable `name`, if set, and waits for it: how
    /// Benchmarks/instructions zeroes and dumps the server's instruction counts around the window.
    static func runHook(_ name: String) {
        guard let command = ProcessInfo.processInfo.environment[name], !command.isEmpty else { return }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        try? process.run()
        process.waitUntilExit()
    }

    /// The sum of `read` over `pids`; nil when there are none or one cannot be read.
    static func sum(_ pids: [Int32], _ read: (Int32) -> Double?) -> Double? {
        guard !pids.isEmpty else { return nil }
        var total = 0.0
        for pid in pids {
            guard let value = read(pid) else { return nil }
            total += value
        }
        return total
    }

    /// (wall seconds, server CPU seconds, generator CPU seconds, run-queue waits).
    func finish() -> (wall: Double, server: Double?, generator: Double, serverWait: Double?, generatorWait: Double?) {
        Self.runHook("BENCH_WINDOW_END")
        let wall = Double(nowNanos() - start) / 1e9
        let server = serverStart.flatMap { s in Self.sum(pids, ProcessStats.cpuSeconds).map { $0 - s } }
        let serverWait = serverWaitStart.flatMap { s in Self.sum(pids, runQueueWaitSeconds).map { $0 - s } }
        let generatorWait = selfWaitStart.flatMap { s in runQueueWaitSeconds(pid: getpid()).map { $0 - s } }
        return (wall, server, ProcessStats.selfCPUSeconds() - selfStart, serverWait, generatorWait)
    }
}

// MARK: JSON output (one object per run, on stdout)

enum JSONField {
    case string(String)
    case number(Double)
    case int(Int)
    case bool(Bool)
    case null

    var text: String {
        switch self {
        case .string(let s): return JSONString.encode(s)
        case .number(let d): return d.isFinite ? String(format: "%.6g", d) : "null"
        case .int(let i): return String(i)
        case .bool(let b): return b ? "true" : "false"
        case .null: return "null"
        }
    }
}

func printResult(_ fields: [(String, JSONField)]) {
    let body = fields.map { "\(JSONField.string($0.0).text): \($0.1.text)" }.joined(separator: ", ")
    FileHandle.standardOutput.write(Data("{\(body)}\n".utf8))
}

func log(_ text: String) {
    FileHandle.standardError.write(Data("switchboard-bench: \(text)\n".utf8))
}

// MARK: Message text

/// The application text every scenario sends: fixed-width so that receivers parse it at fixed
/// offsets. `K` kind, 10-digit sequence, `T`, 19-digit send time in ns, then `x` up to `size`.
enum MessageText {
    static let minimumSize = 31
    static let timestampOffset = 12

    static func write(
        prefix: StaticString = "", kind: UInt8, sequence: Int, timestamp: UInt64, size: Int, into bytes: inout [UInt8]
    ) {
        bytes.removeAll(keepingCapacity: true)
        bytes.append(contentsOf: UnsafeBufferPointer(start: prefix.utf8Start, count: prefix.utf8CodeUnitCount))
        let size = size + prefix.utf8CodeUnitCount
        bytes.append(kind)
        appendDigits(UInt64(sequence), width: 10, to: &bytes)
        bytes.append(UInt8(ascii: "T"))
        appendDigits(timestamp, width: 19, to: &bytes)
        while bytes.count < size { bytes.append(UInt8(ascii: "x")) }
    }

    @inline(__always) static func appendDigits(_ value: UInt64, width: Int, to bytes: inout [UInt8]) {
        let start = bytes.count
        for _ in 0..<width { bytes.append(UInt8(ascii: "0")) }
        var v = value
        var i = start + width - 1
        while v > 0 && i >= start {
            bytes[i] = UInt8(ascii: "0") + UInt8(v % 10)
            v /= 10
            i -= 1
        }
    }

    /// The kind byte and send time of a received text, if it is one of ours.
    @inline(__always) static func parse(_ text: UnsafeRawBufferPointer) -> (kind: UInt8, timestamp: UInt64)? {
        guard text.count >= minimumSize, text[timestampOffset - 1] == UInt8(ascii: "T") else { return nil }
        var v: UInt64 = 0
        for i in timestampOffset..<(timestampOffset + 19) {
            let d = text[i] &- UInt8(ascii: "0")
            guard d < 10 else { return nil }
            v = v * 10 + UInt64(d)
        }
        return (text[0], v)
    }
}

extension UnsafeRawBufferPointer {
    @inline(__always) func hasPrefix(_ prefix: StaticString, at offset: Int = 0) -> Bool {
        let n = prefix.utf8CodeUnitCount
        guard count - offset >= n else { return false }
        let p = prefix.utf8Start
        for i in 0..<n where self[offset + i] != p[i] { return false }
        return true
    }

    /// Index of the first occurrence of `needle` at or after `from`.
    func firstIndex(of needle: StaticString, from: Int = 0) -> Int? {
        let n = needle.utf8CodeUnitCount
        guard count >= n else { return nil }
        var i = from
        while i <= count - n {
            if hasPrefix(needle, at: i) { return i }
            i += 1
        }
        return nil
    }

    /// Case-insensitive (ASCII) search for a lower-case needle.
    func firstIndexIgnoringCase(of needle: StaticString, from: Int = 0) -> Int? {
        let n = needle.utf8CodeUnitCount
        guard count >= n else { return nil }
        let p = needle.utf8Start
        var i = from
        outer: while i <= count - n {
            for j in 0..<n {
                var c = self[i + j]
                if c >= 65 && c <= 90 { c += 32 }
                if c != p[j] {
                    i += 1
                    continue outer
                }
            }
            return i
        }
        return nil
    }

    /// A decimal number starting at `offset`: (value, digits read).
    func decimal(at offset: Int) -> (Int, Int) {
        var v = 0
        var i = offset
        while i < count, self[i] >= 48, self[i] <= 57 {
            v = v * 10 + Int(self[i] - 48)
            i += 1
        }
        return (v, i - offset)
    }

    func string(_ range: Range<Int>) -> String {
        String(decoding: UnsafeRawBufferPointer(rebasing: self[range]), as: UTF8.self)
    }
}

// MARK: Shared counters

/// An integer shared by every event loop.
final class Counter: Sendable {
    private let value = Atomic<Int>(0)

    @discardableResult @inline(__always) func add(_ delta: Int) -> Int {
        value.wrappingAdd(delta, ordering: .relaxed).newValue
    }

    var current: Int { value.load(ordering: .relaxed) }
}

/// IP_BIND_ADDRESS_NO_PORT (Linux): a bind to a source address leaves the port to connect(), so
/// that opening thousands of connections from one address does not search the bound ports each time.
let bindAddressNoPort = ChannelOptions.Types.SocketOption(level: SocketOptionLevel(IPPROTO_IP), name: SocketOptionName(24))

/// Connects a load-generator client: no Nagle, its source address picked from `source` (so one
/// generator can hold more connections than one address has ports), `handler` its only handler.
func connectClient(
    _ handler: any ChannelHandler & Sendable, on loop: any EventLoop, from source: String, to host: String, port: Int
) -> EventLoopFuture<any Channel> {
    var bootstrap = ClientBootstrap(group: loop)
        .channelOption(.socketOption(.tcp_nodelay), value: 1)
        .channelOption(.socketOption(.so_reuseaddr), value: 1)
        .channelOption(bindAddressNoPort, value: 1)
        .connectTimeout(.seconds(30))
        .channelInitializer { channel in
            channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(handler) }
        }
    if let address = try? SocketAddress(ipAddress: source, port: 0) { bootstrap = bootstrap.bind(to: address) }
    return bootstrap.connect(host: host, port: port)
}
