#!/usr/bin/env python3
"""Alternating A/B runs of benchmark commands, reported as min / median / max per figure.

This VM's speed moves by up to 2x between runs at low load, so one run of each build compares nothing.
This runs every variant RUNS times, interleaved (A B, then B A, ...: drift hits both alike), pulls each
figure out of the outputs, and prints per figure and variant the min, median and max, and the ratio of
medians to the first variant.

    python3 scripts/bench/ab.py --runs 6 \\
        --variant old='/tmp/old/netpulse-sshbench 300 3000' \\
        --variant new='.build/release/netpulse-sshbench 300 3000' \\
        --env ROUNDS=1 --env NETPULSE_FLOOR_LIBSSH=/tmp/libssh-floor [--out /tmp/ab.txt]

A variant is NAME=COMMAND (run by the shell; `VAR=value command` works for a variant of its own).
Figures found by default, in the outputs of the project's benchmarks:
  - netpulse-sshbench and its floors: `<what>: <number> ms|µs client CPU` (one figure per line prefix);
  - netpulse-lab-bench login: `= <number> ms per login`, `= <number> µs per command`;
  - any `--metric NAME=REGEX` with one group for the number.
`--ratio NAME=A/B` adds, per run, figure A over figure B of the same output (A and B as the report names
them, e.g. `--ratio 'libssh/floor=libssh fresh connection (ms)/raw C libssh (blocking) fresh connection (ms)'`):
the ratio within one run is steadier than either figure.
The raw outputs go to --out (with the command, the time and the load average of each run).
"""
import argparse
import os
import re
import signal
import statistics
import subprocess
import sys
import time
from collections import defaultdict

CLIENT_CPU = re.compile(r"^(?P<name>\S[^:]*?)(?: \([^)]*\))?: (?P<value>[\d.]+) (?P<unit>ms|µs|us) client CPU")
PER_UNIT = re.compile(r"= (?P<value>[\d.]+) (?P<unit>ms|µs|us) per (?P<name>\w+)")


def figures(output, metrics):
    """The figures of one run's output: {name: value}."""
    found = {}
    for line in output.splitlines():
        for pattern in (CLIENT_CPU, PER_UNIT):
            match = pattern.search(line)
            if match:
                name = f"{match['name'].strip()} ({match['unit'].replace('us', 'µs')})"
                found.setdefault(name, float(match["value"]))
        for name, pattern in metrics:
            match = pattern.search(line)
            if match:
                found.setdefault(name, float(match.group(1)))
    return found


def run_command(command, env, timeout):
    """Runs `command` in a shell of its own process group: (output, exit status or "timed out ...").

    On timeout the whole group is killed: a benchmark the shell started (and the sshd or lab it started)
    would otherwise keep the output pipes open, and the wait for them would never end."""
    process = subprocess.Popen(
        command, shell=True, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True)
    try:
        output, _ = process.communicate(timeout=timeout)
        return output, process.returncode
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        output, _ = process.communicate()
        return output, f"timed out after {timeout:.0f} s"


def load_average():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5, help="runs of each variant (default 5)")
    parser.add_argument("--variant", action="append", required=True, metavar="NAME=COMMAND")
    parser.add_argument("--env", action="append", default=[], metavar="VAR=VALUE", help="for every variant")
    parser.add_argument("--metric", action="append", default=[], metavar="NAME=REGEX")
    parser.add_argument("--ratio", action="append", default=[], metavar="NAME=A/B")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds per run (default 1800)")
    parser.add_argument("--out", help="where the raw outputs go (default: a file in /tmp)")
    args = parser.parse_args()

    if not 1 <= args.runs <= 100:
        parser.error("--runs: between 1 and 100")
    variants = []
    for text in args.variant:
        name, sep, command = text.partition("=")
        if not sep or not name or not command.strip():
            parser.error(f"--variant {text!r}: NAME=COMMAND")
        if name in (n for n, _ in variants):
            parser.error(f"--variant: {name!r} given twice")
        variants.append((name, command))
    env = dict(os.environ)
    for text in args.env:
        key, sep, value = text.partition("=")
        if not sep or not key:
            parser.error(f"--env {text!r}: VAR=VALUE")
        env[key] = value
    metrics = []
    for text in args.metric:
        name, sep, regex = text.partition("=")
        if not sep or not name:
            parser.error(f"--metric {text!r}: NAME=REGEX")
        try:
            pattern = re.compile(regex)
        except re.error as error:
            parser.error(f"--metric {name}: {error}")
        if pattern.groups < 1:
            parser.error(f"--metric {name}: the pattern needs a group for the number")
        metrics.append((name, pattern))

    ratios = []
    for text in args.ratio:
        name, sep, rest = text.partition("=")
        numerator, slash, denominator = rest.rpartition("/")
        if not sep or not name or not slash or not numerator or not denominator:
            parser.error(f"--ratio {text!r}: NAME=A/B")
        ratios.append((name, numerator, denominator))

    out_path = args.out or f"/tmp/netpulse-ab-{os.getpid()}.txt"
    values = defaultdict(lambda: defaultdict(list))
    with open(out_path, "w") as out:
        out.write(f"# {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}, load average {load_average()}\n")
        for run in range(args.runs):
            order = variants if run % 2 == 0 else list(reversed(variants))
            for name, command in order:
                started = time.strftime("%H:%M:%S", time.gmtime())
                load = load_average()
                output, status = run_command(command, env, args.timeout)
                out.write(f"## run {run + 1}, {name}, {started} UTC, load {load}, exit {status}\n# {command}\n")
                out.write(output if output.endswith("\n") else output + "\n")
                out.flush()
                found = figures(output, metrics)
                for ratio, numerator, denominator in ratios:
                    if found.get(numerator) and found.get(denominator):
                        found[f"{ratio} (ratio)"] = found[numerator] / found[denominator]
                print(f"run {run + 1} {name} (load {load}, exit {status}): "
                      + ", ".join(f"{k} {v:g}" for k, v in found.items()), file=sys.stderr)
                for key, value in found.items():
                    values[key][name].append(value)

    print(f"{args.runs} alternating runs per variant; outputs in {out_path}; load average now {load_average()}")
    if not values:
        print("no figure found in the outputs (see --metric)")
        return 1
    for ratio, numerator, denominator in ratios:
        if f"{ratio} (ratio)" not in values:
            print(f"--ratio {ratio}: no run had both {numerator!r} and {denominator!r} (names as listed below)")
    first = variants[0][0]
    width = max(len(name) for name, _ in variants)
    for key in values:
        print(key)
        base = values[key].get(first)
        for name, _ in variants:
            xs = values[key].get(name, [])
            if not xs:
                print(f"  {name:{width}s} (no figure)")
                continue
            median = statistics.median(xs)
            ratio = f"  {median / statistics.median(base):.2f}x {first}" if base and name != first else ""
            print(f"  {name:{width}s} min {min(xs):9.3f}  median {median:9.3f}  max {max(xs):9.3f}  n={len(xs)}{ratio}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
