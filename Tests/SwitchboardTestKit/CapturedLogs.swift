import Logging
import NIOConcurrencyHelpers

/// Keeps what was logged, for assertions.
public final class CapturedLogs: Sendable {
    /// Every line so far: its level, message and metadata.
    public let lines = NIOLockedValueBox<[(Logger.Level, String, Logger.Metadata)]>([])

    public init() {}

    /// A logger at `trace` that keeps its lines here.
    public func logger() -> Logger {
        var logger = Logger(label: "test") { _ in Handler(logs: self) }
        logger.logLevel = .trace
        return logger
    }

    /// The messages logged at `level`.
    public func messages(at level: Logger.Level) -> [String] {
        lines.withLockedValue { $0.filter { $0.0 == level }.map(\.1) }
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
