#!/usr/bin/env python3
"""Reads callgrind output files and prints instructions per unit of work, split by shared object.

Used by scripts/bench/callgrind.sh. Each measurement is a pair (or more) of runs that differ only in
how much work they do (say 10 and 40 fresh connections); the difference of their instruction counts,
divided by the difference of the work, is the cost of one unit with every fixed cost (process start,
sshd start, warm-up) cancelled out.

    callgrind_split.py per-unit NAME UNITS_A FILE_A UNITS_B FILE_B [--top N] [--event EVENT]
        prints one JSON line: {"name", "event", "per_unit", "objects": {group: count},
        "functions": [[count, object, fn]]}; EVENT is Ir (instructions, the default) or another event the
        files hold, e.g. I1mr (first-level instruction-cache misses, with valgrind --cache-sim=yes)
    callgrind_split.py table FILE.jsonl
        prints the Markdown tables of every JSON line in FILE.jsonl

Self cost (the cost lines of each function, minus the inclusive cost lines of its calls) is summed by
object and by function; objects are grouped as libcrypto, libssh, libssh2, libc, ld.so, Swift runtime
(the Swift standard library, concurrency, Foundation, Dispatch) and "NetPulse" (the executable itself,
which links NetPulse and the Swift packages statically).
"""
import json
import re
import subprocess
import sys
from collections import defaultdict

GROUPS = [
    ("libcrypto", re.compile(r"libcrypto\.so")),
    ("libssh2", re.compile(r"libssh2\.so")),
    ("libssh", re.compile(r"libssh\.so")),
    ("libc", re.compile(r"/libc\.so|/libm\.so|libc-")),
    ("ld.so", re.compile(r"ld-linux")),
    ("Swift runtime", re.compile(r"libswift|libFoundation|libdispatch|libBlocksRuntime|lib_Foundation|libicu")),
    ("libz", re.compile(r"libz\.so")),
]


def group(obj, executable):
    if executable and obj.endswith("/" + executable):
        return "NetPulse" if not executable.endswith("floor") else "floor (C)"
    for name, pattern in GROUPS:
        if pattern.search(obj):
            return name
    return "other: " + obj.rsplit("/", 1)[-1]


def parse(path, event="Ir"):
    """Self cost in `event` per (object, function) of one callgrind output file, and the executable's
    name."""
    names = {"ob": {}, "fn": {}}
    column = None
    costs = defaultdict(int)
    executable = None
    current_ob = "?"
    current_fn = "?"
    skip_next = False

    def resolve(kind, value):
        match = re.match(r"\((\d+)\)(?: (.*))?$", value)
        if not match:
            return value
        ident, name = match.group(1), match.group(2)
        if name is not None:
            names[kind][ident] = name
            return name
        return names[kind].get(ident, "?")

    with open(path, errors="replace") as handle:
        for line in handle:
            if not line or line == "\n":
                continue
            first = line[0]
            if first.isdigit() or first in "+-*":
                if skip_next:
                    skip_next = False
                    continue
                if column is None:
                    raise SystemExit(f"{path}: cost lines before the events: line (not a callgrind output file?)")
                fields = line.split()
                if len(fields) > column:
                    costs[(current_ob, current_fn)] += int(fields[column])
                continue
            if line.startswith("events:"):
                events = line.split()[1:]
                if event not in events:
                    raise SystemExit(f"{path} holds no {event} counts (it has {', '.join(events)})")
                column = events.index(event) + 1
            elif line.startswith("cmd:"):
                executable = line.split()[1].rsplit("/", 1)[-1] if len(line.split()) > 1 else None
            elif line.startswith("ob="):
                current_ob = resolve("ob", line[3:].rstrip("\n"))
            elif line.startswith("cob="):
                resolve("ob", line[4:].rstrip("\n"))
            elif line.startswith("fn="):
                current_fn = resolve("fn", line[3:].rstrip("\n"))
            elif line.startswith("cfn="):
                resolve("fn", line[4:].rstrip("\n"))
            elif line.startswith("calls="):
                skip_next = True
            elif line.startswith(("jump=", "jcnd=")):
                skip_next = True
    return costs, executable


def demangle(symbols):
    """Swift names demangled by `swift demangle` when it is there; C names stay."""
    try:
        result = subprocess.run(
            ["swift", "demangle", "--simplified", "--compact"], input="\n".join(symbols), capture_output=True,
            text=True, timeout=60)
        lines = result.stdout.split("\n")
        if result.returncode == 0 and len(lines) >= len(symbols):
            return lines[: len(symbols)]
    except (OSError, subprocess.SubprocessError):
        pass
    return symbols


def per_unit(name, units_a, file_a, units_b, file_b, top, event="Ir"):
    costs_a, executable = parse(file_a, event)
    costs_b, _ = parse(file_b, event)
    units = units_b - units_a
    if units <= 0:
        raise SystemExit("the second run must do more work than the first")
    delta = defaultdict(int)
    for key in set(costs_a) | set(costs_b):
        delta[key] = costs_b.get(key, 0) - costs_a.get(key, 0)
    objects = defaultdict(float)
    for (obj, _), value in delta.items():
        objects[group(obj, executable)] += value / units
    ranked = sorted(delta.items(), key=lambda item: -item[1])[:top]
    readable = demangle([fn for (_, fn), _ in ranked])
    functions = [
        [round(value / units), group(obj, executable), text]
        for ((obj, _), value), text in zip(ranked, readable)
    ]
    total = sum(delta.values()) / units
    print(json.dumps({
        "name": name, "event": event, "per_unit": round(total), "objects": {k: round(v) for k, v in objects.items()},
        "functions": functions,
    }))


def table(path):
    rows = [json.loads(line) for line in open(path) if line.strip()]
    order = ["NetPulse", "floor (C)", "Swift runtime", "libc", "libcrypto", "libssh", "libssh2", "ld.so", "libz"]
    events = sorted({r.get("event", "Ir") for r in rows})
    instructions = set(events) <= {"Ir"}
    # A group shows when it counts at least 500 instructions (or, for another event, 1) in some row.
    least = 500 if instructions else 1
    present = [g for g in order if any(abs(r["objects"].get(g, 0)) >= least for r in rows)]
    others = sorted({g for r in rows for g in r["objects"] if g not in order})
    heading = "instructions" if instructions else ", ".join(events)
    print(f"| measurement | {heading} | " + " | ".join(present) + " | other |")
    print("|---|---:|" + "---:|" * len(present) + "---:|")
    def cell(value, event):
        return f"{value / 1000:,.0f} k" if event == "Ir" else f"{value:,.0f}"

    for r in rows:
        event = r.get("event", "Ir")
        other = sum(v for g, v in r["objects"].items() if g not in present)
        cells = [cell(r["objects"].get(g, 0), event) for g in present]
        print(f"| {r['name']} | {cell(r['per_unit'], event)} | " + " | ".join(cells) + f" | {cell(other, event)} |")
    if others:
        print("\n(other: " + ", ".join(g.removeprefix("other: ") for g in others) + ")")
    for r in rows:
        if not r["functions"]:
            continue
        what = "instructions" if r.get("event", "Ir") == "Ir" else r["event"]
        print(f"\nTop functions by self {what}, {r['name']} (per unit):")
        for value, obj, fn in r["functions"]:
            print(f"  {value:>9,}  {obj:<14} {fn[:150]}")


def main(argv):
    if len(argv) >= 6 and argv[1] == "per-unit":
        top = int(argv[argv.index("--top") + 1]) if "--top" in argv else 0
        event = argv[argv.index("--event") + 1] if "--event" in argv else "Ir"
        per_unit(argv[2], int(argv[3]), argv[4], int(argv[5]), argv[6], top, event)
    elif len(argv) == 3 and argv[1] == "table":
        table(argv[2])
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
