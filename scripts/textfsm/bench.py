#!/usr/bin/env python3
"""The Python side of scripts/textfsm-bench.sh: writes the 10,000-line outputs, and times textfsm on them.

    bench.py inputs DIR                     write show_interfaces.txt and show_ip_interface_brief.txt
    bench.py time TEMPLATE INPUT ROUNDS     best of ROUNDS, as JSON; also the records, for the comparison
    bench.py repeat TEMPLATE INPUT ROUNDS   compile once, parse ROUNDS times (for callgrind)
"""
import json
import random
import sys
import time

import textfsm


def show_interfaces(count):
    rng = random.Random(7)
    blocks = []
    for i in range(count):
        mac = "001b.2c3d.%04x" % i
        blocks.append(f"""GigabitEthernet{i // 48 + 1}/0/{i % 48 + 1} is up, line protocol is up (connected)
  Hardware is Gigabit Ethernet, address is {mac} (bia {mac})
  Description: access port {i} to building {i % 7} floor {i % 5}
  Internet address is 10.{i // 256}.{i % 256}.1/24
  MTU 1500 bytes, BW 1000000 Kbit/sec, DLY 10 usec,
     reliability 255/255, txload 1/255, rxload 1/255
  Encapsulation ARPA, loopback not set
  Keepalive set (10 sec)
  Full-duplex, 1000Mb/s, media type is 10/100/1000BaseTX
  input flow-control is off, output flow-control is unsupported
  ARP type: ARPA, ARP Timeout 04:00:00
  Last input 00:00:01, output 00:00:00, output hang never
  Last clearing of "show interface" counters never
  Input queue: 0/75/0/0 (size/max/drops/flushes); Total output drops: {rng.randint(0, 99)}
  Queueing strategy: fifo
  Output queue: 0/40 (size/max)
  5 minute input rate {rng.randint(0, 10**6)} bits/sec, {rng.randint(0, 999)} packets/sec
  5 minute output rate {rng.randint(0, 10**6)} bits/sec, {rng.randint(0, 999)} packets/sec
     {rng.randint(0, 10**9)} packets input, {rng.randint(0, 10**12)} bytes, 0 no buffer
     Received 123456 broadcasts (12345 multicasts)
     0 runts, 0 giants, 0 throttles
     {rng.randint(0, 9)} input errors, 0 CRC, 0 frame, 0 overrun, 0 ignored
     0 watchdog, 12345 multicast, 0 pause input
     0 input packets with dribble condition detected
     {rng.randint(0, 10**9)} packets output, {rng.randint(0, 10**12)} bytes, 0 underruns
     0 output errors, 0 collisions, 1 interface resets
     0 unknown protocol drops
     0 babbles, 0 late collision, 0 deferred
     0 lost carrier, 0 no carrier, 0 pause output
     0 output buffer failures, 0 output buffers swapped out
""")
    return "".join(blocks)


def show_ip_interface_brief(count):
    lines = ["Interface              IP-Address      OK? Method Status                Protocol"]
    for i in range(count - 1):
        address = "10.%d.%d.1" % (i // 256 % 256, i % 256) if i % 3 else "unassigned"
        status = "up                    up" if i % 4 else "administratively down down"
        lines.append("%-22s %-15s YES %-6s %s" % ("GigabitEthernet%d/0/%d" % (i // 48 + 1, i % 48 + 1), address,
                                                   "NVRAM" if i % 3 else "unset", status))
    return "\n".join(lines) + "\n"


def main():
    if sys.argv[1] == "inputs":
        folder = sys.argv[2]
        with open(folder + "/show_interfaces.txt", "w") as handle:
            handle.write(show_interfaces(334))
        with open(folder + "/show_ip_interface_brief.txt", "w") as handle:
            handle.write(show_ip_interface_brief(10000))
        return
    template_path, input_path, rounds = sys.argv[2], sys.argv[3], int(sys.argv[4])
    if sys.argv[1] == "repeat":
        # Compile once, parse ROUNDS times (for callgrind; see textfsm-bench.sh --instructions).
        with open(template_path) as handle:
            fsm = textfsm.TextFSM(handle)
        with open(input_path) as handle:
            data = handle.read()
        records = 0
        for _ in range(rounds):
            fsm.Reset()
            records += len(fsm.ParseText(data))
        print(records)
        return
    with open(template_path) as handle:
        template = handle.read()
    with open(input_path) as handle:
        data = handle.read()
    import io

    def best(body):
        fastest = float("inf")
        for _ in range(rounds):
            start = time.perf_counter()
            result = body()
            fastest = min(fastest, time.perf_counter() - start)
        return fastest, result

    compiled, _ = best(lambda: textfsm.TextFSM(io.StringIO(template)))
    fsm = textfsm.TextFSM(io.StringIO(template))

    def parse_again():
        fsm.Reset()
        return fsm.ParseText(data)

    parsed, rows = best(parse_again)
    both, _ = best(lambda: textfsm.TextFSM(io.StringIO(template)).ParseText(data))
    print(json.dumps({"engine": "python textfsm",
                      "lines": len(data.splitlines()), "records": len(rows), "compile_ms": compiled * 1000,
                      "parse_ms": parsed * 1000, "compile_and_parse_ms": both * 1000}))
    records = [{name.lower(): value for name, value in zip(fsm.header, row)} for row in rows]
    with open(input_path + ".python.json", "w") as handle:
        json.dump(records, handle)


if __name__ == "__main__":
    main()
