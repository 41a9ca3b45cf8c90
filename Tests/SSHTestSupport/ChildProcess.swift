import Dispatch
public import Foundation

/// A child process started with `posix_spawn` and reaped with `waitpid` on a Dispatch thread.
///
/// (Foundation's `Process` did not notice its children exiting here once sshd was running, leaving
/// zombies and hung waits; this helper is small and predictable.)
public struct ChildProcess: Sendable {
    public let pid: pid_t

    /// Starts `path` with `arguments`; standard input is /dev/null, standard output and error go
    /// to the given descriptors (or /dev/null).
    public static func spawn(
        _ path: String,
        _ arguments: [String],
        stdout: Int32? = nil,
        stderr: Int32? = nil,
        environment: [String: String] = [:]
    ) throws -> ChildProcess {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        if let stdout {
            posix_spawn_file_actions_adddup2(&actions, stdout, 1)
        } else {
            posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        }
        if let stderr {
            posix_spawn_file_actions_adddup2(&actions, stderr, 2)
        } else {
            posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        }
        let argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) } + [nil]
        // Extra variables go to the child only: setenv in a test would race every other spawn.
        var merged = ProcessInfo.processInfo.environment
        for (key, value) in environment { merged[key] = value }
        let envp: [UnsafeMutablePointer<CChar>?] = merged.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for pointer in argv + envp { free(pointer) } }
        var pid: pid_t = 0
        let status = withCleanSignals { posix_spawn(&pid, path, &actions, $0, argv, envp) }
        guard status == 0 else {
            throw TestSSHD.Failure(description: "cannot start \(path): \(String(cString: strerror(status)))")
        }
        return ChildProcess(pid: pid)
    }

    /// Calls `body` with spawn attributes that give the child an empty signal mask and default
    /// dispositions. A test runner may block signals (SIGALRM, SIGTERM…) on its threads; a child
    /// inherits that mask through `posix_spawn`, and sshd or a script would then ignore its timers and
    /// our SIGTERM.
    static func withCleanSignals(_ body: (UnsafePointer<posix_spawnattr_t>) -> Int32) -> Int32 {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGTERM, SIGINT, SIGALRM, SIGHUP, SIGCHLD, SIGPIPE] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        return body(&attributes)
    }

    /// Waits for the process to exit and returns its exit status (128 + signal if killed).
    public func wait() async -> Int32 {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                var status: Int32 = 0
                while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
                let exited = status & 0x7f == 0
                continuation.resume(returning: exited ? (status >> 8) & 0xff : 128 + (status & 0x7f))
            }
        }
    }

    /// Sends a signal to this process (and only this one).
    public func signal(_ signal: Int32 = SIGTERM) {
        kill(pid, signal)
    }

    /// Runs a command to completion and returns its exit status and output (stdout and stderr).
    public static func run(_ path: String, _ arguments: [String]) async throws -> (status: Int32, output: String) {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("np-out-\(UUID().uuidString)").path
        let fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard fd >= 0 else { throw TestSSHD.Failure(description: "cannot create \(file)") }
        defer { unlink(file) }
        let child: ChildProcess
        do {
            child = try spawn(path, arguments, stdout: fd, stderr: fd)
        } catch {
            close(fd)
            throw error
        }
        close(fd)
        let status = await child.wait()
        let output = (try? String(contentsOfFile: file, encoding: .utf8)) ?? ""
        return (status, output)
    }
}

extension ChildProcess {
    /// What a finished command printed, apart.
    public struct Output: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
    }

    /// Runs a command to completion with extra environment variables and standard input from a
    /// string; returns its exit status, standard output and standard error separately.
    public static func run(
        _ path: String,
        _ arguments: [String],
        environment: [String: String] = [:],
        input: String? = nil
    ) async throws -> Output {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("np-run-\(UUID().uuidString)").path
        let outFD = open(base + ".out", O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        let errFD = open(base + ".err", O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        defer {
            unlink(base + ".out")
            unlink(base + ".err")
            unlink(base + ".in")
        }
        var inFD: Int32?
        if let input {
            try input.write(toFile: base + ".in", atomically: true, encoding: .utf8)
            inFD = open(base + ".in", O_RDONLY)
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if let inFD {
            posix_spawn_file_actions_adddup2(&actions, inFD, 0)
        } else {
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        }
        posix_spawn_file_actions_adddup2(&actions, outFD, 1)
        posix_spawn_file_actions_adddup2(&actions, errFD, 2)
        var merged = ProcessInfo.processInfo.environment
        for (key, value) in environment { merged[key] = value }
        let envp: [UnsafeMutablePointer<CChar>?] = merged.map { strdup("\($0.key)=\($0.value)") } + [nil]
        let argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv + envp { free(pointer) } }
        var pid: pid_t = 0
        let spawned = withCleanSignals { posix_spawn(&pid, path, &actions, $0, argv, envp) }
        close(outFD)
        close(errFD)
        if let inFD { close(inFD) }
        guard spawned == 0 else {
            throw TestSSHD.Failure(description: "cannot start \(path): \(String(cString: strerror(spawned)))")
        }
        let status = await ChildProcess(pid: pid).wait()
        return Output(
            status: status,
            stdout: (try? String(contentsOfFile: base + ".out", encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOfFile: base + ".err", encoding: .utf8)) ?? ""
        )
    }
}
