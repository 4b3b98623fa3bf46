import NIOCore
import NIOPosix

/// All clients share the process-wide NIO event loop group (no threads to shut down).
@usableFromInline
let testKitEventLoopGroup: MultiThreadedEventLoopGroup = .singleton

extension Duration {
    /// Converts to a NIO `TimeAmount`, clamped to [0, 10 years] so deadlines never overflow.
    var timeAmount: TimeAmount {
        let (seconds, attoseconds) = self.components
        if seconds < 0 || (seconds == 0 && attoseconds <= 0) { return .zero }
        let maxSeconds: Int64 = 10 * 365 * 24 * 3600
        if seconds >= maxSeconds { return .seconds(maxSeconds) }
        return .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}

func makeDeadline(after duration: Duration) -> NIODeadline {
    NIODeadline.now() + duration.timeAmount
}

extension EventLoopFuture where Value: Sendable {
    /// Waits for the future, failing with `TestKitError.timeout` at `deadline` (the underlying
    /// operation is not cancelled).
    func get(deadline: NIODeadline) async throws -> Value {
        let promise = self.eventLoop.makePromise(of: Value.self)
        let timer = self.eventLoop.scheduleTask(deadline: deadline) {
            promise.fail(TestKitError.timeout)
        }
        self.whenComplete { result in
            timer.cancel()
            promise.completeWith(result)  // a second completion is ignored by NIO
        }
        return try await promise.futureResult.get()
    }
}
