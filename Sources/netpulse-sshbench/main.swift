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
// INTERLEAVE=K (2-50, with the floors below) also measures fresh connections in K chunks, each right
// after a run of the backend's raw C floor with as many connections, and prints both totals and their
// ratio. Run one after the other, the floor and NetPulse are seconds apart, and this machine's speed
// moves by a fifth in seconds; chunk by chunk, the drift hits both alike.
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
let interleave: Int? = ProcessInfo.processInfo.environment["INTERLEAVE"].map { text in
    guard let chunks = Int(text), (2...50).contains(chunks), chunks <= connections else {
        FileHandle.standardError.write(
            Data("INTERLEAVE must be a number of chunks from 2 to 50, at most the connections (\(connections))\n".utf8))
        exit(64)
    }
    return chunks
}

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
    // For calibration under the machine's current load: the raw C clients doing the same against the
    // same server, when their variables name them (see floorCommand).
    for backend in [LibSSH2Driver.name, LibSSHDriver.name] {
        guard let floor = floorCommand(for: backend, server: server) else { continue }
        let (command, arguments) = floor(connections, commands)
        let (_, output) = try await ChildProcess.run(command, arguments)
        print(output, terminator: "")
    }
    let rounds = ProcessInfo.processInfo.environment["ROUNDS"].flatMap { Int($0) } ?? 2
    for _ in 0..<rounds {
        for backend in backends {
            try await measure(backend.name, backend.make, server: server)
            if let chunks = interleave, let floor = floorCommand(for: backend.name, server: server) {
                try await measureInterleaved(backend.name, backend.make, server: server, floor: floor, chunks: chunks)
            }
        }
    }
}

/// Fresh exec connections to the sshd's `linux` account, one after another, as a scheduler's worker runs
/// jobs: the connect, the operation and the close with the driver's executor as the task's preference (and
/// the session's own if it differs), staying under it from one connection to the next while the driver
/// names the same executor (unless `prefer` is false).
struct FreshConnections: Sendable {
    let driver: any Driver
    let target: DeviceTarget
    let context = DriverContext(platform: .linux, logger: logger)
    let request = ExecutionRequest(operation: .commands(["true"]), logger: logger)
    var prefer = true

    init(_ make: @Sendable (SSHDriverConfiguration) -> any Driver, server: TestSSHD) {
        driver = make(SSHDriverConfiguration(hostKeyPolicy: .strict(knownHostsFile: server.knownHostsFile)))
        target = DeviceTarget(
            host: server.host, port: server.port, username: TestSSHD.username,
            credentials: [.privateKey(path: server.clientKeyFile, passphrase: nil)], platform: "linux")
    }

    func run(_ count: Int) async throws {
        var left = count
        try await withPreferredExecutors(
            next: { () -> Void? in
                guard left > 0 else { return nil }
                left -= 1
                return ()
            },
            executor: { _ in prefer ? driver.preferredExecutor(for: target) : nil }
        ) { _, _ in
            let session = try await driver.connect(to: target, context: context)
            let outcome = try await withPreferredExecutor(prefer ? session.preferredExecutor : nil) {
                let outcome = try await session.execute(request)
                await session.close()
                return outcome
            }
            precondition(outcome.success)
        }
    }
}

/// Runs off the main actor, as the scheduler's workers do: with top-level code's main actor, every `await`
/// of the loops below came back to the main thread (a futex wake and two context switches per call).
@concurrent
func measure(_ name: String, _ make: @Sendable (SSHDriverConfiguration) -> any Driver, server: TestSSHD) async throws {
    var fresh = FreshConnections(make, server: server)
    let (driver, linux, context, request) = (fresh.driver, fresh.target, fresh.context, fresh.request)
    // NETPULSE_NO_PREFERENCE=1: connects and operations without the loop thread as the task's executor
    // preference (as before the scheduler's jobs used it), for comparison.
    let prefer = ProcessInfo.processInfo.environment["NETPULSE_NO_PREFERENCE"] == nil
    fresh.prefer = prefer

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
    try await fresh.run(10)  // warm-up
    let cpu = CPUTime.now
    let wall = ContinuousClock.now
    let serverCPU = processTreeCPUSeconds(server.pid)
    try await fresh.run(connections)
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

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// The raw C floor of `backend` as a command for some fresh connections and commands on a reused shell,
/// when its environment variable names it: NETPULSE_FLOOR, scripts/bench/libssh2-floor.c (blocking,
/// TCP_NODELAY; it needs at least one command); NETPULSE_FLOOR_LIBSSH, scripts/bench/libssh-floor.c
/// (blocking, SSH_OPTIONS_NODELAY; fresh connections only, the commands are ignored).
func floorCommand(
    for backend: String, server: TestSSHD
) -> (@Sendable (_ connections: Int, _ commands: Int) -> (String, [String]))? {
    let environment = ProcessInfo.processInfo.environment
    let port = server.port
    let key = server.clientKeyFile
    switch backend {
    case LibSSH2Driver.name:
        guard let floor = environment["NETPULSE_FLOOR"] else { return nil }
        return { (floor, ["\(port)", "\(devicePort)", key, "\($0)", "\($1)"]) }
    case LibSSHDriver.name:
        guard let floor = environment["NETPULSE_FLOOR_LIBSSH"] else { return nil }
        return { connections, _ in (floor, ["\(port)", key, "\(connections)"]) }
    default:
        return nil
    }
}

/// The figure before " ms client CPU" on the first line of a floor's output that has one.
func floorMilliseconds(_ output: String) throws -> Double {
    for line in output.split(separator: "\n") {
        guard let end = line.range(of: " ms client CPU") else { continue }
        if let figure = line[..<end.lowerBound].split(separator: " ").last.flatMap({ Double($0) }) { return figure }
    }
    throw BenchError("the floor printed no client CPU figure: \(output)")
}

/// Fresh connections as ``measure(_:_:server:)`` makes them, in `chunks` chunks, each right after the
/// floor made as many: the two figures and their ratio, with the ratio of each chunk. Each side makes ten
/// connections before it counts, in each chunk.
@concurrent
func measureInterleaved(
    _ name: String, _ make: @Sendable (SSHDriverConfiguration) -> any Driver, server: TestSSHD,
    floor: @Sendable (_ connections: Int, _ commands: Int) -> (String, [String]), chunks: Int
) async throws {
    let fresh = FreshConnections(make, server: server)
    let size = connections / chunks
    var floorTotal = 0.0
    var ownTotal = 0.0
    var ratios: [Double] = []
    for _ in 0..<chunks {
        let (command, arguments) = floor(size, 1)
        let (_, output) = try await ChildProcess.run(command, arguments)
        let floorMs = try floorMilliseconds(output)
        try await fresh.run(10)  // as the floor makes ten before it counts
        let cpu = CPUTime.now
        try await fresh.run(size)
        let ownMs = (CPUTime.now - cpu).total / Double(size) * 1000
        floorTotal += floorMs
        ownTotal += ownMs
        ratios.append(ownMs / floorMs)
    }
    let floorMean = floorTotal / Double(chunks)
    let ownMean = ownTotal / Double(chunks)
    print(String(format: "raw C %@ interleaved floor: %.3f ms client CPU, n=%d", name, floorMean, size * chunks))
    print(String(format: "%@ interleaved fresh connection: %.3f ms client CPU, n=%d", name, ownMean, size * chunks))
    print(
        String(format: "%@ interleaved against its floor: %.2fx (chunks of %d: ", name, ownMean / floorMean, size)
            + ratios.map { String(format: "%.2f", $0) }.joined(separator: " ") + ")")
    fflush(nil)
}
