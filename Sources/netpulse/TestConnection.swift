import ArgumentParser
import Foundation
import NetPulse

extension NetPulseCommand {
    /// `netpulse test`: a synchronous connection test of one device, like NetPulse's `/device/test`.
    struct TestConnection: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "test",
            abstract: "Test one device: reachable, authenticated, prompt found, and the time taken.",
            discussion: "Prints a JSON object; exit status 0 when the device passed, 1 when it did not."
        )

        @Argument(help: "The device: host or host:port.")
        var host: String

        @Option(help: "Platform (device_type).")
        var platform: String

        @Option(help: "Login user.")
        var username: String

        @Option(help: "Environment variable holding the password.")
        var passwordEnv: String = "NETPULSE_PASSWORD"

        @Option(help: "Private key file for public-key login.")
        var keyFile: String?

        @Option(help: "Driver: libssh2 (default) or libssh.")
        var driver: String = DriverSetup.defaultDriver

        @Option(help: "Seconds allowed for connect and login.")
        var timeout: Double = 10

        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            LoggingSetup.bootstrap()
            var args = ConnectionArgs(deviceType: platform, username: username, keyFile: keyFile)
            args.password = PasswordSource.read(environment: passwordEnv, prompt: "Password: ")
            guard timeout > 0 && timeout <= 3600 else { throw ValidationError("--timeout: must be in (0, 3600]") }
            args.connectTimeout = .milliseconds(Int64(timeout * 1000))
            let target: DeviceTarget
            do {
                let device = try Exec.device(host, option: "<host>")
                target = try device.connection.merged(over: args)
                    .resolve(host: device.host, platforms: .builtin, path: "device")
            } catch {
                printError("invalid device: \(error)")
                throw ExitCode(2)
            }
            let drivers = connection.drivers()
            guard let chosen = drivers.driver(named: driver),
                let profile = PlatformRegistry.builtin.profile(named: target.platform)
            else {
                printError(
                    "invalid device: driver: unknown driver '\(driver)'; registered: \(drivers.names.joined(separator: ", "))"
                )
                throw ExitCode(2)
            }
            let clock = ContinuousClock()
            let start = clock.now
            var report: [String: JSONValue] = [
                "host": .string(target.host), "port": .number(Double(target.port)),
                "driver": .string(drivers.canonicalName(driver) ?? driver),
            ]
            var passed = false
            do {
                let session = try await chosen.connect(
                    to: target,
                    context: DriverContext(platform: profile, logger: connection.logger)
                )
                await session.close()
                report["reachable"] = .bool(true)
                report["authenticated"] = .bool(true)
                report["prompt_found"] = .bool(true)
                passed = true
            } catch {
                let failure = NetPulseError(wrapping: error)
                let unreachable: Set<NetPulseError.Kind> = [.connectionRefused, .nameResolution, .unreachable]
                let reachable =
                    !unreachable.contains(failure.kind)
                    && !(failure.kind == .timeout && failure.message.contains("TCP"))
                report["reachable"] = .bool(reachable)
                report["authenticated"] = .bool(
                    reachable
                        && ![
                            .authentication, .hostKeyMismatch, .hostKeyUnknown,
                            .protocolError, .timeout,
                        ].contains(failure.kind))
                report["prompt_found"] = .bool(false)
                report["error"] = .object(["kind": .string(failure.kind.rawValue), "message": .string(failure.message)])
            }
            let elapsed = clock.now - start
            report["success"] = .bool(passed)
            report["time"] = .number(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            printLine(String(decoding: try encoder.encode(report), as: UTF8.self))
            if !passed { throw ExitCode(1) }
        }
    }
}
