#!/usr/bin/env bash
# A round-robin CLI batch of 1,000 `cisco_ios` lab devices through the libssh2 driver (scenario 1 of the
# benchmark, 100 at a time): wall time, per-device latency and lab CPU. Before issue 14 the lab never
# answered a client's channel CLOSE, so every libssh2 close waited out its deadline (~1 s per device).
#
#   Benchmarks/lab-round-robin.sh [BUILD_DIR] [DRIVER]
#   DEVICES=50 CONCURRENCY=1 Benchmarks/lab-round-robin.sh   # one device at a time: each close is visible
#
# BUILD_DIR holds release builds of `netpulse` and `netpulse-bench` (default: this checkout's
# .build/release, built if missing); pass another checkout's to measure that one. The lab runs as its own
# process and is stopped by its PID.
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-.build/release}"
driver="${2:-libssh2}"
devices="${DEVICES:-1000}"
concurrency="${CONCURRENCY:-100}"
if [ "$build" = ".build/release" ]; then
    swift build -c release --product netpulse
    swift build -c release --product netpulse-bench
fi
work="$(mktemp -d /tmp/netpulse-rr-XXXXXX)"
"$build/netpulse" lab --devices "$devices" --platforms cisco_ios --inventory "$work/inventory.json" \
    --folder "$work/lab" > "$work/lab.out" &
lab=$!
trap 'kill "$lab" 2>/dev/null || true; wait "$lab" 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 1 600); do grep -q '^ready:' "$work/lab.out" 2>/dev/null && break; sleep 0.1; done
grep -q '^ready:' "$work/lab.out" || { echo "lab not ready"; exit 1; }
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg); build: $build; driver: $driver; $devices devices, $concurrency at a time"
timeout 900 "$build/netpulse-bench" --scenario fresh --driver "$driver" --inventory "$work/inventory.json" \
    --lab-pid "$lab" --devices "$devices" --concurrency "$concurrency" |
    python3 -c 'import json,sys
for line in sys.stdin:
    f = json.loads(line)
    if "wall_s" in f:
        print("wall %.2f s, ok %d, failed %d, latency p50 %.3f s p99 %.3f s, client CPU %.2f s, lab CPU %.2f s, errors %s"
              % (f["wall_s"], f["ok"], f["failed"], f["lat_p50_s"], f["lat_p99_s"], f["cpu_s"], f["lab_cpu_s"] or 0,
                 f["error_kinds"]))
    elif "shutdown_s" in f:
        print("closing the scheduler took %.2f s" % f["shutdown_s"])'
kill "$lab"; wait "$lab" || true
grep '^stopping' "$work/lab.out" || true
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
