#!/usr/bin/env bash
# The lab's own work per login and per command, as instruction counts: load does not change them, so
# they compare across commits and busy machines where CPU seconds do not.
#
# Runs `netpulse-lab-bench login` (a blocking libssh client, one session at a time, all held open, then
# commands on each) with the LAB process under valgrind's callgrind; the client runs outside valgrind.
# At the end of each phase the bench dumps callgrind's counts (callgrind_control), so every phase is
# counted apart: `logins` (TCP accept, key exchange, password, pty shell, the first prompt; and on
# routers `terminal length 0`, as the bench does) and `commands` (one line and its prompt, per command).
# Prints instructions per login and per command, split by shared object, for each platform.
#
#   swift build -c release --product netpulse-lab-bench
#   bash scripts/bench/lab-callgrind.sh [--build .build/release] [--sessions 200] [--commands 10]
#       [--platforms "linux cisco_ios"] [--profile modern] [--out /tmp/lab-callgrind] [--strace]
#       [--summary-only]   (prints the counts of an earlier run in --out again)
#
# The lab is the bench's own `lab` mode (`--lab-binary bench`): the same NetPulseLab code as `netpulse
# lab`, without building the whole tool. `netpulse lab` itself cannot run under valgrind 3.19: its async
# main parks the main thread in libdispatch's signal loop, and valgrind crashes there at once.
#
# --strace (--strace-only: without callgrind) also counts the lab's system calls per login and per command (a second run, strace attached
# to the lab after it is ready; calls are put in a phase by their time stamp).
# Raw files stay in --out: callgrind.<platform>.<pid>.<n> (n: 1 ready, 2 logins, 3 commands, none: the
# rest up to exit), annotate.<platform>.<phase>.txt (callgrind_annotate, inclusive), strace.<platform>.*.
#
# What it showed at 1872f2b (200 sessions, 10 commands each; ed25519 host keys, a libssh 0.10.6 client):
# 3.58 M instructions per `linux` login, 91% in libcrypto under libssh's key exchange and host-key
# signature: X25519 key generation, derivation, and the private key imported again from raw bytes
# (which derives its public key once more); Ed25519 signing, also from a raw key imported per signature.
# Those two imports alone are a third of the login. NetPulseLab's own code is under 1% of a login;
# `cisco_ios` logins cost more only by the bench's `terminal length 0`. Per login the lab makes ~48
# system calls (getpid 11 from OpenSSL, poll 8 from ssh_event_dopoll, sendto 8, recvfrom 8, epoll_wait 7).
#
# By profile (--profile; 200 sessions, 10 commands, a libssh 0.10.6 client; instructions per login,
# `linux` / `cisco_ios`): what the lab can choose within libssh's public API (the client's order wins,
# so a cheaper key exchange counts only when the lab does not offer curve25519):
#   modern (ed25519 key; the client picks curve25519-sha256)     3,578k / 3,659k
#   ecdsa  (ecdsa-sha2-nistp256 key)                             3,331k / 3,416k   (-6.9% / -6.6%)
#   nist   (ed25519 key; ecdh-sha2-nistp256, no curve25519)      2,767k / 2,848k   (-22.7% / -22.2%)
#   ecdsa+nist                                                   2,521k / 2,606k   (-29.6% / -28.8%)
#   rsa    (rsa-sha2-512, 2048-bit)                             13,828k (linux)    (3.9x)
# ECDSA saves the Ed25519 key's import per signature, but OpenSSL 3 rebuilds the P-256 group for each
# EC key libssh makes (about 0.4M a login); ECDH P-256 costs less than X25519's key generation,
# re-import and derivation. Per command nothing changes (same ciphers).
set -euo pipefail

build=.build/release

sessions=200
commands=10
platforms="linux cisco_ios"
profile=modern
out=/tmp/lab-callgrind
with_strace=no
with_callgrind=yes
summary_only=no
while [ $# -gt 0 ]; do
    case "$1" in
    --build) build=$2; shift 2 ;;
    --sessions) sessions=$2; shift 2 ;;
    --commands) commands=$2; shift 2 ;;
    --platforms) platforms=$2; shift 2 ;;
    --profile) profile=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --strace) with_strace=yes; shift ;;
    --strace-only) with_strace=yes; with_callgrind=no; shift ;;
    --summary-only) summary_only=yes; shift ;;
    *) echo "lab-callgrind.sh: unknown option $1" >&2; exit 2 ;;
    esac
done
for tool in valgrind callgrind_control callgrind_annotate python3; do
    command -v "$tool" >/dev/null || { echo "lab-callgrind.sh: $tool is missing (apt-get install valgrind)" >&2; exit 2; }
done
[ "$with_strace" = no ] || command -v strace >/dev/null || { echo "lab-callgrind.sh: strace is missing" >&2; exit 2; }
[ -x "$build/netpulse-lab-bench" ] || { echo "lab-callgrind.sh: $build/netpulse-lab-bench not built" >&2; exit 2; }
lab_binary=bench
mkdir -p "$out"
out=$(cd "$out" && pwd)

# The phase hook: called by the bench as `hook PHASE LAB_PID`, after the phase, while the lab is idle.
cat >"$out/callgrind-hook.sh" <<'EOF'
#!/usr/bin/env bash
# Dumps (and zeroes) the lab's callgrind counts; waits until the dump is written.
exec callgrind_control --dump="$1" "$2" >/dev/null
EOF
cat >"$out/strace-hook.sh" <<'EOF'
#!/usr/bin/env bash
# ready: attaches strace to every thread of the lab, and returns once it is attached (bounded wait);
# later phases: record the time; the last one also detaches strace (by its PID).
set -euo pipefail
phase=$1 pid=$2 dir=$(dirname "$0") platform=$(cat "$(dirname "$0")/strace.current")
printf '%s %s\n' "$phase" "$(date +%s.%N)" >>"$dir/strace.$platform.phases"
if [ "$phase" = ready ]; then
    # Detached from the bench: no descriptor of the bench's stays open in strace (the bench waits for
    # this hook to end, and would wait for strace too).
    for fd in $(ls /proc/$$/fd); do [ "$fd" -le 2 ] || eval "exec $fd>&-"; done
    setsid strace -f -qq -ttt -p "$pid" -o "$dir/strace.$platform.log" </dev/null >/dev/null \
        2>"$dir/strace.$platform.err" &
    echo $! >"$dir/strace.pid"
    # strace stops each thread as it attaches; the lab's loop makes a system call at least every
    # 500 ms, so its first line shows up soon once attached.
    for _ in $(seq 1 200); do
        [ -s "$dir/strace.$platform.log" ] && exit 0
        sleep 0.05
    done
    echo "strace did not attach to $pid within 10 s" >&2
    exit 1
elif [ "$phase" = "$(cat "$dir/strace.last")" ]; then
    kill "$(cat "$dir/strace.pid")"
fi
EOF
chmod +x "$out/callgrind-hook.sh" "$out/strace-hook.sh"

summary() { # platform files...: instructions per phase, by object
    python3 - "$sessions" "$commands" "$@" <<'EOF'
import re, sys

sessions, commands, platform = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
files = sys.argv[4:]

def group(obj, fn):
    name = obj.rsplit("/", 1)[-1]
    if name in ("netpulse", "netpulse-lab-bench"):
        return "NetPulseLab (Swift)" if "NetPulseLab" in fn else "netpulse, other code"
    for key, label in [("libcrypto", "libcrypto"), ("libssh.", "libssh"), ("libc.so", "libc"),
                       ("libswift_Concurrency", "Swift concurrency"), ("libswiftCore", "Swift runtime"),
                       ("libFoundation", "Foundation"), ("libdispatch", "libdispatch"), ("ld-linux", "ld.so")]:
        if key in name:
            return label
    return name

def parse(path):
    names = {"ob": {}, "fn": {}}
    positions, obj, fn, skip, by, total = 1, "?", "?", False, {}, 0
    for line in open(path, errors="replace"):
        if line[0].isdigit() or line[0] in "+-*":
            if skip:
                skip = False
                continue
            fields = line.split()
            cost = int(fields[positions]) if len(fields) > positions else 0
            key = group(obj, fn)
            by[key] = by.get(key, 0) + cost
            total += cost
            continue
        if line.startswith("positions:"):
            positions = len(line.split()) - 1
        elif line.startswith("calls="):
            skip = True
        elif line.startswith(("ob=", "fn=", "cob=", "cfn=")):
            # A name is given once, with its number, wherever it first appears (cob=/cfn= too).
            head, rest = line.split("=", 1)
            kind = head[-2:]
            m = re.match(r"\((\d+)\)(?: (.*))?$", rest.strip())
            if m:
                if m.group(2) is not None:
                    names[kind][m.group(1)] = m.group(2)
                value = names[kind].get(m.group(1), "?")
            else:
                value = rest.strip()
            if head == "ob":
                obj = value
            elif head == "fn":
                fn = value
    return total, by

phases = {1: ("ready", None), 2: ("logins", sessions), 3: ("commands", sessions * commands)}
for path in files:
    number = int(path.rsplit(".", 1)[-1]) if re.search(r"\.\d+\.\d+$", path) else 0
    name, units = phases.get(number, ("close and stop", None))
    if name == "ready" or (name == "commands" and not units):
        continue
    total, by = parse(path)
    per = f"{total / units:,.0f} instructions per {name[:-1]}" if units else f"{total:,} instructions"
    print(f"{platform} {name}: {total:,} instructions" + (f" / {units} = {per}" if units else ""))
    for key, cost in sorted(by.items(), key=lambda item: -item[1]):
        if cost * 200 < total:
            continue
        share = f"{cost / units:>12,.0f} per {name[:-1]}" if units else f"{cost:>14,}"
        print(f"    {key:<24} {share}  {100 * cost / total:5.1f}%")
EOF
}

strace_summary() { # platform
    python3 - "$sessions" "$commands" "$out/strace.$1.log" "$out/strace.$1.phases" "$1" <<'EOF'
import re, sys
sessions, commands, log, phases_file, platform = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
marks = [(float(t), p) for p, t in (line.split() for line in open(phases_file))]
counts = {}
for line in open(log, errors="replace"):
    m = re.match(r"\s*\d+\s+(\d+\.\d+)\s+(?:<\.\.\. )?([a-z0-9_]+)", line)
    if not m or "resumed>" in line:
        continue
    stamp, call = float(m.group(1)), m.group(2)
    phase = next((p for t, p in marks if stamp <= t), None)
    if phase in (None, "ready"):
        continue
    counts.setdefault(phase, {})
    counts[phase][call] = counts[phase].get(call, 0) + 1
for phase, units in (("logins", sessions), ("commands", sessions * commands)):
    calls = counts.get(phase, {})
    if not units or not calls:
        continue
    total = sum(calls.values())
    detail = ", ".join(f"{name} {n / units:.2f}" for name, n in sorted(calls.items(), key=lambda i: -i[1]) if n * 50 >= units)
    print(f"{platform} {phase}: {total / units:.2f} system calls per {phase[:-1]}: {detail}")
EOF
}

for platform in $platforms; do
    if [ "$with_callgrind" = yes ]; then
    echo "== $platform: $sessions logins, then $commands commands on each session ($profile), lab under callgrind"
    [ "$summary_only" = yes ] || { rm -f "$out"/callgrind."$platform".* "$out"/annotate."$platform".*; timeout 1800 "$build/netpulse-lab-bench" login --devices "$sessions" --sessions "$sessions" \
        --commands "$commands" --platform "$platform" --profile "$profile" --lab-binary "$lab_binary" \
        --lab-prefix "valgrind --tool=callgrind --callgrind-out-file=$out/callgrind.$platform.%p" \
        --phase-hook "$out/callgrind-hook.sh" >"$out/bench.$platform.txt" 2>&1 ||
        { cat "$out/bench.$platform.txt" >&2; exit 1; }; }
    files="$(ls "$out"/callgrind."$platform".*.[0-9]* | sort -V) $(ls "$out"/callgrind."$platform".* | grep -v '\.[0-9]*\.[0-9]*$')"
    summary "$platform" $files
    for file in $files; do
        number=${file##*.}
        case "$number" in 2) phase=logins ;; 3) phase=commands ;; *) continue ;; esac
        callgrind_annotate --inclusive=yes --threshold=99 "$file" >"$out/annotate.$platform.$phase.txt" 2>/dev/null || true
    done
    fi
    if [ "$with_strace" = yes ] && [ "$summary_only" = no ]; then
        echo "== $platform: the same, lab under strace"
        rm -f "$out"/strace."$platform".*
        echo "$platform" >"$out/strace.current"
        if [ "$commands" -gt 0 ]; then echo commands >"$out/strace.last"; else echo logins >"$out/strace.last"; fi
        timeout 1800 "$build/netpulse-lab-bench" login --devices "$sessions" --sessions "$sessions" \
            --commands "$commands" --platform "$platform" --profile "$profile" --lab-binary "$lab_binary" \
            --phase-hook "$out/strace-hook.sh" >"$out/bench-strace.$platform.txt" 2>&1 ||
            { cat "$out/bench-strace.$platform.txt" >&2; exit 1; }
        strace_summary "$platform"
    fi
done
