#!/usr/bin/env bash
# Issue 14's fleet checks, at full size: every device of a lab at once through each driver, exec (`linux`,
# `cat /etc/os-release`) and CLI (`cisco_ios`, `show version`), five rounds each; healthy fleets must have
# zero failures, and fleets with 10% seeded faults must give every faulty device the typed error of its
# fault (LabFleetCheck). Eight runs; bounded: each run has a time limit, and the lab is a separate process
# stopped by its own command. Exits 1 if any run is not clean.
#
#   Benchmarks/lab-fleet.sh                      # 3,000 devices, 5 rounds
#   DEVICES=300 ROUNDS=1 Benchmarks/lab-fleet.sh # the size of the normal test (FleetTests)
set -euo pipefail
cd "$(dirname "$0")/.."
devices="${DEVICES:-3000}"
rounds="${ROUNDS:-5}"
limit="${RUN_LIMIT:-1800}"
swift build -c release --product netpulse
swift build -c release --product netpulse-lab-bench
bench=.build/release/netpulse-lab-bench
status=0
for faults in 0 0.1; do
    for mode in exec cli; do
        for driver in libssh libssh2; do
            echo "=== $driver $mode, $devices devices, fault rate $faults, $rounds rounds ($(date -u +%H:%M:%S) UTC)"
            timeout "$limit" "$bench" fleet --driver "$driver" --mode "$mode" --devices "$devices" \
                --rounds "$rounds" --fault-rate "$faults" || status=1
        done
    done
done
exit $status
