import Logging
import NIOConcurrencyHelpers

/// Keeps what was logged, for assertions: give a server or a listener ``logger()``.
public final class CapturedLogs: Sendable {
    public let lines = NIOLockedValueBox<[(Logger.Level, String, Logger.Metadata)]>([])

    public init() {}

    /// A logger at `level` whose lines land here.
    public func logger(level: Logger.Level = .trace) -> Logger {
        var logger = Logger(label: "test") { _ in Handler(logs: self) }
        logger.logLevel = level
        return logger
    }

    /// The messages logged at `level` so far.
    public func messages(at level: Logger.Level) -> [String] {
        lines(at: level).map(\.message)
    }

    /// The lines logged at `level` so far.
    public func lines(at level: Logger.Level) -> [(message: String, metadata: Logger.Metadata)] {
        lines.withLockedValue { $0.filter { $0.0 == level }.map { ($0.1, $0.2) } }
    }

    struct Handler: LogHandler {
        let logs: CapturedLogs
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            logs.lines.withLockedValue { $0.append((event.level, "\(event.message)", event.metadata ?? [:])) }
        }
    }
}
