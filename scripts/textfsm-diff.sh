#!/usr/bin/env bash
# Differential run of NetPulseTextFSM against Python's textfsm (the reference) on every template of
# ntc-templates, both pinned in scripts/textfsm/requirements.txt and installed into a virtualenv.
#
#   scripts/textfsm-diff.sh                     generate the cases with Python, then compare them in Swift
#   scripts/textfsm-diff.sh --generate-only OUT  only write the cases (the live Swift test calls this)
#   scripts/textfsm-diff.sh --record             rewrite the committed, smaller fixture file
#
# Cases: inputs generated from each template's state machine, hand-written outputs of common commands,
# TextFSM feature and error templates, index lookups, and each rule regex on matching and near-matching
# subjects; the expected answer of each is Python's (scripts/textfsm/difftool.py).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/textfsm/venv.sh

fixture=Tests/NetPulseTextFSMTests/Fixtures/textfsm-differential.json
case "${1:-}" in
    --generate-only)
        "$PYTHON" -W ignore scripts/textfsm/difftool.py generate --templates "$NTC_TEMPLATES" --out "${2:?output file}"
        ;;
    --record)
        "$PYTHON" -W ignore scripts/textfsm/difftool.py record --templates "$NTC_TEMPLATES" --out "$fixture"
        ;;
    "")
        out=.build/textfsm-diff/cases.json
        "$PYTHON" -W ignore scripts/textfsm/difftool.py generate --templates "$NTC_TEMPLATES" --out "$out"
        swift build --build-tests
        NETPULSE_TEXTFSM_CASES="$PWD/$out" swift test --skip-build --filter 'TextFSMDifferentialTests/recorded'
        ;;
    *)
        echo "usage: $0 [--generate-only OUT | --record]" >&2
        exit 2
        ;;
esac
