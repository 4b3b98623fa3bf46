// The `framed` codec's decoder (docs/protocol.md §2.1) on hostile payloads.
//
// Checks: the frames equal those of an independent reader that counts UTF-16 units (JavaScript's
// String.length), bad or not alike, and each means what §2.1 says (heartbeat, text, JSON object; a
// `~j~` frame that is not a JSON object refuses the whole payload), and in acknowledged mode what
// §11 says (`~a~<n>`, `~b~<n>`); a lower maximum only stops decoding earlier (its frames are a
// prefix); decoded frames re-encode to a payload that decodes to the same frames; messages made
// from the input survive encode → decode; the byte reader (`Framed.scan`, which a load generator
// runs on a socket's raw bytes) stays in bounds and moves forward on bytes that are not UTF-8.
import FuzzCodecSupport
import FuzzSupport
@testable import SwitchboardCore
import SwitchboardWire

/// The frames of `payload` read the way docs/protocol.md §2.1 says, on UTF-16 units; `ok` is false
/// when reading stopped at a bad frame (not at the end or at trailing bytes after good frames).
func referenceSplit(_ payload: String, maxFrameLength: Int) -> (texts: [String], ok: Bool) {
    let units = Array(payload.utf16)
    func marker(at i: Int) -> Bool {
        i + 3 <= units.count && units[i] == 0x7E && units[i + 1] == 0x6D && units[i + 2] == 0x7E
    }
    var texts: [String] = []
    var i = 0
    while i < units.count {
        guard marker(at: i) else { return (texts, !texts.isEmpty) }
        var j = i + 3
        var length = 0
        var digits = 0
        while j < units.count, (0x30...0x39).contains(units[j]) {
            length = min(length * 10 + Int(units[j] - 0x30), maxFrameLength + 1)
            digits += 1
            j += 1
        }
        guard digits > 0, length <= maxFrameLength, marker(at: j) else { return (texts, false) }
        j += 3
        guard j + length <= units.count else { return (texts, false) }
        let end = j + length
        if length > 0, UTF16.isLeadSurrogate(units[end - 1]) { return (texts, false) }
        texts.append(String(decoding: units[j..<end], as: UTF16.self))
        i = end
    }
    return (texts, true)
}

/// The frame that carries a decoded frame again.
func encode(_ frame: InboundFrame, _ codec: FramedCodec) -> String {
    switch frame {
    case .heartbeat(let n): return codec.heartbeatFrame(n)!
    case .message(let message): return codec.frame(message)
    case .acknowledge(let n): return codec.acknowledgeFrame(n)!
    case .base(let n): return codec.baseFrame(n)!
    }
}

fuzzMain { bytes in
    let payload = String(decoding: bytes, as: UTF8.self)

    var previous: [String]?
    for maxFrameLength in [1_000_000, 64, 3] {
        let codec = FramedCodec(maxFrameLength: maxFrameLength)
        let decoded = codec.decode(payload)
        let (texts, problem) = Framed.split(payload, maxFrameLength: maxFrameLength)
        let reference = referenceSplit(payload, maxFrameLength: maxFrameLength)
        check(texts == reference.texts, "frames \(texts) differ from the UTF-16 reading \(reference.texts)")
        check((problem == nil) == reference.ok, "problem \(problem ?? "none") but the reference says ok=\(reference.ok)")
        // Each frame means what §2.1 (and in acknowledged mode §11) says; one `~j~` frame that is
        // not a JSON object refuses the whole payload.
        for acknowledged in [false, true] {
            let decoded = acknowledged ? codec.decodeAcknowledged(payload)! : decoded
            var expected: [InboundFrame]? = []
            for text in texts {
                if let n = Framed.heartbeatNumber(in: text) {
                    expected?.append(.heartbeat(n))
                } else if acknowledged, let n = Framed.acknowledgedCount(in: text) {
                    expected?.append(.acknowledge(n))
                } else if acknowledged, let n = Framed.baseNumber(in: text) {
                    expected?.append(.base(n))
                } else if let json = Framed.jsonText(in: text) {
                    // JSON itself is Foundation's to read; what is checked is what the frame means.
                    guard let object = try? JSONText.decode([String: JSONValue].self, from: String(json)) else {
                        expected = nil
                        break
                    }
                    expected?.append(.message(.json(object)))
                } else {
                    expected?.append(.message(.text(text)))
                }
            }
            if problem != nil {
                check(decoded.frames.isEmpty && decoded.problem == problem, "a payload with a bad frame gave \(decoded.frames), \(decoded.problem ?? "no problem")")
            } else if let expected {
                check(decoded.problem == nil, "good frames refused: \(decoded.problem ?? "")")
                check(sameFrames(decoded.frames, expected), "frames \(decoded.frames) instead of \(expected)")
            } else {
                check(decoded.frames.isEmpty && decoded.problem != nil, "a `~j~` frame that is no JSON object gave \(decoded.frames)")
            }
            // A count is a plain decimal: it reads back as the text it came from.
            for frame in decoded.frames {
                switch frame {
                case .heartbeat(let n), .acknowledge(let n), .base(let n):
                    check(texts.contains { text in
                        let digits = text.utf8.dropFirst(3)
                        return !digits.isEmpty && digits.allSatisfy { (0x30...0x39).contains($0) } && Int(String(text.dropFirst(3))) == n
                    }, "count \(n) is not the digits of a frame")
                case .message: break
                }
            }
        }
        if let previous {
            check(previous.starts(with: texts), "a lower maximum is not a prefix: \(texts) vs \(previous)")
        }
        previous = texts

        // Decoded frames, encoded again, decode to themselves (under the high maximum only: a
        // frame may grow when encoded again, as a JSON object is written in its shortest form
        // or a count `007` as `7`).
        if maxFrameLength == 1_000_000 {
            for acknowledged in [false, true] {
                let decoded = acknowledged ? codec.decodeAcknowledged(payload)! : decoded
                let encoded = codec.payload(decoded.frames.map { encode($0, codec) })
                let again = acknowledged ? codec.decodeAcknowledged(encoded)! : codec.decode(encoded)
                check(again.problem == nil, "re-encoded frames do not decode: \(again.problem ?? "")")
                check(sameFrames(again.frames, decoded.frames), "re-encoded frames decode to \(again.frames), not \(decoded.frames)")
            }
        }
    }

    // Messages made from the input survive encode → decode (texts that start like a `~j~` or
    // `~h~<n>` frame cannot be sent as text: the codec cannot tell them apart, as in Socket.IO 0.6).
    let codec = FramedCodec(maxFrameLength: 1_000_000)
    let sent = messages(from: payload, jsonThrough: codec).filter { message in
        guard case .text(let text) = message else { return true }
        return Framed.jsonText(in: text) == nil && Framed.heartbeatNumber(in: text) == nil
    }
    let received = codec.decode(codec.payload(sent.map(codec.frame)))
    check(received.problem == nil, "encoded messages do not decode: \(received.problem ?? "")")
    check(received.warnings.isEmpty, "encoded messages decode with warnings \(received.warnings)")
    check(sameFrames(received.frames, sent.map { .message($0) }), "sent \(sent), received \(received.frames)")

    // The byte reader on the raw input (maybe not UTF-8): in bounds, always forward.
    var offset = 0
    scanning: while true {
        switch Framed.scan(bytes, at: offset, maxFrameLength: 1_000_000) {
        case .end:
            check(offset == bytes.count, "end before the end")
            break scanning
        case .frame(let text, let next):
            check(text.lowerBound >= offset + 7 && text.upperBound == next && next <= bytes.count && next > offset,
                  "frame \(text) next \(next) out of bounds at \(offset) of \(bytes.count)")
            offset = next
        case .bad:
            break scanning
        }
    }
}
