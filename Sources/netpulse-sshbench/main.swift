// Client CPU per SSH connection and per command, against an OpenSSH sshd started on loopback.
//
//   swift run -c release netpulse-sshbench [connections] [commands]
//
// Both drivers run in the same process against the same sshd, one after the other, in two rounds
// (libssh2, libssh, libssh2, libssh), so that drift in the machine's load shows up.
// NETPULSE_BACKENDS (e.g. `libssh`) limits the run to some of them (`none`: the floors alone);
// ROUNDS sets the number of rounds (default 2). scripts/bench/callgrind.sh uses both to count
// instructions per connection and per command.
//
// PHASES=1 first prints connect / exec / close wall times of 5 connections.
//
// With the raw C floor side by side (same server, same moment):
//   cc -O2 -o /tmp/libssh2-floor scripts/bench/libssh2-floor.c -lssh2
//   NETPULSE_FLOOR=/tmp/libssh2-floor swift run -c release netpulse-sshbench 300 3000
// and for libssh (fresh connections only):
//   cc -O2 -o /tmp/libssh-floor scripts/bench/libssh-floor.c -lssh
//   NETPULSE_FLOOR_LIBSSH=/tmp/libssh-floor swift run -c release netpulse-sshbench 300 3000
//
// Fresh connections: TCP connect, handshake, public-key login, one exec (`true`), close — one after
// another. Reused shell: one pty session on the device-like shell, commands one after another
// through the CLI engine. CPU is getrusage(RUSAGE_SELF) user+system around the loop (all threads of
// this process: the Swift pool and the readiness loop); sshd's CPU is not counted.
import Foundation
import Logging
import NetPulse
import NetPulseSSHCore
import NetPulseSSH
import NetPulseSSH2
import SSHTestSupport

/// This process's CPU time (every thread), split as the kernel accounts it.
struct CPUTime {
    var user: Double
    var system: Double
    var total: Double { user + system }

    static var now: CPUTime {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return CPUTime(
            user: Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6,
            system: Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6)
    }

    static func - (a: CPUTime, b: CPUTime) -> CPUTime { CPUTime(user: a.user - b.user, system: a.system - b.system) }

    /// The system share, for the end of a result line.
    var systemShare: String { String(format: "%.0f %% of it in the kernel", total > 0 ? system / total * 100 : 0) }
}

/// CPU seconds of a process and its reaped children (sshd's per-connection processes), from /proc.
func processTreeCPUSeconds(_ pid: pid_t) -> Double {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
        let close = stat.lastIndex(of: ")")
    else { return 0 }
    // Fields after the command name: state is field 3; utime, stime, cutime, cstime are 14-17.
    let fields = stat[stat.index(after: close)...].split(separator: " ")
    guard fields.count > 15 else { return 0 }
    let ticks = fields[11...14].compactMap { Double($0) }.reduce(0, +)
    return ticks / Double(sysconf(Int32(_SC_CLK_TCK)))
}

let arguments = CommandLine.arguments.dropFirst().compactMap { Int($0) }
let connections = arguments.first ?? 300
let commands = arguments.dropFirst().first ?? 3000
let logger = Logger(label: "netpulse.bench")

let (deviceConfiguration, devicePort) = try DeviceShell.configuration()
var configuration = deviceConfiguration
configuration.extraConfig.insert("UsePAM no", at: 0)  // overrides the default
configuration.arguments = ["-r"]
let backends: [(name: String, make: @Sendable (SSHDriverConfiguration) -> any Driver)] = [
    (LibSSH2Driver.name, { @Sendable in LibSSH2Driver(configuration: $0) }),
    (LibSSHDriver.name, { @Sendable in LibSSHDriver(configuration: $0) }),
].filter { backend in
    ProcessInfo.processInfo.environment["NETPULSE_BACKENDS"].map {
        $0.split(separator: ",").contains(Substring(backend.name))
    } ?? true
}

try await TestSSHD.with(configuration: configuration) { server in
    // For calibration under the machine's current load: the raw C libssh2 client of
    // scripts/bench/libssh2-floor.c (blocking mode, TCP_NODELAY) doing the same against the same server,
    // when NETPULSE_FLOOR names its binary.
    if let floor = ProcessInfo.processInfo.environment["NETPULSE_FLOOR"] {
        let (_, output) = try await ChildProcess.run(
            floor, ["\(server.port)", "\(devicePort)", server.clientKeyFile, "\(connections)", "\(commands)"])
        print(output, terminator: "")
    }
    // The raw C libssh client of scripts/bench/libssh-floor.c (blocking, SSH_OPTIONS_NODELAY): fresh
    // connections only.
    if let floor = ProcessInfo.processInfo.environment["NETPULSE_FLOOR_LIBSSH"] {
        let (_, output) = try await ChildProcess.run(floor, ["\(server.port)", server.clientKeyFile, "\(connections)"])
        print(output, terminator: "")
    }
    let rounds = ProcessInfo.processInfo.environment["ROUNDS"].flatMap { Int($0) } ?? 2
    for _ in 0..<rounds {
        for backend in backends {
            try await measure(backend.name, backend.make, server: server)
        }
    }
}

/// Runs off the main actor, as the scheduler's workers do: with top-level code's main actor, every `await`
/// of the loops below came back to the main thread (a futex wake and two context switches per call).
@concurrent
func measure(_ name: String, _ make: @Sendable (SSHDriverConfiguration) -> any Driver, server: TestSSHD) async throws {
    let driver = make(SSHDriverConfiguration(hostKeyPolicy: .strict(knownHostsFile: server.knownHostsFile)))
    let linux = DeviceTarget(
        host: server.host, port: server.port, username: TestSSHD.username,
        credentials: [.privateKey(path: server.clientKeyFile, passphrase: nil)], platform: "linux")
    let context = DriverContext(platform: .linux, logger: logger)
    let request = ExecutionRequest(operation: .commands(["true"]), logger: logger)
    // NETPULSE_NO_PREFERENCE=1: operations without the session's executor as the task's preference (as
    // before the scheduler's jobs used it), for comparison.
    let prefer = ProcessInfo.processInfo.environment["NETPULSE_NO_PREFERENCE"] == nil

    if ProcessInfo.processInfo.environment["PHASES"] != nil {
        for _ in 0..<5 {
            let t0 = ContinuousClock.now
            let session = try await driver.connect(to: linux, context: context)
            let t1 = ContinuousClock.now
            _ = try await session.execute(request)
            let t2 = ContinuousClock.now
            await session.close()
            let t3 = ContinuousClock.now
            print("\(name) connect \(t1 - t0) exec \(t2 - t1) close \(t3 - t2)")
        }
    }
    // Warm-up.
    for _ in 0..<10 {
        let session = try await driver.connect(to: linux, context: context)
        _ = try await session.execute(request)
        await session.close()
    }
    let cpu = CPUTime.now
    let wall = ContinuousClock.now
    let serverCPU = processTreeCPUSeconds(server.pid)
    for _ in 0..<connections {
        let session = try await driver.connect(to: linux, context: context)
        // As the scheduler's jobs do (JobRunner): the operation and the close on the session's executor.
        let outcome = try await withTaskExecutorPreference(prefer ? session.preferredExecutor : nil) {
            let outcome = try await session.execute(request)
            await session.close()
            return outcome
        }
        precondition(outcome.success)
    }
    let cpuUsed = CPUTime.now - cpu
    let wallUsed = ContinuousClock.now - wall
    print(
        "\(name) "
            + String(
                format: "fresh connection (connect+auth+exec+close): %.3f ms client CPU, %.2f ms wall, n=%d",
                cpuUsed.total / Double(connections) * 1000, wallUsed / .milliseconds(1) / Double(connections),
                connections) + " (\(cpuUsed.systemShare))")
    print(
        String(
            format: "  (sshd, for comparison: %.2f ms CPU per connection, its reaped children included)",
            (processTreeCPUSeconds(server.pid) - serverCPU) / Double(connections) * 1000))
    fflush(nil)  // figures survive a later crash

    let device = DeviceTarget(
        host: server.host, port: devicePort, username: TestSSHD.username,
        credentials: [.privateKey(path: server.clientKeyFile, passphrase: nil)], platform: "cisco_ios")
    let shell = try await driver.connect(to: device, context: DriverContext(platform: .ciscoIOS, logger: logger))
    let show = ExecutionRequest(operation: .commands(["show terminal"]), logger: logger)
    // As a pinned queue's job does (JobRunner): the commands run with the session's executor as the task's
    // preference.
    let (commandCPU, commandWall) = try await withTaskExecutorPreference(prefer ? shell.preferredExecutor : nil) {
        for _ in 0..<50 { _ = try await shell.execute(show) }
        let cpu = CPUTime.now
        let wall = ContinuousClock.now
        for _ in 0..<commands {
            let outcome = try await shell.execute(show)
            precondition(outcome.outputs.first?.output.hasPrefix("Length: 0") == true)
        }
        return (CPUTime.now - cpu, ContinuousClock.now - wall)
    }
    print(
        "\(name) "
            + String(
                format: "command on a reused shell (CLIEngine): %.1f µs client CPU, %.1f µs wall, n=%d",
                commandCPU.total / Double(commands) * 1e6, commandWall / .microseconds(1) / Double(commands),
                commands) + " (\(commandCPU.systemShare))")
    fflush(nil)
    await shell.close()
}
