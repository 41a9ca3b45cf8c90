#!/usr/bin/env bash
# Reproducer for issue 13's lost exec output ("pinned exec" timeouts with libssh2): one `netpulse lab`
# with DEVICES linux devices, then RUNS runs of netpulse-bench's pinned exec scenario (COMMANDS
# commands per device, each on its own exec channel of the device's one session), counting the
# commands that failed. Bounded: RUNS runs, each killed after RUN_LIMIT seconds, the whole script after
# TOTAL_LIMIT seconds. Loopback only.
#
#   scripts/bench/pinned-exec-repro.sh [BIN_DIR] [DRIVER]
#   DEVICES=100 COMMANDS=40 RUNS=10 READ_TIMEOUT=3 scripts/bench/pinned-exec-repro.sh .build/release libssh2
#
# The defect needs a command's answer to land between the session's stdout read and its stderr read, a
# window of microseconds: plain, it hit about 1 command in 80,000 here (release build, 2 cores). WRAP runs
# the client under a command: WRAP="strace -f -o /dev/null" slows the client's system calls (not the
# lab's), which widens that window: 22 of 8,000 commands failed before the fix, 0 after
# (DEVICES=40 COMMANDS=20 RUNS=10 READ_TIMEOUT=3). LAB_WRAP does the same for the lab.
# Tests/SSHDriverTests/ExecStallScenarios.swift provokes the order on every command (deterministic).
#
# Prints one line per run (failed commands, error kinds) and a total line.
set -euo pipefail
BIN=${1:-.build/release}
DRIVER=${2:-libssh2}
DEVICES=${DEVICES:-100}
COMMANDS=${COMMANDS:-40}
RUNS=${RUNS:-10}
READ_TIMEOUT=${READ_TIMEOUT:-3}
CONCURRENCY=${CONCURRENCY:-100}
RUN_LIMIT=${RUN_LIMIT:-120}
TOTAL_LIMIT=${TOTAL_LIMIT:-1200}
WORK=$(mktemp -d /tmp/pinned-exec-repro.XXXXXX)
started=$(date +%s)

# The lab's stdout through a pipe: its 'ready' line is waited for with a deadline, not polled.
# shellcheck disable=SC2086 # LAB_WRAP is a command line
coproc LABPROC { exec ${LAB_WRAP:-} "$BIN/netpulse" lab --devices "$DEVICES" --platforms linux --inventory "$WORK/lab.json" \
    --folder "$WORK/lab" --profile modern 2>"$WORK/lab.err"; }
LAB=$LABPROC_PID
exec {LABOUT}<&"${LABPROC[0]}"
trap 'kill "$LAB" 2>/dev/null || true; wait "$LAB" 2>/dev/null || true' EXIT
ready=""
while IFS= read -r -t 120 -u "$LABOUT" line; do
    if [[ $line == ready* ]]; then ready=$line; break; fi
done
[[ -n $ready ]] || { echo "lab not ready within 120 s (see $WORK/lab.err)" >&2; exit 1; }
echo "$ready"
# Keep draining the lab's stdout so that it never blocks on a full pipe.
cat <&"$LABOUT" >"$WORK/lab.out" &

total_failed=0
total_commands=0
for run in $(seq 1 "$RUNS"); do
    if (( $(date +%s) - started > TOTAL_LIMIT )); then echo "stopped: TOTAL_LIMIT reached"; break; fi
    # shellcheck disable=SC2086 # WRAP is a command line
    out=$(timeout "$RUN_LIMIT" ${WRAP:-} "$BIN/netpulse-bench" --driver "$DRIVER" --scenario pinned \
        --inventory "$WORK/lab.json" --devices "$DEVICES" --commands "$COMMANDS" \
        --concurrency "$CONCURRENCY" --read-timeout "$READ_TIMEOUT" 2>"$WORK/bench-$run.err" | head -1) || true
    line=$(python3 - "$out" <<'PY'
import json, sys
try:
    figures = json.loads(sys.argv[1])
except Exception:
    print("-1 no-figures")
    sys.exit()
kinds = figures.get("error_kinds", {})
print(sum(kinds.values()), json.dumps(kinds), json.dumps(figures.get("error_samples", {}))[:300])
PY
)
    failed=${line%% *}
    echo "run $run: failed commands $line"
    if [[ $failed == -1 ]]; then failed=0; fi
    total_failed=$((total_failed + failed))
    total_commands=$((total_commands + DEVICES * COMMANDS))
done
echo "total: $total_failed failed of $total_commands commands ($DRIVER, $DEVICES devices x $COMMANDS commands, $RUNS runs)"
