#!/usr/bin/env bash
# Checks the hand-written OpenAPI document (/openapi.json) against the live `netpulse serve` with
# schemathesis: no 5xx, and every response within the document (status, content type, headers, body
# schema), undeclared methods answered 405, keys enforced.
#
# Starts `netpulse serve` on a free loopback port (with a key of its own, devices limited to
# 127.0.0.0/8 so that nothing generated leaves loopback), runs schemathesis for a bounded time, and
# stops the server by its PID. Installs schemathesis from PyPI into .venv-schemathesis on first use.
#
# Then scripts/fuzz-api.py sends malformed hosts, ports, timeouts and numbers (FUZZ_CASES, default 3000): no 5xx,
# and the server still answers.
#
# Environment: MAX_TIME (seconds of generation, default 60), MAX_EXAMPLES (per operation, default 25),
# SEED (default: random), FUZZ_CASES.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
max_time=${MAX_TIME:-60}
max_examples=${MAX_EXAMPLES:-25}
venv="$root/.venv-schemathesis"

if [ ! -x "$venv/bin/schemathesis" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet "schemathesis==4.32.5"
fi

swift build --product netpulse
binary="$(swift build --show-bin-path)/netpulse"

work=$(mktemp -d)
server_pid=""
cleanup() {
    if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
        kill -TERM "$server_pid"
        wait "$server_pid" || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
key="schemathesis-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
NETPULSE_API_KEYS="$key" "$binary" serve --bind 127.0.0.1 --port "$port" --allow-targets 127.0.0.0/8 \
    --max-test-seconds 3 --max-wait 5 --host-key-policy strict --known-hosts "$work/known_hosts" --rate-limit 1000 \
    >"$work/serve.log" 2>&1 &
server_pid=$!

seed_option=()
if [ -n "${SEED:-}" ]; then seed_option=(--seed "$SEED"); fi
status=0
# Run from the scratch folder: schemathesis and hypothesis leave their files in the current one.
(
    cd "$work"
    "$venv/bin/schemathesis" run "http://127.0.0.1:$port/openapi.json" \
        --wait-for-schema 120 \
        -H "X-API-KEY: $key" \
        --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,response_headers_conformance,unsupported_method,ignored_auth \
        --phases examples,coverage,fuzzing,stateful \
        --max-examples "$max_examples" --max-time "$max_time" --request-timeout 30 "${seed_option[@]}"
) || status=$?

fuzz_seed=()
if [ -n "${SEED:-}" ]; then fuzz_seed=(--seed "$SEED"); fi
python3 "$root/scripts/fuzz-api.py" --port "$port" --key "$key" --cases "${FUZZ_CASES:-3000}" --seconds 300 \
    "${fuzz_seed[@]}" || status=1

if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "check-openapi: the server died during the run" >&2
    cat "$work/serve.log" >&2
    status=1
fi
exit $status
