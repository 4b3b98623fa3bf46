// The `framed` codec's decoder (docs/protocol.md §2.1) on hostile payloads.
//
// Checks: the frames equal those of an independent reader that counts UTF-16 units (JavaScript's
// String.length), bad or not alike, and each means what §2.1 says (heartbeat, text; `~j~` frames
// with invalid JSON are left to the codec's choice); a lower maximum only stops decoding earlier (its frames are a
// prefix); decoded frames re-encode to a payload that decodes to the same frames; messages made
// from the input survive encode → decode; the byte reader (`Framed.scan`, which a load generator
// runs on a socket's raw bytes) stays in bounds and moves forward on bytes that are not UTF-8.
import FuzzCodecSupport
import FuzzSupport
import SwitchboardCore
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
        check(decoded.problem == problem, "the codec's problem differs from the framing's")
        // Each frame means what §2.1 says; a `~j~` frame with invalid JSON may be repaired (with a
        // warning), dropped or kept as text, whichever the codec chooses.
        let plain = texts.filter { Framed.jsonText(in: $0) == nil }.map { text -> InboundFrame in
            Framed.heartbeatNumber(in: text).map(InboundFrame.heartbeat) ?? .message(.text(text))
        }
        let decodedPlain = decoded.frames.filter { frame in
            if case .message(.text(let text)) = frame { return Framed.jsonText(in: text) == nil }
            return message(frame)?.json == nil
        }
        check(decodedPlain == plain, "frames \(decodedPlain) instead of \(plain)")
        check(decoded.frames.count <= texts.count, "the codec gave \(decoded.frames.count) frames from \(texts.count)")
        check(decoded.warnings.count <= texts.count - plain.count, "more warnings than `~j~` frames")
        if let previous {
            check(previous.starts(with: texts), "a lower maximum is not a prefix: \(texts) vs \(previous)")
        }
        previous = texts

        // Decoded frames, encoded again, decode to themselves (under the high maximum only: a
        // frame may grow when encoded again, as `~j~x`, invalid JSON, becomes `~j~{}`).
        if maxFrameLength == 1_000_000 {
            let again = codec.decode(codec.payload(decoded.frames.map { encode($0, codec) }))
            check(again.problem == nil, "re-encoded frames do not decode: \(again.problem ?? "")")
            check(sameFrames(again.frames, decoded.frames), "re-encoded frames decode to \(again.frames), not \(decoded.frames)")
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
