"""One benchmark scenario with one Python peer against a running NetPulseLab; prints one JSON object.

The figures match netpulse-bench's: wall and client CPU (resource.getrusage) over the scenario only
(imports excluded), peak RSS of the process, per-device latency p50/p99, and the lab's CPU from
/proc/PID/stat. Run by Benchmarks/run-all.sh; see Benchmarks/README.md.
"""

import argparse
import json
import os
import resource
import sys
import time
import traceback
from importlib import metadata

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE_KIB = os.sysconf("SC_PAGE_SIZE") // 1024


def cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def peak_rss_kib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def rss_kib():
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * PAGE_KIB


def lab_cpu(pid):
    if not pid:
        return None
    try:
        with open(f"/proc/{pid}/stat") as handle:
            text = handle.read()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def quantile(values, q):
    if not values:
        return None
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, -(-int(q * len(ordered) * 1000) // 1000) - 1))
    import math
    rank = max(0, min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1))
    return ordered[rank]


def first_command(platform):
    return "uname -a" if platform == "linux" else "show version"


def command_list(platform):
    if platform == "linux":
        return ["uname -a", "hostname", "uptime", "whoami", "cat /etc/hostname"]
    return ["show version", "show clock", "show ip interface brief", "show vlan brief", "show interfaces"]


def config_lines(count):
    lines = []
    for vlan in range(count // 2):
        lines += [f"vlan {1000 + vlan}", f"name BENCH{vlan}"]
    return lines


class Tally:
    """Per-device outcomes, each device counted once."""

    def __init__(self, devices):
        self.outcome = [None] * len(devices)
        self.latencies = []
        self.errors = {}
        self.samples = {}

    def success(self, index, latency=None):
        self.outcome[index] = True
        if latency is not None:
            self.latencies.append(latency)

    def failure(self, index, error, latency=None):
        self.outcome[index] = False
        name = type(error).__name__
        self.errors[name] = self.errors.get(name, 0) + 1
        self.samples.setdefault(name, str(error)[:200])
        if latency is not None:
            self.latencies.append(latency)


# ---------------------------------------------------------------- asyncssh (exec)

def run_asyncssh(args, devices, known_hosts, figures):
    import asyncio
    import asyncssh

    figures["version"] = asyncssh.__version__
    platform = devices[0]["device_type"]
    tally = Tally(devices)
    timeouts = dict(connect_timeout=args.connect_timeout, login_timeout=args.connect_timeout)

    async def connect(device):
        return await asyncssh.connect(
            device["host"], port=device["port"], username=device["username"], password=device["password"],
            known_hosts=known_hosts, **timeouts)

    async def one_shot(index, device, semaphore):
        async with semaphore:
            start = time.monotonic()
            try:
                async with await connect(device) as conn:
                    result = await asyncio.wait_for(
                        conn.run(first_command(platform), check=True), args.read_timeout)
                    assert result.stdout
                tally.success(index, time.monotonic() - start)
            except Exception as error:  # every device accounted, whatever it raised
                tally.failure(index, error, time.monotonic() - start)

    async def main():
        semaphore = asyncio.Semaphore(args.concurrency)
        if args.scenario in ("fresh", "faulty"):
            await asyncio.gather(*(one_shot(i, d, semaphore) for i, d in enumerate(devices)))
            return
        conns = [None] * len(devices)

        async def open_one(index, device):
            async with semaphore:
                start = time.monotonic()
                try:
                    conns[index] = await connect(device)
                    if args.scenario == "pinned":
                        await asyncio.wait_for(conns[index].run(first_command(platform), check=True), args.read_timeout)
                    tally.success(index, time.monotonic() - start)
                except Exception as error:
                    tally.failure(index, error, time.monotonic() - start)

        if args.scenario == "held":
            before = rss_kib()
            await asyncio.gather(*(open_one(i, d) for i, d in enumerate(devices)))
            held = sum(1 for c in conns if c is not None)
            after = rss_kib()
            figures.update(held_sessions=held, rss_before_kib=before, rss_after_kib=after,
                           mem_per_session_kib=(after - before) / max(held, 1))
        elif args.scenario == "pinned":
            await asyncio.gather(*(open_one(i, d) for i, d in enumerate(devices)))
            commands = command_list(platform)
            steady = cpu_seconds()

            async def command(index, text):
                async with semaphore:
                    start = time.monotonic()
                    try:
                        await asyncio.wait_for(conns[index].run(text, check=True), args.read_timeout)
                        tally.latencies.append(time.monotonic() - start)
                    except Exception as error:
                        tally.failure(index, error)

            for round_ in range(1, args.commands):
                live = [i for i, c in enumerate(conns) if c is not None and tally.outcome[i]]
                await asyncio.gather(*(command(i, commands[round_ % len(commands)]) for i in live))
            figures["steady_cpu_per_op_us"] = (cpu_seconds() - steady) / (len(devices) * (args.commands - 1)) * 1e6
        for conn in conns:
            if conn is not None:
                conn.close()
        await asyncio.gather(*(c.wait_closed() for c in conns if c is not None), return_exceptions=True)

    asyncio.run(main())
    return tally


# ---------------------------------------------------------------- parallel-ssh (exec)

def run_pssh(args, devices, known_hosts, figures, backend):
    import pssh
    from pssh.config import HostConfig
    if backend == "libssh2":
        from pssh.clients import ParallelSSHClient
    else:
        from pssh.clients.ssh import ParallelSSHClient
    figures["version"] = metadata.version("parallel-ssh")
    figures["host_keys"] = "not checked (parallel-ssh does not verify host keys)"
    platform = devices[0]["device_type"]
    tally = Tally(devices)
    hosts = [d["host"] for d in devices]
    config = [HostConfig(port=d["port"], user=d["username"], password=d["password"], num_retries=0,
                         timeout=args.connect_timeout, allow_agent=False, identity_auth=False) for d in devices]

    def client():
        return ParallelSSHClient(hosts, host_config=config, pool_size=args.concurrency, num_retries=0,
                                 timeout=args.read_timeout, allow_agent=False, identity_auth=False)

    def run(c, command, record):
        output = c.run_command(command, stop_on_errors=False, read_timeout=args.read_timeout)
        try:
            c.join(output, timeout=args.read_timeout)
        except Exception:
            pass  # hosts still running: their stdout read below times out and counts as their failure
        for index, host_output in enumerate(output):
            try:
                if host_output.exception is not None:
                    raise host_output.exception
                text = "".join(host_output.stdout or [])
                if host_output.exit_code not in (0, None) or not text:
                    raise RuntimeError(f"exit {host_output.exit_code}, {len(text)} bytes")
                if record:
                    tally.success(index)
            except Exception as error:
                tally.failure(index, error)
        return output

    figures["latency"] = "n/a: parallel-ssh gives no per-host timing"
    if args.scenario in ("fresh", "faulty"):
        c = client()
        run(c, first_command(platform), True)
        del c
    elif args.scenario == "pinned":
        c = client()
        run(c, first_command(platform), True)
        commands = command_list(platform)
        steady = cpu_seconds()
        for round_ in range(1, args.commands):
            run(c, commands[round_ % len(commands)], False)
        figures["steady_cpu_per_op_us"] = (cpu_seconds() - steady) / (len(devices) * (args.commands - 1)) * 1e6
    elif args.scenario == "held":
        before = rss_kib()
        c = client()
        c.connect_auth()
        c.pool.join(timeout=args.connect_timeout * 4)
        held = sum(1 for h in c._host_clients.values() if h is not None)
        for index in range(len(devices)):
            tally.success(index)
        after = rss_kib()
        figures.update(held_sessions=held, rss_before_kib=before, rss_after_kib=after,
                       mem_per_session_kib=(after - before) / max(held, 1))
    return tally


# ---------------------------------------------------------------- netmiko (CLI, thread pool)

def run_netmiko(args, devices, known_hosts, figures):
    from concurrent.futures import ThreadPoolExecutor
    import netmiko
    from netmiko import ConnectHandler

    figures["version"] = netmiko.__version__
    figures["host_keys"] = "not checked (netmiko's default ssh_strict=False)"
    tally = Tally(devices)
    platform = devices[0]["device_type"]

    def connect(device):
        return ConnectHandler(
            device_type=device["device_type"], host=device["host"], port=device["port"],
            username=device["username"], password=device["password"], secret=device.get("secret", ""),
            conn_timeout=args.connect_timeout, auth_timeout=args.connect_timeout,
            banner_timeout=args.connect_timeout, read_timeout_override=args.read_timeout,
            allow_agent=False, use_keys=False, fast_cli=True)

    conns = [None] * len(devices)

    def one(index):
        device = devices[index]
        start = time.monotonic()
        try:
            conn = connect(device)
            if args.scenario in ("fresh", "faulty"):
                out = conn.send_command(first_command(platform))
                conn.disconnect()
                assert "Version" in out or out, "empty output"
            elif args.scenario == "pinned":
                conn.send_command(first_command(platform))
                conns[index] = conn
            elif args.scenario == "push":
                conn.enable()
                conn.send_config_set(config_lines(args.lines))
                out = conn.send_command("show running-config")
                conn.disconnect()
                if f"name BENCH{args.lines // 2 - 1}" not in out:
                    raise RuntimeError("read-back does not show the pushed lines")
            elif args.scenario == "held":
                conns[index] = conn
            tally.success(index, time.monotonic() - start)
        except Exception as error:
            tally.failure(index, error, time.monotonic() - start)

    with ThreadPoolExecutor(max_workers=args.concurrency) as pool:
        before = rss_kib()
        list(pool.map(one, range(len(devices))))
        if args.scenario == "held":
            held = sum(1 for c in conns if c is not None)
            after = rss_kib()
            figures.update(held_sessions=held, rss_before_kib=before, rss_after_kib=after,
                           mem_per_session_kib=(after - before) / max(held, 1))
        if args.scenario == "pinned":
            commands = command_list(platform)
            steady = cpu_seconds()

            def command(index, text):
                start = time.monotonic()
                try:
                    conns[index].send_command(text)
                    tally.latencies.append(time.monotonic() - start)
                except Exception as error:
                    tally.failure(index, error)

            for round_ in range(1, args.commands):
                live = [i for i, c in enumerate(conns) if c is not None and tally.outcome[i]]
                list(pool.map(lambda i: command(i, commands[round_ % len(commands)]), live))
            figures["steady_cpu_per_op_us"] = (cpu_seconds() - steady) / (len(devices) * (args.commands - 1)) * 1e6
        list(pool.map(lambda c: c.disconnect(), [c for c in conns if c is not None]))
    return tally


# ---------------------------------------------------------------- scrapli (CLI, asyncio, asyncssh transport)

def run_scrapli(args, devices, known_hosts, figures):
    import asyncio
    import scrapli
    from scrapli.driver.core import AsyncIOSXEDriver

    figures["version"] = scrapli.__version__
    figures["host_keys"] = ("not checked: scrapli looks up known_hosts by host only, so the lab's "
                            "'[127.0.0.1]:port' entries never match")
    tally = Tally(devices)
    platform = devices[0]["device_type"]

    def driver(device):
        return AsyncIOSXEDriver(
            host=device["host"], port=device["port"], auth_username=device["username"],
            auth_password=device["password"], auth_secondary=device.get("secret", ""),
            auth_strict_key=False, transport="asyncssh",
            timeout_socket=args.connect_timeout, timeout_transport=args.read_timeout,
            timeout_ops=args.read_timeout)

    conns = [None] * len(devices)

    async def main():
        semaphore = asyncio.Semaphore(args.concurrency)

        async def one(index):
            async with semaphore:
                start = time.monotonic()
                conn = driver(devices[index])
                try:
                    await asyncio.wait_for(conn.open(), args.connect_timeout + args.read_timeout)
                    if args.scenario in ("fresh", "faulty"):
                        response = await conn.send_command(first_command(platform))
                        if response.failed:
                            raise RuntimeError("command failed: " + response.result[:100])
                        await conn.close()
                    elif args.scenario == "pinned":
                        response = await conn.send_command(first_command(platform))
                        if response.failed:
                            raise RuntimeError("command failed")
                        conns[index] = conn
                    elif args.scenario == "push":
                        response = await conn.send_configs(config_lines(args.lines))
                        if response.failed:
                            raise RuntimeError("config failed")
                        read = await conn.send_command("show running-config")
                        await conn.close()
                        if f"name BENCH{args.lines // 2 - 1}" not in read.result:
                            raise RuntimeError("read-back does not show the pushed lines")
                    elif args.scenario == "held":
                        conns[index] = conn
                    tally.success(index, time.monotonic() - start)
                except Exception as error:
                    tally.failure(index, error, time.monotonic() - start)
                    try:
                        await conn.close()
                    except Exception:
                        pass

        before = rss_kib()
        await asyncio.gather(*(one(i) for i in range(len(devices))))
        if args.scenario == "held":
            held = sum(1 for c in conns if c is not None)
            after = rss_kib()
            figures.update(held_sessions=held, rss_before_kib=before, rss_after_kib=after,
                           mem_per_session_kib=(after - before) / max(held, 1))
        if args.scenario == "pinned":
            commands = command_list(platform)
            steady = cpu_seconds()

            async def command(index, text):
                async with semaphore:
                    start = time.monotonic()
                    try:
                        response = await conns[index].send_command(text)
                        if response.failed:
                            raise RuntimeError("command failed")
                        tally.latencies.append(time.monotonic() - start)
                    except Exception as error:
                        tally.failure(index, error)

            for round_ in range(1, args.commands):
                live = [i for i, c in enumerate(conns) if c is not None and tally.outcome[i]]
                await asyncio.gather(*(command(i, commands[round_ % len(commands)]) for i in live))
            figures["steady_cpu_per_op_us"] = (cpu_seconds() - steady) / (len(devices) * (args.commands - 1)) * 1e6
        for conn in conns:
            if conn is not None:
                try:
                    await conn.close()
                except Exception:
                    pass

    asyncio.run(main())
    return tally


PEERS = {
    "asyncssh": run_asyncssh,
    "pssh-libssh2": lambda *a: run_pssh(*a, backend="libssh2"),
    "pssh-libssh": lambda *a: run_pssh(*a, backend="libssh"),
    "netmiko": run_netmiko,
    "scrapli": run_scrapli,
}


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--peer", required=True, choices=sorted(PEERS))
    parser.add_argument("--scenario", required=True, choices=["fresh", "pinned", "push", "held", "faulty"])
    parser.add_argument("--inventory", required=True)
    parser.add_argument("--faults")
    parser.add_argument("--lab-pid", type=int)
    parser.add_argument("--devices", type=int, required=True)
    parser.add_argument("--commands", type=int, default=20)
    parser.add_argument("--lines", type=int, default=50)
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument("--connect-timeout", type=float, default=10)
    parser.add_argument("--read-timeout", type=float, default=10)
    args = parser.parse_args()

    with open(args.inventory) as handle:
        inventory = json.load(handle)
    devices = inventory["devices"][: args.devices]
    if len(devices) < args.devices:
        parser.error(f"--devices: the inventory has {len(devices)} devices, asked for {args.devices}")
    known_hosts = inventory["connection_args"]["known_hosts_file"]
    platform = devices[0]["device_type"]
    figures = {"client": args.peer, "scenario": args.scenario, "mode": "exec" if platform == "linux" else "cli",
               "platform": platform, "devices": len(devices), "concurrency": args.concurrency}

    lab_before = lab_cpu(args.lab_pid)
    cpu_before = cpu_seconds()
    wall_before = time.monotonic()
    tally = PEERS[args.peer](args, devices, known_hosts, figures)
    wall = time.monotonic() - wall_before
    cpu = cpu_seconds() - cpu_before
    lab_after = lab_cpu(args.lab_pid)

    operations = len(devices) * {"pinned": args.commands, "push": args.lines}.get(args.scenario, 1)
    ok = sum(1 for o in tally.outcome if o is True)
    failed = sum(1 for o in tally.outcome if o is False)
    figures.update(
        wall_s=wall, cpu_s=cpu, lab_cpu_s=None if lab_before is None or lab_after is None else lab_after - lab_before,
        peak_rss_kib=peak_rss_kib(), operations=operations, cpu_per_op_us=cpu / operations * 1e6,
        cpu_per_device_ms=cpu / len(devices) * 1e3, lat_p50_s=quantile(tally.latencies, 0.5),
        lat_p99_s=quantile(tally.latencies, 0.99), ok=ok, failed=failed,
        accounted=ok + failed == len(devices), error_kinds=tally.errors, error_samples=tally.samples)
    if args.scenario == "faulty" and args.faults:
        with open(args.faults) as handle:
            faulty_ports = {entry["port"] for entry in json.load(handle)}
        used = {d["port"]: i for i, d in enumerate(devices)}
        faulty = {used[p] for p in faulty_ports if p in used}
        figures["faulty_devices"] = len(faulty)
        figures["healthy_failed"] = sum(1 for i, o in enumerate(tally.outcome) if i not in faulty and o is not True)
        figures["faulty_succeeded"] = sum(1 for i in faulty if tally.outcome[i] is True)
    print(json.dumps(figures, sort_keys=True))


if __name__ == "__main__":
    try:
        main()
    except Exception:
        traceback.print_exc()
        sys.exit(1)
