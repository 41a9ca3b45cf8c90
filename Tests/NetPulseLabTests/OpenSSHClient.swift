import Foundation
import NetPulseLab
import SSHTestSupport
import Synchronization
import Testing

/// OpenSSH's own `ssh` client, run as a process against lab devices: a client we did not write.
final class OpenSSHClient: Sendable {
    static let path = "/usr/bin/ssh"

    private struct State {
        var stdout: [UInt8] = []
        var stderr: [UInt8] = []
        /// The status this helper reaped itself, or Foundation's when it reaped first.
        var reaped: Int32?
        var foundation: Int32?
        var reapFailed = false
        var status: Int32? { reaped ?? (reapFailed ? foundation : nil) }
        var openPipes = 2
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
        var nextWaiter = 0
        var version = 0
        var pid: Int32 = 0
    }

    private final class Shared: Sendable {
        let state = Mutex(State())
    }

    private let shared = Shared()
    nonisolated(unsafe) private let input = Pipe()
    nonisolated(unsafe) private var pipes: (Pipe, Pipe)?

    /// A script answering ssh's password and keyboard-interactive prompts from the environment.
    static let askpass: String = {
        let path = NSTemporaryDirectory() + "netpulse-lab-askpass-\(getpid()).sh"
        try? writeTestFile("#!/bin/sh\nprintf '%s\\n' \"$NETPULSE_TEST_PASSWORD\"\n", to: path, mode: 0o700)
        return path
    }()

    /// Options every test uses: no user config, strict host-key checking against the lab's known_hosts.
    static func options(for device: LabDevice, knownHosts: String, auth: [String]) -> [String] {
        [
            "-F", "/dev/null", "-p", String(device.port),
            "-o", "UserKnownHostsFile=\(knownHosts)", "-o", "GlobalKnownHostsFile=/dev/null",
            "-o", "StrictHostKeyChecking=yes", "-o", "ConnectTimeout=10", "-o", "LogLevel=ERROR",
        ] + auth + ["\(device.username)@\(device.host)"]
    }

    static func password(_ method: String = "password") -> [String] {
        [
            "-o", "PreferredAuthentications=\(method)", "-o", "NumberOfPasswordPrompts=1", "-o",
            "PubkeyAuthentication=no",
        ]
    }

    static func key(_ path: String) -> [String] {
        ["-i", path, "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes", "-o", "PreferredAuthentications=publickey"]
    }

    /// Serialises pipe creation and spawning: the pipes are made close-on-exec before any other client is
    /// spawned, so no ssh process inherits another one's pipe ends (which would hide end of file).
    static let spawnLock = Mutex(())

    /// Starts `ssh` with these arguments; `password` answers prompts through SSH_ASKPASS.
    init(_ arguments: [String], password: String? = nil) throws {
        Self.ignoreBrokenPipes
        try Self.spawnLock.withLock { _ in try self.spawn(arguments, password: password) }
    }

    private func spawn(_ arguments: [String], password: String?) throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.path), "OpenSSH's ssh client is required")
        var environment = ProcessInfo.processInfo.environment
        if let password {
            environment["SSH_ASKPASS"] = Self.askpass
            environment["SSH_ASKPASS_REQUIRE"] = "force"
            environment["NETPULSE_TEST_PASSWORD"] = password
        }
        let stdout = Pipe()
        let stderr = Pipe()
        for fd in [
            input.fileHandleForReading.fileDescriptor, input.fileHandleForWriting.fileDescriptor,
            stdout.fileHandleForReading.fileDescriptor, stdout.fileHandleForWriting.fileDescriptor,
            stderr.fileHandleForReading.fileDescriptor, stderr.fileHandleForWriting.fileDescriptor,
        ] {
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        }
        // One reader thread per client polls both pipes until both reach end of file. It holds the pipes
        // itself: were they freed with this object while it still polls, their descriptor numbers could be
        // reused (by a lab socket, another client's pipe) and it would read someone else's bytes.
        let fds = [stdout.fileHandleForReading.fileDescriptor, stderr.fileHandleForReading.fileDescriptor]
        let reader = Thread { [shared, stdout, stderr] in
            defer { withExtendedLifetime((stdout, stderr)) {} }
            var polled = fds.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            var open = 2
            var buffer = [UInt8](repeating: 0, count: 65_536)
            while open > 0 {
                guard poll(&polled, 2, -1) >= 0 else { continue }
                for index in 0..<2 where polled[index].fd >= 0 && polled[index].revents != 0 {
                    let count = read(polled[index].fd, &buffer, buffer.count)
                    let chunk = count > 0 ? Array(buffer[0..<count]) : []
                    if count <= 0 {
                        polled[index].fd = -1
                        open -= 1
                    }
                    let waiters = shared.state.withLock { state -> [CheckedContinuation<Void, Never>] in
                        if count <= 0 {
                            state.openPipes -= 1
                        } else if index == 1 {
                            state.stderr += chunk
                        } else {
                            state.stdout += chunk
                        }
                        state.version += 1
                        defer { state.waiters = [:] }
                        return Array(state.waiters.values)
                    }
                    for waiter in waiters { waiter.resume() }
                }
            }
            // Both pipes ended: ssh is exiting. Reap it here too, because Foundation's Process does not
            // always notice the exit of one of many children (seen here: pipes at EOF, isRunning still true).
            var raw: Int32 = 0
            let pid = shared.state.withLock { $0.pid }
            let reaped = pid > 0 && waitpid(pid, &raw, 0) == pid
            do {
                let status = (raw & 0x7F) == 0 ? (raw >> 8) & 0xFF : 128 + (raw & 0x7F)
                let waiters = shared.state.withLock { state -> [CheckedContinuation<Void, Never>] in
                    if reaped { state.reaped = status } else { state.reapFailed = true }
                    state.version += 1
                    defer { state.waiters = [:] }
                    return Array(state.waiters.values)
                }
                for waiter in waiters { waiter.resume() }
            }
        }
        self.pipes = (stdout, stderr)
        // posix_spawn, not Foundation's Process: its run() crashed here (memcpy) while other tests spawned
        // and closed descriptors concurrently, and it did not always notice a child's exit.
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, input.fileHandleForReading.fileDescriptor, 0)
        posix_spawn_file_actions_adddup2(&actions, stdout.fileHandleForWriting.fileDescriptor, 1)
        posix_spawn_file_actions_adddup2(&actions, stderr.fileHandleForWriting.fileDescriptor, 2)
        let argv: [UnsafeMutablePointer<CChar>?] = ([Self.path] + arguments).map { strdup($0) } + [nil]
        let envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for pointer in argv + envp { free(pointer) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, Self.path, &actions, nil, argv, envp)
        // The child has its copies; ours of the write ends must close, or end of file never comes.
        try? stdout.fileHandleForWriting.close()
        try? stderr.fileHandleForWriting.close()
        try? input.fileHandleForReading.close()
        guard spawned == 0 else {
            throw POSIXError(POSIXErrorCode(rawValue: spawned) ?? .EINVAL)
        }
        shared.state.withLock { $0.pid = pid }
        reader.start()
    }

    var output: String { shared.state.withLock { String(decoding: $0.stdout, as: UTF8.self) } }
    var outputBytes: [UInt8] { shared.state.withLock { $0.stdout } }
    var errorOutput: String { shared.state.withLock { String(decoding: $0.stderr, as: UTF8.self) } }

    /// For failure messages: whether ssh still runs, its status, and how many output pipes are open.
    var diagnosis: String {
        let (status, open) = shared.state.withLock { ($0.status, $0.openPipes) }
        return "running=\(isRunning) status=\(String(describing: status)) openPipes=\(open)"
    }

    var tail: String { output.suffix(80).debugDescription }

    /// Writes to ssh's standard input; a client that has already exited gets nothing (EPIPE, not SIGPIPE).
    func send(_ text: String) {
        try? input.fileHandleForWriting.write(contentsOf: Data(text.utf8))
    }

    /// A write to the stdin of an ssh that exited must fail with EPIPE, not kill the test process.
    static let ignoreBrokenPipes: Void = {
        signal(SIGPIPE, SIG_IGN)
    }()

    func closeInput() {
        try? input.fileHandleForWriting.close()
    }

    /// Waits until `predicate` holds for the output so far, or the deadline passes.
    /// - Returns: Whether it held.
    func wait(upTo limit: Duration, for predicate: (String) -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + limit
        while true {
            let (text, version) = shared.state.withLock { (String(decoding: $0.stdout, as: UTF8.self), $0.version) }
            if predicate(text) { return true }
            if ContinuousClock.now >= deadline { return false }
            await changed(after: version, deadline: deadline)
        }
    }

    /// Waits for the process to exit and its output to end.
    /// - Returns: The exit status, or nil if it was still running at the deadline (it is then killed).
    func exitStatus(within limit: Duration) async -> Int32? {
        let deadline = ContinuousClock.now + limit
        while true {
            let (status, open, version) = shared.state.withLock { ($0.status, $0.openPipes, $0.version) }
            if let status, open == 0 { return status }
            if ContinuousClock.now >= deadline {
                terminate()
                return nil
            }
            await changed(after: version, deadline: deadline)
        }
    }

    /// Whether ssh has not been reaped yet.
    var isRunning: Bool { shared.state.withLock { $0.pid > 0 && $0.reaped == nil && !$0.reapFailed } }

    func terminate() {
        let pid = shared.state.withLock { $0.pid }
        if isRunning, pid > 0 { kill(pid, SIGTERM) }
        closeInput()
    }

    /// Returns at the next output or exit event after `version`, or at the deadline.
    private func changed(after version: Int, deadline: ContinuousClock.Instant) async {
        let id = shared.state.withLock { state -> Int in
            state.nextWaiter += 1
            return state.nextWaiter
        }
        let timer = Task { [shared] in
            try? await Task.sleep(until: deadline, clock: .continuous)
            let waiter = shared.state.withLock { $0.waiters.removeValue(forKey: id) }
            waiter?.resume()
        }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let resumeNow = shared.state.withLock { state -> Bool in
                if state.version != version || ContinuousClock.now >= deadline { return true }
                state.waiters[id] = continuation
                return false
            }
            if resumeNow { continuation.resume() }
        }
        timer.cancel()
    }

    /// Runs `ssh ... command` to completion.
    static func exec(
        _ device: LabDevice, knownHosts: String, auth: [String], password: String?, command: String,
        within limit: Duration = .seconds(20)
    ) async throws -> (status: Int32?, stdout: String, stderr: String) {
        let client = try OpenSSHClient(
            options(for: device, knownHosts: knownHosts, auth: auth) + [command], password: password)
        client.closeInput()
        let status = await client.exitStatus(within: limit)
        return (status, client.output, client.errorOutput)
    }
}

/// Runs blocking work on a Dispatch thread, off Swift's cooperative pool (2 threads on this machine).
func offPool<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        DispatchQueue.global().async { continuation.resume(returning: work()) }
    }
}

/// A fresh ed25519 key pair made by OpenSSH's ssh-keygen.
func makeClientKey(in folder: String, name: String = "id_ed25519") async throws -> (
    privateKey: String, publicLine: String
) {
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    let path = folder + "/" + name
    let keygen = try await ChildProcess.run(
        "/usr/bin/ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "lab-test", "-f", path], environment: [:])
    try #require(keygen.status == 0, "\(keygen.stderr)")
    return (
        path, try String(contentsOfFile: path + ".pub", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
    )
}

func temporaryFolder() -> String {
    NSTemporaryDirectory() + "netpulse-lab-test-" + UUID().uuidString
}
