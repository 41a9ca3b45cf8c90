#!/usr/bin/env bash
# The two-process set-up under faults: ONE `netpulse serve --database ... --no-worker` API process and
# three `netpulse worker` processes against DEVICES lab devices (default 10,000) in one batch submitted
# over HTTP (POST /device/bulk): even devices run a show command, odd devices a one-line config push.
# Mid-batch, one worker is killed with SIGKILL, then the API process is killed with SIGKILL and started
# again. Then the batch's result is fetched over HTTP (GET /batches/{id}) from the restarted API.
# Checks: every device has exactly one result, in the HTTP answer; no config job was claimed twice
# (`attempt` in the database); GET /workers lists the two live workers; the request's NetPulse `webhook`
# (a receiver on loopback) got every job's delivery at least once although the API process that accepted
# the batch was killed (the restarted API's webhook follower takes the batch over when the lease lapses).
# A correctness run, not a figure (minutes of SSH logins on 2 cores). Not part of CI.
#   bash Benchmarks/queue/api-scale.sh            # DEVICES=2000 bash Benchmarks/queue/api-scale.sh for a quick run
set -euo pipefail
cd "$(dirname "$0")/../.."
devices="${DEVICES:-10000}"
per_worker="${PER_WORKER:-64}"
swift build --product netpulse >&2
bin="$(swift build --show-bin-path)/netpulse"
work="$(mktemp -d /tmp/netpulse-api-scale-XXXXXX)"
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
# The webhook receiver: appends each delivery's job id to hooks.txt.
python3 - "$work/hooks.txt" "$work/hooks.port" <<'PY' &
import http.server, json, sys, threading
lock = threading.Lock()
class Hook(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with lock, open(sys.argv[1], "a") as out:
            out.write(json.loads(body).get("id", "?") + "\n")
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()
    def log_message(self, *args):
        pass
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hook)
open(sys.argv[2], "w").write(str(server.server_address[1]))
server.serve_forever()
PY
pids+=("$!")
for _ in $(seq 1 100); do [ -s "$work/hooks.port" ] && break; sleep 0.1; done
hook_url="http://127.0.0.1:$(cat "$work/hooks.port")/hook"
python3 - "$work/inventory.json" "$work/request.json" "$hook_url" <<'PY'
import json, sys
inv = json.load(open(sys.argv[1]))
inv["webhook"] = {"url": sys.argv[3], "timeout": 10, "max_retries": 5}
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

# The API process: no worker, open on loopback, large enough for one 10,000-device request.
start_api() {
    local out="$1"
    "$bin" serve --database "$db" --no-worker --open --port 0 --known-hosts "$known" \
        --max-devices $((devices + 1)) --max-body-bytes $((64 << 20)) --rate-limit 0 --dead-after 5 \
        --max-queued-jobs $((devices * 2)) >"$out" 2>&1 &
    api=$!
    pids+=("$api")
    for _ in $(seq 1 600); do grep -q '^listening on' "$out" 2>/dev/null && break; sleep 0.1; done
    grep '^listening on' "$out" || { cat "$out"; exit 1; }
    url="$(sed -n 's/^listening on \(http:\/\/[^ ]*\).*/\1/p' "$out" | head -n 1)"
}
start_api "$work/api1.out"
for i in 1 2 3; do
    "$bin" worker --database "$db" --name "w$i" --max-connections "$per_worker" --known-hosts "$known" \
        --dead-after 5 >"$work/w$i.out" 2>&1 &
    pids+=("$!")
    eval "worker$i=$!"
done
start=$(date +%s.%N)
batch="$(curl -sS --fail-with-body -X POST -H 'Content-Type: application/json' --data-binary @"$work/request.json" \
    "$url/device/bulk" | python3 -c 'import json,sys; print(json.load(sys.stdin)["batch_id"])')"
echo "batch $batch submitted over HTTP to $url"
final() { psql "$db" -tAc "SELECT count(*) FROM np_job WHERE state = 2"; }
# Mid-batch: kill -9 one worker, then kill -9 the API process and start it again.
for _ in $(seq 1 6000); do [ "$(final)" -ge $((devices / 3)) ] && break; sleep 0.1; done
kill -9 "$worker1"
echo "killed worker w1 (pid $worker1) with SIGKILL at $(final) final jobs"
for _ in $(seq 1 6000); do [ "$(final)" -ge $((devices / 2)) ] && break; sleep 0.1; done
kill -9 "$api"; wait "$api" 2>/dev/null || true
echo "killed the API process (pid $api) with SIGKILL at $(final) final jobs; starting it again"
start_api "$work/api2.out"
echo "API restarted at $url"
# The result over HTTP: ?wait= ends when the batch completes (bounded: 60 tries of 30 s).
for _ in $(seq 1 60); do
    curl -sS --fail-with-body "$url/batches/$batch?wait=30" >"$work/result.json"
    python3 -c 'import json,sys; sys.exit(0 if json.load(open(sys.argv[1]))["complete"] else 1)' "$work/result.json" \
        && break
done
end=$(date +%s.%N)
curl -sS --fail-with-body "$url/workers" >"$work/workers.json"
curl -sS --fail-with-body "$url/health" >"$work/health.json"
kill "$lab"; wait "$lab" 2>/dev/null || true
grep '^stopping' "$work/lab.out" || true
python3 - "$work/result.json" "$devices" "$start" "$end" "$work/workers.json" "$work/health.json" <<'PY'
import json, sys, collections
result = json.load(open(sys.argv[1]))
devices = int(sys.argv[2])
rows = result["results"]
indices = collections.Counter(r["index"] for r in rows)
kinds = collections.Counter((r.get("error") or {}).get("kind", "ok") for r in rows)
once = (result["complete"] and len(rows) == devices and set(indices) == set(range(devices))
        and max(indices.values()) == 1 and len(set(result["job_ids"])) == devices)
print("HTTP result: complete %s, %d results for %d devices, each exactly once: %s; outcomes %s; summary %s; %.1f s"
      % (result["complete"], len(rows), devices, once, dict(kinds), result["summary"],
         float(sys.argv[4]) - float(sys.argv[3])))
workers = json.load(open(sys.argv[5]))
print("GET /workers after the kill: %s" % sorted(w["name"] for w in workers))
health = json.load(open(sys.argv[6]))
print("GET /health: %s" % json.dumps(health["scheduler"], sort_keys=True))
sys.exit(0 if once and sorted(w["name"] for w in workers) == ["w2", "w3"] else 1)
PY
# Webhooks: every job's delivery arrives at least once (bounded wait: the killed API's lease, 30 s, must
# lapse before the restarted API's follower takes the batch over).
for _ in $(seq 1 1200); do
    [ "$(sort -u "$work/hooks.txt" 2>/dev/null | wc -l)" -ge "$devices" ] && break
    sleep 0.1
done
hooks_total="$(wc -l <"$work/hooks.txt" 2>/dev/null || echo 0)"
hooks_distinct="$(sort -u "$work/hooks.txt" 2>/dev/null | wc -l)"
echo "webhooks: $hooks_total deliveries, $hooks_distinct distinct jobs of $devices ($((hooks_total - hooks_distinct)) sent twice: at least once)"
[ "$hooks_distinct" -eq "$devices" ]
psql "$db" -tAc "SELECT 'config jobs ended worker_lost: ' || count(*) FROM np_job WHERE error_kind = 'worker_lost'"
psql "$db" -tAc "SELECT 'show jobs run more than once (retried after the kill): ' || count(*) FROM np_job WHERE attempt > 1 AND NOT is_config"
lost="$(psql "$db" -tAc "SELECT count(*) FROM np_job WHERE attempt > 1 AND is_config")"
echo "config jobs claimed more than once (must be 0): $lost"
[ "$lost" -eq 0 ]
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
