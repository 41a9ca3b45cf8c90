"""Runs every benchmark scenario with NetPulse (both drivers) and the Python peers on the same
NetPulseLab devices, then writes Benchmarks/results/results.json, results.md and chart.png.

Started by Benchmarks/run-all.sh (or Benchmarks/peers/run.sh) inside Benchmarks/.venv. The labs run
as separate `netpulse lab` processes; every client runs in its own process (own peak RSS) and reads
the lab's CPU time from /proc/PID/stat before and after its scenario.
"""

import argparse
import json
import os
import platform as host_platform
import signal
import subprocess
import sys
import threading
import time
from importlib import metadata

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
RESULTS = os.path.join(HERE, "results")

NETPULSE = ["netpulse-libssh", "netpulse-libssh2"]
EXEC_PEERS = ["asyncssh", "pssh-libssh2", "pssh-libssh"]
CLI_PEERS = ["scrapli", "netmiko"]

SCENARIO_TITLES = {
    "fresh": "1. Fresh connections: one command per device, round-robin",
    "pinned": "2. Pinned reuse: commands in sequence on one session per device",
    "push": "3. Config push with read-back",
    "held": "4. Held idle sessions (client memory per session)",
    "faulty": "5. Faulty fleet: 10% injected faults",
}

# Why a client does not run a scenario (shown in the tables). The lab serves several channels per session
# since issue 14, so pinned exec reuse runs for every client.
NOT_RUN = {}


def log(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


class Lab:
    """A `netpulse lab` process."""

    def __init__(self, name, binary, devices, platforms, work, fault_rate=0.0, seed=0, profile="modern"):
        self.name = name
        folder = os.path.join(work, name)
        os.makedirs(folder, exist_ok=True)
        self.inventory = os.path.join(work, f"{name}.json")
        self.faults = self.inventory + ".faults.json"
        command = [binary, "lab", "--devices", str(devices), "--platforms", platforms,
                   "--inventory", self.inventory, "--folder", folder, "--seed", str(seed), "--profile", profile]
        if fault_rate:
            command += ["--fault-rate", str(fault_rate)]
        self.log = open(os.path.join(work, f"{name}.log"), "w")
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=self.log, text=True)
        deadline = time.monotonic() + 120
        self.ready = ""
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if not line:
                raise RuntimeError(f"lab {name} exited before 'ready' (see {self.log.name})")
            if line.startswith("ready:"):
                self.ready = line.strip()
                break
        else:
            raise RuntimeError(f"lab {name} not ready within 120 s")
        log(f"lab {name} (pid {self.process.pid}): {self.ready}")

    @property
    def pid(self):
        return self.process.pid

    def split(self, platform):
        """An inventory with only this platform's devices (for mixed labs)."""
        with open(self.inventory) as handle:
            inventory = json.load(handle)
        inventory["devices"] = [d for d in inventory["devices"] if d["device_type"] == platform]
        path = self.inventory.replace(".json", f"-{platform}.json")
        with open(path, "w") as handle:
            json.dump(inventory, handle)
        return path, len(inventory["devices"])

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        try:
            out, _ = self.process.communicate(timeout=30)
            self.final = out.strip().splitlines()[-1] if out.strip() else ""
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.final = "killed after 30 s"
        log(f"lab {self.name}: {self.final}")


def run_client(client, scenario, inventory, lab, devices, options, faults=None):
    if client.startswith("netpulse-"):
        # As many connects in progress as devices at once: the peers cap neither (the scheduler's own
        # default, 64, would hold back the last 36 of 100 handshakes).
        command = [options.bench_binary, "--driver", client.split("-", 1)[1], "--connects", str(options.concurrency)]
    else:
        command = [sys.executable, os.path.join(HERE, "peers", "peer.py"), "--peer", client]
    command += ["--scenario", scenario, "--inventory", inventory, "--lab-pid", str(lab.pid),
                "--devices", str(devices), "--commands", str(options.commands), "--lines", str(options.lines),
                "--concurrency", str(options.concurrency)]
    if scenario == "faulty":
        command += ["--faults", faults, "--connect-timeout", str(options.fault_timeout),
                    "--read-timeout", str(options.fault_timeout)]
    log(f"{scenario:7} {client:17} {devices:5} devices ...")
    started = time.monotonic()
    errors = open(os.path.join(options.work, f"{scenario}-{client}.stderr"), "w+")
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=errors, text=True)
    # The first stdout line is the figures; the process may still be closing its sessions then.
    lines = []
    reader = threading.Thread(target=lambda: lines.extend(process.stdout), daemon=True)
    reader.start()
    deadline = time.monotonic() + options.run_timeout
    while not lines and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    if not lines and process.poll() is None:
        process.kill()
        process.wait()
        return {"client": client, "scenario": scenario, "devices": devices,
                "not_run": f"did not finish within the {options.run_timeout} s limit (killed)"}
    closing = None
    try:
        process.wait(timeout=options.close_timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        closing = f"closing its sessions took over {options.close_timeout} s after the figures (killed)"
    reader.join(timeout=5)
    figures = None
    for line in lines:
        parsed = json.loads(line) if line.strip().startswith("{") else None
        if parsed is None:
            continue
        if figures is None:
            figures = parsed
        else:
            figures.update(parsed)
    if figures is None:
        errors.seek(0)
        tail = (errors.read().strip().splitlines() or ["(no output)"])[-1]
        return {"client": client, "scenario": scenario, "devices": devices,
                "not_run": f"exited with status {process.returncode}: {tail[:200]}"}
    if closing:
        figures["notes"] = "; ".join(n for n in [figures.get("notes"), closing] if n)
    log(f"        -> wall {figures['wall_s']:.2f} s, cpu {figures['cpu_s']:.2f} s, ok {figures['ok']}, "
        f"failed {figures['failed']} ({time.monotonic() - started:.1f} s)")
    return figures


def versions(options):
    found = {}
    for package in ["parallel-ssh", "ssh2-python", "ssh-python", "asyncssh", "netmiko", "paramiko", "scrapli",
                    "matplotlib"]:
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            found[package] = "not installed"
    found["python"] = host_platform.python_version()
    for name, command in [("swift", ["swift", "--version"]),
                          ("libssh", ["dpkg-query", "-W", "-f=${Version}", "libssh-4"]),
                          ("libssh2", ["dpkg-query", "-W", "-f=${Version}", "libssh2-1"])]:
        try:
            out = subprocess.run(command, capture_output=True, text=True, timeout=30)
            found[name] = (out.stdout or out.stderr).strip().splitlines()[0] if (out.stdout or out.stderr) else "?"
        except (OSError, subprocess.TimeoutExpired):
            found[name] = "?"
    return found


def machine():
    info = {"cores": os.cpu_count(), "kernel": host_platform.release()}
    try:
        with open("/proc/cpuinfo") as handle:
            for line in handle:
                if line.startswith("model name"):
                    info["cpu"] = line.split(":", 1)[1].strip()
                    break
        with open("/proc/meminfo") as handle:
            info["memory"] = handle.readline().split(":", 1)[1].strip()
    except OSError:
        pass
    return info


def uptime():
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--netpulse-binary", default=os.path.join(ROOT, ".build", "release", "netpulse"))
    parser.add_argument("--bench-binary", default=os.path.join(ROOT, ".build", "release", "netpulse-bench"))
    parser.add_argument("--clients", default=",".join(NETPULSE + EXEC_PEERS + CLI_PEERS),
                        help="comma-separated clients to run")
    parser.add_argument("--scenarios", default="fresh,pinned,push,held,faulty")
    parser.add_argument("--scale", type=float, default=1.0, help="multiply every device count (quick runs)")
    parser.add_argument("--fresh-devices", type=int, default=1000)
    parser.add_argument("--pinned-devices", type=int, default=200)
    parser.add_argument("--commands", type=int, default=20)
    parser.add_argument("--push-devices", type=int, default=200)
    parser.add_argument("--lines", type=int, default=50)
    parser.add_argument("--held-devices", type=int, default=2000)
    parser.add_argument("--faulty-devices", type=int, default=1000)
    parser.add_argument("--netmiko-devices", type=int, default=100,
                        help="netmiko's device count cap (it is slow; the tables say so)")
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument("--fault-timeout", type=float, default=5)
    parser.add_argument("--run-timeout", type=int, default=300, help="time limit of each client run, seconds")
    parser.add_argument("--close-timeout", type=int, default=30,
                        help="how long a client may take to close its sessions after its figures, seconds")
    parser.add_argument("--profile", default="modern",
                        help="device profile of every lab: modern (answers at once), wan (50 ms round trip, 300 ms "
                             "login, 200 ms per command, 2 ms per output line), or any `netpulse lab --profile`")
    parser.add_argument("--work", default="/tmp/netpulse-bench")
    parser.add_argument("--output", default=RESULTS)
    options = parser.parse_args()

    clients = options.clients.split(",")
    scenarios = options.scenarios.split(",")
    scale = lambda n: max(2, int(n * options.scale))
    sizes = {"fresh": scale(options.fresh_devices), "pinned": scale(options.pinned_devices),
             "push": scale(options.push_devices), "held": scale(options.held_devices),
             "faulty": scale(options.faulty_devices)}
    lab_size = max(sizes["fresh"], sizes["pinned"], sizes["push"], sizes["held"])

    os.makedirs(options.work, exist_ok=True)
    os.makedirs(options.output, exist_ok=True)
    report = {"started": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()), "uptime_start": uptime(),
              "machine": machine(), "versions": versions(options), "sizes": sizes,
              "concurrency": options.concurrency, "commands": options.commands, "lines": options.lines,
              "netmiko_devices": options.netmiko_devices, "fault_timeout": options.fault_timeout,
              "run_timeout": options.run_timeout, "scale": options.scale, "profile": options.profile, "runs": []}
    log(f"load at start: {report['uptime_start']}")

    labs = []
    try:
        cli_lab = Lab("cli", options.netpulse_binary, lab_size, "cisco_ios", options.work, profile=options.profile)
        labs.append(cli_lab)
        exec_lab = Lab("exec", options.netpulse_binary, lab_size, "linux", options.work, profile=options.profile)
        labs.append(exec_lab)
        fault_lab = None
        if "faulty" in scenarios:
            fault_lab = Lab("faulty", options.netpulse_binary, 2 * sizes["faulty"], "cisco_ios,linux",
                            options.work, fault_rate=0.1, seed=42, profile=options.profile)
            labs.append(fault_lab)
        report["labs"] = {lab.name: lab.ready for lab in labs}

        for scenario in scenarios:
            for mode in ["cli", "exec"]:
                if scenario == "push" and mode == "exec":
                    continue  # a configuration push is a CLI operation
                peers = CLI_PEERS if mode == "cli" else EXEC_PEERS
                for client in [c for c in NETPULSE + peers if c in clients]:
                    devices = sizes[scenario]
                    if client == "netmiko":
                        devices = min(devices, options.netmiko_devices)
                    reason = NOT_RUN.get((scenario, mode, client))
                    if reason:
                        report["runs"].append({"client": client, "scenario": scenario, "mode": mode,
                                               "devices": devices, "not_run": reason})
                        continue
                    faults = None
                    if scenario == "faulty":
                        lab = fault_lab
                        inventory, _ = fault_lab.split("cisco_ios" if mode == "cli" else "linux")
                        faults = fault_lab.faults
                    else:
                        lab = cli_lab if mode == "cli" else exec_lab
                        inventory = lab.inventory
                    load1 = os.getloadavg()[0]
                    figures = run_client(client, scenario, inventory, lab, devices, options, faults)
                    figures["load1"] = load1
                    figures.setdefault("mode", mode)
                    report["runs"].append(figures)
    finally:
        for lab in labs:
            lab.stop()
        report["labs_final"] = {lab.name: getattr(lab, "final", "") for lab in labs}
    report["finished"] = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
    report["uptime_end"] = uptime()
    log(f"load at end: {report['uptime_end']}")

    with open(os.path.join(options.output, "results.json"), "w") as handle:
        json.dump(report, handle, indent=1, sort_keys=True)
    import report as reporting
    reporting.write(report, options.output)


if __name__ == "__main__":
    sys.path.insert(0, HERE)
    main()
