#!/usr/bin/env bash
# One result set, from one commit, in one run: every figure the README quotes.
#
#   Benchmarks/run-round.sh [OUT]        # default Benchmarks/results/<date>-<commit>/
#
# Builds every release binary first (nothing is measured while anything builds), then runs, one after
# another, each writing OUT/<step>.txt headed by the commit, the UTC time and the load average:
#   ssh-sshd        Benchmarks/ssh/run.sh sshd          issue 13 (b), (c)
#   ssh-fleet       Benchmarks/ssh/run.sh fleet         issue 13 (a)
#   ssh-third-party Benchmarks/ssh/run.sh third-party   issue 13 (d)
#   lab-login-*     netpulse-lab-bench login            issue 14 (lab CPU per login and per command)
#   scheduler       SchedulerBench                      scheduler overhead per job
#   queue           Benchmarks/queue/run.sh             issue 18 (PostgreSQL queue, 1-3 workers)
#   api-*           netpulse-api-bench memory / jobs    issue 15
#   peers-modern/   Benchmarks/peers/run.sh             every peer, every scenario, lab answering at once
#   peers-wan/      the same with --profile wan         end to end against slow devices
# Sizes: PEERS_SCALE (0.2), WAN_SCALE (0.2), NETMIKO_DEVICES (20). STEPS="sshd fleet ..." runs a subset.
# Run it on a quiet machine: the load average is in every file; a step started above load 2 says so.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
commit=$(git rev-parse --short HEAD)
dirty=$(git status --porcelain --untracked-files=no | grep -v '^.. Benchmarks/results/' || true)
if [ -n "$dirty" ]; then
    echo "run-round: the checkout has uncommitted changes; figures must describe a commit" >&2
    echo "$dirty" >&2
    exit 2
fi
out=${1:-Benchmarks/results/$(date -u +%F)-$commit}
mkdir -p "$out"
steps=${STEPS:-"sshd fleet third-party lab scheduler queue api peers-modern peers-wan"}
build_scheduler_bench=0
case " $steps " in *" scheduler "*) build_scheduler_bench=1 ;; esac

bash scripts/bootstrap.sh
for product in netpulse netpulse-bench netpulse-sshbench netpulse-lab-bench netpulse-queue-bench netpulse-api-bench; do
    swift build -c release --product "$product"
done
[ "$build_scheduler_bench" = 0 ] || (cd Benchmarks/SchedulerBench && swift build -c release)
bin=$(swift build -c release --show-bin-path)
# The builds leave the load average high for a while: wait (at most QUIET_WAIT seconds, 180) for the one-minute
# load to fall below 1.5 before the first measurement.
for _ in $(seq 1 "${QUIET_WAIT:-180}"); do
    awk '{ exit !($1 < 1.5) }' /proc/loadavg && break
    sleep 1
done

header() {
    echo "# commit $commit, $(date -u +%FT%TZ), load average $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "# command: $*"
}

# Runs one step: `step NAME command…`, output (stdout and stderr) into OUT/NAME.txt.
step() {
    local name=$1
    shift
    echo "run-round: $name ($(date -u +%T), load $(cut -d' ' -f1 /proc/loadavg))" >&2
    local status=0
    {
        header "$@"
        "$@" 2>&1 || status=$?
        echo "# ended $(date -u +%FT%TZ), exit status $status, load average $(cut -d' ' -f1-3 /proc/loadavg)"
    } > "$out/$name.txt"
    # A failed step is recorded (its file says so) and the round goes on; the round's exit status says it.
    if [ "$status" != 0 ]; then
        echo "run-round: $name FAILED (exit $status), see $out/$name.txt" >&2
        failed="$failed $name"
    fi
}
failed=

for s in $steps; do
    case "$s" in
    sshd) step ssh-sshd Benchmarks/ssh/run.sh sshd ;;
    fleet) step ssh-fleet Benchmarks/ssh/run.sh fleet ;;
    third-party) step ssh-third-party Benchmarks/ssh/run.sh third-party ;;
    lab)
        for platform in linux cisco_ios; do
            step "lab-login-$platform" "$bin/netpulse-lab-bench" login --devices 1000 --sessions 1000 \
                --commands 10 --platform "$platform"
        done
        # The same with ECDSA host keys and only NIST key exchanges offered (cheaper in libssh/OpenSSL).
        step lab-login-linux-ecdsa+nist "$bin/netpulse-lab-bench" login --devices 1000 --sessions 1000 \
            --commands 10 --platform linux --profile ecdsa+nist
        ;;
    scheduler)
        step scheduler Benchmarks/SchedulerBench/.build/release/SchedulerBench 100000 3
        ;;
    queue) step queue bash Benchmarks/queue/run.sh 20000 64 ;;
    api)
        step api-memory "$bin/netpulse-api-bench" memory
        step api-jobs "$bin/netpulse-api-bench" jobs
        ;;
    peers-modern)
        step peers-modern-log Benchmarks/peers/run.sh --scale "${PEERS_SCALE:-0.2}" \
            --netmiko-devices "${NETMIKO_DEVICES:-20}" --output "$out/peers-modern"
        ;;
    peers-wan)
        step peers-wan-log Benchmarks/peers/run.sh --scale "${WAN_SCALE:-0.2}" \
            --netmiko-devices "${NETMIKO_DEVICES:-20}" --profile wan --output "$out/peers-wan"
        ;;
    *)
        echo "run-round: unknown step '$s' (steps: sshd fleet third-party lab scheduler queue api peers-modern peers-wan)" >&2
        exit 2
        ;;
    esac
done
if [ -n "$failed" ]; then
    echo "run-round: done, results in $out; FAILED steps:$failed" >&2
    exit 1
fi
echo "run-round: done, results in $out" >&2
