#!/usr/bin/env bash
# Builds every DocC catalog with warnings as errors: a broken symbol link, an undocumented parameter or
# a topic that names a module fails the script, naming the target.
set -euo pipefail
cd "$(dirname "$0")/.."
targets=(NetPulse NetPulseSSH NetPulseSSH2 NetPulseLab NetPulseTextFSM NetPulseServer NetPulsePostgres NetPulseTesting)
# Every target with a catalog must be in the list, so a new catalog is not skipped silently.
for catalog in Sources/*/*.docc; do
    target=$(basename "$(dirname "$catalog")")
    if [[ " ${targets[*]} " != *" $target "* ]]; then
        echo "check-docs: $catalog is not in this script's target list" >&2
        exit 1
    fi
done
failed=()
for target in "${targets[@]}"; do
    log=$(mktemp)
    if swift package generate-documentation --target "$target" --warnings-as-errors >"$log" 2>&1; then
        echo "check-docs: $target ok"
    else
        echo "check-docs: $target FAILED" >&2
        grep -E -A6 '^(error|warning):' "$log" | grep -v 'swift-distributed-tracing' >&2 || tail -40 "$log" >&2
        failed+=("$target")
    fi
    rm -f "$log"
done
if ((${#failed[@]})); then
    echo "check-docs: failed: ${failed[*]}" >&2
    exit 1
fi
