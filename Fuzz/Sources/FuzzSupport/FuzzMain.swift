import CFuzzDriver

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

nonisolated(unsafe) private var target: ((UnsafeRawBufferPointer) -> Void)?

/// Runs libFuzzer (its flags come from the command line) with `test` as the target, which gets
/// each input's bytes. A broken invariant stops the run (``check(_:_:file:line:)``); libFuzzer then
/// saves the input as `crash-<sha1>`.
public func fuzzMain(_ test: @escaping (UnsafeRawBufferPointer) -> Void) -> Never {
    target = test
    var argc = CommandLine.argc
    var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
    let status = LLVMFuzzerRunDriver(&argc, &argv) { data, size in
        target?(UnsafeRawBufferPointer(start: data, count: size))
        return 0
    }
    exit(status)
}

/// Stops the run with `message` when `condition` does not hold.
public func check(
    _ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String, file: StaticString = #fileID,
    line: UInt = #line
) {
    if !condition() {
        fatalError("invariant broken: \(message())", file: file, line: line)
    }
}
