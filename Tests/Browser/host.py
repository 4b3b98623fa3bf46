"""Starting the built `switchboard` host for the browser tests."""
import re
import subprocess
import sys


def start_host(binary, *arguments):
    """Runs `binary --port 0 <arguments>` and reads the port from the banner it prints first."""
    process = subprocess.Popen([binary, "--port", "0", *arguments], stdout=subprocess.PIPE, text=True)
    banner = process.stdout.readline()
    match = re.search(r"http://127\.0\.0\.1:(\d+)/", banner)
    if not match:
        process.kill()
        sys.exit(f"no port in banner: {banner!r}")
    return process, int(match.group(1))
