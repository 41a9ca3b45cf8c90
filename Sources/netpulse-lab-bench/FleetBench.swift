import Foundation
import Logging
import NetPulse
import NetPulseSSHCore
import NetPulseLab
import NetPulseSSH
import NetPulseSSH2

/// Every device of a lab fleet at once through one driver, `rounds` times: each healthy device must
/// succeed and each faulty one give the typed error its fault gives (``LabFleetCheck``). Exits 1 otherwise.
func fleetBench(_ arguments: Arguments) async {
    let driverName = arguments.string("--driver", "libssh", oneOf: ["libssh", "libssh2"])
    let mode = arguments.string("--mode", "exec", oneOf: ["exec", "cli"])
    let devices = arguments.int("--devices", 3000, in: 1...20_000)
    let rounds = arguments.int("--rounds", 5, in: 1...100)
    let faultRate = arguments.double("--fault-rate", 0, in: 0...1)
    let seed = arguments.int("--seed", 42, in: 0...Int(Int32.max))
    let connects = arguments.int("--connects", 64, in: 1...20_000)
    let connectTimeout = arguments.double("--connect-timeout", 60, in: 0.1...3600)
    let readTimeout = arguments.double("--read-timeout", faultRate > 0 ? 10 : 60, in: 0.1...3600)
    let profile = arguments.string("--profile", "modern")
    let faultKinds = arguments.string("--fault-kinds", LabFault.Kind.allCases.map(\.rawValue).joined(separator: ","))
    let labBinary = arguments.string("--lab-binary", "netpulse", oneOf: ["netpulse", "bench"])
    let overExec = mode == "exec"
    _ = FileLimits.raiseOpenFileLimit()
    print("load average at start: \(loadAverage())")
    var labArguments = [
        "--devices", String(devices), "--platforms", overExec ? "linux" : "cisco_ios", "--seed", String(seed),
        "--profile", profile,
    ]
    if faultRate > 0 { labArguments += ["--fault-rate", String(faultRate), "--faults", faultKinds] }
    let lab: LabProcess
    do {
        lab = try LabProcess(arguments: labArguments, selfServed: labBinary == "bench")
    } catch {
        fail("cannot start the lab: \(error)")
    }
    print("lab: \(lab.readyLine)")
    let check: LabFleetCheck
    var request: BatchRequest
    do {
        guard let inventory = FileManager.default.contents(atPath: lab.inventory),
            let faults = FileManager.default.contents(atPath: lab.inventory + ".faults.json")
        else { fail("cannot read the inventory \(lab.inventory)") }
        check = try LabFleetCheck(inventory: inventory, faults: faults, overExec: overExec)
        request = try BatchRequest(json: inventory)
    } catch {
        fail("\(error)")
    }
    guard let knownHosts = request.connectionArgs.knownHostsFile else { fail("the inventory names no known_hosts") }
    request.operation = .commands([overExec ? "cat /etc/os-release" : "show version"])
    request.connectionArgs.connectTimeout = .milliseconds(Int(connectTimeout * 1000))
    request.connectionArgs.readTimeout = .milliseconds(Int(readTimeout * 1000))
    let configuration = SSHDriverConfiguration(hostKeyPolicy: .strict(knownHostsFile: knownHosts))
    let driver: any Driver =
        driverName == "libssh"
        ? LibSSHDriver(configuration: configuration) : LibSSH2Driver(configuration: configuration)
    var logger = Logger(label: "netpulse.lab-bench")
    logger.logLevel = .error
    let faulty = check.faults.values.filter { $0 != nil }.count
    print("fleet: \(devices) devices (\(faulty) faulty), \(driverName), \(mode), \(rounds) rounds, all at once")
    var clean = true
    do {
        var cpuBefore = lab.usage.cpu
        _ = try await check.run(
            request, driver: driver, rounds: rounds, connectsInProgress: connects, logger: logger
        ) { round, report, wall in
            let cpu = lab.usage.cpu
            print(
                String(
                    format: "round %d: %.2f s wall, lab CPU %.2f s, load %@: %@", round,
                    Double(wall.components.seconds) + Double(wall.components.attoseconds) / 1e18, cpu - cpuBefore,
                    loadAverage(), report.description))
            for problem in report.problems { print("  \(problem)") }
            cpuBefore = cpu
            clean = clean && report.isClean
        }
    } catch {
        print("fleet run failed: \(error)")
        clean = false
    }
    lab.stop()
    print(clean ? "fleet: all rounds clean" : "fleet: NOT clean")
    if !clean { exit(1) }
}
