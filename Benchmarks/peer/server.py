"""The peer of the benchmarks: python-socketio 5 on aiohttp (asyncio, uvloop when installed),
with the same application as `switchboard --app echo`: each message goes back to its sender,
and `broadcast:<text>` goes to every other client as `<text>`.

    python server.py --port 18081

Prints `ready <port>` on stdout once it listens.
"""
import argparse
import asyncio
import logging
import sys

import socketio
from aiohttp import web


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--no-uvloop", action="store_true", help="use asyncio's own event loop")
    args = parser.parse_args()

    loop_name = "asyncio"
    if not args.no_uvloop:
        try:
            import uvloop

            uvloop.install()
            loop_name = "uvloop"
        except ImportError:
            pass

    logging.basicConfig(level=logging.WARNING)
    sio = socketio.AsyncServer(
        async_mode="aiohttp",
        cors_allowed_origins="*",
        logger=False,
        engineio_logger=False,
        max_http_buffer_size=1_000_000,
    )

    @sio.on("message")
    async def message(sid, data):
        if isinstance(data, str) and data.startswith("broadcast:"):
            await sio.send(data[len("broadcast:"):], skip_sid=sid)
        else:
            await sio.send(data, to=sid)

    app = web.Application()
    sio.attach(app)

    async def start():
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, args.host, args.port, backlog=4096, reuse_address=True)
        await site.start()
        print(f"ready {args.port} {loop_name}", flush=True)
        await asyncio.Event().wait()

    try:
        asyncio.run(start())
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
