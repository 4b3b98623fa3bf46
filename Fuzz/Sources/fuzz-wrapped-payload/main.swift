// The reader of wrapped payloads (docs/protocol.md §6.3–§6.7, §9.1): what a client reads from a
// poll's body or a stream (`WrappedPayloadReader`, `StreamPayloadBuffer`), for the wrapper of each
// transport in Specs/transports (the Swift client's own descriptors).
//
// The input's first byte picks the transport; the rest is what the server sent.
//
// Checks: a write read from the bytes is read the same from just its own bytes, and every shorter
// prefix of it asks for more (never malformed, never another payload); payloads made from the
// input survive wrap → read, alone and as a stream (prelude, then one write after another) that
// arrives in reads of any size; the bytes give the same payloads, or fail alike, whether they
// arrive at once or in pieces, also when a write is larger than the stream's limit.
import FuzzSupport
import SwitchboardCore
import SwitchboardWire

@testable import SwitchboardClient

/// Each transport's wrapper, reader and prelude, made once.
let transports = SpecTransports.all.map { descriptor in
    (descriptor: descriptor, wrapper: descriptor.wrapping, reader: WrappedPayloadReader(descriptor.wrapping),
     prelude: Array(descriptor.wrapping.paddedPrelude.utf8))
}

/// The prelude in two reads (it is long and plain: htmlfile's 256 bytes, xhr-streaming's 2 KiB),
/// then the writes in reads of 1 to `maxPiece` bytes.
func stream(_ prelude: [UInt8], _ writes: [UInt8], maxPiece: Int, using generator: inout SeededGenerator) -> [ArraySlice<UInt8>] {
    let all = prelude + writes
    let cut = Int.random(in: 0...prelude.count, using: &generator)
    let end = min(all.count, prelude.count + Int.random(in: 0...maxPiece, using: &generator))
    return [all[..<cut], all[cut..<end]] + pieces(of: Array(all[end...]), maxPiece: maxPiece, using: &generator)
}

func payloads(_ pieces: [ArraySlice<UInt8>], reader: WrappedPayloadReader, maxPayloadSize: Int) -> (payloads: [String], failed: Bool) {
    var buffer = StreamPayloadBuffer(reader: reader, maxPayloadSize: maxPayloadSize)
    var payloads: [String] = []
    for piece in pieces {
        switch buffer.append(piece) {
        case .success(let more): payloads += more
        case .failure: return (payloads, true)
        }
    }
    return (payloads, false)
}

fuzzMain { buffer in
    var input = FuzzInput(buffer)
    let (descriptor, wrapper, reader, prelude) = transports[Int(input.byte()) % transports.count]
    let bytes = Array(input.rest)
    let name = descriptor.name

    // One write read from the bytes.
    for complete in [false, true] {
        guard case .payload(let payload, let consumed) = reader.read(bytes[...], complete: complete) else { continue }
        check(consumed >= 0 && consumed <= bytes.count, "\(name): consumed \(consumed) of \(bytes.count) bytes")
        check(reader.read(bytes[..<consumed], complete: complete) == .payload(payload, consumed: consumed),
              "\(name): the write's own bytes read differently")
        guard !complete else { continue }
        for cut in Set([0, consumed / 2, consumed - 1, consumed - 2]) where cut >= 0 && cut < consumed {
            check(reader.read(bytes[..<cut], complete: false) == .needMore,
                  "\(name): the first \(cut) of a \(consumed)-byte write read as \(reader.read(bytes[..<cut], complete: false))")
        }
    }

    // Payloads made from the input survive wrap → read.
    var generator = SeededGenerator(hashing: buffer)
    let text = String(decoding: bytes, as: UTF8.self)
    let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    let sessionId = String((0..<22).map { _ in alphabet.randomElement(using: &generator)! })
    var sent: [String] = []
    var writes: [UInt8] = []
    let terminator: String? = {
        guard wrapper.escaping == .none, let payload = wrapper.template.firstRange(of: "{payload}") else { return nil }
        let after = wrapper.template[payload.upperBound...]
        let literal = after.prefix { $0 != "{" }
        return literal.isEmpty ? nil : String(literal)
    }()
    for (sequence, payload) in text.split(separator: "\u{1}", omittingEmptySubsequences: false).enumerated() {
        let payload = String(payload)
        // A bare payload cannot hold its own terminator (xhr-multipart's boundary), not even
        // partly at its end: the terminator must first appear right after it.
        if let terminator {
            let combined = Array((payload + terminator).utf8)
            let needle = Array(terminator.utf8)
            let first = (0...(combined.count - needle.count)).first { combined[$0..<($0 + needle.count)].elementsEqual(needle) }
            if first != payload.utf8.count { continue }
        }
        let write = Array(wrapper.wrap(payload: payload, sessionId: sessionId, sequence: sequence + 1, index: String(sequence)).utf8)
        check(reader.read(write[...], complete: true) == .payload(payload, consumed: write.count),
              "\(name): \(payload.debugDescription) wrapped as \(String(decoding: write, as: UTF8.self).debugDescription) reads as \(reader.read(write[...], complete: true))")
        sent.append(payload)
        writes += write
    }
    if descriptor.kind == .stream {
        let read = payloads(stream(prelude, writes, maxPiece: 16, using: &generator), reader: reader, maxPayloadSize: 1 << 20)
        check(!read.failed && read.payloads == sent, "\(name): a stream of \(sent) reads as \(read)")
    }

    // The bytes as a stream (after the prelude), at once and in pieces, with a limit of 64 bytes.
    let atOnce = payloads([(prelude + bytes)[...]], reader: reader, maxPayloadSize: 64)
    let inPieces = payloads(stream(prelude, bytes, maxPiece: 8, using: &generator), reader: reader, maxPayloadSize: 64)
    check(atOnce.failed == inPieces.failed, "\(name): at once failed=\(atOnce.failed), in pieces failed=\(inPieces.failed)")
    if !atOnce.failed {
        check(atOnce.payloads == inPieces.payloads, "\(name): at once \(atOnce.payloads), in pieces \(inPieces.payloads)")
    }
}
