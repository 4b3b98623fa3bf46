/// The `framed` wire format of Socket.IO 0.5–0.6 (docs/protocol.md §2.1): each message is
/// `~m~<L>~m~<text>`, with L the number of UTF-16 code units of the text (JavaScript's
/// `String.length`); `~j~` marks a JSON object's text and `~h~` a heartbeat.
///
/// ```swift
/// Framed.frame("hello")                                   // "~m~5~m~hello"
/// Framed.split("~m~5~m~abcde~m~1~m~x", maxFrameLength: 100)  // (["abcde", "x"], nil)
/// ```
public enum Framed {
    /// `~m~`, on both sides of every frame's length.
    public static let marker = "~m~"
    /// `~j~`, before the text of a JSON object.
    public static let jsonMarker = "~j~"
    /// `~h~`, before a heartbeat's number.
    public static let heartbeatMarker = "~h~"

    /// `~m~<L>~m~<text>`.
    public static func frame(_ text: String) -> String {
        marker + String(text.utf16.count) + marker + text
    }

    /// The text of heartbeat `n`, `~h~<n>` (frame it with ``frame(_:)``).
    public static func heartbeat(_ n: Int) -> String {
        heartbeatMarker + String(n)
    }

    /// The heartbeat number of a frame's text `~h~<n>`, or nil when it is no heartbeat.
    public static func heartbeatNumber(in text: String) -> Int? {
        count(after: heartbeatMarker, in: text)
    }

    /// `~a~`, before an acknowledgement: the count of the peer's messages received
    /// (docs/protocol.md §11).
    public static let acknowledgeMarker = "~a~"
    /// `~b~`, before a payload's base: its messages are numbered from base + 1 (docs/protocol.md §11).
    public static let baseMarker = "~b~"

    /// The text of the acknowledgement of `n` messages, `~a~<n>` (frame it with ``frame(_:)``).
    public static func acknowledge(_ n: Int) -> String {
        acknowledgeMarker + String(n)
    }

    /// The text of a payload's base `n`, `~b~<n>` (frame it with ``frame(_:)``).
    public static func base(_ n: Int) -> String {
        baseMarker + String(n)
    }

    /// The count of a frame's text `~a~<n>`, or nil when it is no acknowledgement.
    public static func acknowledgedCount(in text: String) -> Int? {
        count(after: acknowledgeMarker, in: text)
    }

    /// The base of a frame's text `~b~<n>`, or nil when it is no base.
    public static func baseNumber(in text: String) -> Int? {
        count(after: baseMarker, in: text)
    }

    /// The decimal count after `marker`.
    private static func count(after marker: String, in text: String) -> Int? {
        text.hasPrefix(marker) ? decimalCount(text.utf8.dropFirst(marker.utf8.count)) : nil
    }

    /// The JSON text of a frame's text `~j~<json>`, or nil when it is no JSON frame.
    public static func jsonText(in text: String) -> Substring? {
        text.hasPrefix(jsonMarker) ? text.dropFirst(jsonMarker.count) : nil
    }

    /// The texts of a payload's frames, in order. Reading stops at the first thing that is not a
    /// valid frame: the frames before it are kept, and `problem` says why, unless valid frames came
    /// first and what follows them does not start with `~m~` (trailing bytes are ignored).
    public static func split(_ payload: String, maxFrameLength: Int) -> (texts: [String], problem: String?) {
        var payload = payload
        return payload.withUTF8 { utf8 in
            let bytes = UnsafeRawBufferPointer(utf8)
            var texts: [String] = []
            var offset = 0
            while true {
                switch scan(bytes, at: offset, maxFrameLength: maxFrameLength) {
                case .end:
                    return (texts, nil)
                case .frame(let text, let next):
                    texts.append(String(decoding: UnsafeRawBufferPointer(rebasing: bytes[text]), as: UTF8.self))
                    offset = next
                case .bad(.noMarker) where !texts.isEmpty:
                    return (texts, nil)
                case .bad(let problem):
                    return (texts, problem.description)
                }
            }
        }
    }
}
