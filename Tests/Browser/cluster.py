"""The browser client through nginx's round robin over three clustered nodes (docs/cluster.md).

Starts a throwaway PostgreSQL (as the `postgres` user when run as root), three `switchboard`
nodes (path of the binary in argv[1]) with `--cluster`, and nginx with the configuration of
docs/cluster.md in front of them; then runs the browser client's transport suite (echoes, a
broadcast, a resume within the grace, a disconnect) in headless Chromium through nginx, where
consecutive requests of one session land on different nodes. Optional argv[2:]: only these
transports. Exits non-zero on any failure.
"""
import asyncio
import glob
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

from playwright.async_api import async_playwright

from chat_demo import chat
from client import start_echo_host, transport_suite
from host import start_host

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TRANSPORTS = ["websocket", "xhr-polling", "jsonp-polling", "htmlfile"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port, what, seconds=10):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    sys.exit(f"{what} did not start on port {port}")


def as_postgres(command):
    """The command run as the `postgres` user when this is root (PostgreSQL refuses root)."""
    return ["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", "--", *command] if os.geteuid() == 0 else command


def start_postgres(directory):
    binaries = max(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[-2]))
    if os.geteuid() == 0:
        shutil.chown(directory, "postgres", "postgres")
    subprocess.run(as_postgres([f"{binaries}/initdb", "-D", f"{directory}/data", "-U", "postgres", "-A", "trust",
                                "-E", "UTF8", "--no-sync", "--locale", "C"]), check=True, stdout=subprocess.DEVNULL)
    port = free_port()
    process = subprocess.Popen(as_postgres([f"{binaries}/postgres", "-D", f"{directory}/data", "-p", str(port), "-k", directory,
                                            "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off"]),
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for_port(port, "PostgreSQL")
    return process, f"postgres://postgres@127.0.0.1:{port}/postgres"


def start_nginx(directory, upstreams):
    """nginx with docs/cluster.md's configuration, its ports replaced."""
    with open(os.path.join(ROOT, "docs", "cluster.md"), encoding="utf-8") as f:
        config = re.search(r"```nginx\n(.*?)```", f.read(), re.S).group(1)
    port = free_port()
    config = config.replace("listen 8080;", f"listen 127.0.0.1:{port};")
    servers = "\n".join(f"        server 127.0.0.1:{p};" for p in upstreams)
    config = re.sub(r"( {8}server 127\.0\.0\.1:808\d;\n?)+", servers + "\n", config)
    path = os.path.join(directory, "nginx.conf")
    with open(path, "w", encoding="utf-8") as f:
        f.write(config)
    process = subprocess.Popen(["nginx", "-p", directory, "-c", path, "-e", "stderr", "-g", f"daemon off; pid {directory}/nginx.pid;"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for_port(port, "nginx")
    return process, port


async def run(binary, only):
    directory = tempfile.mkdtemp(prefix="switchboard-cluster-")
    processes = []
    failures = 0
    try:
        database, url = start_postgres(directory)
        processes.append(database)
        ports = []
        for n in range(1, 4):
            node, port = start_echo_host(binary, "--cluster", url, "--node", f"n{n}")
            processes.append(node)
            ports.append(port)
        nginx, port = start_nginx(directory, ports)
        processes.append(nginx)
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
            try:
                for transport in only or TRANSPORTS:
                    started = time.monotonic()
                    try:
                        result = await transport_suite(browser, port, transport)
                        print(f"ok   through nginx over 3 nodes: {result}  ({time.monotonic() - started:.1f} s)")
                    except Exception as error:
                        failures += 1
                        print(f"FAIL cluster {transport}: {error}")
            finally:
                await browser.close()
        # The chat demo, unchanged, on three nodes of its own cluster (a database of its own).
        if not only:
            for process in processes[-4:]:
                process.terminate()
                process.wait()
            del processes[-4:]
            subprocess.run(["psql", url, "-qc", "CREATE DATABASE chat"], check=True)
            chat_ports = []
            for n in range(1, 4):
                node, node_port = start_host(binary, "--log-level", "error", "--cluster", url.rsplit("/", 1)[0] + "/chat", "--node", f"c{n}")
                processes.append(node)
                chat_ports.append(node_port)
            nginx, port = start_nginx(directory, chat_ports)
            processes.append(nginx)
            started = time.monotonic()
            try:
                await chat(port, None)
                print(f"ok   the chat demo through nginx over 3 nodes: two tabs, websocket and xhr-polling, channels  ({time.monotonic() - started:.1f} s)")
            except Exception as error:
                failures += 1
                print(f"FAIL cluster chat demo: {error!r}")
    finally:
        for process in reversed(processes):
            process.terminate()
            process.wait()
        shutil.rmtree(directory, ignore_errors=True)
    if failures:
        sys.exit(f"browser client in a cluster: {failures} suite(s) failed")
    print("browser client in a cluster: every suite passed")


if __name__ == "__main__":
    asyncio.run(run(sys.argv[1], sys.argv[2:]))
