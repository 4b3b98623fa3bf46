"""The live status page (`--status`) in headless Chromium: its numbers move while a load runs.

Runs the built `switchboard` binary (path in argv[1]) with `--app echo --status` and the test
pages of Tests/Browser/pages; one tab shows `/socket.io/status` (fed over Switchboard itself),
another opens WebSocket and xhr-polling sessions that send messages. argv[2], when given, is where
to save a screenshot of the page (the README's). Exits non-zero on any failure.
"""
import asyncio
import os
import sys

from playwright.async_api import async_playwright

from host import start_host

PAGES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "pages")


def number(text):
    return int(text) if text.strip().isdigit() else -1


async def run(binary, screenshot):
    host, port = start_host(binary, "--log-level", "error", "--app", "echo", "--status", "--public", PAGES)
    try:
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
            try:
                status = await browser.new_page(viewport={"width": 900, "height": 560})
                await status.goto(f"http://127.0.0.1:{port}/socket.io/status")
                await status.wait_for_function("/^[0-9]+$/.test(document.getElementById('received').textContent)", timeout=8000)
                before = number(await status.text_content("#received"))

                load = await browser.new_page()
                await load.goto(f"http://127.0.0.1:{port}/client.html")
                for transport in ["websocket", "websocket", "xhr-polling"]:
                    i = await load.evaluate(f"openSocket({{transports: ['{transport}'], rememberTransport: false}})")
                    await load.wait_for_function(f"sockets[{i}].socket.connected", timeout=5000)
                    await load.evaluate(f"setInterval(() => sockets[{i}].socket.send('load ' + Date.now()), 25)")
                # The numbers move: sessions by transport, messages received, a rate above zero.
                await status.wait_for_function(
                    "Number(document.getElementById('received').textContent) > 100 && "
                    "Number(document.getElementById('rate').textContent) > 0 && "
                    "document.getElementById('sessions').textContent.includes('websocket2') && "
                    "document.getElementById('sessions').textContent.includes('xhr-polling1')", timeout=15000)
                after = number(await status.text_content("#received"))
                rate = await status.text_content("#rate")
                assert after > before, f"received {before} -> {after}"
                points = 8 if screenshot else 3  # a longer chart for the README's picture
                await status.wait_for_function(
                    f"document.getElementById('line').getAttribute('points').split(' ').length >= {points}", timeout=15000)
                if screenshot:
                    await status.screenshot(path=screenshot)
                print(f"status page: sessions websocket 2, xhr-polling 1; received {before} -> {after}; {rate} messages/s")
            finally:
                await browser.close()
    finally:
        host.terminate()
        host.wait()


if __name__ == "__main__":
    asyncio.run(run(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else None))
