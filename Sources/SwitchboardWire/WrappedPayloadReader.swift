/// Reads payloads out of a transport's wrapper, as its spec describes it (the inverse of
/// ``PayloadWrapper/wrap(payload:sessionId:sequence:index:)``): `<script>parent.s._("...", document);</script>`,
/// `id: <SID>.<seq>\ndata: "..."\n\n`, `io.JSONP[<i>]._("...");`, a multipart part, or the bare
/// payload. Nothing about a particular transport is written here: the spec's prelude, wrapper and
/// escaping say it all.
///
/// ```swift
/// let reader = WrappedPayloadReader(descriptor.wrapping)
/// reader.read(Array(body)[...], complete: true)   // .payload("~m~5~m~hello", consumed: body.count)
/// ```
public struct WrappedPayloadReader: Sendable, Hashable {
    enum Token: Sendable, Hashable {
        case literal([UInt8])
        /// `{sid}`, `{seq}` or `{index}`: any text up to the literal that follows.
        case placeholder
    }

    /// What ``read(_:complete:)`` found.
    public enum Step: Sendable, Hashable {
        /// One payload, and how many bytes it took.
        case payload(String, consumed: Int)
        /// The bytes so far are the start of a write; more are needed.
        case needMore
        /// The bytes are not a write of this wrapper.
        case malformed(String)
    }

    /// What a stream writes first (`<html><body>` and its padding, `--socketio\n`, or nothing).
    public let prelude: [UInt8]
    let head: [Token]
    let tail: [Token]
    let jsonString: Bool

    /// The reader of `wrapper`'s writes.
    public init(_ wrapper: PayloadWrapper) {
        prelude = Array(wrapper.paddedPrelude.utf8)
        let template = wrapper.template[...]
        if let payload = template.firstRange(of: "{payload}") {
            head = Self.tokens(template[..<payload.lowerBound])
            tail = Self.tokens(template[payload.upperBound...])
        } else {
            head = Self.tokens(template)
            tail = []
        }
        jsonString = wrapper.escaping == .jsonString
    }

    static func tokens(_ text: Substring) -> [Token] {
        var tokens: [Token] = []
        var literal = ""
        var rest = text
        while let open = rest.firstIndex(of: "{") {
            literal += rest[..<open]
            if let close = rest[open...].firstIndex(of: "}"),
                PayloadWrapper.placeholders.contains(rest[rest.index(after: open)..<close])
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
    public func read(_ bytes: ArraySlice<UInt8>, complete: Bool) -> Step {
        var index = bytes.startIndex
        if let failure = match(head, in: bytes, at: &index, complete: complete, before: jsonString ? [0x22] : nil) {
            return failure
        }
        let payload: String
        if jsonString {
            guard index < bytes.endIndex else { return complete ? .malformed("missing payload") : .needMore }
            guard bytes[index] == 0x22 else { return .malformed("payload is not a JSON string") }
            guard let end = JSONString.end(of: bytes, from: index) else {
                return complete ? .malformed("unterminated JSON string") : .needMore
            }
            guard let text = JSONString.decode(bytes[index...end]) else { return .malformed("invalid JSON string") }
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
