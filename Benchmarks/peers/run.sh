#!/usr/bin/env bash
# Creates Benchmarks/.venv from PyPI with the pinned peers (requirements.txt), then runs the harness:
# the labs (`netpulse lab`, separate processes), every scenario with NetPulse and each peer on the same
# devices, and the results (Benchmarks/results/results.md, chart.png). Arguments go to harness.py
# (`--clients asyncssh,scrapli` runs only those; `--help` lists the rest).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bench=$(dirname "$here")
root=$(dirname "$bench")
venv="$bench/.venv"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
"$venv/bin/pip" install -q --disable-pip-version-check -r "$here/requirements.txt"
if [ ! -x "$root/.build/release/netpulse" ] || [ ! -x "$root/.build/release/netpulse-bench" ]; then
    (cd "$root" && swift build -c release --product netpulse && swift build -c release --product netpulse-bench)
fi
exec "$venv/bin/python" "$bench/harness.py" "$@"
