import Foundation
import SwitchboardCore

/// Reads payloads out of a transport's wrapper, as its descriptor describes it (the inverse of
/// `TransportDescriptor.wrap`): `<script>parent.s._("...", document);</script>`,
/// `id: <SID>.<seq>\ndata: "..."\n\n`, `io.JSONP[<i>]._("...");`, a multipart part, or the bare
/// payload. Nothing about a particular transport is written here: the spec's prelude, wrapper and
/// escaping say it all.
struct WrappedPayloadReader: Sendable {
    enum Token: Sendable, Hashable {
        case literal([UInt8])
        /// `{sid}`, `{seq}` or `{index}`: any text up to the literal that follows.
        case placeholder
    }

    enum Step: Sendable, Hashable {
        /// One payload, and how many bytes it took.
        case payload(String, consumed: Int)
        /// The bytes so far are the start of a write; more are needed.
        case needMore
        /// The bytes are not a write of this wrapper.
        case malformed(String)
    }

    /// What a stream writes first (`<html><body>` and its padding, `--socketio\n`, or nothing).
    let prelude: [UInt8]
    let head: [Token]
    let tail: [Token]
    let jsonString: Bool

    init(descriptor: TransportDescriptor) {
        prelude = Array(descriptor.paddedPrelude.utf8)
        let parts = descriptor.wrapper.components(separatedBy: "{payload}")
        head = Self.tokens(parts.first ?? "")
        tail = Self.tokens(parts.count > 1 ? parts[1...].joined(separator: "{payload}") : "")
        jsonString = descriptor.escaping == .jsonString
    }

    static func tokens(_ text: String) -> [Token] {
        var tokens: [Token] = []
        var literal = ""
        var rest = Substring(text)
        while let open = rest.firstIndex(of: "{") {
            literal += rest[..<open]
            if let close = rest[open...].firstIndex(of: "}"),
                ["sid", "seq", "index"].contains(rest[rest.index(after: open)..<close])
            {
                if !literal.isEmpty { tokens.append(.literal(Array(literal.utf8))) }
                literal = ""
                tokens.append(.placeholder)
                rest = rest[rest.index(after: close)...]
            } else {
                literal += "{"
                rest = rest[rest.index(after: open)...]
            }
        }
        literal += rest
        if !literal.isEmpty { tokens.append(.literal(Array(literal.utf8))) }
        return tokens
    }

    /// Reads one wrapped payload at the start of `bytes`. With `complete`, `bytes` is all there
    /// is (a poll's body): what is missing is malformed, and a bare payload runs to the end.
    func read(_ bytes: ArraySlice<UInt8>, complete: Bool) -> Step {
        var index = bytes.startIndex
        if let failure = match(head, in: bytes, at: &index, complete: complete, before: jsonString ? [0x22] : nil) {
            return failure
        }
        let payload: String
        if jsonString {
            guard index < bytes.endIndex else { return complete ? .malformed("missing payload") : .needMore }
            guard bytes[index] == 0x22 else { return .malformed("payload is not a JSON string") }
            var cursor = bytes.index(after: index)
            var end: Int?
            while cursor < bytes.endIndex {
                if bytes[cursor] == 0x5C {  // backslash: skip the escaped byte
                    cursor += 2
                    continue
                }
                if bytes[cursor] == 0x22 {
                    end = cursor
                    break
                }
                cursor += 1
            }
            guard let end else { return complete ? .malformed("unterminated JSON string") : .needMore }
            guard let text = try? JSONDecoder().decode(String.self, from: Data(bytes[index...end])) else {
                return .malformed("invalid JSON string")
            }
            payload = text
            index = end + 1
        } else if case .literal(let terminator)? = tail.first {
            guard let end = Self.find(terminator, in: bytes, from: index) else {
                return complete ? .malformed("missing end of the payload") : .needMore
            }
            payload = String(decoding: bytes[index..<end], as: UTF8.self)
            index = end
        } else {
            guard complete else { return .needMore }
            payload = String(decoding: bytes[index...], as: UTF8.self)
            index = bytes.endIndex
        }
        if let failure = match(tail, in: bytes, at: &index, complete: complete, before: nil) {
            return failure
        }
        return .payload(payload, consumed: index - bytes.startIndex)
    }

    /// Matches literals exactly and placeholders up to what follows them.
    private func match(
        _ tokens: [Token], in bytes: ArraySlice<UInt8>, at index: inout Int, complete: Bool, before next: [UInt8]?
    ) -> Step? {
        for (position, token) in tokens.enumerated() {
            switch token {
            case .literal(let literal):
                let available = bytes[index...].prefix(literal.count)
                guard available.elementsEqual(literal.prefix(available.count)) else {
                    return .malformed("expected \(String(decoding: literal, as: UTF8.self).debugDescription)")
                }
                guard available.count == literal.count else { return complete ? .malformed("truncated") : .needMore }
                index += literal.count
            case .placeholder:
                let following: [UInt8]?
                if position + 1 < tokens.count, case .literal(let literal) = tokens[position + 1] {
                    following = literal
                } else {
                    following = position + 1 == tokens.count ? next : nil
                }
                guard let following else {
                    if complete {
                        index = bytes.endIndex
                        continue
                    }
                    return .malformed("a placeholder at the end of the wrapper")
                }
                guard let end = Self.find(following, in: bytes, from: index) else {
                    if bytes.endIndex - index > 1024 { return .malformed("no end of a wrapper value") }
                    return complete ? .malformed("truncated") : .needMore
                }
                index = end
            }
        }
        return nil
    }

    static func find(_ needle: [UInt8], in bytes: ArraySlice<UInt8>, from start: Int) -> Int? {
        guard let first = needle.first, bytes.endIndex - start >= needle.count else { return nil }
        var cursor = start
        let last = bytes.endIndex - needle.count
        while cursor <= last {
            if bytes[cursor] == first, bytes[cursor..<(cursor + needle.count)].elementsEqual(needle) {
                return cursor
            }
            cursor += 1
        }
        return nil
    }
}

/// The bytes of a stream as they arrive: the prelude is checked and skipped, then every complete
/// write gives one payload.
struct StreamPayloadBuffer: Sendable {
    let reader: WrappedPayloadReader
    let maxPayloadSize: Int
    private var bytes: [UInt8] = []
    private var start = 0
    private var preludeDone: Bool

    init(reader: WrappedPayloadReader, maxPayloadSize: Int) {
        self.reader = reader
        self.maxPayloadSize = maxPayloadSize
        self.preludeDone = reader.prelude.isEmpty
    }

    /// Adds bytes; returns the payloads now complete, or why the stream is not this transport's.
    mutating func append(_ more: some Sequence<UInt8>) -> Result<[String], ConnectionFailure> {
        bytes.append(contentsOf: more)
        var payloads: [String] = []
        if !preludeDone {
            let available = bytes[start...].prefix(reader.prelude.count)
            guard available.elementsEqual(reader.prelude.prefix(available.count)) else {
                return .failure(.protocolError("the stream does not start with the transport's prelude"))
            }
            guard available.count == reader.prelude.count else { return .success([]) }
            start += reader.prelude.count
            preludeDone = true
        }
        while start < bytes.count {
            switch reader.read(bytes[start...], complete: false) {
            case .payload(let payload, let consumed):
                payloads.append(payload)
                start += consumed
            case .needMore:
                if bytes.count - start > maxPayloadSize {
                    return .failure(.protocolError("a write larger than \(maxPayloadSize) bytes"))
                }
                compact()
                return .success(payloads)
            case .malformed(let reason):
                return .failure(.protocolError("unreadable stream: \(reason)"))
            }
        }
        compact()
        return .success(payloads)
    }

    private mutating func compact() {
        if start == bytes.count {
            bytes.removeAll(keepingCapacity: true)
            start = 0
        } else if start > 65_536 {
            bytes.removeFirst(start)
            start = 0
        }
    }
}
