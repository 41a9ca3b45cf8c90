#!/usr/bin/env bash
# netpulse-sdk 0.4.0 (NetPulse's own Python SDK, from PyPI) against `netpulse serve` and lab devices:
# ping, run (bulk and exec) with each device's output, collect, test_connection, get_job, list_jobs,
# cancel_job, cancel_jobs, list_workers; then the batch guide's request over plain HTTP, and a second
# batch that reuses the pinned sessions without naming queue_strategy (scripts/netpulse-sdk/check.py).
#
# Starts two labs on 127.0.0.1 (four cisco_ios devices; one whose commands hang, to have jobs to cancel)
# and the server on a free loopback port, devices limited to 127.0.0.0/8; stops them by their PIDs.
# Installs the SDK into .venv-netpulse-sdk on first use; when PyPI cannot be reached, says so and exits 0
# without checking anything (SKIP), unless NETPULSE_SDK_REQUIRED=1.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
venv="$root/.venv-netpulse-sdk"

if ! "$venv/bin/python" -c 'import netpulse_sdk' 2>/dev/null; then
    python3 -m venv "$venv"
    if ! "$venv/bin/pip" install --quiet --disable-pip-version-check -r scripts/netpulse-sdk/requirements.txt; then
        if [ "${NETPULSE_SDK_REQUIRED:-0}" = 1 ]; then exit 1; fi
        echo "netpulse-sdk check: SKIP: pip could not install netpulse-sdk==0.4.0 (PyPI unreachable?)" >&2
        exit 0
    fi
fi

swift build --product netpulse
binary="$(swift build --show-bin-path)/netpulse"

work=$(mktemp -d)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do
        if kill -0 "$pid" 2>/dev/null; then
            kill -TERM "$pid"
            wait "$pid" || true
        fi
    done
    rm -rf "$work"
}
trap cleanup EXIT

# Waits (up to 120 s) for a line in a log file; fails with the log when the process died.
wait_for() {
    local file=$1 pattern=$2 pid=$3
    for _ in $(seq 1 1200); do
        if grep -q "$pattern" "$file" 2>/dev/null; then return 0; fi
        if ! kill -0 "$pid" 2>/dev/null; then
            echo "netpulse-sdk check: process $pid ended before '$pattern'" >&2
            cat "$file" >&2
            return 1
        fi
        # Polls a log file a background process writes; bounded by the loop count.
        sleep 0.1
    done
    echo "netpulse-sdk check: no '$pattern' in $file within 120 s" >&2
    cat "$file" >&2
    return 1
}

"$binary" lab --devices 4 --platforms cisco_ios --password admin123 --inventory "$work/lab.json" \
    >"$work/lab.log" 2>&1 &
pids+=($!)
wait_for "$work/lab.log" '^ready:' "${pids[-1]}"
"$binary" lab --devices 1 --platforms cisco_ios --password admin123 --inventory "$work/hang.json" \
    --fault-rate 1 --faults hang_mid_command >"$work/hang.log" 2>&1 &
pids+=($!)
wait_for "$work/hang.log" '^ready:' "${pids[-1]}"

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
key="sdk-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
NETPULSE_API_KEYS="$key" "$binary" serve --bind 127.0.0.1 --port "$port" --allow-targets 127.0.0.0/8 \
    --host-key-policy accept-new --known-hosts "$work/known_hosts" --rate-limit 1000 \
    >"$work/serve.log" 2>&1 &
pids+=($!)
server_pid=${pids[-1]}
for _ in $(seq 1 600); do
    if python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/health', timeout=1)" \
        2>/dev/null; then break; fi
    kill -0 "$server_pid" 2>/dev/null || { cat "$work/serve.log" >&2; exit 1; }
    sleep 0.1
done

# The batch guide's "Batch Command Execution" request, copied as its text stands (check.py points its two
# hosts at lab devices).
guide=$(cat scripts/netpulse-sdk/guide-request.json)

status=0
NETPULSE_URL="http://127.0.0.1:$port" NETPULSE_API_KEY="$key" LAB_INVENTORY="$work/lab.json" \
    HANG_INVENTORY="$work/hang.json" GUIDE="$guide" "$venv/bin/python" scripts/netpulse-sdk/check.py || status=1
if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "netpulse-sdk check: the server died during the run" >&2
    status=1
fi
if [ $status -ne 0 ]; then tail -50 "$work/serve.log" >&2; fi
exit $status
