"""The chat demo in a real browser: two tabs, one over websocket and one over xhr-polling.

Runs the built `switchboard` binary (path in argv[1]) on a free port and drives headless
Chromium (the system's, through Playwright). Exits non-zero on any failure.
"""
import asyncio
import sys

from playwright.async_api import async_playwright

from host import start_host

CONNECTED = "document.getElementById('status').textContent.startsWith('connected')"


async def chat(port, screenshot):
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        try:
            ada, bob = await browser.new_page(), await browser.new_page()
            await ada.goto(f"http://127.0.0.1:{port}/?transport=websocket")
            await bob.goto(f"http://127.0.0.1:{port}/?transport=xhr-polling")
            for page, name in [(ada, "ada"), (bob, "bob")]:
                await page.wait_for_function(CONNECTED, timeout=5000)
                await page.fill("#nickname", name)
                await page.click("#join button")
            await ada.wait_for_function("document.getElementById('users').textContent == 'adabob'", timeout=5000)

            await ada.fill("#text", "hello bob </script> \"quoted\" 😀")
            await ada.click("#say button")
            await bob.wait_for_function(
                "document.getElementById('messages').textContent.includes('hello bob </script> \"quoted\" 😀')",
                timeout=5000)
            await bob.fill("#text", "hi ada")
            await bob.click("#say button")
            await ada.wait_for_function("document.getElementById('messages').textContent.includes('hi ada')",
                                        timeout=5000)
            # Channels: ada moves to #random; bob's words in #general no longer reach her.
            await ada.click("#channel-random")
            await ada.wait_for_function("document.getElementById('users').textContent == 'ada'", timeout=5000)
            await bob.wait_for_function("document.getElementById('users').textContent == 'bob'", timeout=5000)
            await bob.fill("#text", "only in general")
            await bob.click("#say button")
            await bob.wait_for_function("document.getElementById('messages').textContent.includes('only in general')", timeout=5000)
            await bob.click("#channel-random")
            await ada.wait_for_function("document.getElementById('users').textContent == 'adabob'", timeout=5000)
            await bob.wait_for_function("document.getElementById('users').textContent == 'adabob'", timeout=5000)
            await ada.fill("#text", "welcome to random")
            await ada.click("#say button")
            await bob.wait_for_function("document.getElementById('messages').textContent.includes('welcome to random')", timeout=5000)
            assert "only in general" not in await ada.text_content("#messages"), "a message of another channel"
            assert "websocket" in await ada.text_content("#status")
            assert "xhr-polling" in await bob.text_content("#status")
            if screenshot:
                await ada.set_viewport_size({"width": 900, "height": 420})
                await ada.screenshot(path=screenshot)
        finally:
            await browser.close()


def main():
    binary = sys.argv[1]
    screenshot = sys.argv[2] if len(sys.argv) > 2 else None
    process, port = start_host(binary, "--log-level", "warning")
    try:
        asyncio.run(chat(port, screenshot))
    finally:
        process.terminate()
        process.wait()
    print("browser chat demo: websocket and xhr-polling tabs exchanged messages")


if __name__ == "__main__":
    main()
