// The `envelope` codec (docs/protocol.md §2.2) on hostile payloads, both directions: the server
// reading a client's JSON array, the client reading the server's `{"messages":[...]}`.
//
// Checks: a payload decodes whole or not at all (no heartbeats, no partial arrays); decoded
// messages encode to a payload that decodes to the same messages, both ways; messages made from
// the input survive encode → decode; the handshake frame gives back its session id.
import FuzzCodecSupport
import FuzzSupport
import SwitchboardCore

fuzzMain { bytes in
    let text = String(decoding: bytes, as: UTF8.self)
    let codec = EnvelopeCodec()

    for (decoded, side) in [(codec.decode(text), "server"), (codec.decodeServerPayload(text), "client")] {
        check(decoded.problem == nil || decoded.frames.isEmpty, "\(side): frames kept from a payload that does not decode")
        check(decoded.frames.allSatisfy { message($0) != nil }, "\(side): a heartbeat from the envelope codec")
        check(decoded.warnings.count <= decoded.frames.count, "\(side): more warnings than messages")
        guard decoded.problem == nil else { continue }
        let messages = decoded.frames.compactMap(message)
        let frames = messages.map(codec.frame)
        let server = codec.decode(codec.clientPayload(frames))
        let client = codec.decodeServerPayload(codec.payload(frames))
        for (again, name) in [(server, "server"), (client, "client")] {
            check(again.problem == nil && again.warnings.isEmpty, "\(side) → \(name): re-encoded messages do not decode cleanly")
            check(sameFrames(again.frames, decoded.frames), "\(side) → \(name): \(again.frames) instead of \(decoded.frames)")
        }
    }

    // Messages made from the input, sent both ways.
    let sent = messages(from: text, jsonThrough: FramedCodec())
    let frames = sent.map(codec.frame)
    for decoded in [codec.decode(codec.clientPayload(frames)), codec.decodeServerPayload(codec.payload(frames))] {
        check(decoded.problem == nil && decoded.warnings.isEmpty, "messages from the input do not decode cleanly")
        check(sameFrames(decoded.frames, sent.map { .message($0) }), "sent \(sent), received \(decoded.frames)")
    }

    // The handshake: the first message of the first write is `{"sessionid":"<SID>"}` as a string.
    let sessionId = String(text.prefix(64))
    let handshake = codec.decodeServerPayload(codec.payload([codec.handshakeFrame(sessionId: sessionId)] + frames))
    check(handshake.problem == nil && handshake.frames.count == frames.count + 1, "the handshake write does not decode")
    if case .message(.text(let first))? = handshake.frames.first {
        check(EnvelopeCodec.sessionId(inHandshake: first) == (sessionId.isEmpty ? nil : sessionId),
              "the handshake gives back \(EnvelopeCodec.sessionId(inHandshake: first) ?? "nil"), not \(sessionId)")
    } else {
        check(false, "the handshake is not a text message")
    }
}
