#!/usr/bin/env bash
# Instructions per fresh SSH connection and per command on a reused shell, counted by callgrind, for
# both NetPulse drivers and the raw C floors (scripts/bench/libssh2-floor.c, libssh-floor.c), against the
# OpenSSH sshd that netpulse-sshbench starts on loopback. Instruction counts do not change with the
# machine's load, so this is the figure to compare before and after a change while the machine is busy
# (CPU time is what the lead measures later on a quiet machine, with Benchmarks/ssh/run.sh sshd).
#
#   scripts/bench/callgrind.sh                 # builds (release), then measures everything
#   NO_BUILD=1 DRIVERS=libssh FLOORS=0 TOP=25 scripts/bench/callgrind.sh
#
# Method: each program runs three times under `valgrind --tool=callgrind`: (0 connections, 0 commands),
# (CONNECTIONS, 0) and (0, COMMANDS), each after the bench's own warm-up (10 connections, 50 commands).
# The difference of two runs' instructions divided by the difference of their work is the cost of one
# connection (connect, key exchange, public-key login, exec `true`, close) or one command (`show
# terminal` through the CLI engine on a pty shell), with start-up and warm-up cancelled out. Only the
# client's instructions are counted (sshd is not traced). The split by shared object is the functions'
# self cost: "NetPulse" is the bench executable (NetPulse and the Swift packages, linked statically).
#
# Sizes: CONNECTIONS (30), COMMANDS (300). DRIVERS ("libssh libssh2"), FLOORS (1: also the C floors),
# TOP (the number of functions to list per measurement, 15), OUT (where the callgrind files stay),
# BENCH (another netpulse-sshbench binary, e.g. a copy of an earlier build, with NO_BUILD=1).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
connections=${CONNECTIONS:-30}
commands=${COMMANDS:-300}
drivers=${DRIVERS:-libssh libssh2}
floors=${FLOORS:-1}
top=${TOP:-15}
out=${OUT:-$(mktemp -d /tmp/netpulse-callgrind.XXXXXX)}
mkdir -p "$out"
split="$root/scripts/bench/callgrind_split.py"
command -v valgrind >/dev/null || { echo "valgrind is missing (apt-get install valgrind)" >&2; exit 1; }

echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet 2>/dev/null || echo ' (with uncommitted changes)')"
if [ -z "${NO_BUILD:-}" ]; then
    swift build -c release --product netpulse-sshbench >&2
    cc -O2 -o "$out/libssh2-floor" scripts/bench/libssh2-floor.c -lssh2
    cc -O2 -o "$out/libssh-floor" scripts/bench/libssh-floor.c -lssh
else
    [ -x "$out/libssh2-floor" ] || cc -O2 -o "$out/libssh2-floor" scripts/bench/libssh2-floor.c -lssh2
    [ -x "$out/libssh-floor" ] || cc -O2 -o "$out/libssh-floor" scripts/bench/libssh-floor.c -lssh
fi
bench=${BENCH:-$root/.build/release/netpulse-sshbench}
[ -x "$bench" ] || { echo "$bench is missing: build it (or run without NO_BUILD)" >&2; exit 1; }

# Valgrind 3.19 crashes on the Swift bench: libdispatch's main thread (Swift's async main) parks in
# sigsuspend() on a mask in read-only memory, and valgrind's rt_sigsuspend wrapper writes into that mask
# (SIGSEGV inside valgrind). A preloaded sigsuspend that hands the kernel a copy avoids it; the main
# thread only sleeps there, so it adds nothing to the work measured.
cc -O2 -shared -fPIC -o "$out/sigsuspend-copy.so" "$root/scripts/bench/sigsuspend-copy.c"

# The floors run as the bench's children (it starts sshd and hands them the ports); a wrapper puts each
# under callgrind, its output file named by the run's tag.
for floor in libssh2 libssh; do
    cat > "$out/$floor-floor-callgrind" <<EOF
#!/bin/sh
exec valgrind --tool=callgrind --callgrind-out-file="$out/floor-$floor-\$CALLGRIND_TAG.out" \\
    --log-file="$out/floor-$floor-\$CALLGRIND_TAG.log" "$out/$floor-floor" "\$@"
EOF
    chmod +x "$out/$floor-floor-callgrind"
done

runs=("0 0 base" "$connections 0 connections" "0 $commands commands")
results="$out/results.jsonl"
: > "$results"

if [ "$floors" = 1 ]; then
    for run in "${runs[@]}"; do
        read -r c k tag <<< "$run"
        echo "floors: $c connections, $k commands" >&2
        CALLGRIND_TAG=$tag NETPULSE_BACKENDS=none NETPULSE_FLOOR="$out/libssh2-floor-callgrind" \
            NETPULSE_FLOOR_LIBSSH="$out/libssh-floor-callgrind" "$bench" "$c" "$k" > "$out/floors-$tag.txt"
        for floor in libssh2 libssh; do
            [ -s "$out/floor-$floor-$tag.out" ] || {
                echo "the $floor floor left no callgrind output (see $out/floors-$tag.txt, $out/floor-$floor-$tag.log)" >&2
                exit 1
            }
        done
    done
    python3 "$split" per-unit "raw C libssh, per connection" 0 "$out/floor-libssh-base.out" \
        "$connections" "$out/floor-libssh-connections.out" --top "$top" >> "$results"
    python3 "$split" per-unit "raw C libssh2, per connection" 0 "$out/floor-libssh2-base.out" \
        "$connections" "$out/floor-libssh2-connections.out" --top "$top" >> "$results"
    python3 "$split" per-unit "raw C libssh2, per command" 0 "$out/floor-libssh2-base.out" \
        "$commands" "$out/floor-libssh2-commands.out" --top "$top" >> "$results"
fi

for driver in $drivers; do
    for run in "${runs[@]}"; do
        read -r c k tag <<< "$run"
        echo "$driver: $c connections, $k commands" >&2
        ROUNDS=1 NETPULSE_BACKENDS=$driver LD_PRELOAD="$out/sigsuspend-copy.so" valgrind --tool=callgrind \
            --callgrind-out-file="$out/$driver-$tag.out" --log-file="$out/$driver-$tag.log" \
            "$bench" "$c" "$k" > "$out/$driver-$tag.txt"
    done
    python3 "$split" per-unit "NetPulse $driver, per connection" 0 "$out/$driver-base.out" \
        "$connections" "$out/$driver-connections.out" --top "$top" >> "$results"
    python3 "$split" per-unit "NetPulse $driver, per command" 0 "$out/$driver-base.out" \
        "$commands" "$out/$driver-commands.out" --top "$top" >> "$results"
done

echo
echo "Instructions per unit of work (callgrind, $connections connections / $commands commands; files in $out):"
echo
python3 "$split" table "$results"
