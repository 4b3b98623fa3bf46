#!/usr/bin/env python3
"""Writes BENCHMARKS.md (on stdout) from the results folder of Benchmarks/run.

Every number comes from the files of that run: results.jsonl (one JSON object per scenario and
server, printed by switchboard-bench), machine.json, and the profile-* files. Nothing is typed here.
"""
import json
import os
import re
import sys

OUT = sys.argv[1]

# The targets of the performance issue.
TARGET_IDLE_BYTES = 2560
TARGET_DELIVERY_CPU_US = 3
TARGET_ECHO_CPU_US = 6
TARGET_ECHO_P99_US = 2000
TARGET_POLL_CPU_US = 30
TARGET_OPENS_PER_S = 20_000
TARGET_RATIO_ALL = 10
TARGET_RATIO_BROADCAST_MEMORY = 20


def load_results():
    results = {}
    with open(os.path.join(OUT, "results.jsonl")) as f:
        for line in f:
            line = line.strip()
            if line:
                r = json.loads(line)
                results[(r.get("label"), r.get("wire"))] = r
    return results


R = load_results()


def cluster_results():
    """The rows of Benchmarks/cluster, by label (none when it did not run)."""
    path = os.path.join(OUT, "cluster.jsonl")
    if not os.path.exists(path):
        return {}
    return {r.get("label"): r for r in map(json.loads, filter(str.strip, open(path)))}
M = json.load(open(os.path.join(OUT, "machine.json")))


def read(name):
    path = os.path.join(OUT, name)
    return open(path).read() if os.path.exists(path) else None


# ---------------------------------------------------------------------------------------------
# Formatting

def fmt_num(v):
    if v is None:
        return "–"
    if v >= 100:
        return f"{v:,.0f}"
    if v >= 10:
        return f"{v:.1f}"
    return f"{v:.2f}"


def fmt_bytes(v):
    if v is None:
        return "–"
    return f"{v:,.0f} B ({v / 1024:.1f} KiB)"


def fmt_us(v):
    if v is None:
        return "–"
    if v >= 1000:
        return f"{v / 1000:,.2f} ms"
    return f"{v:.0f} µs"


def fmt_s(v):
    return "–" if v is None else f"{v:.2f} s"


def fmt_ratio(r):
    if r is None:
        return "–"
    return f"{r:.1f}×" if r >= 1 else f"{r:.2f}× (worse)"


# Figures: (label, scenario-label, key, format, better)

def broadcast_rows(label):
    """The rows of a broadcast scenario's table (throughput, CPU, latency)."""
    return [
        ("deliveries per second (wall clock)", label, "deliveries_per_s", fmt_num, "higher"),
        ("deliveries per second of server CPU (per core)", label, "deliveries_per_server_cpu_s", fmt_num, "higher"),
        ("server CPU seconds per million deliveries", label, "server_cpu_s_per_million", fmt_num, "lower"),
        ("delivery latency p50", label, "latency_p50_us", fmt_us, "lower"),
        ("delivery latency p99", label, "latency_p99_us", fmt_us, "lower"),
    ]

def figures():
    idle_n = get("idle", "switchboard", "sessions_requested")
    out = [
        ("Idle WebSocket sessions", [
            ("memory per session (server RSS delta / N)", "idle", "bytes_per_session", fmt_bytes, "lower"),
            (f"time to open {fmt_num(idle_n)} sessions", "idle", "open_s", fmt_s, "lower"),
            ("sessions opened per second", "idle", "opens_per_s", fmt_num, "higher"),
        ]),
    ]
    for label in sorted({k[0] for k in R if k[0] and k[0].startswith("broadcast-")}, key=lambda s: int(s.split("-")[1])):
        n = label.split("-")[1]
        out.append((f"Broadcast fan-out to {int(n):,} clients", broadcast_rows(label) + [
            ("delivery latency max", label, "latency_max_us", fmt_us, "lower"),
        ]))
    for label in sorted({k[0] for k in R if k[0] and k[0].startswith("burst-")}, key=lambda s: int(s.split("-")[1])):
        n = label.split("-")[1]
        b = get(label, "switchboard", "broadcasts") or 0
        out.append((f"Broadcast burst: {int(b):,} broadcasts at once to {int(n):,} clients", broadcast_rows(label)))
    out += [
        (f"Echo, {fmt_num(get('echo', 'switchboard', 'clients'))} WebSocket clients, closed loop", [
            ("round trips per second", "echo", "round_trips_per_s", fmt_num, "higher"),
            ("latency p50", "echo", "latency_p50_us", fmt_us, "lower"),
            ("latency p99", "echo", "latency_p99_us", fmt_us, "lower"),
            ("latency max", "echo", "latency_max_us", fmt_us, "lower"),
            ("server CPU per round trip", "echo", "server_cpu_us_per_round_trip", fmt_us, "lower"),
        ]),
        (f"Echo, {fmt_num(get('echo-paced', 'switchboard', 'clients'))} WebSocket clients paced at "
         f"{fmt_num(get('echo-paced', 'switchboard', 'rate_per_client'))} messages/s each (open loop)", [
            ("round trips per second (set by the pacing)", "echo-paced", "round_trips_per_s", fmt_num, None),
            ("latency p50", "echo-paced", "latency_p50_us", fmt_us, "lower"),
            ("latency p99", "echo-paced", "latency_p99_us", fmt_us, "lower"),
            ("latency max", "echo-paced", "latency_max_us", fmt_us, "lower"),
            ("server CPU per round trip", "echo-paced", "server_cpu_us_per_round_trip", fmt_us, "lower"),
        ]),
        (f"xhr-polling, {fmt_num(get('polling', 'switchboard', 'clients'))} clients (Engine.IO polling for the peer)", [
            ("messages per second (post → echo on the held poll)", "polling", "messages_per_s", fmt_num, "higher"),
            ("polls answered per second", "polling", "polls_per_s", fmt_num, "higher"),
            ("held polls (average in flight)", "polling", "held_polls_avg", fmt_num, None),
            ("message latency p50", "polling", "latency_p50_us", fmt_us, "lower"),
            ("message latency p99", "polling", "latency_p99_us", fmt_us, "lower"),
            ("server CPU per message", "polling", "server_cpu_us_per_message", fmt_us, "lower"),
        ]),
    ]
    return out


def get(label, wire, key):
    r = R.get((label, wire))
    if not r:
        return None
    v = r.get(key)
    return v if isinstance(v, (int, float)) and not isinstance(v, bool) else None


def ratio(sb, peer, better):
    if sb is None or peer is None or better is None or sb <= 0 or peer <= 0:
        return None
    return sb / peer if better == "higher" else peer / sb


def failure(label, wire):
    r = R.get((label, wire))
    if r is None:
        return "not run"
    if r.get("failure"):
        return "failed: " + r["failure"].strip().splitlines()[-1][:200]
    if r.get("errors"):
        return f"{r['errors']} errors, last: {r.get('last_error')}"
    return None


# ---------------------------------------------------------------------------------------------
# Profiles

def perf_top(label, limit=14):
    text = read(f"profile-{label}.perf.txt")
    if not text:
        return None, None
    rows = []
    kernel = 0.0
    for line in text.splitlines():
        m = re.match(r"\s*([\d.]+)%\s+(\S+)\s+\[(.)\]\s+(.*)", line)
        if not m:
            continue
        pct, dso, kind, sym = float(m.group(1)), m.group(2), m.group(3), m.group(4).strip()
        if kind == "k":
            kernel += pct
        if len(sym) > 110:
            sym = sym[:107] + "..."
        rows.append((pct, dso, kind, sym))
    return rows[:limit], kernel


def perf_stat(label):
    text = read(f"profile-{label}.perfstat.csv")
    counts = {}
    if not text:
        return counts
    for line in text.splitlines():
        parts = line.split(",")
        if len(parts) >= 3 and parts[0].replace(".", "").isdigit():
            counts[parts[2]] = float(parts[0])
    return counts


def profile_json(label):
    text = read(f"profile-{label}.json")
    if not text:
        return None
    for line in text.splitlines():
        if line.startswith("{"):
            return json.loads(line)
    return None


GENERIC = re.compile(r"(ThreadOpsPosix|SelectableEventLoop\.run|start_thread|clone3?$|runTheLoop|setupThreadAndEventLoop|"
                     r"withAutoReleasePool|whenReady|^thunk|^partial apply|_blockingWaitForWork|runOneLoopTick|"
                     r"entry_SYSCALL_64_after_hwframe|do_syscall_64|handleEvent|protocol witness)")


def perf_children(label):
    text = read(f"profile-{label}.children.txt")
    rows = []
    if not text:
        return rows
    for line in text.splitlines():
        m = re.match(r"\s*([\d.]+)%\s+([\d.]+)%\s+\[(.)\]\s+(.*)", line)
        if m:
            rows.append((float(m.group(1)), float(m.group(2)), m.group(3), m.group(4).strip()))
    return rows


def share(children, *names):
    """Inclusive share of the first symbol found among `names`."""
    for name in names:
        for total, _, _, sym in children:
            if sym == name:
                return total
    return None


def cpu_profile_section(label, unit_key, unit_name):
    rows, kernel = perf_top(label)
    children = perf_children(label)
    run = profile_json(label)
    counts = perf_stat(label)
    lines = []
    if rows is None or run is None:
        lines.append(f"(no CPU profile for {label}: perf was not available or the run failed)")
        return lines, {}
    units = run.get(unit_key) or 0
    cpu = run.get("server_cpu_s") or 0
    facts = {"units": units, "cpu_us_per_unit": cpu / units * 1e6 if units else None}
    facts["syscalls_share"] = share(children, "entry_SYSCALL_64_after_hwframe", "do_syscall_64")
    facts["writev_share"] = share(children, "__GI___writev", "do_writev")
    facts["read_share"] = share(children, "__GI___libc_read", "ksys_read")
    singular = {"deliveries": "delivery", "round trips": "round trip", "messages": "message"}.get(unit_name, unit_name)
    lines.append(f"Profile: `perf record -g -e cpu-clock -F 999` on the server during a separate {label} run "
                 f"(same clients; {fmt_num(units)} {unit_name}, {fmt_us(facts['cpu_us_per_unit'])} of server CPU per {singular}).")
    if facts["syscalls_share"] is not None:
        lines.append(f"{facts['syscalls_share']:.0f}% of the server's samples are inside system calls"
                     + (f" ({facts['writev_share']:.0f}% in `writev`" if facts["writev_share"] is not None else "")
                     + (f", {facts['read_share']:.0f}% in `read`)" if facts["read_share"] is not None else ")" if facts["writev_share"] is not None else "")
                     + ".")
    if units and counts:
        per = {}
        for ev in ("syscalls:sys_enter_write", "syscalls:sys_enter_writev", "syscalls:sys_enter_read",
                   "syscalls:sys_enter_epoll_wait", "context-switches"):
            if ev in counts:
                per[ev.split(":")[-1].replace("sys_enter_", "")] = counts[ev] / units
        facts.update(per)
        lines.append(f"Per {singular} (`perf stat` on the syscall tracepoints): "
                     + ", ".join(f"{k} {v:.2f}" for k, v in per.items()) + ".")
    lines.append("")
    lines.append("Self time, top entries:")
    lines.append("")
    lines.append("```")
    for pct, dso, kind, sym in rows:
        lines.append(f"{pct:6.2f}%  {'[k]' if kind == 'k' else '   '} {dso[:22]:22}  {sym}")
    lines.append("```")
    inclusive = [r for r in children if r[0] < 95 and not GENERIC.search(r[3])][:22]
    if inclusive:
        lines.append("")
        lines.append("Inclusive time (the function and what it calls), top entries:")
        lines.append("")
        lines.append("```")
        for total, self_pct, kind, sym in inclusive:
            if len(sym) > 110:
                sym = sym[:107] + "..."
            lines.append(f"{total:6.2f}%  {'[k]' if kind == 'k' else '   '} {sym}")
        lines.append("```")
    own = [r for r in children if OWN.search(r[3]) and r[0] < 95][:12]
    if own:
        lines.append("")
        lines.append("Switchboard's own functions, inclusive time:")
        lines.append("")
        lines.append("```")
        for total, self_pct, kind, sym in own:
            if len(sym) > 110:
                sym = sym[:107] + "..."
            lines.append(f"{total:6.2f}%  {sym}")
        lines.append("```")
    return lines, facts


OWN = re.compile(r"(Client\.|Listener\.|SessionHTTPHandler|HTTPSessionConnection|Route\.|FormBody|FramedCodec|"
                 r"EnvelopeCodec|SessionStateMachine|WebSocketSessionHandler|SocketSessionConnection|SessionUpgrader|"
                 r"ApplicationHandler|DemoApplication|TransportPath|PayloadWrapping|TransportDescriptor|OriginPolicy|SessionID)")


def kernel_floor(facts, peer_cpu_us, unit):
    """The ratio to the peer that Switchboard could reach with no user-space cost at all."""
    if not facts.get("cpu_us_per_unit") or facts.get("syscalls_share") is None or not peer_cpu_us:
        return None
    floor = facts["cpu_us_per_unit"] * facts["syscalls_share"] / 100
    return (f"The system calls alone cost the server {fmt_us(floor)} per {unit}; python-socketio spends "
            f"{fmt_us(peer_cpu_us)} in all per {unit} in the main run, so even with no user-space work at all "
            f"Switchboard would be at most {peer_cpu_us / floor:.0f}× better on CPU per {unit}.")


NOISE = re.compile(r"^(swift_slowAlloc|swift_allocObject|malloc|calloc|realloc|posix_memalign|operator new|"
                   r"_ContiguousArrayBuffer|specialized _ContiguousArrayBuffer|ContiguousArray|specialized ContiguousArray|"
                   r"specialized static ContiguousArray|static ContiguousArray|_NativeDictionary|specialized _NativeDictionary|"
                   r"_DictionaryStorage|specialized _DictionaryStorage|static _DictionaryStorage|specialized static _DictionaryStorage|"
                   r"swift_allocBox|swift::|_swift_|Array\.|specialized Array|_allocateUninitialized|"
                   r"specialized static Array|static Array|_StringGuts|specialized _StringGuts|String\.|_StringObject|"
                   r"__swift_|\$s|outlined|thunk|partial apply|reabstraction|merged|swift_makeBoxUnique|"
                   r"ByteBuffer\._|ByteBuffer\.with|ByteBuffer\.write|ByteBuffer\.init|static ByteBuffer|specialized ByteBuffer|"
                   r"specialized static ByteBuffer|ByteBufferAllocator|CircularBuffer|specialized CircularBuffer|MarkedCircularBuffer|"
                   r"specialized MarkedCircularBuffer)")


def heap_section(rss_bytes_per_session):
    text = read("profile-idle.heap.txt")
    run = profile_json("idle")
    if not text or not run:
        return ["(no heap profile: heaptrack was not available or the run failed)"], {}
    sessions = run.get("sessions_open") or 0
    if not sessions:
        return ["(heap profile run opened no sessions)"], {}

    def size(s):
        m = re.match(r"([\d.]+)([BKMG])", s)
        if not m:
            return 0
        return float(m.group(1)) * {"B": 1, "K": 1024, "M": 1024 ** 2, "G": 1024 ** 3}[m.group(2)]

    blocks = []
    current = None
    for line in text.splitlines():
        m = re.match(r"^([\d.]+[BKMG]) consumed over (\d+) calls from:", line.strip())
        if m:
            current = [size(m.group(1)), int(m.group(2)), []]
            blocks.append(current)
            continue
        if current is not None and line.startswith("    ") and line.strip():
            current[2].append(line.strip())
    peak = None
    m = re.search(r"peak heap memory consumption: ([\d.]+[BKMG])", text)
    if m:
        peak = size(m.group(1))
    rows = []
    for total, calls, frames in blocks:
        # Only what scales with the sessions: at least one allocation per 2 sessions.
        if calls < sessions / 2:
            continue
        useful = [f for f in frames if not NOISE.match(f)]
        site = " ← ".join(f.replace("specialized ", "")[:70] for f in useful[:3]) or (frames[0] if frames else "?")
        rows.append((total / sessions, calls / sessions, site))
    rows.sort(reverse=True)
    lines = []
    shown = sum(r[0] for r in rows[:12])
    # NIO's own objects of a connection: the channel, its pending writes, its receive buffer, its
    # pipeline's contexts (allocated by NIO's code, whatever handlers the pipeline holds).
    nio = sum(r[0] for r in rows if re.match(r"(SocketChannel|BaseSocketChannel|BaseStreamSocketChannel|PendingStreamWrites|"
                                             r"closure #1 in BaseStreamSocketChannel|ChannelHandlerContext|ChannelPipeline)", r[2]))
    facts = {"heap_peak_per_session": (peak / sessions) if peak else None, "listed": shown,
             "scaling": sum(r[0] for r in rows), "sites": len(rows), "nio": nio}
    lines.append(f"Heap profile: `heaptrack` on the server with {sessions:,} idle sessions open "
                 f"(peak heap {fmt_bytes(peak / sessions) if peak else '?'} per session, against an RSS delta of "
                 f"{fmt_bytes(rss_bytes_per_session)} per session in the measured run). "
                 "Allocation sites that grow with the sessions, per session:")
    lines.append("")
    lines.append("| bytes / session | allocations / session | site (innermost useful frames) |")
    lines.append("|---:|---:|---|")
    for per, calls, site in rows[:12]:
        lines.append(f"| {per:,.0f} | {calls:.1f} | `{site}` |")
    return lines, facts


# ---------------------------------------------------------------------------------------------
# The document

def instructions_section():
    """Instructions per operation from Benchmarks/instructions (instructions.jsonl): before and after."""
    w = []
    p = w.append
    path = os.path.join(OUT, "instructions.jsonl")
    if not os.path.exists(path):
        return w
    rows = [json.loads(l) for l in open(path) if l.strip()]
    binaries = list(dict.fromkeys(r["binary"] for r in rows))
    names = {b: ("NIO floor" if b == "floor" else "before" if "baseline" in b else "now") for b in binaries}
    now = next((b for b in binaries if names[b] == "now"), None)
    ratios = [b for b in binaries if names[b] in ("before", "NIO floor")] if now else []
    scenarios = list(dict.fromkeys(r["scenario"] for r in rows))
    by = {(r["binary"], r["scenario"]): r for r in rows}
    p("## Instructions per operation")
    p("")
    p("User-space instructions of the server per operation, counted by valgrind's callgrind in the "
      "generator's measuring window (`Benchmarks/instructions`; small sizes, the same for every binary). "
      "Unlike seconds they repeat on a shared machine; system calls are not in them. The NIO floor is "
      "`switchboard-bench floor`: NIO's own HTTP/1.1 pipeline and WebSocket upgrader with the least logic "
      "the scenario needs.")
    p("")
    header = " | ".join(names[b] for b in binaries) + "".join(f" | now / {names[b]}" for b in ratios)
    p(f"| operation | {header} |")
    p("|---|" + "---:|" * (len(binaries) + len(ratios)))
    for sc in scenarios:
        vals = [by.get((b, sc), {}).get("instructions_per_operation") for b in binaries]
        cells = " | ".join(f"{v:,}" if v else "n/a" for v in vals)
        mine = by.get((now, sc), {}).get("instructions_per_operation")
        for b in ratios:
            other = by.get((b, sc), {}).get("instructions_per_operation")
            cells += f" | {mine / other:.2f}" if mine and other else " | n/a"
        p(f"| {sc} | {cells} |")
    notes = [r for r in rows if r.get("note")]
    if notes:
        p("")
    for r in notes:
        p(f"- {names[r['binary']]}, {r['scenario']}: {r['note']}.")
    p("")
    return w


def main():
    w = []
    p = w.append
    p("# Benchmarks")
    p("")
    p("Generated by `Benchmarks/run` (do not edit by hand): Switchboard and python-socketio 5 under the same "
      "load generator, `switchboard-bench`, side by side in one run on one machine. Each figure below is read "
      "from that run's own output.")
    p("")
    p("## Machine")
    p("")
    p(f"- {M['date']}; commit `{M['commit']}`{' (with uncommitted changes)' if M.get('dirty') else ''}")
    p(f"- {M['cpu']}, {M['cores']} cores, {M['memory_gib']} GiB; {M['os']}, Linux {M['kernel']}; open files limit {M['fd_limit']}")
    p(f"- {M['swift']}; peer: {M['python']}, {', '.join(M['peer_packages'])}")
    la_b, la_a = " ".join(M["load_before"]), " ".join(M.get("load_after", ["?"]))
    p(f"- Load average before the run {la_b}, after it {la_a}. **The machine is shared** (others build and test "
      "on it at the same time) and the generator runs on the same 2 cores as the server: absolute figures are "
      "noisy; the ratios are measured side by side, one scenario after the other, in the same run.")
    p("")
    p("## How")
    p("")
    p("- Servers: `switchboard --app echo --transports websocket,xhr-polling` (release build, SwiftNIO's default "
      "event loop group: one thread per core) and `Benchmarks/peer/server.py` (python-socketio `AsyncServer` on "
      "aiohttp with uvloop, one process, the same application: each message back to its sender, "
      "`broadcast:<text>` to everyone else). A fresh server process for every scenario.")
    p("- Generator: `switchboard-bench`, SwiftNIO with hand-written WebSocket and HTTP/1.1 framing on raw "
      "sockets, speaking Socket.IO 0.6 `~m~` frames to Switchboard and Engine.IO v4 / Socket.IO v5 packets "
      "(`42[\"message\",\"…\"]`) to the peer; the same 32-byte application text in both "
      "(kind, sequence number, send time in ns). Connections alternate between source addresses 127.0.0.1 and 127.0.0.2.")
    p("- Server CPU from `/proc/<pid>/stat` (user + system) over the measured window; memory from `VmRSS` of "
      "`/proc/<pid>/status` before the first session and 2 s after the last one opened.")
    bc = sorted({k[0] for k in R if k[0] and k[0].startswith("broadcast-")})
    bursts = sorted({k[0] for k in R if k[0] and k[0].startswith("burst-")}, key=lambda s: int(s.split("-")[1]))
    if bc:
        r = R.get((bc[0], "switchboard"), {})
        p(f"- Broadcast: one client asks for M broadcasts of the same text (`broadcast:<text>`), at most "
          f"{r.get('window', '?')} in flight (the next is asked for when one has reached every receiver); latency "
          "is from the request's send time to each receiver's read, so it includes the fan-out of the whole broadcast.")
    p("- Echo and polling: each client sends one message and waits for its echo before sending the next (closed "
      "loop), after 1 s of warm-up. Polling clients hold one poll (GET) and post (POST) on a second connection, "
      "as a browser does; *held polls* is the sampled number of polls waiting at the server.")
    p("")

    # Results
    p("## Results")
    p("")
    all_ratios = []
    floor_ratios = {}
    p("The NIO floor column is `switchboard-bench floor` under the same load (see the targets below), "
      "with its own ratio against python-socketio in parentheses.")
    p("")
    for title, rows in figures():
        p(f"### {title}")
        p("")
        p("| figure | Switchboard | python-socketio | Switchboard better by | NIO floor |")
        p("|---|---:|---:|---:|---:|")
        labels = {r[1] for r in rows}
        for name, label, key, fmt, better in rows:
            sb, peer = get(label, "switchboard", key), get(label, "engineio", key)
            floor = get("floor-" + label, "switchboard", key)
            rt = ratio(sb, peer, better)
            if better is not None:
                all_ratios.append((f"{title}: {name}", rt))
                floor_ratios[f"{title}: {name}"] = ratio(floor, peer, better)
            floor_cell = "–" if floor is None else fmt(floor) + (f" ({fmt_ratio(floor_ratios[f'{title}: {name}'])})" if better and floor_ratios.get(f"{title}: {name}") else "")
            p(f"| {name} | {fmt(sb)} | {fmt(peer)} | {fmt_ratio(rt) if better else 'n/a'} | {floor_cell} |")
        for label in sorted(labels):
            for wire, who in (("switchboard", "Switchboard"), ("engineio", "python-socketio")):
                f = failure(label, wire)
                if f:
                    p("")
                    p(f"*{who}, {label}: {f}*")
        p("")

    # The cluster (Benchmarks/cluster)
    cluster = cluster_results()
    if cluster:
        p("### A cluster of three nodes beside one node (Benchmarks/cluster)")
        p("")
        b1, b3 = cluster.get("cluster-broadcast-1", {}), cluster.get("cluster-broadcast-3", {})
        q1, q3 = cluster.get("cluster-polling-1", {}), cluster.get("cluster-polling-3", {})
        p(f"Broadcast: {b3.get('clients', '?')} WebSocket clients, one asking for {b3.get('broadcasts', '?')} broadcasts "
          "(at most 2 in flight); on three nodes the clients are spread over them in turn, so two receivers in three "
          "are on another node than the sender. Polling: xhr-polling clients through nginx (docs/cluster.md's "
          "configuration) in front of one node, or of three in round robin, where two requests in three land on a "
          "node that relays them to the session's owner. Server CPU is summed over the nodes; PostgreSQL's is apart.")
        p("")
        p("| figure | one node | three nodes over PostgreSQL | three against one |")
        p("|---|---:|---:|---:|")
        for name, a, b, key, fmt, better in [
            ("broadcast deliveries per second", b1, b3, "deliveries_per_s", fmt_num, "higher"),
            ("broadcast: server CPU seconds per million deliveries", b1, b3, "server_cpu_s_per_million", fmt_num, "lower"),
            ("broadcast delivery latency p50", b1, b3, "latency_p50_us", fmt_us, "lower"),
            ("broadcast delivery latency p99", b1, b3, "latency_p99_us", fmt_us, "lower"),
            ("broadcast: PostgreSQL CPU seconds", b1, b3, "postgres_cpu_s", fmt_num, None),
            ("polling messages per second", q1, q3, "messages_per_s", fmt_num, "higher"),
            ("polling: server CPU per message", q1, q3, "server_cpu_us_per_message", fmt_us, "lower"),
            ("polling round trip p50", q1, q3, "latency_p50_us", fmt_us, "lower"),
            ("polling round trip p99", q1, q3, "latency_p99_us", fmt_us, "lower"),
            ("polling: PostgreSQL CPU seconds", q1, q3, "postgres_cpu_s", fmt_num, None),
        ]:
            x, y = a.get(key), b.get(key)
            rel = None if x in (None, 0) or y in (None, 0) else (y / x)
            p(f"| {name} | {fmt(x)} | {fmt(y)} | {'–' if rel is None else f'{rel:.2f}×'} |")
        p("")

    # The generator's share
    p("### CPU of the generator against the server's")
    p("")
    p("The generator shares the 2 cores with the server; it must not be what limits a figure.")
    p("")
    p("| scenario | server CPU-s (Switchboard) | generator CPU-s | server CPU-s (python-socketio) | generator CPU-s |")
    p("|---|---:|---:|---:|---:|")
    for label in ["idle"] + sorted(bc, key=lambda s: int(s.split("-")[1])) + bursts + ["echo", "echo-paced", "polling"]:
        cells = []
        for wire in ("switchboard", "engineio"):
            cells += [fmt_num(get(label, wire, "server_cpu_s")), fmt_num(get(label, wire, "generator_cpu_s"))]
        p(f"| {label} | " + " | ".join(cells) + " |")
    p("")

    # Targets
    p("## Targets of the issue")
    p("")
    p("The NIO floor is the same load, in the same run, on `switchboard-bench floor`: NIO's own HTTP/1.1 "
      "pipeline and WebSocket upgrader with the least logic the scenario needs (no sessions, heartbeats, "
      "timeouts or limits; a broadcast writes and flushes one frame to each other socket). A target beyond "
      "the floor is beyond what NIO's pipeline, used as it is meant to be, gives on this machine.")
    p("")
    p("| target | measured (Switchboard) | NIO floor | status |")
    p("|---|---:|---:|---|")
    missed = []

    def row(target, value, shown, ok, gap, key, floor=None):
        if value is None:
            return
        p(f"| {target} | {shown} | {floor or '—'} | {'met' if ok else f'missed: {gap}'} |")
        if not ok and key and key not in missed:
            missed.append(key)

    def fmt_floor(label, key, form):
        v = get(label, "switchboard", key)
        return form.format(v) if v is not None else None

    idle = get("idle", "switchboard", "bytes_per_session")
    row("idle WebSocket session ≤ 2.5 KiB of server RSS", idle, fmt_bytes(idle),
        idle is not None and idle <= TARGET_IDLE_BYTES, idle and f"{idle / TARGET_IDLE_BYTES:.1f}× the target", "idle",
        fmt_bytes(get("floor-idle", "switchboard", "bytes_per_session")))
    for label in sorted(bc, key=lambda s: int(s.split("-")[1])) + bursts:
        v = get(label, "switchboard", "server_cpu_s_per_million")  # seconds per million = µs each
        row(f"broadcast ≤ 3 µs of server CPU per delivery ({label})", v, v and f"{v:.2f} µs",
            v is not None and v <= TARGET_DELIVERY_CPU_US, v and f"{v / TARGET_DELIVERY_CPU_US:.1f}× the target", "broadcast",
            fmt_floor("floor-" + label, "server_cpu_s_per_million", "{:.2f} µs"))
    v = get("echo", "switchboard", "server_cpu_us_per_round_trip")
    row("echo ≤ 6 µs of server CPU per round trip (100 clients, closed loop)", v, v and f"{v:.1f} µs",
        v is not None and v <= TARGET_ECHO_CPU_US, v and f"{v / TARGET_ECHO_CPU_US:.1f}× the target", "echo",
        fmt_floor("floor-echo", "server_cpu_us_per_round_trip", "{:.1f} µs"))
    v = get("echo", "switchboard", "latency_p99_us")
    row("echo p99 ≤ 2 ms (100 clients, closed loop)", v, fmt_us(v),
        v is not None and v <= TARGET_ECHO_P99_US, v and f"{v / TARGET_ECHO_P99_US:.1f}× the target", "echo",
        fmt_us(get("floor-echo", "switchboard", "latency_p99_us")))
    v = get("polling", "switchboard", "server_cpu_us_per_message")
    row("xhr-polling ≤ 30 µs of server CPU per message", v, v and f"{v:.1f} µs",
        v is not None and v <= TARGET_POLL_CPU_US, v and f"{v / TARGET_POLL_CPU_US:.1f}× the target", "polling",
        fmt_floor("floor-polling", "server_cpu_us_per_message", "{:.1f} µs"))
    v = get("idle", "switchboard", "opens_per_s")
    row(f"≥ 20,000 sessions opened per second ({fmt_num(get('idle', 'switchboard', 'sessions_open'))} sessions)", v, fmt_num(v),
        v is not None and v >= TARGET_OPENS_PER_S, v and f"{TARGET_OPENS_PER_S / v:.1f}× short", "idle",
        fmt_num(get("floor-idle", "switchboard", "opens_per_s")) if get("floor-idle", "switchboard", "opens_per_s") else None)
    measured = [(n, r) for n, r in all_ratios if r is not None]

    def wanted(name):
        return TARGET_RATIO_BROADCAST_MEMORY if ("Broadcast" in name or "memory" in name) else TARGET_RATIO_ALL
    below = [(n, r) for n, r in measured if r < wanted(n)]
    p(f"| every figure ≥ 10× python-socketio's (≥ 20× for broadcast and memory) | "
      f"{len(measured) - len(below)} of {len(measured)} figures | — | "
      f"{'met' if not below and measured else f'missed for {len(below)} figures'} |")
    p("")
    # Each target against the floor: beyond it, no work of Switchboard's on top of NIO can meet it.
    checks = [("idle memory per session", "idle", "bytes_per_session", TARGET_IDLE_BYTES, "lower", fmt_bytes)]
    checks += [(f"broadcast CPU per delivery ({label})", label, "server_cpu_s_per_million", TARGET_DELIVERY_CPU_US, "lower",
                lambda v: f"{v:.2f} µs") for label in sorted(bc, key=lambda s: int(s.split("-")[1])) + bursts]
    checks += [("echo CPU per round trip", "echo", "server_cpu_us_per_round_trip", TARGET_ECHO_CPU_US, "lower", lambda v: f"{v:.1f} µs"),
               ("echo p99", "echo", "latency_p99_us", TARGET_ECHO_P99_US, "lower", fmt_us),
               ("xhr-polling CPU per message", "polling", "server_cpu_us_per_message", TARGET_POLL_CPU_US, "lower", lambda v: f"{v:.1f} µs"),
               ("sessions opened per second", "idle", "opens_per_s", TARGET_OPENS_PER_S, "higher", fmt_num)]
    floor_lines = []
    for what, label, key, target, better, form in checks:
        mine, floor = get(label, "switchboard", key), get("floor-" + label, "switchboard", key)
        if mine is None or floor is None:
            continue
        beyond = floor > target if better == "lower" else floor < target
        met = mine <= target if better == "lower" else mine >= target
        times = mine / floor if better == "lower" else floor / mine
        verdict = (f"met, {'where the floor misses it' if beyond else 'as the floor does'}" if met
                   else f"missed, {'and beyond the floor too' if beyond else 'though the floor meets it'}")
        floor_lines.append(f"- {what}: Switchboard {form(mine)}, the NIO floor {form(floor)} "
                           f"({times:.2f}× the floor's {'cost' if better == 'lower' else 'time per open'}); "
                           f"the target is {verdict}.")
    if floor_lines:
        p("Against the NIO floor (below 1.00×: Switchboard does better than NIO's own handlers used plainly):")
        p("")
        for line in floor_lines:
            p(line)
        p("")
    if below:
        p("Figures under their ratio (gap = how many times more improvement the target needs):")
        p("")
        for n, r in sorted(below, key=lambda x: x[1] / wanted(x[0])):
            fr = floor_ratios.get(n)
            at_floor = f"; the NIO floor: {fmt_ratio(fr)}" if fr else ""
            p(f"- {n}: {fmt_ratio(r)} (target {wanted(n)}×), gap {wanted(n) / r:.1f}×{at_floor}")
        p("")
        floored = [(n, floor_ratios[n]) for n, _ in below if floor_ratios.get(n)]
        if floored:
            short = [n for n, fr in floored if fr < wanted(n)]
            p(f"Of these {len(below)} figures, {len(floored)} have a floor measured; the NIO floor itself falls short of "
              f"the ratio in {len(short)} of them, so for those the ratio is beyond NIO's own pipeline against this peer.")
            p("")

    for line in instructions_section():
        p(line)

    # What bounds the missed targets
    if missed:
        p("## What bounds the missed targets")
        p("")
    if "idle" in missed:
        p("### Memory per idle session")
        p("")
        lines, facts = heap_section(idle)
        for l in lines:
            p(l)
        p("")
        if facts.get("scaling"):
            sc = facts["scaling"]
            p(f"The {facts['sites']} allocation sites that grow with the sessions hold {fmt_bytes(sc)} per session "
              f"at the heap's peak (the table shows the largest). The rest of the RSS delta, "
              f"{fmt_bytes(max(0, idle - sc))} per session, is the allocator's overhead and fragmentation (glibc "
              "malloc, an arena per event-loop thread) and memory touched during the handshakes. Kernel socket "
              "buffers are not in RSS.")
            p("")
            nio = facts.get("nio") or 0
            p(f"What bounds it: of those {fmt_bytes(sc)}, {fmt_bytes(nio)} are SwiftNIO's own objects of a connection "
              "(the socket channel, its pending-writes state, its receive buffer, its pipeline's contexts): Switchboard "
              "does not allocate them, and only the receive buffer's size is its to choose (it starts at 512 bytes "
              "and adapts); with malloc's overhead on top, "
              f"they alone come to about {fmt_bytes(nio * idle / sc if sc else 0)} of RSS per session. The rest is "
              "the session and its one handler.")
            p("")
    if "broadcast" in missed:
        p("### Broadcast throughput per core")
        p("")
        lines, facts = cpu_profile_section("broadcast", "deliveries", "deliveries")
        for l in lines:
            p(l)
        p("")
        if facts.get("cpu_us_per_unit") and facts.get("syscalls_share") is not None:
            floor = facts["cpu_us_per_unit"] * facts["syscalls_share"] / 100
            wr = facts.get("write", 0) + facts.get("writev", 0)
            p(f"What bounds it: the kernel. {wr:.2f} write calls per delivery (with several deliveries to one "
              f"socket in a tick they share one `writev`), at {fmt_us(floor)} of kernel time per delivery; on "
              "loopback the sender's system call also runs the receiver's TCP input (softirq), which a real "
              f"network would move to the other host. With {fmt_us(floor)} per delivery in system calls, 3 µs per "
              f"delivery is out of reach whatever the user-space cost (the other {100 - facts['syscalls_share']:.0f}%: "
              "the session machine, frame building, retain/release, the pipeline's write path).")
            p("")
            peer = get(sorted(bc, key=lambda s: int(s.split("-")[1]))[-1], "engineio", "server_cpu_s_per_million")
            text = kernel_floor(facts, peer, "delivery")
            if text:
                p(text)
                p("")
    if "echo" in missed:
        p("### Echo p99 latency")
        p("")
        r = R.get(("echo", "switchboard"), {})
        if r.get("wall_s") and r.get("round_trips_per_s"):
            util = ((r.get("server_cpu_s") or 0) + (r.get("generator_cpu_s") or 0)) / r["wall_s"] / (M["cores"] or 2)
            little = r["clients"] / r["round_trips_per_s"] * 1e6
            p99 = r.get("latency_p99_us") or 0
            tail = p99 / little if little else 0
            need = r["clients"] * tail / (TARGET_ECHO_P99_US / 1e6) if tail else 0
            p(f"Closed loop: {r['clients']} clients each keep one message in flight, so the mean latency is set by "
              f"the throughput (Little's law: {r['clients']} / {fmt_num(r['round_trips_per_s'])} per s = "
              f"{fmt_us(little)}; measured mean {fmt_us(r.get('latency_mean_us'))}), and the p99 is "
              f"{tail:.1f}× the mean. A p99 of 2 ms with that tail needs about {need:,.0f} round trips per second "
              f"on this machine, where the server ({fmt_num(r.get('server_cpu_s'))} CPU-s) and the generator "
              f"({fmt_num(r.get('generator_cpu_s'))} CPU-s) already used {util * 100:.0f}% of its {M['cores']} cores "
              f"in {fmt_num(r['wall_s'])} s.")
            p("")
        r = R.get(("echo-paced", "switchboard"), {})
        if r.get("wall_s") and r.get("round_trips"):
            wait = r.get("server_runqueue_wait_s")
            cpu_share = (r.get("server_cpu_s") or 0) / r["wall_s"]
            text = (f"Paced: at {fmt_num(r['round_trips_per_s'])} round trips per second the server used "
                    f"{cpu_share * 100:.0f}% of one core, with p50 {fmt_us(r.get('latency_p50_us'))} and p99 "
                    f"{fmt_us(r.get('latency_p99_us'))}.")
            if wait is not None:
                text += (f" Its threads waited {wait * 1000:,.0f} ms for a core during the {fmt_num(r['wall_s'])} s "
                         f"(run-queue wait from `/proc/<pid>/task/*/schedstat`; {wait / r['round_trips'] * 1e6:.0f} µs per "
                         f"round trip on average) and the generator's {fmt_num((r.get('generator_runqueue_wait_s') or 0) * 1000)} ms: "
                         "the tail is time spent ready but not running, on a machine whose load average "
                         f"({' '.join(M['load_before'])} before the run) exceeds its {M['cores']} cores.")
            if r.get("tcp_retransmits_systemwide"):
                text += f" The machine retransmitted {r['tcp_retransmits_systemwide']} TCP segments during the run."
            p(text)
            p("")
        lines, facts = cpu_profile_section("echo", "round_trips", "round trips")
        for l in lines:
            p(l)
        p("")
        text = kernel_floor(facts, get("echo", "engineio", "server_cpu_us_per_round_trip"), "round trip")
        if text:
            p(text)
            p("")
    if "polling" in missed:
        p("### xhr-polling")
        p("")
        lines, facts = cpu_profile_section("polling", "messages", "messages")
        for l in lines:
            p(l)
        p("")
        text = kernel_floor(facts, get("polling", "engineio", "server_cpu_us_per_message"), "message")
        if text:
            p(text)
            p("")

    # Raw
    p("## Raw results")
    p("")
    p("<details><summary>results.jsonl of this run</summary>")
    p("")
    p("```json")
    p(open(os.path.join(OUT, "results.jsonl")).read().strip())
    p("```")
    p("")
    p("</details>")
    print("\n".join(w))


main()
