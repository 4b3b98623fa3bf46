/// How a payload is written into a transport's wrapper (a spec's `escaping`).
public enum PayloadEscaping: String, Sendable, Hashable {
    /// The payload's bytes as they are.
    case none
    /// A JSON string literal that also escapes `<`, U+2028 and U+2029, so it can sit inside a
    /// `<script>` (``JSONString/encode(_:)``).
    case jsonString = "json-string"
}

/// What a `poll` or `stream` transport writes around its payloads, from its spec: the prelude a
/// stream starts with, and the wrapper of each payload (docs/protocol.md §6.3–§6.7). The server
/// writes with it; clients read with ``WrappedPayloadReader``.
///
/// ```swift
/// let htmlfile = PayloadWrapper(
///     prelude: "<html><body>", padTo: 256, padding: " ",
///     template: "<script>parent.s._({payload}, document);</script>", escaping: .jsonString)
/// htmlfile.wrap(payload: "~m~1~m~<", sessionId: "S", sequence: 1)
/// // <script>parent.s._("~m~1~m~\u003c", document);</script>
/// ```
public struct PayloadWrapper: Sendable, Hashable {
    /// Written once at the start of a stream.
    public var prelude: String
    /// When above zero, the prelude is padded with `padding` to exactly this many bytes.
    public var padTo: Int
    /// The padding character.
    public var padding: String
    /// The per-payload wrapper with placeholders `{payload}`, `{sid}`, `{seq}`, `{index}`.
    public var template: String
    /// How `{payload}` is written.
    public var escaping: PayloadEscaping

    /// A wrapper with the spec's `prelude`, `padTo`, `padding`, `wrapper` and `escaping`.
    public init(prelude: String, padTo: Int, padding: String, template: String, escaping: PayloadEscaping) {
        self.prelude = prelude
        self.padTo = padTo
        self.padding = padding
        self.template = template
        self.escaping = escaping
    }

    /// The placeholders a template may hold besides `{payload}`.
    public static let placeholders: Set<Substring> = ["sid", "seq", "index"]

    /// What a stream writes first: the prelude, padded to `padTo` bytes when asked.
    public var paddedPrelude: String {
        let missing = padTo - prelude.utf8.count
        guard missing > 0, let pad = padding.first else { return prelude }
        return prelude + String(repeating: pad, count: missing / max(1, String(pad).utf8.count))
    }

    /// One payload inside the template, escaped as the spec says. Substitution is a single pass,
    /// so a payload that contains `{sid}` stays as it is.
    public func wrap(payload: String, sessionId: String, sequence: Int, index: String? = nil) -> String {
        var out = ""
        var rest = template[...]
        while let open = rest.firstIndex(of: "{") {
            out += rest[..<open]
            guard let close = rest[open...].firstIndex(of: "}") else { break }
            switch rest[rest.index(after: open)..<close] {
            case "payload": out += escaping == .jsonString ? JSONString.encode(payload) : payload
            case "sid": out += sessionId
            case "seq": out += String(sequence)
            case "index": out += index ?? ""
            default: out += rest[open...close]
            }
            rest = rest[rest.index(after: close)...]
        }
        out += rest
        return out
    }
}
