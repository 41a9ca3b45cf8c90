#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
import Dispatch

/// Credentials from an external command: `pass show {ref}`, `op read op://{ref}`,
/// `vault kv get -format=json {ref}`.
///
/// The operator gives the argument vector; `{ref}` in any argument is replaced by the reference. The command
/// is started directly (no shell), with standard input and standard error on `/dev/null`, and killed when it
/// outlives its timeout. What it prints is read as:
/// - a JSON object of strings (fields), or Vault's `{"data": {"data": {...}}}`;
/// - otherwise `pass`'s layout: the first line is the password, later `key: value` lines are fields.
///
/// Nothing the command prints ever appears in an error.
public struct CommandCredentialProvider: CredentialProvider {
    /// The placeholder replaced by the reference.
    public static let placeholder = "{ref}"
    /// The most output read from the command.
    public static let maximumOutput = 65_536

    public let arguments: [String]
    public let timeout: Duration

    /// - Parameters:
    ///   - arguments: The program (looked up in `PATH` unless it contains `/`) and its arguments.
    ///   - timeout: How long the command may run.
    public init(arguments: [String], timeout: Duration = .seconds(10)) {
        self.arguments = arguments
        self.timeout = timeout
    }

    public func fields(for reference: String) async throws(CredentialError) -> [String: Secret] {
        guard let program = arguments.first, !program.isEmpty else {
            throw CredentialError(.invalidConfiguration, "the command is empty")
        }
        if reference.hasPrefix("-") {
            throw CredentialError(.invalidReference, "'\(reference)' must not start with '-'")
        }
        let argv = arguments.map { $0.replacing(Self.placeholder, with: reference) }
        let timeout = self.timeout
        let result: Result<[UInt8], CredentialError> = await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(
                    returning: Result { () throws(CredentialError) in
                        try Self.run(argv, timeout: timeout)
                    })
            }
        }
        let output = try result.get()
        return try Self.parse(String(decoding: output, as: UTF8.self), program: program)
    }

    /// Fields from the command's output.
    static func parse(_ text: String, program: String) throws(CredentialError) -> [String: Secret] {
        let trimmed = text.drop(while: \.isWhitespace)
        if trimmed.first == "{" {
            guard case .object(var object)? = try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8)) else {
                throw CredentialError(.commandFailed, "\(program) printed malformed JSON")
            }
            if case .object(let outer)? = object["data"], case .object(let inner)? = outer["data"] {
                object = inner
            }
            var fields: [String: Secret] = [:]
            for (name, value) in object {
                if case .string(let string) = value { fields[name] = Secret(string) }
            }
            guard !fields.isEmpty else { throw CredentialError(.commandFailed, "\(program) printed no string field") }
            return fields
        }
        var lines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" })
        while let last = lines.last, last.isEmpty { lines.removeLast() }
        guard let first = lines.first, !first.isEmpty else {
            throw CredentialError(.commandFailed, "\(program) printed nothing")
        }
        var fields: [String: Secret] = ["password": Secret(String(first))]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let key = String(line[..<colon]).trimmingWhitespace().lowercased()
            guard !key.isEmpty, !key.contains(" ") else { continue }
            fields[key] = Secret(String(String(line[line.index(after: colon)...]).trimmingWhitespace()))
        }
        return fields
    }

    /// The process's environment, handed to the command (Darwin exports no `environ` to Swift).
    private static var environment: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? {
        #if canImport(Darwin)
            _NSGetEnviron().pointee
        #else
            environ
        #endif
    }

    /// Runs `argv` and returns its standard output; kills it at the deadline.
    static func run(_ argv: [String], timeout: Duration) throws(CredentialError) -> [UInt8] {
        let program = argv[0]
        var pipeEnds: [Int32] = [0, 0]
        // Both ends close on exec, so another command started meanwhile does not inherit the write end (and keep
        // this read from seeing end of file); dup2 gives the child its own standard output.
        // (Swift's Glibc does not export pipe2, so the flags are set right after.)
        guard pipe(&pipeEnds) == 0 else {
            throw CredentialError(.commandFailed, "cannot create a pipe for \(program)")
        }
        let readEnd = pipeEnds[0]
        let writeEnd = pipeEnds[1]
        defer { close(readEnd) }
        guard fcntl(readEnd, F_SETFD, FD_CLOEXEC) == 0, fcntl(writeEnd, F_SETFD, FD_CLOEXEC) == 0 else {
            close(writeEnd)
            throw CredentialError(.commandFailed, "cannot create a pipe for \(program)")
        }
        // Glibc declares the actions as a struct, Darwin as a pointer it allocates (this branch has not been
        // compiled on macOS: no macOS machine here).
        #if canImport(Darwin)
            var actions: posix_spawn_file_actions_t? = nil
        #else
            var actions = posix_spawn_file_actions_t()
        #endif
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, writeEnd, 1)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        var pid: pid_t = 0
        let cArguments = argv.map { strdup($0) } + [nil]
        defer { for pointer in cArguments { free(pointer) } }
        let spawned = cArguments.withUnsafeBufferPointer { buffer in
            posix_spawnp(
                &pid, program, &actions, nil, UnsafeMutablePointer(mutating: buffer.baseAddress!), Self.environment)
        }
        close(writeEnd)
        guard spawned == 0 else {
            throw CredentialError(.commandFailed, "cannot start \(program): \(String(cString: strerror(spawned)))")
        }
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        var timedOut = false
        while true {
            let remaining = clock.now.duration(to: deadline)
            if remaining <= .zero {
                timedOut = true
                break
            }
            let (seconds, attoseconds) = remaining.components
            let milliseconds = Int32(clamping: seconds * 1000 + attoseconds / 1_000_000_000_000_000 + 1)
            var descriptor = pollfd(fd: readEnd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&descriptor, 1, milliseconds)
            if ready < 0 {
                if errno == EINTR { continue }
                break
            }
            if ready == 0 { continue }
            let count = chunk.withUnsafeMutableBytes { read(readEnd, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            if count <= 0 { break }
            output += chunk[..<count]
            if output.count > maximumOutput { break }
        }
        if timedOut || output.count > maximumOutput { kill(pid, SIGKILL) }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        if timedOut {
            throw CredentialError(.timedOut, "\(program) did not finish within \(timeout)")
        }
        if output.count > maximumOutput {
            throw CredentialError(.commandFailed, "\(program) printed more than \(maximumOutput) bytes")
        }
        let exited = status & 0x7f == 0
        let code = (status >> 8) & 0xff
        guard exited, code == 0 else {
            let how = exited ? "exited with status \(code)" : "was killed by signal \(status & 0x7f)"
            throw CredentialError(.commandFailed, "\(program) \(how)")
        }
        return output
    }
}
