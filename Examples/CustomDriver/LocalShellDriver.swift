import Dispatch
import Glibc
import Foundation
import NetPulse

/// A driver of one's own: it "connects" to the local machine and runs each command with `/bin/sh -c`,
/// reporting output, standard error and exit status. It shows the whole contract:
///
/// - `connect(to:context:)` returns a session or throws a typed `NetPulseError`;
/// - the session's `execute(_:)` returns one `CommandOutput` per line, with a rejected line reported
///   in the outcome (not thrown);
/// - `isAlive()` and `close()` for pinned sessions.
struct LocalShellDriver: Driver {
    func connect(to target: DeviceTarget, context: DriverContext) async throws -> any DriverSession {
        guard target.host == "localhost" || target.host == "127.0.0.1" else {
            throw NetPulseError.connectionRefused("the local shell driver only reaches localhost, not \(target.host)")
        }
        guard context.platform.name == "linux" else {
            throw NetPulseError.unsupported("the local shell driver runs linux commands, not \(context.platform.name)")
        }
        return LocalShellSession()
    }
}

final class LocalShellSession: DriverSession {
    func execute(_ request: ExecutionRequest) async throws -> ExecutionOutcome {
        guard case .commands(let commands) = request.operation else {
            return ExecutionOutcome(outputs: [], error: .unsupported("a local shell has no config mode"))
        }
        var outputs: [CommandOutput] = []
        var failure: NetPulseError?
        for command in commands {
            try Task.checkCancellation()
            let (status, stdout, stderr) = try await Self.shell(command)
            let ok = status == 0
            outputs.append(
                CommandOutput(
                    command: command, output: stdout, status: ok ? .ok : .failed, exitStatus: Int(status),
                    stderr: stderr)
            )
            if !ok && failure == nil { failure = .commandError("'\(command)' exited with status \(status)") }
        }
        return ExecutionOutcome(outputs: outputs, error: failure)
    }

    func isAlive() async -> Bool { true }

    func close() async {}

    /// Runs one command; the blocking wait happens on a Dispatch thread, never on the cooperative pool.
    static func shell(_ command: String) async throws -> (Int32, String, String) {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result { try spawnAndWait(command) })
            }
        }
    }

    private static func spawnAndWait(_ command: String) throws -> (Int32, String, String) {
        let base = NSTemporaryDirectory() + "local-shell-\(UUID().uuidString)"
        let out = open(base + ".out", O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        let err = open(base + ".err", O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        defer {
            unlink(base + ".out")
            unlink(base + ".err")
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, out, 1)
        posix_spawn_file_actions_adddup2(&actions, err, 2)
        let words: [String] = ["/bin/sh", "-c", command]
        let argv: [UnsafeMutablePointer<CChar>?] = words.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, "/bin/sh", &actions, nil, argv, environ)
        Glibc.close(out)
        Glibc.close(err)
        guard spawned == 0 else { throw NetPulseError.driverError("cannot start /bin/sh: error \(spawned)") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let stdout = (try? String(contentsOfFile: base + ".out", encoding: .utf8)) ?? ""
        let stderr = (try? String(contentsOfFile: base + ".err", encoding: .utf8)) ?? ""
        return ((status >> 8) & 0xff, stdout, stderr)
    }
}
