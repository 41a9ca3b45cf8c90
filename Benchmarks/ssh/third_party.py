"""Benchmark (d) of issue 13: fresh CLI sessions against a device emulator this project did not write.

FakeNOS (PyPI `fakenos`: paramiko SSH servers with a Cisco IOS CLI, RSA host key) serves SESSIONS
devices on loopback, one port each. Each client opens one fresh session per device, `enable`,
`terminal length 0`, `terminal width 511`, `show version`, and closes (the two `terminal` commands are
the session preparation netmiko and NetPulse make on `cisco_ios`; scrapli makes its own, `terminal
length 0` and `terminal width 512`):

- NetPulse: `netpulse-bench --scenario fresh` with the libssh and the libssh2 driver, host keys
  checked strictly against a known_hosts written by OpenSSH's `ssh-keyscan`;
- asyncssh (an interactive pty session driven by prompt, host keys checked against the same file);
- scrapli (`AsyncIOSXEDriver` on its asyncssh transport; its known_hosts lookup ignores the port, so
  it runs with strict checking off, as in Benchmarks/peers).

Every client runs in its own process with 100 sessions at once; client CPU is getrusage of that
process over the sessions only; emulator CPU is FakeNOS's CPU time over the same client's run (it
shares the cores, so what a client asks of it shows in that client's wall time). Before each client,
the harness waits until FakeNOS is quiet (under 5 % of a core for a second, at most 60 s). Run through
`Benchmarks/ssh/run.sh third-party`.

With `--rounds N` (ROUNDS for run.sh) the clients run N times against the same FakeNOS, in their order
and then in the reverse order, alternately (this machine's speed moves by a fifth within a minute, and a
client that always runs first or last would always meet the same part of it); each NetPulse client's ratio
to the leanest peer is taken within each round, and their median reported. FakeNOS itself slows down after
about 1,400 sessions, so keep rounds x clients x sessions under that (three clients of 200, two rounds).
"""

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
USER = PASSWORD = "user"
BASE_PORT = 21000  # below the kernel's ephemeral range; moved up by free_base() when taken


def free_base(count):
    """The first port of `count` consecutive loopback ports that can be bound now."""
    import socket

    for base in range(BASE_PORT, 30000 - count, count):
        sockets = []
        try:
            for port in range(base, base + count):
                sock = socket.socket()
                sockets.append(sock)
                sock.bind(("127.0.0.1", port))
            return base
        except OSError:
            continue
        finally:
            for sock in sockets:
                sock.close()
    raise SystemExit(f"no {count} free consecutive ports below 30000")


def cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def process_cpu_seconds(pid):
    """CPU time (user + system) of another process so far, from /proc (the emulator's)."""
    with open(f"/proc/{pid}/stat") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def settle(pid, quiet=0.05, window=1.0, limit=60.0):
    """Returns once the emulator used less than `quiet` of a core over `window` seconds (or after `limit`
    seconds: it then says so). FakeNOS keeps working for a while after it starts and after a client's
    sessions end (closing 200 sessions, its watchdogs); a client measured meanwhile shares the cores with
    that work, which skews its CPU and wall figures against whichever client runs first."""
    started = time.monotonic()
    before = process_cpu_seconds(pid)
    while time.monotonic() - started < limit:
        time.sleep(window)  # a sampling interval, not a wait for an event: idleness has no event
        now = process_cpu_seconds(pid)
        if now - before < quiet * window:
            return time.monotonic() - started
        before = now
    print(f"the emulator was still busy after {limit:.0f} s", flush=True)
    return limit


def emulator(sessions, base):
    """Runs FakeNOS in this process until killed (the harness starts it as a child)."""
    from fakenos import FakeNOS

    inventory = {
        "default": {
            "username": USER, "password": PASSWORD,
            "server": {"plugin": "ParamikoSshServer", "configuration": {"address": "127.0.0.1", "timeout": 1}},
            "shell": {"plugin": "CMDShell", "configuration": {}},
            "nos": {"plugin": "cisco_ios", "configuration": {}},
        },
        "hosts": {"R": {"port": [base, base + sessions - 1], "replicas": sessions, "platform": "cisco_ios"}},
    }
    net = FakeNOS(inventory=inventory)
    net.start()
    print("ready", flush=True)
    try:
        while True:
            time.sleep(3600)  # serves until the harness stops it
    finally:
        net.stop()


def asyncssh_cli(args, known_hosts):
    import asyncio
    import re
    import asyncssh

    prompt = re.compile(r"[>#]\s*$")
    ok = failed = 0
    errors = {}

    async def until_prompt(process, deadline):
        text = ""
        while not prompt.search(text):
            chunk = await asyncio.wait_for(process.stdout.read(65536), max(0.01, deadline - time.monotonic()))
            if not chunk:
                raise ConnectionError("the device closed the session")
            text += chunk
        return text

    async def one(port, semaphore):
        nonlocal ok, failed
        async with semaphore:
            try:
                deadline = time.monotonic() + 30
                async with asyncssh.connect("127.0.0.1", port=port, username=USER, password=PASSWORD,
                                            known_hosts=known_hosts) as conn:
                    process = await conn.create_process(term_type="vt100", term_size=(511, 24))
                    await until_prompt(process, deadline)
                    for command in ["enable", "terminal length 0", "terminal width 511", "show version"]:
                        process.stdin.write(command + "\n")
                        output = await until_prompt(process, deadline)
                    if "Cisco IOS" not in output:
                        raise RuntimeError("unexpected output: " + output[:80])
                    process.close()
                ok += 1
            except Exception as error:  # every session counted once, whatever it raised
                failed += 1
                errors[type(error).__name__] = errors.get(type(error).__name__, 0) + 1

    async def main():
        semaphore = asyncio.Semaphore(args.concurrency)
        await asyncio.gather(*(one(args.base_port + i, semaphore) for i in range(args.sessions)))

    start_cpu, start_wall = cpu_seconds(), time.monotonic()
    asyncio.run(main())
    return {"client": "asyncssh (pty, prompt-driven)", "ok": ok, "failed": failed, "errors": errors,
            "cpu_s": cpu_seconds() - start_cpu, "wall_s": time.monotonic() - start_wall, "host_keys": "strict"}


def scrapli_cli(args):
    import asyncio
    from scrapli.driver.core import AsyncIOSXEDriver

    ok = failed = 0
    errors = {}

    async def one(port, semaphore):
        nonlocal ok, failed
        async with semaphore:
            conn = AsyncIOSXEDriver(host="127.0.0.1", port=port, auth_username=USER, auth_password=PASSWORD,
                                    auth_secondary=PASSWORD, auth_strict_key=False, transport="asyncssh",
                                    timeout_socket=30, timeout_transport=30, timeout_ops=30)
            try:
                await conn.open()
                response = await conn.send_command("show version")
                if response.failed or "Cisco IOS" not in response.result:
                    raise RuntimeError("unexpected output: " + response.result[:80])
                await conn.close()
                ok += 1
            except Exception as error:
                failed += 1
                errors[type(error).__name__] = errors.get(type(error).__name__, 0) + 1

    async def main():
        semaphore = asyncio.Semaphore(args.concurrency)
        await asyncio.gather(*(one(args.base_port + i, semaphore) for i in range(args.sessions)))

    start_cpu, start_wall = cpu_seconds(), time.monotonic()
    asyncio.run(main())
    return {"client": "scrapli (AsyncIOSXEDriver, asyncssh)", "ok": ok, "failed": failed, "errors": errors,
            "cpu_s": cpu_seconds() - start_cpu, "wall_s": time.monotonic() - start_wall,
            "host_keys": "not checked (scrapli looks known_hosts up by host only)"}


def netpulse(args, client, inventory):
    """One netpulse-bench run; `client` is a driver name, or DRIVER:N for a readiness loop of N threads."""
    driver, _, threads = client.partition(":")
    command = [os.path.join(ROOT, ".build", "release", "netpulse-bench"), "--scenario", "fresh", "--driver", driver,
               "--inventory", inventory, "--devices", str(args.sessions), "--concurrency", str(args.concurrency),
               "--connects", str(args.concurrency), "--connect-timeout", "30", "--read-timeout", "30"]
    if threads:
        command += ["--io-threads", threads]
        driver += f", {threads} loop threads"
    out = subprocess.run(command, capture_output=True, text=True, timeout=600)
    lines = [line for line in out.stdout.splitlines() if line.startswith("{")]
    if not lines:
        return {"client": f"netpulse-{driver}", "ok": 0, "failed": args.sessions,
                "errors": {"exit": out.returncode}, "notes": out.stderr[-300:]}
    figures = json.loads(lines[0])
    return {"client": f"netpulse ({driver})", "ok": int(figures["ok"]), "failed": int(figures["failed"]),
            "errors": figures.get("error_kinds", {}), "cpu_s": figures["cpu_s"], "wall_s": figures["wall_s"],
            "host_keys": "strict", "samples": figures.get("error_samples", {})}


def harness(args):
    work = args.work
    os.makedirs(work, exist_ok=True)
    base = args.base_port = free_base(args.sessions)
    server = subprocess.Popen([sys.executable, __file__, "--emulator", "--sessions", str(args.sessions),
                               "--base-port", str(base)],
                              stdout=subprocess.PIPE, stderr=open(os.path.join(work, "fakenos.log"), "w"), text=True)
    try:
        if server.stdout.readline().strip() != "ready":
            raise SystemExit("FakeNOS did not start (see fakenos.log)")
        known_hosts = os.path.join(work, "known_hosts")
        with open(known_hosts, "w") as handle:
            for i in range(args.sessions):
                scan = subprocess.run(["ssh-keyscan", "-t", "rsa", "-p", str(base + i), "127.0.0.1"],
                                      capture_output=True, text=True, timeout=30)
                handle.write(scan.stdout)
        inventory = os.path.join(work, "fakenos.json")
        with open(inventory, "w") as handle:
            json.dump({"driver": "netmiko", "connection_args": {"device_type": "cisco_ios", "username": USER, "password": PASSWORD,
                                           "secret": PASSWORD, "known_hosts_file": known_hosts,
                                           "host_key_policy": "strict"},
                       "devices": [{"host": "127.0.0.1", "port": base + i} for i in range(args.sessions)]},
                      handle)
        print(f"FakeNOS {__import__('importlib.metadata').metadata.version('fakenos')}: {args.sessions} Cisco IOS "
              f"devices on 127.0.0.1:{base}-{base + args.sessions - 1}; load {os.getloadavg()}")
        results = []
        clients = args.clients.split(",")
        order = [(round_, client) for round_ in range(args.rounds)
                 for client in (clients if round_ % 2 == 0 else clients[::-1])]
        for round_, client in order:
            waited = settle(server.pid)
            load = os.getloadavg()[0]
            emulator_before = process_cpu_seconds(server.pid)
            if client.partition(":")[0] in ("libssh", "libssh2"):
                results.append(netpulse(args, client, inventory))
            else:
                out = subprocess.run([sys.executable, __file__, "--client", client, "--sessions", str(args.sessions),
                                      "--base-port", str(base),
                                      "--concurrency", str(args.concurrency), "--known-hosts", known_hosts],
                                     capture_output=True, text=True, timeout=900)
                lines = [line for line in out.stdout.splitlines() if line.startswith("{")]
                results.append(json.loads(lines[0]) if lines else
                               {"client": client, "ok": 0, "failed": args.sessions, "notes": out.stderr[-300:]})
            # The emulator shares the machine's cores: what a client asks of it shows in the wall time.
            results[-1]["emulator_cpu_s"] = process_cpu_seconds(server.pid) - emulator_before
            results[-1]["settled_s"] = round(waited, 1)
            results[-1]["load_before"] = load
            results[-1]["round"] = round_ + 1
            print(json.dumps(results[-1]), flush=True)
        peers = [r for r in results if not r["client"].startswith("netpulse") and r.get("cpu_s")]
        leanest = min(peers, key=lambda r: r["cpu_s"]) if peers else None
        fastest = min(peers, key=lambda r: r["wall_s"]) if peers else None
        print(f"\n{args.sessions} fresh CLI sessions (enable, terminal length 0, terminal width 511, show version), {args.concurrency} at once; "
              f"load {os.getloadavg()}")
        print("| client | ok | failed | wall s | client CPU s | CPU/session ms | leanest peer CPU / this | emulator CPU s "
              "| host keys |")
        print("|---|---|---|---|---|---|---|---|---|")
        for r in results:
            cpu = r.get("cpu_s")
            ratio = f"{leanest['cpu_s'] / cpu:.2f}" if leanest and cpu else ""
            print(f"| {r['client']} | {r['ok']} | {r['failed']} | {r.get('wall_s', 0):.2f} | {cpu or 0:.2f} | "
                  f"{(cpu or 0) / args.sessions * 1000:.2f} | {ratio} | {r.get('emulator_cpu_s', 0):.2f} | "
                  f"{r.get('host_keys', '')} |")
        if fastest:
            print(f"fastest peer wall: {fastest['client']} {fastest['wall_s']:.2f} s")
        if args.rounds > 1:
            per_round(results, args.rounds)
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()


def per_round(results, rounds):
    """Each NetPulse client against the leanest and the fastest peer of the same round, and the medians."""
    print(f"\nper round ({rounds} rounds, the order reversed every other round):")
    print("| client | leanest peer CPU / this, per round | median | this wall / fastest peer wall, per round | median |")
    print("|---|---|---|---|---|")
    for name in dict.fromkeys(r["client"] for r in results if r["client"].startswith("netpulse")):
        cpu, wall = [], []
        for round_ in range(1, rounds + 1):
            here = [r for r in results if r["round"] == round_ and r.get("cpu_s")]
            mine = next((r for r in here if r["client"] == name), None)
            peers = [r for r in here if not r["client"].startswith("netpulse")]
            if mine and peers and mine["failed"] == 0:
                cpu.append(min(r["cpu_s"] for r in peers) / mine["cpu_s"])
                wall.append(mine["wall_s"] / min(r["wall_s"] for r in peers))
        if cpu:
            print(f"| {name} | {' '.join(f'{x:.2f}' for x in cpu)} | {statistics.median(cpu):.2f} | "
                  f"{' '.join(f'{x:.2f}' for x in wall)} | {statistics.median(wall):.2f} |")


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--emulator", action="store_true", help="run FakeNOS (internal)")
    parser.add_argument("--client", help="run one Python client (internal): asyncssh or scrapli")
    parser.add_argument("--clients", default="libssh,libssh2,asyncssh,scrapli",
                        help="in this order; libssh:2 runs the libssh driver with --io-threads 2")
    parser.add_argument("--sessions", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=1, help="the clients N times, the order reversed every other time")
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument("--known-hosts")
    parser.add_argument("--base-port", type=int, default=BASE_PORT)
    parser.add_argument("--work", default="/tmp/netpulse-third-party")
    args = parser.parse_args()
    if not 1 <= args.rounds <= 20:
        parser.error("--rounds must be from 1 to 20")
    if args.emulator:
        emulator(args.sessions, args.base_port)
    elif args.client == "asyncssh":
        print(json.dumps(asyncssh_cli(args, args.known_hosts)))
    elif args.client == "scrapli":
        print(json.dumps(scrapli_cli(args)))
    else:
        harness(args)


if __name__ == "__main__":
    main()
