import Foundation
import Logging
import NetPulse
import NetPulseSSHCore
import SSHTestSupport

/// Helpers shared by the driver scenarios (no backend-specific code here).
enum Fixture {
    static let logger = Logger(label: "netpulse.tests.driver")

    /// A target on the test server, strict against its known_hosts file.
    static func target(
        _ server: TestSSHD,
        port: Int? = nil,
        platform: String = "linux",
        credentials: [Credential]? = nil,
        policy: HostKeyPolicy? = nil,
        connectTimeout: Duration = .seconds(20),
        readTimeout: Duration = .seconds(20)
    ) -> DeviceTarget {
        DeviceTarget(
            host: server.host,
            port: port ?? server.port,
            username: TestSSHD.username,
            credentials: credentials ?? [.password(Secret(TestSSHD.password))],
            platform: platform,
            connectTimeout: connectTimeout,
            readTimeout: readTimeout,
            hostKeyPolicy: policy ?? .strict(knownHostsFile: server.knownHostsFile)
        )
    }

    static func driver(_ backend: Backend, keepalive: Duration? = nil) -> any Driver {
        backend.makeDriver(
            SSHDriverConfiguration(hostKeyPolicy: .strict(knownHostsFile: nil), keepaliveInterval: keepalive))
    }

    /// Connects to every target at once and closes each session; returns one line per failure
    /// (the target's port and the error).
    static func connectAll(_ driver: any Driver, _ targets: [DeviceTarget]) async -> [String] {
        await withTaskGroup(of: String?.self) { group in
            for target in targets {
                group.addTask {
                    do {
                        let session = try await driver.connect(to: target, context: Fixture.context())
                        await session.close()
                        return nil
                    } catch {
                        return "\(target.port): \(error)"
                    }
                }
            }
            var failures: [String] = []
            for await failure in group { if let failure { failures.append(failure) } }
            return failures
        }
    }

    static func context(_ platform: PlatformProfile = .linux) -> DriverContext {
        DriverContext(platform: platform, logger: logger)
    }

    static func commands(_ lines: String..., readTimeout: Duration = .seconds(20)) -> ExecutionRequest {
        ExecutionRequest(operation: .commands(lines), readTimeout: readTimeout, logger: logger)
    }

    static func config(_ lines: String..., readTimeout: Duration = .seconds(20)) -> ExecutionRequest {
        ExecutionRequest(operation: .config(lines), readTimeout: readTimeout, logger: logger)
    }

    /// Connects, runs `body` with the session, and always closes it.
    /// Connects, runs `body` on the session and closes it, as the scheduler runs a job: with the driver's
    /// ``Driver/preferredExecutor(for:)`` (a loop thread) as the task's executor preference throughout,
    /// unless `preferring` is false (a library user calling `connect` from anywhere).
    static func withSession<T>(
        _ driver: any Driver,
        _ target: DeviceTarget,
        _ context: DriverContext = Fixture.context(),
        preferring: Bool = true,
        _ body: (any DriverSession) async throws -> T
    ) async throws -> T {
        try await withPreferredExecutor(preferring ? driver.preferredExecutor(for: target) : nil) {
            let session = try await driver.connect(to: target, context: context)
            do {
                let result = try await withPreferredExecutor(preferring ? session.preferredExecutor : nil) {
                    try await body(session)
                }
                await session.close()
                return result
            } catch {
                await session.close()
                throw error
            }
        }
    }

    /// A fresh temporary path (no file yet).
    static func temporaryPath(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("np-\(name)-\(UUID().uuidString)").path
    }

    /// The SHA256 fingerprint of the server's host key, as `ssh-keygen -l` prints it.
    static func fingerprint(of server: TestSSHD) async throws -> String {
        let (status, output) = try await ChildProcess.run("/usr/bin/ssh-keygen", ["-l", "-f", server.knownHostsFile])
        guard status == 0, let field = output.split(separator: " ").first(where: { $0.hasPrefix("SHA256:") }) else {
            throw TestSSHD.Failure(description: "ssh-keygen -l failed: \(output)")
        }
        return String(field)
    }

    /// Our descriptors that are TCP sockets connected to `port` on loopback (from /proc/self/fd and
    /// /proc/net/tcp{,6}). Each test has its own sshd port, so tests running in parallel in the same
    /// process do not disturb the count.
    static func socketsConnected(toPort port: Int) -> Set<Int32> {
        var inodes: Set<String> = []
        for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
            // /proc files report size 0: read them to the end by hand.
            let fd = open(table, O_RDONLY)
            guard fd >= 0 else { continue }
            var bytes: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 65536)
            while true {
                let count = read(fd, &chunk, chunk.count)
                if count <= 0 { break }
                bytes += chunk[0..<count]
            }
            close(fd)
            let text = String(decoding: bytes, as: UTF8.self)
            for line in text.split(separator: "\n").dropFirst() {
                let fields = line.split(separator: " ", omittingEmptySubsequences: true)
                guard fields.count > 9, let colon = fields[2].lastIndex(of: ":") else { continue }
                let remotePort = Int(fields[2][fields[2].index(after: colon)...], radix: 16)
                if remotePort == port { inodes.insert(String(fields[9])) }
            }
        }
        var result: Set<Int32> = []
        for fd in FileLimits.openDescriptors() {
            var buffer = [CChar](repeating: 0, count: 256)
            let count = readlink("/proc/self/fd/\(fd)", &buffer, buffer.count - 1)
            guard count > 0 else { continue }
            let link = String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if link.hasPrefix("socket:["), inodes.contains(String(link.dropFirst(8).dropLast())) {
                result.insert(fd)
            }
        }
        return result
    }
}
