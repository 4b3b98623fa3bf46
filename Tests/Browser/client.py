"""The browser client (`/socket.io/socket.io.js`) in headless Chromium, over every transport.

Runs the built `switchboard` binary (path in argv[1]) with `--app echo` and the test pages of
Tests/Browser/pages, and drives the system Chromium through Playwright. Exits non-zero on any
failure. Optional argv[2:]: only these transports. `CUT_SEED=<n>` replays the cut suites' random
cuts (the seed is printed); `CUT_LOG=info` shows their host's log.
"""
import asyncio
import collections
import json
import os
import random
import re
import sys
import time
import urllib.parse
import urllib.request

from playwright.async_api import async_playwright

from host import start_host

PAGES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "pages")
TRANSPORTS = ["websocket", "server-events", "htmlfile", "xhr-multipart", "xhr-polling", "jsonp-polling"]
GRACE_MS = 2000  # the host's `timeout`: the session's grace after its last connection closes
# A script tag cannot be aborted: a dropped jsonp poll stays held at the server until `duration`.
JSONP_DURATION_MS = 1000
STREAMS = ["websocket", "server-events", "htmlfile", "xhr-multipart"]
MESSAGES = [
    "hello",
    "a </script> b <script>alert(1)</script>",
    "line one\nline two\r\nline three\n",
    "emoji 😀 ünï€ ~m~3~m~abc",
    {"text": "</script>\n😀", "n": 1, "nested": {"list": [1, 2, "~j~"]}},
    "",
]


def start_echo_host(binary, *extra):
    return start_host(
        binary, "--log-level", "error", "--app", "echo", "--public", PAGES,
        "--option", f"timeout={GRACE_MS}", "--transport-option", f"jsonp-polling.duration={JSONP_DURATION_MS}", *extra)


async def wait_for(page, condition, timeout=6000, what=""):
    try:
        await page.wait_for_function(condition, timeout=timeout, polling=50)
    except Exception:
        raise AssertionError(f"timed out waiting for {what or condition}") from None


async def state(page, i):
    return await page.evaluate(f"state({i})")


def opened_connections(page, port, transport):
    """Every request of `transport` that opens a connection (GET, WebSocket), recorded as it goes."""
    urls = []
    prefix = f"{port}/socket.io/{transport}"
    page.on("request", lambda r: r.method == "GET" and prefix in r.url and urls.append(r.url))
    page.on("websocket", lambda ws: prefix in ws.url and urls.append(ws.url))
    return urls


def ack_counts(urls):
    """The `ack=<n>` of each URL (docs/protocol.md §11.1), None where it has none."""
    counts = []
    for url in urls:
        values = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query).get("ack", [])
        counts.append(int(values[0]) if len(values) == 1 and values[0].isdigit() else None)
    return counts


async def open_socket(page, options):
    i = await page.evaluate(f"openSocket({json.dumps(options)})")
    await wait_for(page, f"sockets[{i}].socket.connected", what=f"socket {i} to connect with {options}")
    return i


def check(condition, message):
    if not condition:
        raise AssertionError(message)


async def transport_suite(browser, port, transport, acknowledged=True):
    page = await browser.new_page()
    urls = opened_connections(page, port, transport)
    try:
        await page.goto(f"http://127.0.0.1:{port}/client.html")
        options = {"transports": [transport], "rememberTransport": False, "acknowledged": acknowledged}
        a = await open_socket(page, options)
        b = await open_socket(page, options)
        sa, sb = await state(page, a), await state(page, b)
        check(sa["type"] == transport, f"socket on {sa['type']}, not {transport}")
        check(re.fullmatch(r"[A-Za-z0-9_-]{20,}", sa["sid"] or ""), f"bad SID {sa['sid']!r}")
        check(sa["sid"] != sb["sid"], "two sockets share a SID")

        # Strings and JSON objects, one by one and as one batch, come back in order.
        for m in MESSAGES:
            await page.evaluate(f"sockets[{a}].socket.send({json.dumps(m)})")
        await page.evaluate(f"sockets[{a}].socket.send(['batch 1', 'batch 2 😀'])")
        expected = MESSAGES + ["batch 1", "batch 2 😀"]
        await wait_for(page, f"sockets[{a}].messages.length >= {len(expected)}", what="the echoes")
        got = (await state(page, a))["messages"]
        check(got == expected, f"echoes differ:\n got {got!r}\nwant {expected!r}")

        # A broadcast from the other socket reaches this one; the two never mix their echoes.
        await page.evaluate(f"sockets[{b}].socket.send('broadcast:to everyone </script> 😀\\n')")
        await page.evaluate(f"sockets[{b}].socket.send('only b')")
        await wait_for(page, f"sockets[{a}].messages.length >= {len(expected) + 1}", what="the broadcast")
        await wait_for(page, f"sockets[{b}].messages.length >= 1", what="b's echo")
        await asyncio.sleep(0.3)
        check((await state(page, a))["messages"][len(expected):] == ["to everyone </script> 😀\n"], "broadcast")
        check((await state(page, b))["messages"] == ["only b"], f"b got {(await state(page, b))['messages']!r}")

        # Resume: the connection drops; meanwhile 3 messages are sent to it; the client re-attaches
        # inside the grace with its SID and gets the 3 once, in order.
        sid = (await state(page, a))["sid"]
        before = len((await state(page, a))["messages"])
        await page.evaluate(f"sockets[{a}].socket.options.reconnectionDelay = 800; sockets[{a}].socket.transport.drop()")
        await asyncio.sleep(0.3)
        await page.evaluate(f"sockets[{b}].socket.send(['broadcast:r1', 'broadcast:r2', 'broadcast:r3'])")
        # Sent while disconnected: queued, and sent on the resumed connection.
        await page.evaluate(f"sockets[{a}].socket.send('q1'); sockets[{a}].socket.send({{q: 2}})")
        await wait_for(page, f"sockets[{a}].events.some(e => e.startsWith('reconnect {transport}'))", what="reconnect")
        await wait_for(page, f"sockets[{a}].messages.length >= {before + 5}", what="r1 r2 r3 q1 q2")
        await asyncio.sleep(0.3)
        sa = await state(page, a)
        check(sa["sid"] == sid, f"SID changed on resume: {sid} -> {sa['sid']}")
        check(sa["messages"][before:] == ["r1", "r2", "r3", "q1", {"q": 2}], f"resumed messages {sa['messages'][before:]!r}")
        check([e for e in sa["events"] if e.startswith("reconnect")] == ["reconnecting 800 1", f"reconnect {transport} 1"],
              f"events {sa['events']}")
        await page.evaluate(f"sockets[{a}].socket.send('after resume')")
        await wait_for(page, f"sockets[{a}].messages.includes('after resume')", what="echo after resume")

        # Server-side disconnect: the connection drops and the client stays away past the grace;
        # the server ends the session, and the client's `disconnect` fires.
        away = GRACE_MS + 1000 + (JSONP_DURATION_MS if transport == "jsonp-polling" else 0)
        await page.evaluate(f"sockets[{b}].socket.options.reconnectionDelay = {away}; sockets[{b}].socket.transport.drop()")
        await wait_for(page, f"sockets[{b}].events.includes('disconnect')", timeout=away + 3000, what="disconnect")
        sb = await state(page, b)
        check(not sb["connected"] and not any(e.startswith("reconnect ") for e in sb["events"]), f"b: {sb['events']}")
        # Acknowledged delivery asks on every connection it opens (§11.1); without it, none does.
        counts = ack_counts(urls)
        check(counts and all((n is not None) == acknowledged for n in counts), f"ack= on {urls}")
        mode = f"acknowledged (ack= on all {len(counts)} connections)" if acknowledged else "classic (no ack=)"
        return f"{transport}, {mode}: SID, {len(expected)} echoes, broadcast, resume (r1 r2 r3 + queued q1 q2, same SID), disconnect"
    finally:
        await page.close()


async def fallback_suite(browser, port, port_no_ws):
    results = []
    page = await browser.new_page()
    try:
        await page.goto(f"http://127.0.0.1:{port}/client.html")
        i = await open_socket(page, {"transports": ["flashsocket", "xhr-polling"], "rememberTransport": False})
        s = await state(page, i)
        check(s["type"] == "xhr-polling", f"ended on {s['type']}")
        results.append(f"['flashsocket', 'xhr-polling'] ends on xhr-polling (events {s['events']})")
    finally:
        await page.close()

    # connectTimeout: a transport that never answers is left for the next one after connectTimeout.
    page = await browser.new_page()
    try:
        await page.goto(f"http://127.0.0.1:{port}/client.html")
        await page.evaluate("addHangingTransport()")
        i = await open_socket(page, {"transports": ["hang", "xhr-polling"], "connectTimeout": 1000, "rememberTransport": False})
        s = await state(page, i)
        check(s["type"] == "xhr-polling" and 1000 <= s["connectedAfter"] < 2000, f"{s['type']} after {s['connectedAfter']} ms")
        check(s["events"] == ["connecting hang", "connecting xhr-polling", "connect"], f"events {s['events']}")
        results.append(f"a transport that never answers: on xhr-polling after {s['connectedAfter']} ms (connectTimeout 1000)")
        i = await page.evaluate("openSocket({transports: ['hang'], connectTimeout: 500, rememberTransport: false})")
        await wait_for(page, f"sockets[{i}].events.includes('connect_failed')", timeout=2000, what="connect_failed")
        i = await page.evaluate("openSocket({transports: ['hang', 'xhr-polling'], connectTimeout: 500, "
                                "tryTransportsOnConnectTimeout: false, rememberTransport: false})")
        await wait_for(page, f"sockets[{i}].events.includes('connect_failed')", timeout=2000, what="connect_failed")
        results.append("connect_failed when no transport is left, and with tryTransportsOnConnectTimeout false")
    finally:
        await page.close()

    # A host without websocket (the client itself comes from the first host, whose table has it).
    page = await browser.new_page()
    try:
        client = f"http://127.0.0.1:{port}/socket.io/socket.io.js"
        await page.goto(f"http://127.0.0.1:{port_no_ws}/client.html?client={client}")
        i = await open_socket(page, {"transports": ["websocket", "xhr-polling"], "connectTimeout": 3000,
                                     "rememberTransport": False})
        s = await state(page, i)
        check(s["type"] == "xhr-polling", f"ended on {s['type']}")
        check(s["events"][:2] == ["connecting websocket", "connecting xhr-polling"], f"events {s['events']}")
        check(s["connectedAfter"] < 3000, f"connected after {s['connectedAfter']} ms")
        results.append(f"websocket blocked at the server: on xhr-polling after {s['connectedAfter']} ms (< connectTimeout 3000)")

        # rememberTransport: the cookie puts the transport that worked first next time.
        i = await open_socket(page, {"transports": ["websocket", "xhr-polling"], "connectTimeout": 3000})
        j = await open_socket(page, {"transports": ["websocket", "xhr-polling"], "connectTimeout": 3000})
        s = await state(page, j)
        check(s["events"][0] == "connecting xhr-polling", f"remembered: {s['events']}")
        results.append("rememberTransport: the next socket tries xhr-polling first")
    finally:
        await page.close()
    return results


async def heartbeat_suite(browser, port):
    """On a host that beats every 300 ms and waits 1500 ms for the echo (a missing echo closes the connection after 1.8 s), every persistent
    transport stays up: the client echoes each `~h~<n>` at once."""
    page = await browser.new_page()
    try:
        await page.goto(f"http://127.0.0.1:{port}/client.html")
        ids = {}
        for t in STREAMS:
            ids[t] = await open_socket(page, {"transports": [t], "rememberTransport": False})
        await asyncio.sleep(2.5)
        for t, i in ids.items():
            await page.evaluate(f"sockets[{i}].socket.send('still here')")
            await wait_for(page, f"sockets[{i}].messages.includes('still here')", what=f"{t} echo after heartbeats")
            s = await state(page, i)
            check(s["events"] == [f"connecting {t}", "connect"] and s["connected"], f"{t}: {s['events']}")
        return f"heartbeats every 300 ms (1500 ms to answer) for 2.5 s: {', '.join(STREAMS)} stay connected"
    finally:
        await page.close()


async def two_sockets_suite(browser, port, transport):
    page = await browser.new_page()
    try:
        await page.goto(f"http://127.0.0.1:{port}/client.html")
        options = {"transports": [transport], "rememberTransport": False}
        a, b = await open_socket(page, options), await open_socket(page, options)
        for n in range(5):
            await page.evaluate(f"sockets[{a}].socket.send('a{n}'); sockets[{b}].socket.send('b{n}')")
        await wait_for(page, f"sockets[{a}].messages.length >= 5 && sockets[{b}].messages.length >= 5")
        await asyncio.sleep(0.3)
        ma, mb = (await state(page, a))["messages"], (await state(page, b))["messages"]
        check(ma == [f"a{n}" for n in range(5)] and mb == [f"b{n}" for n in range(5)], f"mixed: {ma} {mb}")
        return f"two {transport} sockets on one page keep their messages apart"
    finally:
        await page.close()


class Link:
    """One proxied TCP connection: Chromium's side and the host's."""

    def __init__(self, *writers):
        self.writers, self.request, self.doomed, self.cut = writers, "", False, False

    def close(self, abort=False):
        self.cut = True
        for writer in self.writers:
            writer.transport.abort() if abort else writer.close()


class CuttingProxy:
    """A TCP proxy between Chromium and a host that cuts connections when told: at once (aborted
    both ways), or in the middle of the next chunk that crosses it either way (a random prefix of
    the chunk goes through, then both sides are closed)."""

    def __init__(self, target):
        self.target, self.links, self.cuts = target, [], collections.Counter()

    async def start(self):
        self.server = await asyncio.start_server(self.accept, "127.0.0.1", 0)
        return self.server.sockets[0].getsockname()[1]

    async def accept(self, reader, writer):
        try:
            host_reader, host_writer = await asyncio.open_connection("127.0.0.1", self.target)
        except OSError:
            writer.close()
            return
        link = Link(writer, host_writer)
        self.links.append(link)
        try:
            await asyncio.gather(self.pipe(reader, host_writer, link, True), self.pipe(host_reader, writer, link, False))
        finally:
            self.links.remove(link)

    async def pipe(self, reader, writer, link, upstream):
        try:
            while not link.cut:
                data = await reader.read(65536)
                if not data or link.cut:
                    break
                if upstream and data.split(b" ", 1)[0] in (b"GET", b"POST", b"HEAD", b"OPTIONS"):
                    link.request = data.split(b"\r\n", 1)[0].decode("latin-1")
                if link.doomed:
                    writer.write(data[:random.randrange(len(data))])
                    await writer.drain()
                    self.cuts["mid-chunk " + ("up" if upstream else "down")] += 1
                    break
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            if not link.cut:
                link.close()

    def cut(self, mid_chunk):
        """Cuts one connection of the client (not the page's own files), picked at random."""
        live = [link for link in self.links if "/socket.io/" in link.request and not link.cut and not link.doomed]
        if not live:
            return
        link = random.choice(live)
        if not mid_chunk:
            self.cuts["abort"] += 1
            return link.close(abort=True)
        link.doomed = True

        def idle():  # nothing crossed it meanwhile (a held poll, a quiet socket): cut it anyway
            if not link.cut:
                self.cuts["abort"] += 1
                link.close(abort=True)
        asyncio.get_running_loop().call_later(0.3, idle)


CUT_CLIENT_MESSAGES, CUT_SERVER_MESSAGES, CUT_WINDOW = 120, 80, 2.6


def order_report(got, prefix, count):
    """Lost, duplicated and reordered among the messages `<prefix><n>` of `got`."""
    numbers = [int(m[len(prefix):]) for m in got if isinstance(m, str) and m.startswith(prefix)]
    lost = len(set(range(1, count + 1)) - set(numbers))
    duplicated = len(numbers) - len(set(numbers))
    reordered = sum(1 for x, y in zip(numbers, numbers[1:]) if y < x)
    return numbers == list(range(1, count + 1)), lost, duplicated, reordered


async def cut_suite(browser, host_port, transport, seed):
    """Acknowledged delivery under cuts (docs/protocol.md §11): the page sends c1..cN to the echo,
    the server pushes s1..sM (broadcasts of a second socket that reaches the host directly), and
    the connections of the socket under test go through a proxy that cuts them at random moments,
    while the test also drops its transport from the page. Every echo and every push must arrive
    exactly once, in order, in one session."""
    random.seed(f"{seed}-{transport}")
    proxy = CuttingProxy(host_port)
    port = await proxy.start()
    page = await browser.new_page()
    urls = opened_connections(page, port, transport)
    try:
        await page.goto(f"http://127.0.0.1:{port}/client.html")
        a = await open_socket(page, {"transports": [transport], "rememberTransport": False,
                                     "reconnectionDelay": 100, "maxReconnectionAttempts": 20})
        b = await open_socket(page, {"transports": ["websocket"], "port": host_port, "rememberTransport": False})
        sid = (await state(page, a))["sid"]
        await page.evaluate(f"sendNumbered({a}, 'c', {CUT_CLIENT_MESSAGES}, 20); sendNumbered({b}, 'broadcast:s', {CUT_SERVER_MESSAGES}, 30)")
        drops, until = 0, time.monotonic() + CUT_WINDOW
        while time.monotonic() < until:
            await asyncio.sleep(random.uniform(0.1, 0.35))
            kind = random.choice(["drop", "abort", "mid-chunk"])
            if kind == "drop":
                drops += await page.evaluate(f"sockets[{a}].socket.connected && (sockets[{a}].socket.transport.drop(), 1) || 0")
            else:
                proxy.cut(mid_chunk=kind == "mid-chunk")
        total = CUT_CLIENT_MESSAGES + CUT_SERVER_MESSAGES
        try:
            await wait_for(page, f"sockets[{a}].messages.length >= {total} && sockets[{a}].socket.out.length == 0",
                           timeout=20000, what="every message")
        except AssertionError:
            pass  # the figures below say what is missing
        await asyncio.sleep(0.5)  # anything that would arrive twice
        s = await state(page, a)
        echoes, pushes = order_report(s["messages"], "c", CUT_CLIENT_MESSAGES), order_report(s["messages"], "s", CUT_SERVER_MESSAGES)
        cuts = sum(proxy.cuts.values()) + drops
        resumes = sum(1 for e in s["events"] if e.startswith("reconnect "))
        counts = ack_counts(urls)
        figures = (f"{transport}: {CUT_CLIENT_MESSAGES} client + {CUT_SERVER_MESSAGES} server messages, {cuts} cuts "
                   f"({drops} drop(), {', '.join(f'{n} {k}' for k, n in sorted(proxy.cuts.items()))}), {resumes} resumes, "
                   f"{len(counts)} connections ({sum(1 for n in counts if n)} with ack > 0); "
                   f"echoes lost/duplicated/reordered {echoes[1]}/{echoes[2]}/{echoes[3]}, "
                   f"pushes {pushes[1]}/{pushes[2]}/{pushes[3]}")
        check(echoes[0] and pushes[0] and len(s["messages"]) == total,
              f"{figures} (seed {seed})\n  got {s['messages']!r}\n  events {s['events']}, connected {s['connected']}, "
              f"received {s['received']}, acknowledged {s['acked']} + {s['unacknowledged']} waiting")
        check(s["sid"] == sid and s["connected"], f"{figures}: one session ({sid} -> {s['sid']}), events {s['events']}")
        check(cuts >= 5 and resumes >= 1, f"too few cuts: {figures}")
        check(all(n is not None for n in counts), f"a connection without ack=: {urls}")
        return figures
    finally:
        await page.close()
        proxy.server.close()
        for link in list(proxy.links):
            link.close(abort=True)


def check_served(port):
    url = f"http://127.0.0.1:{port}/socket.io/socket.io.js"
    with urllib.request.urlopen(url) as response:
        body = response.read()
        etag = response.headers["ETag"]
        check(response.headers["Content-Type"] == "text/javascript; charset=UTF-8", response.headers["Content-Type"])
        check(re.fullmatch(r'"[^"]+"', etag or ""), f"ETag {etag!r}")
        check(body.startswith(b"(self.io = self.io || {}).Transport = {"), body[:80])
    request = urllib.request.Request(url, headers={"If-None-Match": etag})
    try:
        urllib.request.urlopen(request)
        raise AssertionError("no 304")
    except urllib.error.HTTPError as error:
        check(error.code == 304, f"status {error.code}")
    return f"GET /socket.io/socket.io.js: text/javascript, ETag {etag}, 304 on If-None-Match ({len(body)} bytes)"


async def run(binary, only):
    host, port = start_echo_host(binary)
    no_ws, port_no_ws = start_echo_host(binary, "--transports", "server-events,htmlfile,xhr-multipart,xhr-polling,jsonp-polling")
    beats = [arg for t in STREAMS for arg in
             ["--transport-option", f"{t}.heartbeatInterval=300", "--transport-option", f"{t}.timeout=1500"]]
    beat, port_beat = start_echo_host(binary, *beats)
    # The cut suites' host, with the default timers but a grace that outlasts any gap between cuts.
    cut, port_cut = start_host(binary, "--log-level", os.environ.get("CUT_LOG", "error"), "--app", "echo", "--public", PAGES, "--option", "timeout=5000")
    seed = int(os.environ.get("CUT_SEED") or random.randrange(1 << 30))
    failures = 0
    try:
        print(check_served(port))
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
            try:
                suites = [(f"transport {t}", transport_suite(browser, port, t)) for t in (only or TRANSPORTS)]
                suites += [(f"cuts {t}", cut_suite(browser, port_cut, t, seed)) for t in (only or TRANSPORTS)]
                if not only:
                    suites += [(f"classic {t}", transport_suite(browser, port, t, acknowledged=False))
                               for t in ["websocket", "xhr-polling"]]
                    suites += [("fallback", fallback_suite(browser, port, port_no_ws))]
                    suites += [("heartbeats", heartbeat_suite(browser, port_beat))]
                    suites += [(f"two sockets {t}", two_sockets_suite(browser, port, t)) for t in ["htmlfile", "jsonp-polling"]]
                for name, suite in suites:
                    started = time.monotonic()
                    try:
                        result = await suite
                        for line in result if isinstance(result, list) else [result]:
                            print(f"ok   {line}  ({time.monotonic() - started:.1f} s)")
                    except Exception as error:
                        failures += 1
                        print(f"FAIL {name}: {error}")
            finally:
                await browser.close()
    finally:
        for process in (host, no_ws, beat, cut):
            process.terminate()
            process.wait()
    if failures:
        sys.exit(f"browser client: {failures} suite(s) failed")
    print(f"browser client: every suite passed (cut seed {seed})")


if __name__ == "__main__":
    asyncio.run(run(sys.argv[1], sys.argv[2:]))
