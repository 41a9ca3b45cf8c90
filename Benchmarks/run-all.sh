#!/usr/bin/env bash
# The whole benchmark in one command, from a clean clone:
#   Benchmarks/run-all.sh            # the issue's sizes (takes ~15 min on 2 cores)
#   NETPULSE_BENCH_MICRO=0 Benchmarks/run-all.sh --scale 0.1 --netmiko-devices 20   # a quick look
# Release build of `netpulse` (the lab) and `netpulse-bench` (the NetPulse client), then
# Benchmarks/peers/run.sh: Python peers' virtualenv, labs, every scenario, results in Benchmarks/results/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
swift build -c release --product netpulse
swift build -c release --product netpulse-bench
# Micro figures (package-benchmark): CLI engine, JSON, scheduler per job. NETPULSE_BENCH_MICRO=0 skips.
if [ "${NETPULSE_BENCH_MICRO:-1}" != 0 ]; then
    mkdir -p Benchmarks/results
    (cd Benchmarks && swift package --disable-sandbox benchmark --no-progress --format markdown) \
        > Benchmarks/results/micro.md
fi
exec Benchmarks/peers/run.sh "$@"
