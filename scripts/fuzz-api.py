#!/usr/bin/env python3
"""Malformed hosts, ports, timeouts and numbers against a live `netpulse serve`: every answer must be
below 500 and the server must still answer /health at the end.

Run by scripts/check-openapi.sh after schemathesis (the server there only targets 127.0.0.0/8, so no
generated request reaches beyond loopback). Bounded in count (--cases) and time (--seconds); seeded.

    python3 scripts/fuzz-api.py --port 8700 --key KEY [--cases 3000] [--seconds 120] [--seed 7]
"""
import argparse
import http.client
import json
import random
import sys
import time

HOSTS = [
    "", " ", "\u0000", "10.0.0.1\u0000evil", "r1\nr2", "r1\r\nssh-rsa AAAA", "\t", "-oProxyCommand=x", "-",
    "a b", "\u00a0host", "host\u2028", "\u200bhost", "\u0085", "\u007f", "h" * 253, "h" * 254, "h" * 100_000,
    "[::1]", "::1", "[", "]", "127.0.0.1:22", "127.0.0.1:99999", "%", "%00", "..", "/etc/passwd", "\ud7ff",
    "127.0.0.1\t", "localhost", "127.0.0.1", "127.1", "0x7f000001", "ü.example", "*", "?", "#",
]
NUMBERS = [
    -1, 0, 1, 65535, 65536, 70000, -70000, 2**31, 2**63, -(2**63), 2**64, 10**30, 1.5, -0.0, 1e-9, 1e9, 1e15,
    1e16, 1e308, "22", "", None, True, False, [], {}, [22], {"a": 1},
]
RAW_NUMBERS = ["1e400", "-1e400", "1" * 400, "0." + "0" * 400 + "1", "9" * 30, "-0", "1E+999"]
ENDPOINTS = ["/device/bulk", "/pull/batch", "/device/exec", "/device/test"]
CONNECTION_FIELDS = ["port", "timeout", "conn_timeout", "read_timeout", "keepalive"]
OPTION_FIELDS = ["ttl", "execution_timeout", "result_ttl", "max_output_bytes"]


def base(host="127.0.0.1"):
    return {
        "driver": "netmiko",
        "devices": [{"host": host, "username": "fuzz", "password": "fuzz-pw", "port": 9}],
        "connection_args": {"device_type": "cisco_ios", "timeout": 1},
        "command": "show version",
        "options": {"queue_strategy": "round_robin", "ttl": 5, "result_ttl": 5},
    }


def case(rng):
    """One request: (method, path, raw body bytes or None)."""
    kind = rng.randrange(6)
    endpoint = rng.choice(ENDPOINTS)
    body = base()
    if endpoint == "/device/test":
        del body["command"]
    if kind == 0:
        body["devices"][0]["host"] = rng.choice(HOSTS)
    elif kind == 1:
        target = body["devices"][0] if rng.random() < 0.5 else body["connection_args"]
        target[rng.choice(CONNECTION_FIELDS)] = rng.choice(NUMBERS)
    elif kind == 2:
        body["options"][rng.choice(OPTION_FIELDS)] = rng.choice(NUMBERS)
    elif kind == 3:
        # A number JSON can carry but no Swift integer or double can hold, written raw.
        field = rng.choice(CONNECTION_FIELDS + OPTION_FIELDS)
        text = json.dumps(body).replace('"ttl": 5', f'"{field}": {rng.choice(RAW_NUMBERS)}', 1)
        return "POST", endpoint, text.encode()
    elif kind == 4:
        # Hosts in every place a host is taken: a plain string device, the single-device shape.
        host = rng.choice(HOSTS)
        if rng.random() < 0.5:
            body["devices"] = [host]
        else:
            del body["devices"]
            body["connection_args"]["host"] = host
            body["connection_args"]["username"] = "fuzz"
            body["connection_args"]["password"] = "fuzz-pw"
    else:
        path = rng.choice([
            "/jobs?limit=" + str(rng.choice(NUMBERS)), "/jobs?cursor=" + rng.choice(["1-1", "x", "-1-0", "9" * 40]),
            "/jobs?status=" + rng.choice(["queued", "nope", ""]), "/batches/none?wait=" + str(rng.choice(NUMBERS)),
            "/job?id=" + rng.choice(["", "x.0", "x.-1", "x." + "9" * 30]), "/jobs/" + "9" * 30,
        ])
        return "GET", path.replace(" ", "%20"), None
    return "POST", endpoint, json.dumps(body).encode()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--cases", type=int, default=3000)
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument("--seed", type=int, default=int(time.time()))
    args = parser.parse_args()
    rng = random.Random(args.seed)
    deadline = time.monotonic() + args.seconds
    counts = {}
    failures = []
    sent = 0
    connection = http.client.HTTPConnection("127.0.0.1", args.port, timeout=30)
    while sent < args.cases and time.monotonic() < deadline:
        method, path, body = case(rng)
        headers = {"X-API-KEY": args.key}
        if body is not None:
            headers["Content-Type"] = "application/json"
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            payload = response.read()
        except (http.client.HTTPException, OSError) as error:
            failures.append(f"{method} {path}: no answer ({error!r})")
            connection.close()
            connection = http.client.HTTPConnection("127.0.0.1", args.port, timeout=30)
            continue
        finally:
            sent += 1
        counts[response.status] = counts.get(response.status, 0) + 1
        if response.status >= 500:
            failures.append(f"{method} {path} {body[:200] if body else b''!r}: {response.status} {payload[:200]!r}")
        if response.status == 429:
            time.sleep(float(response.getheader("Retry-After", "1")))  # the server asked for it
    connection.close()
    alive = http.client.HTTPConnection("127.0.0.1", args.port, timeout=30)
    alive.request("GET", "/health")
    health = alive.getresponse().status
    print(f"fuzz-api: seed {args.seed}, {sent} requests, statuses {dict(sorted(counts.items()))}, health {health}")
    for failure in failures[:20]:
        print("fuzz-api: FAIL " + failure)
    sys.exit(1 if failures or health != 200 else 0)


if __name__ == "__main__":
    main()
