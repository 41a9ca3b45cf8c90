import ArgumentParser
import Foundation
import NetPulse

extension NetPulseCommand {
    /// `netpulse exec`: the quick form, without a JSON file.
    struct Exec: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run commands or push a config file on devices named by flags or an inventory.",
            discussion: """
                The password comes from the environment variable named by --password-env, or a prompt on a \
                terminal; never from the command line.
                """
        )

        @Option(name: .customLong("host"), help: "A device (host or host:port); repeatable.")
        var hosts: [String] = []

        @Option(
            help: ArgumentHelp(
                "Inventory: CSV (host,port,username,device_type,name), NetPulse JSON (the lab's), or Nornir YAML.",
                discussion:
                    "For Nornir, give hosts.yaml (or its folder); groups.yaml and defaults.yaml beside it apply."))
        var inventory: String?

        @Option(name: .customLong("command"), help: "A command to run; repeatable.")
        var commands: [String] = []

        @Option(help: "A file of configuration lines to push.")
        var configFile: String?

        @Flag(help: "After a config push, save the configuration (only when every line succeeded).")
        var save = false

        @Option(help: "Platform (device_type), e.g. cisco_ios, arista_eos, juniper_junos, huawei, linux.")
        var platform: String?

        @Option(help: "Driver: libssh2 (default) or libssh.")
        var driver: String = DriverSetup.defaultDriver

        @Option(help: "Queue strategy: pinned or round_robin.")
        var strategy: String = "round_robin"

        @Option(help: "Login user.")
        var username: String?

        @Option(help: "Environment variable holding the password.")
        var passwordEnv: String = "NETPULSE_PASSWORD"

        @Option(help: "Environment variable holding the enable secret.")
        var secretEnv: String = "NETPULSE_SECRET"

        @Option(help: "Private key file for public-key login.")
        var keyFile: String?

        @Option(help: "json, table, jsonl or text (each device's full output under a header).")
        var format: OutputFormat = .table

        @Option(help: "Write each device's output to DIR/NAME.txt (configuration backups).")
        var outputDir: String?

        @Option(help: "Seconds for connect and each read (netmiko's timeout).")
        var timeout: Double?

        @Option(help: "Seconds each read may wait for the device (read_timeout).")
        var readTimeout: Double?

        @Flag(help: "Enter privileged (enable) mode before running the commands.")
        var enable = false

        @Flag(help: "Offer legacy SSH algorithms (SHA-1 key exchange, ssh-rsa, CBC) to these devices.")
        var legacyAlgorithms = false

        @Flag(help: "No progress line on standard error.")
        var quiet = false

        @OptionGroup var connection: ConnectionOptions

        @OptionGroup var platformFiles: PlatformOptions

        func validate() throws {
            try connection.validateLimits()
            if hosts.isEmpty && inventory == nil { throw ValidationError("give --host or --inventory") }
            if commands.isEmpty == (configFile == nil) {
                throw ValidationError("give --command or --config-file (one of them)")
            }
            for (name, value) in [("--timeout", timeout), ("--read-timeout", readTimeout)] {
                if let value, !(value > 0 && value <= 86_400) {
                    throw ValidationError("\(name): must be a number of seconds in (0, 86400]")
                }
            }
            if QueueStrategy(name: strategy) == nil {
                throw ValidationError(
                    "--strategy: unknown queue strategy '\(strategy)'; expected pinned or round_robin")
            }
        }

        func run() async throws {
            LoggingSetup.bootstrap()
            let platforms = try platformFiles.registry()
            var devices: [BatchRequest.Device] = []
            var shared = ConnectionArgs()
            var names: [Int: String] = [:]
            if let inventory {
                do {
                    let file = try InventoryFile.load(path: inventory)
                    devices = file.devices
                    shared = file.connectionArgs
                    names = file.names
                } catch {
                    printError("invalid inventory: \(error)")
                    throw ExitCode(2)
                }
            }
            for host in hosts {
                do {
                    devices.append(try Self.device(host))
                } catch {
                    printError("invalid device: \(error)")
                    throw ExitCode(2)
                }
            }
            if let platform { shared.deviceType = platform }
            if let username { shared.username = username }
            if let keyFile { shared.keyFile = keyFile }
            if let timeout { shared.timeout = .milliseconds(Int64(timeout * 1000)) }
            if let readTimeout { shared.readTimeout = .milliseconds(Int64(readTimeout * 1000)) }
            if legacyAlgorithms { shared.legacyAlgorithms = true }
            if let password = PasswordSource.read(environment: passwordEnv, prompt: "Password: ") {
                shared.password = password
            }
            if let secret = ProcessInfo.processInfo.environment[secretEnv], !secret.isEmpty {
                shared.secret = Secret(secret)
            }
            let operation: NetPulse.DeviceOperation
            if let configFile {
                guard let text = try? String(contentsOfFile: configFile, encoding: .utf8) else {
                    printError("cannot read --config-file \(configFile)")
                    throw ExitCode(2)
                }
                let lines = text.split(whereSeparator: \.isNewline).map(String.init)
                    .filter { !$0.allSatisfy(\.isWhitespace) }
                operation = .config(lines)
            } else {
                operation = .commands(commands)
            }
            let request = BatchRequest(
                driver: driver,
                devices: devices,
                connectionArgs: shared,
                operation: operation,
                options: BatchOptions(
                    queueStrategy: QueueStrategy(name: strategy) ?? .roundRobin, save: save, enable: enable ? true : nil
                )
            )
            let status = try await BatchRunner.run(
                request, connection: connection, format: format, quiet: quiet, names: names, outputDirectory: outputDir,
                platforms: platforms)
            if status != 0 { throw ExitCode(status) }
        }

        /// `host`, `host:port` or `[v6]:port`, checked as every host is (``DeviceTarget/hostProblem(_:)``).
        ///
        /// - Parameters:
        ///   - text: The device as typed.
        ///   - option: How the value was given, for messages (`--host`, `<host>`).
        static func device(_ text: String, option: String = "--host") throws -> BatchRequest.Device {
            var host = text
            var portText: Substring?
            if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
                host = String(text[text.index(after: text.startIndex)..<close])
                let rest = text[text.index(after: close)...]
                if rest.hasPrefix(":") {
                    portText = rest.dropFirst()
                } else if !rest.isEmpty {
                    throw ValidationError("\(option): expected [address]:port after the closing bracket")
                }
            } else if text.filter({ $0 == ":" }).count == 1, let colon = text.firstIndex(of: ":") {
                host = String(text[..<colon])
                portText = text[text.index(after: colon)...]
            }
            if let problem = DeviceTarget.hostProblem(host) {
                throw ValidationError("\(option): the host \(problem)")
            }
            var port: Int?
            if let portText {
                guard let number = Int(portText), DeviceTarget.portRange.contains(number) else {
                    throw ValidationError("\(option): the port must be a number between 1 and 65535")
                }
                port = number
            }
            return BatchRequest.Device(host: host, connection: ConnectionArgs(port: port))
        }
    }
}
