#!/usr/bin/env bash
# Issue 16: "a batch with parsing on 1,000 devices returns parsed on every device". Starts `netpulse lab` with
# DEVICES cisco_ios devices (a separate process, stopped by its PID), runs one `show version` batch on all of
# them with `parsing: {"name": "textfsm", "use_ntc_template": true}` through `netpulse run --templates` (the
# ntc-templates folder of scripts/textfsm/venv.sh, from PyPI), and checks the result with Python: every device
# exactly once, successful, with one parsed record whose hostname, version and serial are the ones in that
# device's own raw output. Prints the wall time and the load; exits 1 if any device is not right.
#
#   scripts/parsing-fleet.sh                                   # 1,000 devices, debug build
#   DEVICES=200 DRIVER=libssh2 CONFIGURATION=release scripts/parsing-fleet.sh
set -euo pipefail
cd "$(dirname "$0")/.."
devices="${DEVICES:-1000}"
driver="${DRIVER:-libssh}"
configuration="${CONFIGURATION:-debug}"
limit="${RUN_LIMIT:-900}"
. scripts/textfsm/venv.sh

swift build -c "$configuration" --product netpulse
binary="$(swift build -c "$configuration" --show-bin-path)/netpulse"

work=$(mktemp -d)
lab_pid=""
cleanup() {
    if [ -n "$lab_pid" ] && kill -0 "$lab_pid" 2>/dev/null; then
        kill -TERM "$lab_pid"
        wait "$lab_pid" || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

password="lab-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
mkfifo "$work/lab.out"
NETPULSE_LAB_PASSWORD="$password" "$binary" lab --devices "$devices" --platforms cisco_ios \
    --inventory "$work/inventory.json" --folder "$work/lab" >"$work/lab.out" 2>"$work/lab.err" &
lab_pid=$!
exec 3<"$work/lab.out"
ready=""
# The lab says 'ready' once every device listens: read its lines with a deadline, no polling.
while IFS= read -r -t 300 line <&3; do
    if [[ $line == ready:* ]]; then
        ready=$line
        break
    fi
done
if [ -z "$ready" ]; then
    echo "parsing-fleet: the lab did not get ready within 300 s" >&2
    cat "$work/lab.err" >&2
    exit 1
fi
cat <&3 >"$work/lab.log" &
echo "$ready"

"$PYTHON" - "$work/inventory.json" "$work/request.json" "$driver" <<'PY'
import json, sys
request = json.load(open(sys.argv[1]))
request["driver"] = sys.argv[3]
request["command"] = "show version"
request["parsing"] = {"name": "textfsm", "use_ntc_template": True}
request["connection_args"]["timeout"] = 60
request["options"] = {"queue_strategy": "round_robin"}
json.dump(request, open(sys.argv[2], "w"))
PY

echo "parsing-fleet: $devices devices, driver $driver, $configuration build; load before: $(cut -d' ' -f1-3 /proc/loadavg)"
start=$(date +%s.%N)
status=0
timeout "$limit" "$binary" run "$work/request.json" --templates "$NTC_TEMPLATES" --quiet \
    --known-hosts "$work/lab/known_hosts" >"$work/result.json" || status=$?
end=$(date +%s.%N)
echo "parsing-fleet: netpulse run exited $status after $(echo "$end - $start" | bc) s; load after: $(cut -d' ' -f1-3 /proc/loadavg)"

"$PYTHON" - "$work/request.json" "$work/result.json" "$devices" <<'PY'
import json, re, sys
request = json.load(open(sys.argv[1]))
result = json.load(open(sys.argv[2]))
expected = int(sys.argv[3])
results = result["results"]
problems = []
if len(results) != expected or sorted(r["index"] for r in results) != list(range(expected)):
    problems.append(f"{len(results)} results for {expected} devices, or not each device once")
hostnames = set()
for r in results:
    where = f"device {r['index']} ({r['hostname']}:{r['port']})"
    if not r["success"]:
        problems.append(f"{where}: {r.get('error')}")
        continue
    out = r["outputs"][0]
    parsed = out.get("parsed")
    if not isinstance(parsed, list) or len(parsed) != 1:
        problems.append(f"{where}: parsed is {parsed!r}")
        continue
    record, raw = parsed[0], out["output"]
    own = {
        "hostname": re.search(r"^(\S+) uptime is", raw, re.M),
        "version": re.search(r"^Cisco IOS XE Software, Version (\S+)", raw, re.M),
        "serial": re.search(r"^Processor board ID (\S+)", raw, re.M),
    }
    for key, match in own.items():
        value = record.get(key)
        value = value[0] if isinstance(value, list) and len(value) == 1 else value
        if match is None or value != match.group(1):
            problems.append(f"{where}: parsed {key} {value!r}, its output says {match and match.group(1)!r}")
    hostnames.add(record.get("hostname"))
print(f"parsing-fleet: {len(results)} results, {sum(r['success'] for r in results)} successful, "
      f"{sum(1 for r in results if r['success'] and r['outputs'][0].get('parsed'))} with parsed records, "
      f"{len(hostnames)} distinct parsed hostnames; {len(problems)} problems")
for problem in problems[:20]:
    print("  " + problem)
sys.exit(1 if problems or len(hostnames) != expected else 0)
PY
