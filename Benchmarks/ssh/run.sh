#!/usr/bin/env bash
# The SSH layer's benchmarks (issue 13), one command each, from the repository root or anywhere:
#
#   Benchmarks/ssh/run.sh fleet        # (a) 5,000 lab devices, `show version` each, strict host keys,
#                                      #     both drivers, client CPU per device vs the raw C libssh floor
#   Benchmarks/ssh/run.sh sshd         # (b) client CPU per fresh connection vs the raw C floors, and
#                                      # (c) CPU per command on a reused shell, both drivers, vs OpenSSH sshd
#   Benchmarks/ssh/run.sh third-party  # (d) 200 fresh CLI sessions on a device emulator from PyPI (fakenos),
#                                      #     NetPulse (both drivers) vs asyncssh and scrapli, in one run
#
# Release builds; every run prints `uptime` (the machine is shared: compare CPU columns, not wall).
# On a busy machine, compare instruction counts instead: scripts/bench/callgrind.sh gives (b) and (c) per
# driver and per raw C floor, split by shared object (callgrind counts the client's user-space
# instructions only: system calls and context switches are not in it).
# Sizes: DEVICES (fleet, 5000), CONNECTIONS/COMMANDS (sshd, 300/3000), SESSIONS (third-party, 200).
# CLIENTS (third-party): which clients, in order (default libssh,libssh2,asyncssh,scrapli; libssh:2 is the
# libssh driver with a readiness loop of two threads, `netpulse-bench --io-threads 2`). ROUNDS: sshd, the
# rounds of both drivers (2); third-party, the rounds of the clients against one FakeNOS, the order reversed
# every other round, with the ratios taken within each round (1; e.g. CLIENTS=libssh,libssh2,asyncssh ROUNDS=2).
# INTERLEAVE (sshd): the chunks of the floor-interleaved fresh connections (6).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
what=${1:?"usage: $0 fleet|sshd|third-party"}
work=$(mktemp -d /tmp/netpulse-sshbench.XXXXXX)
echo "load: $(uptime)"
echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"

build() {
    for product in "$@"; do swift build -c release --product "$product" >&2; done
}

case "$what" in
fleet)
    devices=${DEVICES:-5000}
    build netpulse netpulse-bench
    cc -O2 -o "$work/libssh-lab-floor" scripts/bench/libssh-lab-floor.c -lssh
    .build/release/netpulse lab --devices "$devices" --platforms cisco_ios --inventory "$work/fleet.json" \
        --folder "$work/lab" > "$work/lab.out" 2> "$work/lab.err" &
    lab=$!
    trap 'kill -TERM $lab 2>/dev/null || true; wait $lab 2>/dev/null || true' EXIT
    for _ in $(seq 1 600); do grep -q '^ready:' "$work/lab.out" 2>/dev/null && break; sleep 0.2; done
    grep '^ready:' "$work/lab.out" || { echo "the lab did not start (see $work/lab.err)"; exit 1; }
    read -r host port user password < <(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
dev = d["devices"][0]
args = d.get("connection_args", {})
print(dev["host"], dev["port"], dev.get("username", args.get("username")), dev.get("password", args.get("password")))
' "$work/fleet.json")
    "$work/libssh-lab-floor" "$host" "$port" "$user" "$password" "${FLOOR_CONNECTIONS:-500}" "show version" \
        | tee "$work/floor.json"
    for driver in libssh libssh2; do
        echo "load: $(uptime)"
        .build/release/netpulse-bench --scenario fresh --driver "$driver" --inventory "$work/fleet.json" \
            --lab-pid "$lab" --devices "$devices" --concurrency "${CONCURRENCY:-100}" \
            | sed -n 1p | tee "$work/$driver.json"
    done
    python3 - "$work" <<'PY'
import json, os, sys
work = sys.argv[1]
floor = json.load(open(os.path.join(work, "floor.json")))["cpu_per_connection_ms"]
print(f"\nraw C libssh floor: {floor:.3f} ms CPU per fresh exec connection")
print("| driver | devices | ok | failed | wall s | client CPU s | CPU/device ms | x floor | errors |")
print("|---|---|---|---|---|---|---|---|---|")
for driver in ["libssh", "libssh2"]:
    f = json.load(open(os.path.join(work, f"{driver}.json")))
    per = f["cpu_per_device_ms"]
    print(f"| {driver} | {f['devices']:.0f} | {f['ok']:.0f} | {f['failed']:.0f} | {f['wall_s']:.2f} | "
          f"{f['cpu_s']:.2f} | {per:.3f} | {per / floor:.2f} | {f.get('error_kinds') or ''} |")
PY
    ;;
sshd)
    build netpulse-sshbench
    cc -O2 -o "$work/libssh2-floor" scripts/bench/libssh2-floor.c -lssh2
    cc -O2 -o "$work/libssh-floor" scripts/bench/libssh-floor.c -lssh
    NETPULSE_FLOOR="$work/libssh2-floor" NETPULSE_FLOOR_LIBSSH="$work/libssh-floor" INTERLEAVE="${INTERLEAVE:-6}" \
        .build/release/netpulse-sshbench "${CONNECTIONS:-300}" "${COMMANDS:-3000}"
    ;;
third-party)
    build netpulse-bench
    venv="$root/Benchmarks/.venv"
    [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check -r Benchmarks/peers/requirements.txt
    exec "$venv/bin/python" Benchmarks/ssh/third_party.py --work "$work" --sessions "${SESSIONS:-200}" \
        --clients "${CLIENTS:-libssh,libssh2,asyncssh,scrapli}" --rounds "${ROUNDS:-1}"
    ;;
*)
    echo "usage: $0 fleet|sshd|third-party" >&2
    exit 2
    ;;
esac
echo "load: $(uptime)"
