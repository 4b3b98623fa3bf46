# Shared by Benchmarks/run and Benchmarks/smoke: starting and stopping the servers under test.
# shellcheck shell=bash

bench_free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Waits until something accepts on 127.0.0.1:$1, while process $2 lives (30 s at most).
bench_wait_port() {
    local port=$1 pid=$2 i
    for i in $(seq 1 300); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
        kill -0 "$pid" 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}

# start_switchboard BIN PORT LOG [extra args...]: sets SERVER_PID.
start_switchboard() {
    local bin=$1 port=$2 logfile=$3
    shift 3
    "$bin" --app echo --host 127.0.0.1 --port "$port" --transports websocket,xhr-polling \
        --option maxSessions=20000 --log-level warning "$@" >"$logfile" 2>&1 &
    SERVER_PID=$!
    bench_wait_port "$port" "$SERVER_PID" || { echo "switchboard did not start:" >&2; cat "$logfile" >&2; return 1; }
}

# start_floor GENERATOR PORT LOG: NIO's own HTTP and WebSocket handlers serving the echo application
# (`switchboard-bench floor`), the floor Switchboard's figures are read against. Sets SERVER_PID.
start_floor() {
    local generator=$1 port=$2 logfile=$3
    "$generator" floor --host 127.0.0.1 --port "$port" >"$logfile" 2>&1 &
    SERVER_PID=$!
    bench_wait_port "$port" "$SERVER_PID" || { echo "the floor server did not start:" >&2; cat "$logfile" >&2; return 1; }
}

# start_peer PYTHON PORT LOG: sets SERVER_PID.
start_peer() {
    local python=$1 port=$2 logfile=$3
    "$python" "$BENCH_DIR/peer/server.py" --host 127.0.0.1 --port "$port" >"$logfile" 2>&1 &
    SERVER_PID=$!
    bench_wait_port "$port" "$SERVER_PID" || { echo "the peer did not start:" >&2; cat "$logfile" >&2; return 1; }
}

stop_server() {
    if [ -n "${SERVER_PID:-}" ]; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
        SERVER_PID=
    fi
}

# Allow many connections: up to the hard limit (20,000 here).
bench_raise_fd_limit() {
    local hard
    hard=$(ulimit -Hn)
    if [ "$hard" = unlimited ] || [ "$hard" -gt 20000 ]; then hard=20000; fi
    ulimit -n "$hard" 2>/dev/null || true
}
