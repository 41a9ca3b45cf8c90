#!/usr/bin/env bash
# Where NetPulse's client CPU goes in benchmark (d) (fresh CLI sessions against FakeNOS, issue 13):
# system calls per session (strace -c -f) and user-space instructions per session split by shared object
# (callgrind), for each driver. Both counts are load-independent, unlike CPU time.
#
#   scripts/bench/fakenos-profile.sh                       # builds netpulse-bench (release), 10 sessions
#   NO_BUILD=1 SESSIONS=20 DRIVERS=libssh2 TOP=30 scripts/bench/fakenos-profile.sh
#
# Method: FakeNOS (Benchmarks/ssh/third_party.py --emulator, venv Benchmarks/.venv as run.sh third-party
# makes it) serves SESSIONS devices on loopback ports from BASE (23000); known_hosts from ssh-keyscan, an
# inventory like run.sh's (cisco_ios, strict host keys). `netpulse-bench --scenario fresh` runs twice per
# tool, with 2 and with SESSIONS devices (all at once); the difference divided by SESSIONS - 2 is one
# session (connect, key exchange, host key check, password login, pty shell, `enable`, `terminal length 0`,
# `show version`, close) with process start and warm-up cancelled out. Valgrind 3.19 cannot read the
# release binary's DWARF 5, so callgrind runs a copy without debug sections (symbols stay); the sigsuspend
# shim is the one scripts/bench/callgrind.sh explains.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
sessions=${SESSIONS:-10}
drivers=${DRIVERS:-libssh libssh2}
base=${BASE:-23000}
top=${TOP:-20}
out=${OUT:-$(mktemp -d /tmp/netpulse-fakenos-profile.XXXXXX)}
mkdir -p "$out"
[ "$sessions" -gt 2 ] || { echo "SESSIONS must be more than 2" >&2; exit 2; }
for tool in valgrind strace ssh-keyscan objcopy; do
    command -v "$tool" >/dev/null || { echo "$tool is missing" >&2; exit 2; }
done
python="$root/Benchmarks/.venv/bin/python"
[ -x "$python" ] || { echo "no venv: run Benchmarks/ssh/run.sh third-party once (it makes Benchmarks/.venv)" >&2; exit 2; }
[ -n "${NO_BUILD:-}" ] || swift build -c release --product netpulse-bench >&2
echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet 2>/dev/null || echo ' (with uncommitted changes)')"

"$python" Benchmarks/ssh/third_party.py --emulator --sessions "$sessions" --base-port "$base" \
    > "$out/fakenos.out" 2> "$out/fakenos.log" &
emulator=$!
trap 'kill -TERM $emulator 2>/dev/null || true; wait $emulator 2>/dev/null || true' EXIT
for _ in $(seq 1 300); do grep -q '^ready' "$out/fakenos.out" 2>/dev/null && break; sleep 0.1; done
grep -q '^ready' "$out/fakenos.out" || { echo "FakeNOS did not start (see $out/fakenos.log)" >&2; exit 1; }
: > "$out/known_hosts"
for i in $(seq 0 $((sessions - 1))); do
    ssh-keyscan -t rsa -p $((base + i)) 127.0.0.1 >> "$out/known_hosts" 2>/dev/null
done
python3 - "$sessions" "$base" "$out" <<'PY'
import json, sys
n, base, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
args = {"device_type": "cisco_ios", "username": "user", "password": "user", "secret": "user",
        "known_hosts_file": out + "/known_hosts", "host_key_policy": "strict"}
json.dump({"driver": "netmiko", "connection_args": args,
           "devices": [{"host": "127.0.0.1", "port": base + i} for i in range(n)]}, open(out + "/fakenos.json", "w"))
PY

bench="$root/.build/release/netpulse-bench"
objcopy --strip-debug "$bench" "$out/netpulse-bench"
cc -O2 -shared -fPIC -o "$out/sigsuspend-copy.so" "$root/scripts/bench/sigsuspend-copy.c"

run() {  # run DRIVER DEVICES WRAPPER...: one netpulse-bench run; fails unless every device is ok
    local driver=$1 devices=$2
    shift 2
    "$@" "$out/netpulse-bench" --scenario fresh --driver "$driver" --inventory "$out/fakenos.json" \
        --devices "$devices" --concurrency "$sessions" --connects "$sessions" --connect-timeout 60 \
        --read-timeout 60 > "$out/bench-$driver-$devices.json"
    grep -q "\"ok\":$devices[,.]" "$out/bench-$driver-$devices.json" || {
        echo "$driver: not every device was ok (see $out/bench-$driver-$devices.json)" >&2
        exit 1
    }
}

for driver in $drivers; do
    for devices in 2 "$sessions"; do
        echo "$driver: $devices sessions under strace, then callgrind" >&2
        run "$driver" "$devices" strace -c -f -o "$out/strace-$driver-$devices.txt"
        run "$driver" "$devices" env LD_PRELOAD="$out/sigsuspend-copy.so" valgrind --tool=callgrind \
            --callgrind-out-file="$out/callgrind-$driver-$devices.out" --log-file="$out/callgrind-$driver-$devices.log"
    done
    echo
    echo "## $driver: system calls per session (strace -c -f, ($sessions - 2 sessions) difference)"
    python3 - "$out/strace-$driver-2.txt" "$out/strace-$driver-$sessions.txt" "$((sessions - 2))" <<'PY'
import sys
def calls(path):
    table = {}
    for line in open(path):
        fields = line.split()
        if len(fields) >= 5 and fields[0][0].isdigit() and fields[-1] != "total":
            errors = int(fields[4]) if len(fields) == 6 else 0
            table[fields[-1]] = (int(fields[3]), errors)
    return table
a, b, units = calls(sys.argv[1]), calls(sys.argv[2]), int(sys.argv[3])
rows = [(name, (b[name][0] - a.get(name, (0, 0))[0]) / units, (b[name][1] - a.get(name, (0, 0))[1]) / units)
        for name in b]
rows = [r for r in rows if r[1] >= 0.5]
rows.sort(key=lambda r: -r[1])
print("| system call | per session | of them errors |")
print("|---|---|---|")
for name, count, errors in rows:
    print(f"| {name} | {count:.1f} | {errors:.1f} |")
print(f"| all | {sum(r[1] for r in rows):.1f} | |")
PY
    echo
    python3 scripts/bench/callgrind_split.py per-unit "NetPulse $driver, per FakeNOS CLI session" 2 \
        "$out/callgrind-$driver-2.out" "$sessions" "$out/callgrind-$driver-$sessions.out" --top "$top" \
        > "$out/split-$driver.jsonl"
    python3 scripts/bench/callgrind_split.py table "$out/split-$driver.jsonl"
done
echo
echo "files in $out"
