#!/usr/bin/env bash
# One front-end process and three `netpulse worker` processes on PostgreSQL against DEVICES lab devices
# (default 10,000) in one batch: even devices run a show command, odd devices a one-line config push.
# Mid-batch, one worker is killed with SIGKILL and the process waiting for the result (`netpulse db
# result`, the API side) is stopped and started again. Checks: every device has exactly one result, no
# device got its config line twice (the lab's per-line command counts), the batch's result is read after
# the restart. Not part of CI (minutes of SSH logins on 2 cores).
#   bash Benchmarks/queue/scale.sh            # DEVICES=2000 bash Benchmarks/queue/scale.sh for a quick run
set -euo pipefail
cd "$(dirname "$0")/../.."
devices="${DEVICES:-10000}"
per_worker="${PER_WORKER:-64}"
swift build --product netpulse >&2
bin="$(swift build --show-bin-path)/netpulse"
work="$(mktemp -d /tmp/netpulse-scale-XXXXXX)"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    [ -n "${NETPULSE_TEST_PG_DIR:-}" ] && bash scripts/pg/stop.sh "$NETPULSE_TEST_PG_DIR"
    rm -rf "$work"
}
trap cleanup EXIT
eval "$(bash scripts/pg/start.sh)"
db="$NETPULSE_TEST_DATABASE_URL"
echo "# $(date -u +%FT%TZ) commit $(git rev-parse --short HEAD) load: $(cut -d' ' -f1-3 /proc/loadavg)"

ulimit -n 65536 2>/dev/null || true
"$bin" lab --devices "$devices" --platforms cisco_ios --inventory "$work/inventory.json" --folder "$work/lab" \
    >"$work/lab.out" 2>&1 &
lab=$!
pids+=("$lab")
for _ in $(seq 1 3000); do grep -q '^ready:' "$work/lab.out" 2>/dev/null && break; sleep 0.1; done
grep '^ready:' "$work/lab.out" || { cat "$work/lab.out"; exit 1; }

"$bin" db migrate --database "$db"
python3 - "$work/inventory.json" "$work/request.json" <<'PY'
import json, sys
inv = json.load(open(sys.argv[1]))
for i, d in enumerate(inv["devices"]):
    if i % 2:
        d["config"] = ["hostname pushed-%d" % i]
    else:
        d["command"] = "show version"
inv.pop("command", None)
inv.pop("config", None)
inv.setdefault("options", {})["queue_strategy"] = "round_robin"
json.dump(inv, open(sys.argv[2], "w"))
PY
known="$work/lab/known_hosts"
for i in 1 2 3; do
    "$bin" worker --database "$db" --name "w$i" --max-connections "$per_worker" --known-hosts "$known" \
        >"$work/w$i.out" 2>&1 &
    pids+=("$!")
    eval "worker$i=$!"
done
start=$(date +%s.%N)
batch="$("$bin" db submit --database "$db" "$work/request.json" --known-hosts "$known")"
echo "batch $batch submitted"
"$bin" db result --database "$db" "$batch" >"$work/result1.json" &
api=$!
pids+=("$api")
final() { psql "$db" -tAc "SELECT count(*) FROM np_job WHERE state = 2"; }
# Mid-batch: kill -9 one worker, stop the process waiting for the result.
for _ in $(seq 1 6000); do [ "$(final)" -ge $((devices / 3)) ] && break; sleep 0.1; done
kill -9 "$worker1"
echo "killed worker w1 (pid $worker1) with SIGKILL at $(final) final jobs"
kill "$api"; wait "$api" 2>/dev/null || true
echo "stopped the result reader at $(final) final jobs; starting it again"
timeout 1800 "$bin" db result --database "$db" "$batch" >"$work/result.json"
end=$(date +%s.%N)
kill "$lab"; wait "$lab" 2>/dev/null || true
grep '^stopping' "$work/lab.out" || true
python3 - "$work/result.json" "$devices" "$start" "$end" <<'PY'
import json, sys, collections
result = json.load(open(sys.argv[1]))
devices = int(sys.argv[2])
rows = result["results"]
indices = collections.Counter(r["index"] for r in rows)
kinds = collections.Counter((r.get("error") or {}).get("kind", "ok") for r in rows)
once = len(rows) == devices and set(indices) == set(range(devices)) and max(indices.values()) == 1
print("results %d for %d devices, each exactly once: %s; outcomes %s; %.1f s"
      % (len(rows), devices, once, dict(kinds), float(sys.argv[4]) - float(sys.argv[3])))
sys.exit(0 if once else 1)
PY
psql "$db" -tAc "SELECT 'config jobs ended worker_lost: ' || count(*) FROM np_job WHERE error_kind = 'worker_lost'"
psql "$db" -tAc "SELECT 'show jobs run more than once (retried after the kill): ' || count(*) FROM np_job WHERE attempt > 1 AND NOT is_config"
psql "$db" -tAc "SELECT 'config jobs claimed more than once (must be 0): ' || count(*) FROM np_job WHERE attempt > 1 AND is_config"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
