"""Writes results.md and chart.png from results.json (also runnable alone: python report.py DIR)."""

import json
import os
import sys

TITLES = {
    "fresh": "1. Fresh connections: one command per device, round-robin",
    "pinned": "2. Pinned reuse: commands in sequence on one session per device",
    "push": "3. Config push with read-back",
    "held": "4. Held idle sessions (client memory per session)",
    "faulty": "5. Faulty fleet: 10% injected faults",
}
NETPULSE = ["netpulse-libssh", "netpulse-libssh2"]


def number(value, digits=2):
    if value is None:
        return "–"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.{digits}f}"


def ms(value):
    return "–" if value is None else f"{value * 1000:.0f}"


def runs_of(report, scenario, mode):
    return [r for r in report["runs"] if r["scenario"] == scenario and r.get("mode") == mode]


def extra(run):
    scenario = run["scenario"]
    parts = []
    if scenario == "pinned" and run.get("steady_cpu_per_op_us") is not None:
        parts.append(f"steady CPU/command {run['steady_cpu_per_op_us']:.0f} µs")
    if scenario == "held" and run.get("mem_per_session_kib") is not None:
        parts.append(f"{run['mem_per_session_kib']:.1f} KiB/session over {run.get('held_sessions')} sessions")
    if scenario == "push" and run.get("read_back_confirmed") is not None:
        parts.append(f"read-back confirmed on {run['read_back_confirmed']:.0f}")
    if scenario == "faulty" and run.get("faulty_devices") is not None:
        parts.append(f"{run['faulty_devices']:.0f} faulty; healthy failed {run.get('healthy_failed', 0):.0f}; "
                     f"faulty that succeeded {run.get('faulty_succeeded', 0):.0f}")
    if run.get("error_kinds"):
        kinds = ", ".join(f"{k} {v:.0f}" for k, v in sorted(run["error_kinds"].items()))
        parts.append(f"errors: {kinds}")
    if run.get("host_keys"):
        parts.append("host keys " + run["host_keys"].split(" (")[0].split(":")[0])
    if run.get("shutdown_s") is not None and run["shutdown_s"] > 1:
        parts.append(f"closing the sessions afterwards took {run['shutdown_s']:.1f} s")
    if run.get("notes"):
        parts.append(run["notes"])
    return "; ".join(parts)


def table(report, scenario, mode):
    runs = runs_of(report, scenario, mode)
    if not runs:
        return []
    lines = [
        "| client | devices | ok / failed | accounted | wall s | client CPU s | CPU per device ms | CPU per op µs "
        "| peak RSS MiB | p50 ms | p99 ms | lab CPU s | notes |",
        "|---|---:|---:|:-:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for run in runs:
        if "not_run" in run:
            lines.append(f"| {run['client']} | {run.get('devices', '')} | not run | | | | | | | | | | "
                         f"{run['not_run']} |")
            continue
        lines.append(
            f"| {run['client']} | {run['devices']:.0f} | {run['ok']:.0f} / {run['failed']:.0f} "
            f"| {'yes' if run['accounted'] else 'NO'} | {number(run['wall_s'])} | {number(run['cpu_s'])} "
            f"| {number(run['cpu_per_device_ms'])} | {number(run['cpu_per_op_us'], 0)} "
            f"| {number(run['peak_rss_kib'] / 1024, 1)} | {ms(run.get('lat_p50_s'))} | {ms(run.get('lat_p99_s'))} "
            f"| {number(run.get('lab_cpu_s'))} | {extra(run)} |")
    return lines


def key_figure(run):
    """(wall per device, cpu per device) so runs of different sizes compare."""
    return run["wall_s"] / run["devices"], run["cpu_s"] / run["devices"]


def ratios(report):
    lines = [
        "| scenario | mode | NetPulse driver | peer | wall NetPulse/peer | client CPU NetPulse/peer |",
        "|---|---|---|---|---:|---:|",
    ]
    for scenario in TITLES:
        for mode in ["cli", "exec"]:
            runs = [r for r in runs_of(report, scenario, mode) if "not_run" not in r]
            ours = [r for r in runs if r["client"] in NETPULSE]
            peers = [r for r in runs if r["client"] not in NETPULSE]
            for mine in ours:
                for peer in peers:
                    extra_note = ""
                    if peer["devices"] != mine["devices"]:
                        extra_note = f" (per device: peer ran {peer['devices']:.0f})"
                    w1, c1 = key_figure(mine)
                    w2, c2 = key_figure(peer)
                    if scenario == "held":
                        m1, m2 = mine.get("mem_per_session_kib"), peer.get("mem_per_session_kib")
                        memory = f"; memory/session {m1 / m2:.2f}" if m1 and m2 else ""
                    else:
                        memory = ""
                    lines.append(f"| {scenario} | {mode} | {mine['client']} | {peer['client']}{extra_note} "
                                 f"| {w1 / w2:.2f} | {c1 / c2:.2f}{memory} |")
    return lines


def goals(report):
    out = []

    def find(scenario, mode, client):
        for r in runs_of(report, scenario, mode):
            if r["client"] == client and "not_run" not in r:
                return r
        return None

    for mode in ["cli", "exec"]:
        peers = [r for r in runs_of(report, "fresh", mode) if "not_run" not in r and r["client"] not in NETPULSE]
        fastest = min(peers, key=lambda r: r["wall_s"] / r["devices"]) if peers else None
        for client in NETPULSE:
            mine = find("fresh", mode, client)
            if not mine:
                continue
            text = f"- Scenario 1 ({mode}), {client}: client CPU per connection {mine['cpu_per_device_ms']:.2f} ms " \
                   f"(goal < 1 ms: {'met' if mine['cpu_per_device_ms'] < 1 else 'NOT met'})"
            if fastest:
                speedup = (fastest["wall_s"] / fastest["devices"]) / (mine["wall_s"] / mine["devices"])
                text += f"; wall per device {speedup:.2f}× the speed of the fastest peer ({fastest['client']}) " \
                        f"(goal ≥ 3×: {'met' if speedup >= 3 else 'NOT met'})"
            out.append(text)
    for client in NETPULSE:
        mine = find("pinned", "cli", client)
        if mine and mine.get("steady_cpu_per_op_us") is not None:
            value = mine["steady_cpu_per_op_us"]
            out.append(f"- Scenario 2 (cli), {client}: client CPU per command on a reused session {value:.0f} µs "
                       f"(all commands incl. connects: {mine['cpu_per_op_us']:.0f} µs) "
                       f"(goal < 100 µs: {'met' if value < 100 else 'NOT met'})")
    for mode in ["cli", "exec"]:
        for client in NETPULSE:
            mine = find("held", mode, client)
            if mine and mine.get("mem_per_session_kib") is not None:
                value = mine["mem_per_session_kib"]
                out.append(f"- Scenario 4 ({mode}), {client}: {value:.1f} KiB client memory per held session over "
                           f"{mine.get('held_sessions')} sessions (goal < 64 KiB: "
                           f"{'met' if value < 64 else 'NOT met'})")
    for mode in ["cli", "exec"]:
        for client in NETPULSE:
            mine = find("faulty", mode, client)
            if mine:
                out.append(f"- Scenario 5 ({mode}), {client}: {mine['ok']:.0f} ok, {mine['failed']:.0f} failed of "
                           f"{mine['devices']:.0f}, every device accounted: {'yes' if mine['accounted'] else 'NO'}, "
                           f"healthy devices that failed: {mine.get('healthy_failed', 0):.0f}")
    return out


def micro(folder):
    """The package-benchmark tables (micro.md), if that part ran, as a pointer plus the p50 lines."""
    path = os.path.join(folder, "micro.md")
    if not os.path.exists(path):
        return ["## Micro benchmarks", "", "Not run (`NETPULSE_BENCH_MICRO=0`).", ""]
    out = ["## Micro benchmarks (package-benchmark, p50)", "",
           "Full tables in [micro.md](micro.md). Time (total CPU) has the kernel's 10 ms tick as resolution "
           "(per-job rows: 10 µs).", "", "| benchmark | metric | p50 |", "|---|---|---:|"]
    name = None
    with open(path) as handle:
        for line in handle:
            if line.startswith("### "):
                name = line[4:].strip()
            elif name and line.startswith("| ") and not line.startswith("| Metric") and "|" in line[2:]:
                cells = [c.strip() for c in line.strip().strip("|").split("|")]
                if len(cells) >= 4 and ("Time" in cells[0] or "Throughput" in cells[0] or "Malloc" in cells[0]):
                    out.append(f"| {name} | {cells[0]} | {cells[3]} |")
    return out + [""]


def write(report, folder):
    sizes = report["sizes"]
    lines = [
        "# NetPulse vs Python peers: results",
        "",
        f"Run {report['started']} → {report['finished']}. Machine: {report['machine'].get('cpu', '?')}, "
        f"{report['machine']['cores']} cores, {report['machine'].get('memory', '?')}, "
        f"kernel {report['machine']['kernel']}.",
        "",
        f"Load (the machine is shared with other builds; prefer the CPU-time columns): at start "
        f"`{report['uptime_start']}`; at end `{report['uptime_end']}`.",
        *([f"", "Load seen during the run (`uptime`, other helpers building): "
           + "; ".join(report["load_observed"]) + "."] if report.get("load_observed") else []),
        *([f"", "Load when each client run started (1-minute average): "
           + ", ".join(f"{r['scenario']}/{r['client']} {r['load1']:.1f}" for r in report["runs"] if "load1" in r)
           + "."] if any("load1" in r for r in report["runs"]) else []),
        "",
        "Reproduce: `Benchmarks/run-all.sh` from the repository root (release build, labs as separate "
        "`netpulse lab` processes, peers in `Benchmarks/.venv`).",
        "",
        f"Sizes: fresh {sizes['fresh']} devices, pinned {sizes['pinned']} devices × {report['commands']} commands, "
        f"push {sizes['push']} devices × {report['lines']} lines, held {sizes['held']} sessions, faulty "
        f"{sizes['faulty']} devices per mode (10% faulty, timeouts {report['fault_timeout']:.0f} s); "
        f"{report['concurrency']} devices at once for every client; netmiko capped at "
        f"{report['netmiko_devices']} devices per scenario (it is slow); each client run limited to "
        f"{report['run_timeout']} s.",
    ]
    if report.get("scale", 1) != 1:
        lines += ["", f"**Scaled run: every device count × {report['scale']} (not the issue's sizes).**"]
    if report.get("profile", "modern") != "modern":
        lines += ["", f"**Device profile `{report['profile']}`** (`netpulse lab --profile`): every device answers "
                      "as slowly as that profile says (`wan`: 50 ms round trip, 300 ms to check a login, 200 ms per "
                      "command, 2 ms per output line), so wall times are end to end; client CPU columns still "
                      "measure client overhead."]
    lines += [
        "",
        "Modes: **cli** = interactive shell on emulated `cisco_ios` devices (prompt detection: NetPulse, "
        "scrapli, netmiko); **exec** = SSH exec channel on emulated `linux` devices (NetPulse's `linux` "
        "platform, asyncssh, parallel-ssh). Latency = per device (per command in scenario 2) from the start "
        "of its job; CPU per op = client CPU / (devices × commands or lines). Lab CPU = CPU time of the "
        "separate lab process over the client's run.",
        "",
        *(["## Notes on this run (written after reading the figures)", "", *[f"- {n}" for n in report["run_notes"]], ""]
          if report.get("run_notes") else []),
        "## Goals (reported, not asserted)",
        "",
        *goals(report),
    ]
    for scenario, title in TITLES.items():
        body = []
        for mode in ["cli", "exec"]:
            rows = table(report, scenario, mode)
            if rows:
                body += ["", f"**{mode}**", "", *rows]
        if body:
            lines += ["", f"## {title}", *body]
    lines += [
        "",
        "## Ratios NetPulse / peer",
        "",
        "Per device (wall and client CPU divided by the devices each client ran): below 1 means NetPulse is "
        "faster or lighter (0.25 = four times less).",
        "",
        *ratios(report),
        "",
        *micro(folder),
        "## Versions",
        "",
        *[f"- {k}: {v}" for k, v in sorted(report["versions"].items())],
        "",
        "## Labs",
        "",
        *[f"- {k}: {v}" for k, v in sorted(report.get("labs", {}).items())],
        *[f"- {k} at the end: {v}" for k, v in sorted(report.get("labs_final", {}).items())],
        "",
    ]
    with open(os.path.join(folder, "results.md"), "w") as handle:
        handle.write("\n".join(lines))
    chart(report, os.path.join(folder, "chart.png"))


def chart(report, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.ticker
    import matplotlib.pyplot as plt

    panels = [
        ("fresh", "cli", "cpu_per_device_ms", "1. fresh, cli: client CPU ms / device"),
        ("fresh", "exec", "cpu_per_device_ms", "1. fresh, exec: client CPU ms / device"),
        ("fresh", "cli", "wall_per_device_ms", "1. fresh, cli: wall ms / device"),
        ("fresh", "exec", "wall_per_device_ms", "1. fresh, exec: wall ms / device"),
        ("pinned", "cli", "steady_cpu_per_op_us", "2. pinned, cli: CPU µs / command (reused)"),
        ("pinned", "exec", "steady_cpu_per_op_us", "2. pinned, exec: CPU µs / command (reused)"),
        ("push", "cli", "cpu_per_device_ms", "3. push 50 lines + read-back: CPU ms / device"),
        ("held", "cli", "mem_per_session_kib", "4. held, cli: KiB / session"),
        ("held", "exec", "mem_per_session_kib", "4. held, exec: KiB / session"),
        ("faulty", "cli", "wall_per_device_ms", "5. faulty, cli: wall ms / device"),
        ("faulty", "exec", "wall_per_device_ms", "5. faulty, exec: wall ms / device"),
    ]
    rows = (len(panels) + 1) // 2
    figure, axes = plt.subplots(rows, 2, figsize=(12, 3.4 * rows))
    for axis in axes.flat[len(panels):]:
        axis.set_visible(False)
    for axis, (scenario, mode, field, title) in zip(axes.flat, panels):
        names, values, colors, failures = [], [], [], []
        for run in runs_of(report, scenario, mode):
            if "not_run" in run:
                continue
            if field == "wall_per_device_ms":
                value = run["wall_s"] / run["devices"] * 1000
            else:
                value = run.get(field)
            if value is None:
                continue
            # Every bar names its device count: netmiko runs fewer devices than the others.
            names.append(f"{run['client']} ({run['devices']:.0f})")
            values.append(value)
            colors.append("#1f77b4" if run["client"].startswith("netpulse") else "#aaaaaa")
            # Scenario 5 injects faults on purpose: only healthy devices that failed count against a run there.
            failed = run.get("healthy_failed", 0) if scenario == "faulty" else run.get("failed", 0)
            failures.append(failed or 0)
        bars = axis.barh(names, values, color=colors)
        for bar, failed in zip(bars, failures):
            if failed:
                bar.set_hatch("//")
                bar.set_edgecolor("#d62728")
        axis.set_title(title, fontsize=10)
        axis.invert_yaxis()
        if values and max(values) / max(min(values), 1e-9) > 30:
            axis.set_xscale("log")
            # Only the decades are labelled: minor labels of a short log axis run into each other.
            axis.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
        for index, (value, failed) in enumerate(zip(values, failures)):
            label = f" {value:.3g}" + (f"  ({failed:.0f} FAILED)" if failed else "")
            axis.text(value, index, label, va="center", fontsize=8, color="#d62728" if failed else "black")
    scale = report.get("scale", 1)
    profile = report.get("profile") or "zero latency"
    figure.suptitle(
        f"NetPulse (blue) vs Python peers (grey), {report['started']}, lab profile: {profile}, scale {scale}\n"
        "lower is better; (n) = devices in the run; hatched red = devices failed (healthy ones, in scenario 5)")
    figure.tight_layout(rect=(0, 0, 1, 0.97))
    figure.savefig(path, dpi=80)


if __name__ == "__main__":
    folder = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")
    with open(os.path.join(folder, "results.json")) as handle:
        write(json.load(handle), folder)
