// netpulse-lab-bench: NetPulseLab's own figures, with the lab as a separate `netpulse lab` process.
//
//   swift build -c release --product netpulse --product netpulse-lab-bench
//
// Lab CPU per login and per command, memory per session (a blocking libssh client, one session at a time):
//   .build/release/netpulse-lab-bench [login] --devices 1000 --sessions 1000 --commands 10 --platform linux
//       [--profile modern|rsa|legacy|...]
// Every device at once through one driver, checked device by device (healthy: ok; faulty: its typed error):
//   .build/release/netpulse-lab-bench fleet --driver libssh|libssh2 --mode exec|cli --devices 3000 --rounds 5
//       [--fault-rate 0.1] [--fault-kinds hang_mid_command,...] [--seed 42] [--connects 64]
//       [--connect-timeout 60] [--read-timeout 60] [--profile wan]
// Benchmarks/lab-fleet.sh runs the fleet checks of issue 14.

import Foundation

let all = CommandLine.arguments.dropFirst()
switch all.first {
case "fleet":
    await fleetBench(
        Arguments(
            all.dropFirst(),
            known: [
                "--driver", "--mode", "--devices", "--rounds", "--fault-rate", "--seed", "--connects",
                "--connect-timeout", "--read-timeout", "--profile", "--fault-kinds",
            ]))
case "login":
    loginBench(
        Arguments(all.dropFirst(), known: ["--devices", "--sessions", "--commands", "--platform", "--profile"]))
default:
    loginBench(Arguments(all, known: ["--devices", "--sessions", "--commands", "--platform", "--profile"]))
}
