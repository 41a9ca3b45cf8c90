import ArgumentParser
import NetPulse
import NetPulseLab

#if canImport(Glibc)
    import Glibc
#endif

extension NetPulseCommand {
    /// `netpulse lab`: runs emulated devices on loopback until SIGINT or SIGTERM.
    struct Lab: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run many emulated network devices over real SSH on 127.0.0.1, with faults on demand.",
            discussion: """
                Prints one line per device and 'ready' when every device listens; writes the inventory (a \
                NetPulse batch request skeleton), its '.faults.json' sidecar and a known_hosts file. Runs until \
                SIGINT or SIGTERM.
                """
        )

        @Option(help: "Number of devices.")
        var devices: Int = 10

        @Option(
            help:
                "Comma-separated platforms assigned in turn: \(platformNames)."
        )
        var platforms: String = LabPlatform.allCases.map(\.rawValue).joined(separator: ",")

        @Option(help: "Loopback address to bind (127.0.0.0/8 only).")
        var bind: String = "127.0.0.1"

        @Option(help: "First port (device i gets base-port + i); default: ports chosen by the OS.")
        var basePort: Int?

        @Option(help: "Inventory file to write (NetPulse JSON request skeleton).")
        var inventory: String?

        @Option(help: "Folder for persisted host keys and the known_hosts file (default: a temporary folder).")
        var folder: String?

        @Option(help: "Login user.")
        var username: String = "admin"

        @Option(help: "Password (also read from NETPULSE_LAB_PASSWORD).")
        var password: String?

        @Option(help: "Enable secret (also read from NETPULSE_LAB_SECRET).")
        var secret: String?

        @Option(help: "authorized_keys file whose keys may log in.")
        var authorizedKeys: String?

        @Option(help: "Seed of the fault plan.")
        var seed: UInt64 = 0

        @Option(help: "Fraction of devices (0...1) given a fault.")
        var faultRate: Double = 0

        @Option(help: "Comma-separated fault kinds: \(faultNames).")
        var faults: String = LabFault.Kind.allCases.map(\.rawValue).joined(separator: ",")

        @Option(
            help: """
                Profile of every device: modern (ed25519 host key, libssh's algorithms), rsa or ecdsa (an RSA or \
                ECDSA P-256 host key), nist (key exchange ecdh-sha2-nistp256/384/521 only, no curve25519), legacy \
                (ssh-rsa, diffie-hellman-group14-sha1, CBC), wan, or a latency such as \
                rtt=50ms,login=300ms,command=200ms,line=2ms,boot=10s; join with + (ecdsa+nist, legacy+wan).
                """)
        var profile: String = "modern"

        @Option(
            help: """
                A seeded share of the fleet with another profile, as FRACTION:PROFILE (0.1:legacy, \
                0.3:ecdsa+nist, 0.2:rsa+rtt=20ms); repeatable.
                """)
        var mix: [String] = []

        @Option(help: "Distinct RSA host keys that RSA devices draw from (each takes ~0.2 s to generate once).")
        var rsaKeyPool: Int = 16

        @Option(help: "Folder where generated RSA host keys are kept across runs.")
        var keyCache: String?

        @Flag(help: "Print one line per device.")
        var verbose = false

        func run() async throws {
            var parsedPlatforms: [LabPlatform] = []
            for name in platforms.split(separator: ",") {
                guard let platform = LabPlatform(rawValue: String(name)) else {
                    throw ValidationError(
                        "--platforms: unknown platform '\(name)'; known: \(platformNames)"
                    )
                }
                parsedPlatforms.append(platform)
            }
            var kinds: [LabFault.Kind] = []
            for name in faults.split(separator: ",") {
                guard let kind = LabFault.Kind(rawValue: String(name)) else {
                    throw ValidationError(
                        "--faults: unknown fault '\(name)'; known: \(faultNames)"
                    )
                }
                kinds.append(kind)
            }
            let defaultProfile: LabDeviceProfile
            var shares: [LabProfileShare] = []
            do throws(LabError) {
                defaultProfile = try LabDeviceProfile(parsing: profile)
                for entry in mix {
                    let parts = entry.split(separator: ":", maxSplits: 1).map(String.init)
                    guard parts.count == 2, let fraction = Double(parts[0]) else {
                        throw LabError(field: "mix", reason: "expected FRACTION:PROFILE, got '\(entry)'")
                    }
                    shares.append(LabProfileShare(fraction, try LabDeviceProfile(parsing: parts[1])))
                }
            } catch {
                throw ValidationError("--profile/--mix: \(error.description)")
            }
            let environment = ProcessInfoEnvironment()
            let configuration = LabConfiguration(
                devices: devices,
                platforms: parsedPlatforms,
                bindAddress: bind,
                basePort: basePort,
                username: username,
                password: Secret(password ?? environment["NETPULSE_LAB_PASSWORD"] ?? "admin"),
                enableSecret: Secret(secret ?? environment["NETPULSE_LAB_SECRET"] ?? "enable"),
                authorizedKeysFile: authorizedKeys,
                folder: folder,
                inventoryFile: inventory,
                seed: seed,
                faultRate: faultRate,
                faultKinds: kinds,
                profile: defaultProfile,
                profileMix: shares,
                rsaKeyPool: rsaKeyPool,
                keyCacheFolder: keyCache
            )
            do {
                try configuration.validate()
            } catch {
                throw ValidationError(error.description)
            }
            LabProcessHeap.growInLargeSteps()
            let signals = SignalWaiter()
            try await withLab(configuration) { lab in
                if verbose {
                    for device in lab.devices { print(device.description) }
                }
                for device in lab.faultyDevices where !verbose { print("fault: \(device.description)") }
                let statistics = lab.statistics()
                print(
                    "ready: \(lab.devices.count) devices on \(bind), ports \(lab.devices.map(\.port).min() ?? 0)"
                        + "-\(lab.devices.map(\.port).max() ?? 0); started in \(lab.startupTime) "
                        + "(host keys \(statistics.hostKeySetupTime)); known_hosts \(lab.knownHostsFile)"
                        + (lab.inventoryFile.map { "; inventory \($0)" } ?? ""))
                fflush(nil)
                let signal = await signals.wait()
                let final = lab.statistics()
                print(
                    "stopping on signal \(signal): \(final.connections) connections, \(final.logins) logins, "
                        + "\(final.commands) commands, \(final.channels) channels, \(final.closesAnswered) client "
                        + "closes answered, peak \(final.peakSessions) sessions, loop CPU \(final.loopCPUTime)"
                )
            }
        }
    }
}

private let platformNames = LabPlatform.allCases.map(\.rawValue).joined(separator: ",")
private let faultNames = LabFault.Kind.allCases.map(\.rawValue).joined(separator: ",")

/// The process environment, without Foundation.
struct ProcessInfoEnvironment {
    subscript(name: String) -> String? {
        getenv(name).map { String(cString: $0) }
    }
}
