// netpulse-lab-bench: NetPulseLab's own figures, with the lab as a separate `netpulse lab` process.
//
//   swift build -c release --product netpulse --product netpulse-lab-bench
//
// Lab CPU per login and per command, memory per session (a blocking libssh client, one session at a time):
//   .build/release/netpulse-lab-bench [login] --devices 1000 --sessions 1000 --commands 10 --platform linux
//       [--profile modern|ecdsa|nist|ecdsa+nist|rsa|legacy|...] [--lab-binary netpulse|bench]
// (the default profile is `modern`: ed25519 host keys and curve25519, the lab's default; `ecdsa+nist`, an
// ECDSA P-256 host key and ecdh-sha2-nistp256, costs the lab less per login: see lab-callgrind.sh)
//       [--lab-prefix "valgrind --tool=callgrind ..."] [--phase-hook CMD]
// (scripts/bench/lab-callgrind.sh counts the lab's instructions per login and per command that way.)
// Every device at once through one driver, checked device by device (healthy: ok; faulty: its typed error):
//   .build/release/netpulse-lab-bench fleet --driver libssh|libssh2 --mode exec|cli --devices 3000 --rounds 5
//       [--fault-rate 0.1] [--fault-kinds hang_mid_command,...] [--seed 42] [--connects 64]
//       [--connect-timeout 60] [--read-timeout 60] [--profile wan] [--lab-binary netpulse|bench]
// Benchmarks/lab-fleet.sh runs the fleet checks of issue 14.
// A lab served by this executable (what `--lab-binary bench` starts; the options LabProcess passes):
//   .build/release/netpulse-lab-bench lab --devices N --platforms linux --profile modern --inventory FILE
//       --folder DIR [--seed S] [--fault-rate F] [--faults K,...]

import Foundation

/// Runs an async mode to its end on the global executor while the main thread waits on a semaphore.
/// Not top-level `await`: an async main parks the main thread in libdispatch's signal loop, which
/// valgrind 3.19 cannot run (it crashes at once), and lab-callgrind.sh runs this lab under valgrind.
func runToEnd(_ body: @escaping @Sendable () async -> Void) {
    let done = DispatchSemaphore(value: 0)
    Task {
        await body()
        done.signal()
    }
    done.wait()
}

let all = CommandLine.arguments.dropFirst()
let loginOptions = [
    "--devices", "--sessions", "--commands", "--platform", "--profile", "--lab-prefix", "--phase-hook", "--lab-binary",
]
switch all.first {
case "fleet":
    let arguments = Arguments(
        all.dropFirst(),
        known: [
            "--driver", "--mode", "--devices", "--rounds", "--fault-rate", "--seed", "--connects",
            "--connect-timeout", "--read-timeout", "--profile", "--fault-kinds", "--lab-binary",
        ])
    runToEnd { await fleetBench(arguments) }
case "lab":
    let arguments = Arguments(
        all.dropFirst(),
        known: [
            "--devices", "--platforms", "--profile", "--inventory", "--folder", "--seed", "--fault-rate", "--faults",
        ])
    runToEnd { await serveLab(arguments) }
case "login":
    loginBench(
        Arguments(all.dropFirst(), known: loginOptions))
default:
    loginBench(Arguments(all, known: loginOptions))
}
