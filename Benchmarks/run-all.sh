#!/usr/bin/env bash
# The whole benchmark in one command, from a clean clone:
#   Benchmarks/run-all.sh            # the issue's sizes (takes ~15 min on 2 cores)
#   Benchmarks/run-all.sh --scale 0.1 --netmiko-devices 20   # a quick look
# Release build of `netpulse` (the lab) and `netpulse-bench` (the NetPulse client), then
# Benchmarks/peers/run.sh: Python peers' virtualenv, labs, every scenario, results in Benchmarks/results/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
swift build -c release --product netpulse
swift build -c release --product netpulse-bench
exec Benchmarks/peers/run.sh "$@"
