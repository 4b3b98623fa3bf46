#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets (Fuzz/Corpus/<target>/), drawn from the exact
examples of docs/protocol.md and the tests. Run it again after changing a seed here; scripts/fuzz
never writes to these folders (it copies them to a working corpus)."""
import os
import shutil

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SID = "Zx8f0HpLnC2dRbYkT3qWsA"


def write(target, name, data):
    folder = os.path.join(HERE, target)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode("utf-8"))


for target in os.listdir(HERE):
    if os.path.isdir(os.path.join(HERE, target)):
        shutil.rmtree(os.path.join(HERE, target))

# framed (§2.1)
for name, payload in [
    ("handshake", "~m~22~m~" + SID),
    ("hello", "~m~5~m~hello"),
    ("two", "~m~5~m~abcde~m~9~m~123456789"),
    ("empty-message", "~m~0~m~"),
    ("json", '~m~10~m~~j~{"b":2}'),
    ("heartbeat-1", "~m~4~m~~h~1"),
    ("heartbeat-10", "~m~5~m~~h~10"),
    ("utf16-units", "~m~6~m~ünï€😀"),
    ("surrogate-pair-then-a", "~m~2~m~😀~m~1~m~a"),
    ("echo-and-message", "~m~4~m~~h~1~m~2~m~hi"),
    ("not-framed", "hello"),
    ("trailing-garbage", "~m~5~m~abcdegarbage"),
    ("past-end", "~m~5~m~abcde~m~9~m~1234"),
    ("no-digits", "~m~x~m~a"),
    ("splits-surrogate-pair", "~m~1~m~😀"),
    ("bad-json", "~m~5~m~~j~{x~m~1~m~a"),
    ("leading-zeros", "~m~005~m~hello"),
    ("script", "~m~34~m~</script><script>alert(1)</script>"),
    ("signed-heartbeat", "~m~5~m~~h~-0"),
    ("acknowledged", "~m~4~m~~a~1~m~4~m~~b~0~m~5~m~hello~m~5~m~world"),
    ("acknowledged-gap", "~m~4~m~~b~0~m~1~m~a~m~4~m~~b~5~m~1~m~z"),
]:
    write("framed-codec", name, payload)

# envelope (§2.2)
for name, payload in [
    ("server-handshake", '{"messages":["{\\"sessionid\\":\\"' + SID + '\\"}"]}'),
    ("server-empty", '{"messages":[]}'),
    ("server-two", '{"messages":["a",{"b":1}]}'),
    ("client-two", '["a",{"b":1}]'),
    ("client-other-values", '[1,true,null,["x"],2.5,"ünï€😀"]'),
    ("client-empty", "[]"),
    ("not-json", "nope"),
    ("nested", '[{"a":{"b":[1,{"c":"\\u2028"}]},"z":-0.0}]'),
]:
    write("envelope-codec", name, payload)

# form bodies (§3)
for name, body in [
    ("euro", "data=~m~5~m~a+b+%E2%82%AC"),
    ("plus", "data=a+b%2Bc"),
    ("empty", "data="),
    ("other-fields", "x=1&data=%7Em%7E1%7Em%7Ea&data=second"),
    ("no-data", "x=1&y=2"),
    ("broken-escape", "data=%E2%82"),
    ("not-hex", "data=%ZZ"),
    ("not-utf8", "data=%FF"),
    ("textarea-crlf", "data=~m~3~m~a%0D%0Ab"),
]:
    write("form-body", name, body)

# routes (§3, §6, §7, §9.5, §9.7): a request head, then the router's setting
for name, text in [
    ("new-poll", "GET /socket.io/xhr-polling//1795716587721 HTTP/1.1\nHost: localhost\n"),
    ("jsonp-new", "GET /socket.io/jsonp-polling//1795716587721/0 HTTP/1.1\n"),
    ("jsonp-bad-index", "GET /socket.io/jsonp-polling/known/1/1;alert(1) HTTP/1.1\n"),
    ("post", "POST /socket.io/xhr-polling/known/send HTTP/1.1\nContent-Length: 20\n"),
    ("post-too-large", "POST /socket.io/xhr-polling/known/send HTTP/1.1\nContent-Length: 2000\n\nmaxHttpBufferSize: 1000\n"),
    ("post-unknown", "POST /socket.io/htmlfile/nobody/send HTTP/1.1\n"),
    ("post-upgrade-transport", "POST /socket.io/websocket/known HTTP/1.1\n"),
    ("head-probe", "HEAD /socket.io/websocket/known HTTP/1.1\n"),
    ("preflight", "OPTIONS /socket.io/xhr-polling HTTP/1.1\nOrigin: http://good.example\nAccess-Control-Request-Headers: content-type\n\norigins: good.example:*\n"),
    ("origin-refused", "GET /socket.io/xhr-polling HTTP/1.1\nOrigin: http://evil.example\n\norigins: good.example:*\n"),
    ("rfc6455", "GET /socket.io/websocket HTTP/1.1\nUpgrade: websocket\nConnection: Upgrade\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\nSec-WebSocket-Version: 13\n"),
    ("hixie76", "GET /socket.io/flashsocket/known HTTP/1.1\nUpgrade: WebSocket\nConnection: Upgrade\nSec-WebSocket-Key1: 4 @1  46546xW%0l 1 5\nSec-WebSocket-Key2: 12998 5 Y3 1  .P00\n"),
    ("websocket-without-upgrade", "GET /socket.io/websocket HTTP/1.1\n"),
    ("foreign-upgrade", "GET /chat HTTP/1.1\nUpgrade: IRC\nConnection: Upgrade\n"),
    ("browser-client", "GET /socket.io/socket.io.js?v=1 HTTP/1.1\n"),
    ("put", "PUT /socket.io/xhr-polling/known HTTP/1.1\n"),
    ("last-event-id", "GET /socket.io/server-events HTTP/1.1\nLast-Event-ID: known.3\n"),
    ("full", "GET /socket.io/htmlfile HTTP/1.1\n\nmaxSessions: 1\nsessions: 1\n"),
    ("not-enabled", "GET /socket.io/websocket HTTP/1.1\n\ntransports: xhr-polling\n"),
    ("other-resource", "GET /chat/xhr-multipart/known?t=1#x HTTP/1.1\n\nresource: chat\nknown: known, other\n"),
]:
    write("route", name, text)

# hixie-76 (§9.7): a byte picking maxFrameSize ("~" = 126 → 32 bytes; 0xFF → 1 MiB), 8 key bytes, frames
key3 = b"^n:ds[4U"
write("hixie76", "handshake-and-close", b"\xff" + key3 + b"\x00~m~22~m~" + SID.encode() + b"\xff" + b"\xff\x00")
write("hixie76", "two-frames", b"\xff" + key3 + b"\x00~m~5~m~hello\xff\x00\xff")
write("hixie76", "too-large", b"~" + key3 + b"\x00" + b"~m~40~m~" + b"x" * 40 + b"\xff")
write("hixie76", "length-prefixed", b"\xff" + key3 + b"\x80\x05hello")
write("hixie76", "not-utf8", b"\xff" + key3 + b"\x00\xc3\x28\xed\xa0\x80\xff")
write("hixie76", "key1", b"\xff" + b"4 @1  46546xW%0l 1 5")
write("hixie76", "key2", b"\xff" + b"12998 5 Y3 1  .P00")


# RFC 6455 client frames (§6.1, §9.3): masked, as a browser sends them
def ws(opcode, payload, fin=True, mask=b"\x37\xfa\x21\x3d", rsv=0):
    head = bytes([(0x80 if fin else 0) | rsv << 4 | opcode])
    n = len(payload)
    if n < 126:
        head += bytes([0x80 | n])
    elif n < 65536:
        head += bytes([0x80 | 126]) + n.to_bytes(2, "big")
    else:
        head += bytes([0x80 | 127]) + n.to_bytes(8, "big")
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


write("websocket", "two-messages", ws(1, b"~m~5~m~hello~m~2~m~yo"))
write("websocket", "heartbeat-echo", ws(1, b"~m~4~m~~h~1") + ws(1, b"~m~2~m~hi"))
write("websocket", "json", ws(1, b'~m~10~m~~j~{"b":2}'))
write("websocket", "ping", ws(9, b"are you there") + ws(1, b"~m~1~m~a"))
write("websocket", "pong", ws(10, b"") + ws(1, b"~m~1~m~a"))
write("websocket", "close-going-away", ws(8, b"\x03\xe9"))
write("websocket", "close-without-code", ws(8, b""))
write("websocket", "fragmented", ws(1, b"~m~5~m~he", fin=False) + ws(9, b"!") + ws(0, b"llo"))
write("websocket", "binary", ws(2, b"\x00\x01") + ws(1, b"~m~1~m~a"))
write("websocket", "long-frame", ws(1, b"~m~200~m~" + b"x" * 200))
write("websocket", "too-large", ws(1, b"~m~300~m~" + b"x" * 300))
write("websocket", "continuation-without-start", ws(0, b"x"))
write("websocket", "long-ping", ws(9, b"p" * 126))
write("websocket", "not-utf8", ws(1, b"~m~3~m~a\xffb"))
write("websocket", "unmasked", bytes([0x81, 0x07]) + b"~m~1~m~a")
write("websocket", "bad-payload", ws(1, b"~m~5~m~abcde~m~9~m~1234"))
write("websocket", "text-after-close", ws(8, b"\x03\xe9") + ws(1, b"~m~1~m~a") + ws(9, b"hi"))
write("websocket", "reserved-opcode", ws(3, b"") + ws(1, b"~m~1~m~a"))
write("websocket", "bad-close-code", ws(8, b"\x03\xed"))

# wrapped payloads (§6.3-§6.7, §9.1): a digit picking the transport (SpecTransports.all, by
# order: 0 websocket, 1 server-events, 2 flashsocket, 3 htmlfile, 4 xhr-multipart,
# 5 xhr-polling, 6 jsonp-polling, 7 xhr-streaming), then what the server wrote
for name, data in [
    ("server-events-handshake", "1id: " + SID + ".1\ndata: \"~m~22~m~" + SID + "\"\n\n"),
    ("server-events-lines", "1id: " + SID + ".2\ndata: \"~m~3~m~a\\nb\"\n\n"),
    ("htmlfile-handshake", "3<script>parent.s._(\"~m~22~m~" + SID + "\", document);</script>"),
    ("htmlfile-script", "3<script>parent.s._(\"~m~34~m~\\u003c/script>\\u003cscript>alert(1)\\u003c/script>\", document);</script>"),
    ("xhr-multipart", "4Content-Type: text/plain\n\n~m~2~m~hi\n--socketio\n"),
    ("xhr-polling", "5~m~22~m~" + SID),
    ("jsonp-handshake", "6io.JSONP[0]._(\"~m~22~m~" + SID + "\");"),
    ("jsonp-empty", "6io.JSONP[3]._(\"\");"),
    ("xhr-streaming", "7\"~m~19~m~two\\nlines \\u003c/script>\"\n\"~m~2~m~hi\"\n"),
    ("websocket", "0~m~5~m~hello"),
]:
    write("wrapped-payload", name, data)

# specs: every spec of Specs/ and of the golden fixtures, and broken ones from ErrorTests
for base in ["Specs", "Tests/SwitchboardSpecTests/Fixtures/golden/Specs"]:
    for folder, _, files in os.walk(os.path.join(ROOT, base)):
        for file in sorted(files):
            if file.endswith(".yaml"):
                prefix = "golden-" if "golden" in base else ""
                with open(os.path.join(folder, file), "rb") as f:
                    write("spec-loader", prefix + file, f.read())
poll = """transport: xhr-polling
module: SwitchboardXHRPolling
kind: poll
order: 6
summary: Long polling.
description: Long polling.
url: "/{resource}/xhr-polling[/{sid}][/{timestamp}]"
contentType: "text/plain; charset=UTF-8"
options:
  duration: 20000
"""
write("spec-loader", "error-indented", "component: Demo\nmodule: Core\n  description: indented too far\n")
write("spec-loader", "error-duplicate-key", poll.replace("order: 6\n", "order: 6\norder: 7\n"))
write("spec-loader", "error-unknown-key", poll.replace("order: 6\n", "order: 6\ncolour: blue\n"))
write("spec-loader", "error-wrong-type", poll.replace("order: 6\n", "order: 6\npadTo: \"x\"\n"))
write("spec-loader", "error-default", "component: Demo\nmodule: Core\ndescription: A demo.\noptions:\n  count:\n    type: int\n    default: abc\n    description: A count.\n")
write("spec-loader", "error-anchors", "transport: &a x\nmodule: *a\nkind: [poll, *a]\n? {a: 1}\n: !!binary AA==\n")
