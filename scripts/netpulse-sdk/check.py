"""netpulse-sdk 0.4.0 against `netpulse serve` and lab devices, as the SDK's README uses it.

Run by scripts/netpulse-sdk.sh, which starts the lab and the server. Every step asserts what the SDK
returns; the first failure ends the run with its step named. Also sends the batch guide's request
over plain HTTP and checks that a second batch to the same devices reuses the pinned sessions.
"""

import json
import os
import sys
import time
import urllib.request

from netpulse_sdk import NetPulseClient

URL = os.environ["NETPULSE_URL"]
KEY = os.environ["NETPULSE_API_KEY"]
LAB = json.load(open(os.environ["LAB_INVENTORY"]))
HANG = json.load(open(os.environ["HANG_INVENTORY"]))
GUIDE = os.environ["GUIDE"]
DEADLINE = 60  # seconds any one wait may take

failures = []


def check(step, condition, detail=""):
    status = "ok  " if condition else "FAIL"
    print(f"{status} {step}" + (f": {detail}" if detail and not condition else ""), flush=True)
    if not condition:
        failures.append(step)


def device_args(device):
    return {k: device[k] for k in ("device_type", "username", "password", "port")}


devices = LAB["devices"]
first = devices[0]
client = NetPulseClient(
    base_url=URL,
    api_key=KEY,
    default_connection_args={k: first[k] for k in ("device_type", "username", "password")},
)

# ping
check("ping", client.ping() is True)

# run on a device list (bulk), wait, read each device's output
group = client.run(
    devices=[{"host": d["host"], "port": d["port"]} for d in devices], command=["show version"], mode="bulk"
)
check("run bulk: one job per device", len(group.jobs) == len(devices), f"{len(group.jobs)} jobs")
group.wait(timeout=DEADLINE)
results = group.results()
check("run bulk: every job finished", group.status == "finished", group.status)
check("run bulk: one result per device", len(results) == len(devices), f"{len(results)} results")
for result in results:
    check(f"run bulk: {result.job_id} ok with output", result.ok and "uptime" in result.stdout.lower(),
          repr(result)[:300] + " " + result.stdout[:200])
bulk_ids = group.id

# run on one device (exec)
job = client.run(devices=first["host"], command="show version", mode="exec", connection_args=device_args(first))
job.wait(timeout=DEADLINE)
result = job.first()
check("run exec: finished", job.status == "finished", job.status)
check("run exec: output", result.ok and result.command == "show version" and "uptime" in result.stdout.lower(),
      result.stdout[:200])
check("run exec: duration and queue_time", job.duration is not None and job.queue_time is not None)

# collect
collected = client.collect(devices=first["host"], command=["show clock", "show version"],
                           connection_args=device_args(first))
collected.wait(timeout=DEADLINE)
outputs = collected.results()
check("collect: two commands read", [r.command for r in outputs] == ["show clock", "show version"],
      str([r.command for r in outputs]))
check("collect: outputs", all(r.ok and r.stdout for r in outputs))

# test_connection
report = client.test_connection(first["host"], connection_args=device_args(first))
check("test_connection: ok", report.ok, str(report.error))
check("test_connection: latency", report.latency is not None and report.latency > 0, str(report.latency))

# get_job
fetched = client.get_job(job.id)
check("get_job: status", fetched.status == "finished", fetched.status)
check("get_job: device output", fetched.first().stdout == result.stdout)

# list_jobs
listed = client.list_jobs()
listed_ids = {j.id for j in listed}
check("list_jobs: holds the bulk and exec jobs", set(bulk_ids) <= listed_ids and job.id in listed_ids,
      f"{len(listed)} jobs")
finished = client.list_jobs(status="finished")
check("list_jobs(status=finished)", finished and all(j.status == "finished" for j in finished))

# cancel_job, cancel_jobs: a device that hangs mid-command keeps the first job running; the next ones
# to the same (pinned) device wait in its queue.
hang = HANG["devices"][0]
hang_args = device_args(hang)
running = client.run(devices=hang["host"], command="show version", mode="exec", connection_args=hang_args)
queued = client.run(devices=hang["host"], command="show version", mode="exec", connection_args=hang_args)
later = client.run(devices=hang["host"], command="show clock", mode="exec", connection_args=hang_args)
check("queued behind a hanging command", queued.status == "queued" and later.status == "queued",
      f"{queued.status} {later.status}")
check("cancel_job", client.cancel_job(queued.id) is True)
status = client.get_job(queued.id).status
check("cancel_job: the job is canceled", status == "canceled", status)
# The SDK's wait() polls until a status it knows as final: it must end for a canceled job.
waited = client.get_job(queued.id)
try:
    waited.wait(timeout=DEADLINE)
    ended = ""
except Exception as error:  # the SDK raises when its timeout passes
    ended = f"{type(error).__name__}: {error}"
check("wait() ends on a canceled job", not ended and waited.is_done(), ended or waited.status)
cancelled = client.cancel_jobs(host=hang["host"])
check("cancel_jobs: returns the ids it cancelled", isinstance(cancelled, list) and later.id in cancelled
      and running.id in cancelled and queued.id not in cancelled, str(cancelled))
deadline = time.time() + DEADLINE
while time.time() < deadline and client.get_job(running.id).status == "started":
    time.sleep(0.2)
status = client.get_job(running.id).status
check("cancel_jobs: the running job is stopped", status == "canceled", status)
canceled = client.list_jobs(status="canceled")
check("list_jobs(status=canceled)", {queued.id, later.id} <= {j.id for j in canceled})

# list_workers
workers = client.list_workers()
check("list_workers", len(workers) >= 1 and workers[0].name and workers[0].status in ("idle", "busy"),
      str(workers))


# The batch guide's request, as its text stands; only the addresses (and the lab's ports) are the lab's.
def post(path, body):
    request = urllib.request.Request(
        URL + path, data=json.dumps(body).encode(), method="POST",
        headers={"X-API-KEY": KEY, "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as answer:
        return answer.status, json.load(answer)


def get(path):
    request = urllib.request.Request(URL + path, headers={"X-API-KEY": KEY})
    with urllib.request.urlopen(request, timeout=DEADLINE + 10) as answer:
        return json.load(answer)


guide = json.loads(GUIDE)
pair = devices[1:3]
for device, lab in zip(guide["devices"], pair):
    device["host"] = lab["host"]
    device["port"] = lab["port"]
status, submitted = post("/device/bulk", guide)
check("guide request: accepted", status == 201 and len(submitted["succeeded"]) == 2, str(submitted)[:300])
batch = get(f"/batches/{submitted['batch_id']}?wait={DEADLINE}")
check("guide request: both devices answered", batch["success"] and len(batch["results"]) == 2, str(batch)[:300])
check("guide request: output of show version",
      all("uptime" in r["output"].lower() for r in batch["results"]))

# Again without queue_strategy: netmiko's default is pinned, so the sessions are reused.
del guide["options"]
status, again = post("/device/bulk", guide)
check("second batch: pinned by default", again["options"]["queue_strategy"] == "pinned", str(again["options"]))
batch = get(f"/batches/{again['batch_id']}?wait={DEADLINE}")
check("second batch: session_reused", batch["success"] and all(r["session_reused"] for r in batch["results"]),
      str([r.get("session_reused") for r in batch["results"]]))

client.close()
if failures:
    print(f"netpulse-sdk check: {len(failures)} failed: {', '.join(failures)}", file=sys.stderr)
    sys.exit(1)
print("netpulse-sdk check: every step passed")
