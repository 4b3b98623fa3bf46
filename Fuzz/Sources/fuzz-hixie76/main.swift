// hixie-76 (docs/protocol.md §6.1, §9.7): the frame reader on a connection's bytes after the
// handshake (8 key bytes, then `0x00 <UTF-8> 0xFF` frames and `0xFF 0x00`), and the key numbers.
//
// The input's first byte picks the largest frame (`maxFrameSize`); the rest is the stream.
//
// Checks: the reader gives the frames of an independent reading of the rules (no text frame
// larger than `maxFrameSize`, its two framing bytes included; a text frame that is not UTF-8 ends
// the connection), whether the bytes arrive at once or
// in reads of any size; texts made from the input survive frame → read, then the close frame;
// a key's number times its spaces is its digits, and a key is refused exactly when the rules say;
// `makeKey` makes keys whose number is the one it returns; the MD5 input of the answer is
// key1 ‖ key2 ‖ key3, big-endian.
import FuzzSupport
import SwitchboardWire

typealias Frame = Hixie76FrameReader.Frame

extension Frame {
    var ends: Bool {
        if case .text = self { return false }
        return true
    }
}

/// The frames a server reads from `pieces`, the way its handler does: 8 key bytes, then frames
/// until one that ends the connection.
func read(_ pieces: [ArraySlice<UInt8>], maxFrameSize: Int) -> (key: [UInt8]?, frames: [Frame]) {
    var reader = Hixie76FrameReader(maxFrameSize: maxFrameSize)
    var key: [UInt8]?
    var frames: [Frame] = []
    for piece in pieces {
        reader.append(piece)
        if key == nil {
            guard let taken = reader.take(8) else { continue }
            key = taken
        }
        while let frame = reader.next() {
            frames.append(frame)
            if frame.ends { return (key, frames) }
        }
    }
    return (key, frames)
}

/// The frames of `stream` as docs/protocol.md §9.7 and §9.3 describe them.
func reference(_ stream: ArraySlice<UInt8>, maxFrameSize: Int) -> (key: [UInt8]?, frames: [Frame]) {
    guard stream.count >= 8 else { return (nil, []) }
    var frames: [Frame] = []
    var i = stream.startIndex + 8
    while i < stream.endIndex {
        switch stream[i] {
        case 0x00:
            guard let end = stream[(i + 1)...].firstIndex(of: 0xFF) else {
                // The frame will be at least one byte longer than what is there.
                if stream.endIndex - i + 1 > maxFrameSize { frames.append(.tooLarge) }
                return (Array(stream.prefix(8)), frames)
            }
            if end - i + 1 > maxFrameSize {
                frames.append(.tooLarge)
                return (Array(stream.prefix(8)), frames)
            }
            guard let text = String(validating: stream[(i + 1)..<end], as: UTF8.self) else {
                frames.append(.notUTF8)
                return (Array(stream.prefix(8)), frames)
            }
            frames.append(.text(text))
            i = end + 1
        case 0xFF:
            // 0xFF 0x00 closes; 0xFF then a length starts a binary frame, which is refused.
            if stream.endIndex - i >= 2 { frames.append(stream[i + 1] == 0x00 ? .close : .unknownType(0xFF)) }
            return (Array(stream.prefix(8)), frames)
        case let type:
            frames.append(.unknownType(type))
            return (Array(stream.prefix(8)), frames)
        }
    }
    return (Array(stream.prefix(8)), frames)
}

fuzzMain { buffer in
    var input = FuzzInput(buffer)
    let selector = Int(input.byte())
    let maxFrameSize = selector < 128 ? 2 + selector % 32 : 1 << 20
    let stream = Array(input.rest)
    var generator = SeededGenerator(hashing: buffer)

    let whole = read([stream[...]], maxFrameSize: maxFrameSize)
    let expected = reference(stream[...], maxFrameSize: maxFrameSize)
    check(whole.key == expected.key, "key bytes \(whole.key ?? []) instead of \(expected.key ?? [])")
    check(whole.frames == expected.frames, "frames \(whole.frames) instead of \(expected.frames)")
    for maxPiece in [1, 3, 64] {
        let split = read(pieces(of: stream, maxPiece: maxPiece, using: &generator), maxFrameSize: maxFrameSize)
        check(split.key == whole.key && split.frames == whole.frames,
              "in reads of up to \(maxPiece) bytes: \(split.frames) instead of \(whole.frames)")
    }

    // Texts made from the input survive frame → read.
    let texts = String(decoding: stream, as: UTF8.self).split(separator: "\u{1}", omittingEmptySubsequences: false).map(String.init)
    let framed = Array("key3key3".utf8) + texts.flatMap(Hixie76.frame) + Hixie76.closeFrame
    let echoed = read(pieces(of: framed, maxPiece: 16, using: &generator), maxFrameSize: 1 << 20)
    check(echoed.frames == texts.map(Frame.text) + [.close], "texts \(texts) read back as \(echoed.frames)")

    // Key numbers.
    let key = String(decoding: stream, as: UTF8.self)
    let digits = String(key.unicodeScalars.filter { ("0"..."9").contains($0) }.map(Character.init))
    let spaces = UInt64(key.utf8.filter { $0 == 0x20 }.count)
    let significant = digits.drop { $0 == "0" }
    if let number = Hixie76.keyNumber(key) {
        check(spaces > 0, "a number from a key without spaces")
        check(String(UInt64(number) * spaces) == (significant.isEmpty ? "0" : String(significant)),
              "\(number) × \(spaces) spaces is not the key's digits \(digits)")
    } else if significant.count <= 18 {
        let value = UInt64(significant.isEmpty ? "0" : String(significant))!
        check(spaces == 0 || value % spaces != 0 || value / spaces > UInt64(UInt32.max),
              "key \(key.debugDescription) refused, but \(value) / \(spaces) is a 32-bit number")
    }

    var keyGenerator = SeededGenerator(hashing: stream)
    let made = Hixie76.makeKey(using: &keyGenerator)
    check(Hixie76.keyNumber(made.key) == made.number, "makeKey's \(made.key.debugDescription) is not \(made.number)")
    check(made.key.first != " " && made.key.last != " ", "makeKey's key starts or ends with a space")

    let key3 = Array(stream.prefix(8))
    _ = Hixie76.answer(key1: made.number, key2: UInt32(truncatingIfNeeded: stream.count), key3: key3) { hashed in
        let n1 = made.number, n2 = UInt32(truncatingIfNeeded: stream.count)
        var expected: [UInt8] = []
        for n in [n1, n2] {
            for shift: UInt32 in [24, 16, 8, 0] { expected.append(UInt8(truncatingIfNeeded: n >> shift)) }
        }
        expected += key3
        check(hashed == expected, "the answer hashes \(hashed), not \(expected)")
        return Array(repeating: 0, count: 16)
    }
}
