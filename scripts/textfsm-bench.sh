#!/usr/bin/env bash
# NetPulseTextFSM against Python's textfsm on 10,000-line outputs with their ntc templates, in one run:
# cisco_ios `show interfaces` (10,020 lines, 334 interfaces, 27 rules with Continue) and
# `show ip interface brief` (10,000 lines, one record a line). Each side reports its best of ROUNDS
# (default 20) for compiling the template, parsing with a compiled template, and both; then the ratios.
# Checks that both sides give the same records. Figures depend on load: the load average is printed.
#
#   scripts/textfsm-bench.sh [ROUNDS]          wall-clock, best of ROUNDS
#   scripts/textfsm-bench.sh --instructions    instructions per parse under valgrind's callgrind (the same
#                                              on a loaded machine): one run parses once, the other 3 times
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-20}
. scripts/textfsm/venv.sh
swift build -c release --product netpulse-textfsm-bench >&2
bench=$(swift build -c release --show-bin-path)/netpulse-textfsm-bench
work=.build/textfsm-bench
mkdir -p "$work"
"$PYTHON" scripts/textfsm/bench.py inputs "$work"

echo "commit $(git rev-parse --short HEAD), $(uptime | sed 's/.*load/load/')"
if [ "$rounds" = "--instructions" ]; then
    count() { valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" 2>&1 >/dev/null | sed -n 's/.*Collected : //p'; }
    for pair in "cisco_ios_show_interfaces:show_interfaces" "cisco_ios_show_ip_interface_brief:show_ip_interface_brief"; do
        template="$NTC_TEMPLATES/${pair%%:*}.textfsm"
        input="$work/${pair##*:}.txt"
        python=$(( ($(count "$PYTHON" scripts/textfsm/bench.py repeat "$template" "$input" 3) \
            - $(count "$PYTHON" scripts/textfsm/bench.py repeat "$template" "$input" 1)) / 2 ))
        swift=$(( ($(count "$bench" repeat "$template" "$input" 3) - $(count "$bench" repeat "$template" "$input" 1)) / 2 ))
        echo "${pair##*:}: instructions per parse: python $python, netpulse $swift, $(( python / swift ))x"
    done
    exit 0
fi
for pair in "cisco_ios_show_interfaces:show_interfaces" "cisco_ios_show_ip_interface_brief:show_ip_interface_brief"; do
    template="$NTC_TEMPLATES/${pair%%:*}.textfsm"
    input="$work/${pair##*:}.txt"
    python=$("$PYTHON" scripts/textfsm/bench.py time "$template" "$input" "$rounds")
    swift=$("$bench" parse "$template" "$input" "$rounds")
    "$bench" records "$template" "$input" > "$input.swift.json"
    "$PYTHON" - "$input" "$python" "$swift" <<'PY'
import json, sys
path, python, swift = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3])
same = json.load(open(path + ".python.json")) == json.load(open(path + ".swift.json"))
print("%s: %d lines, %d records, same records: %s" % (path.split("/")[-1], python["lines"], python["records"], same))
for key in ("compile_ms", "parse_ms", "compile_and_parse_ms"):
    print("  %-22s python %8.2f ms   netpulse %7.2f ms   %5.1fx" % (key, python[key], swift[key], python[key] / swift[key]))
if not same:
    sys.exit("the records differ")
PY
done
