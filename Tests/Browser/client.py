"""The browser client (`/socket.io/socket.io.js`) in headless Chromium, over every transport.

Runs the built `switchboard` binary (path in argv[1]) with `--app echo` and the test pages of
Tests/Browser/pages, and drives the system Chromium through Playwright. Exits non-zero on any
failure. Optional argv[2:]: only these transports.
"""
import asyncio
import json
import os
import re
import sys
import time
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


async def open_socket(page, options):
    i = await page.evaluate(f"openSocket({json.dumps(options)})")
    await wait_for(page, f"sockets[{i}].socket.connected", what=f"socket {i} to connect with {options}")
    return i


def check(condition, message):
    if not condition:
        raise AssertionError(message)


async def transport_suite(browser, port, transport):
    page = await browser.new_page()
    try:
        await page.goto(f"http://127.0.0.1:{port}/client.html")
        options = {"transports": [transport], "rememberTransport": False}
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
        return f"{transport}: SID, {len(expected)} echoes, broadcast, resume (r1 r2 r3 + queued q1 q2, same SID), disconnect"
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
    failures = 0
    try:
        print(check_served(port))
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
            try:
                suites = [(f"transport {t}", transport_suite(browser, port, t)) for t in (only or TRANSPORTS)]
                if not only:
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
        for process in (host, no_ws, beat):
            process.terminate()
            process.wait()
    if failures:
        sys.exit(f"browser client: {failures} suite(s) failed")
    print("browser client: every suite passed")


if __name__ == "__main__":
    asyncio.run(run(sys.argv[1], sys.argv[2:]))
