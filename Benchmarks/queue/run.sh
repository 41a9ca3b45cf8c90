#!/usr/bin/env bash
# The PostgreSQL queue's throughput with the in-memory driver (NetPulseTesting's InMemoryDriver, no SSH)
# through 1, 2 and 3 worker processes, on a throw-away PostgreSQL (scripts/pg/start.sh) unless
# NETPULSE_BENCH_DATABASE_URL names one. One JSON line per run (figures: see Sources/netpulse-queue-bench).
#   bash Benchmarks/queue/run.sh [JOBS] [CAPACITY]       # default 20000 jobs, 64 jobs at once per worker
set -euo pipefail
cd "$(dirname "$0")/../.."
jobs="${1:-20000}"
capacity="${2:-64}"
swift build -c release --product netpulse-queue-bench >&2
bench="$(swift build -c release --show-bin-path)/netpulse-queue-bench"
if [ -z "${NETPULSE_BENCH_DATABASE_URL:-}" ]; then
    eval "$(bash scripts/pg/start.sh)"
    trap 'bash scripts/pg/stop.sh "$NETPULSE_TEST_PG_DIR"' EXIT
    NETPULSE_BENCH_DATABASE_URL="$NETPULSE_TEST_DATABASE_URL"
fi
echo "# $(date -u +%FT%TZ) commit $(git rev-parse --short HEAD) uptime: $(uptime)" >&2
for workers in 1 2 3; do
    "$bench" run --database "$NETPULSE_BENCH_DATABASE_URL" --workers "$workers" --jobs "$jobs" --capacity "$capacity"
done
