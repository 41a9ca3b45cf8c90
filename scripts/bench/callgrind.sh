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
# CACHE_SIM=1 also simulates the caches (valgrind --cache-sim=yes, about twice as slow) and prints a
# second table: first-level instruction-cache misses (I1mr) per unit, the code a unit of work touches
# beyond what fits in a 32 KB instruction cache.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
connections=${CONNECTIONS:-30}
commands=${COMMANDS:-300}
drivers=${DRIVERS:-libssh libssh2}
floors=${FLOORS:-1}
top=${TOP:-15}
cache_sim=${CACHE_SIM:-0}
case "$cache_sim" in
    0) valgrind_extra=() ;;
    1) valgrind_extra=(--cache-sim=yes) ;;
    *) echo "CACHE_SIM must be 0 or 1, not '$cache_sim'" >&2; exit 2 ;;
esac
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
exec valgrind --tool=callgrind ${valgrind_extra[*]} --callgrind-out-file="$out/floor-$floor-\$CALLGRIND_TAG.out" \\
    --log-file="$out/floor-$floor-\$CALLGRIND_TAG.log" "$out/$floor-floor" "\$@"
EOF
    chmod +x "$out/$floor-floor-callgrind"
done

runs=("0 0 base" "$connections 0 connections" "0 $commands commands")
results="$out/results.jsonl"
misses="$out/results-i1.jsonl"
: > "$results"
: > "$misses"
# Each per-unit figure, in instructions and (with CACHE_SIM=1) in instruction-cache misses.
split_per_unit() {
    python3 "$split" per-unit "$@" --top "$top" >> "$results"
    if [ "$cache_sim" = 1 ]; then python3 "$split" per-unit "$@" --top "$top" --event I1mr >> "$misses"; fi
}

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
    split_per_unit "raw C libssh, per connection" 0 "$out/floor-libssh-base.out" \
        "$connections" "$out/floor-libssh-connections.out"
    split_per_unit "raw C libssh2, per connection" 0 "$out/floor-libssh2-base.out" \
        "$connections" "$out/floor-libssh2-connections.out"
    split_per_unit "raw C libssh2, per command" 0 "$out/floor-libssh2-base.out" \
        "$commands" "$out/floor-libssh2-commands.out"
fi

for driver in $drivers; do
    for run in "${runs[@]}"; do
        read -r c k tag <<< "$run"
        echo "$driver: $c connections, $k commands" >&2
        ROUNDS=1 NETPULSE_BACKENDS=$driver LD_PRELOAD="$out/sigsuspend-copy.so" valgrind --tool=callgrind \
            "${valgrind_extra[@]}" \
            --callgrind-out-file="$out/$driver-$tag.out" --log-file="$out/$driver-$tag.log" \
            "$bench" "$c" "$k" > "$out/$driver-$tag.txt"
    done
    split_per_unit "NetPulse $driver, per connection" 0 "$out/$driver-base.out" \
        "$connections" "$out/$driver-connections.out"
    split_per_unit "NetPulse $driver, per command" 0 "$out/$driver-base.out" \
        "$commands" "$out/$driver-commands.out"
done

echo
echo "Instructions per unit of work (callgrind, $connections connections / $commands commands; files in $out):"
echo
python3 "$split" table "$results"
if [ "$cache_sim" = 1 ]; then
    echo
    echo "First-level instruction-cache misses per unit of work (callgrind --cache-sim=yes):"
    echo
    python3 "$split" table "$misses"
fi
