import Logging
import NetPulse
import NetPulseSSHCore
import NetPulseLab
import Testing

/// Both drivers against NetPulseLab: show and config on every emulated platform, and each injected
/// fault giving its typed error.
@Suite("Driver: against NetPulseLab")
struct LabScenarios {
    static let logger = Logger(label: "test.lab")
    /// Distinct from every user name and word of output, so a leak would show.
    static let password: Secret = "lab-Pass-9471"

    static func showCommand(_ platform: LabPlatform) -> String {
        switch platform {
        case .huawei, .hpComware: "display version"
        case .linux: "uname -a"
        default: "show version"
        }
    }

    /// A word each platform's version output contains.
    static func vendorWord(_ platform: LabPlatform) -> String {
        switch platform {
        case .ciscoIOS: "Cisco IOS"
        case .aristaEOS: "Arista"
        case .juniperJunos: "JUNOS"
        case .huawei: "Huawei Versatile Routing Platform"
        case .linux: "GNU/Linux"
        case .ciscoNXOS: "Cisco Nexus Operating System"
        case .hpComware: "HPE Comware Software"
        }
    }

    static func config(_ platform: LabPlatform, marker: String) -> (lines: [String], readBack: String)? {
        switch platform {
        case .ciscoIOS: (["interface GigabitEthernet0/1", " description \(marker)"], "show running-config")
        case .aristaEOS: (["interface Ethernet1", " description \(marker)"], "show running-config")
        case .juniperJunos: (["set interfaces ge-0/0/1 description \"\(marker)\""], "show configuration interfaces")
        case .huawei: (["interface GigabitEthernet0/0/1", " description \(marker)"], "display current-configuration")
        case .ciscoNXOS: (["interface Ethernet1/1", " description \(marker)"], "show running-config")
        case .hpComware:
            (["interface GigabitEthernet1/0/1", " description \(marker)"], "display current-configuration")
        case .linux: nil
        }
    }

    /// Connects and runs `operation`; returns the outcome, or the error of the connect or the run.
    static func attempt(
        _ driver: any Driver,
        _ device: LabDevice,
        lab: NetPulseLab.Lab,
        operation: NetPulse.DeviceOperation,
        readTimeout: Duration = .seconds(10)
    ) async -> Result<ExecutionOutcome, NetPulseError> {
        let target = device.target(
            hostKeyPolicy: .strict(knownHostsFile: lab.knownHostsFile),
            readTimeout: readTimeout,
            connectTimeout: .seconds(15)
        )
        let profile = PlatformRegistry.builtin.profile(named: device.platform.rawValue)!
        let session: any DriverSession
        do {
            session = try await driver.connect(to: target, context: DriverContext(platform: profile, logger: logger))
        } catch {
            return .failure(NetPulseError(wrapping: error))
        }
        do {
            let outcome = try await session.execute(
                ExecutionRequest(operation: operation, readTimeout: readTimeout, logger: logger)
            )
            await session.close()
            return .success(outcome)
        } catch {
            await session.close()
            return .failure(NetPulseError(wrapping: error))
        }
    }

    @Test("show and config on every emulated platform", arguments: Backends.all)
    func everyPlatform(backend: Backend) async throws {
        try await withLab(LabConfiguration(devices: LabPlatform.allCases.count, password: Self.password)) { lab in
            let driver = backend.makeDriver(
                SSHDriverConfiguration(hostKeyPolicy: .strict(knownHostsFile: lab.knownHostsFile))
            )
            for device in lab.devices {
                let run = {
                    let shown = await Self.attempt(
                        driver, device, lab: lab, operation: .commands([Self.showCommand(device.platform)]))
                    let outcome = try shown.get()
                    #expect(outcome.success, "\(device.platform): \(String(describing: outcome.error))")
                    #expect(
                        outcome.outputs.first?.output.contains(Self.vendorWord(device.platform)) == true,
                        "\(device.platform): \(outcome.outputs.first?.output.prefix(200) ?? "")"
                    )
                    guard let change = Self.config(device.platform, marker: "np-lab-\(device.index)") else { return }
                    let pushed = try await Self.attempt(driver, device, lab: lab, operation: .config(change.lines))
                        .get()
                    #expect(pushed.success, "\(device.platform): \(String(describing: pushed.error))")
                    let read = try await Self.attempt(driver, device, lab: lab, operation: .commands([change.readBack]))
                        .get()
                    #expect(read.outputs.first?.output.contains("np-lab-\(device.index)") == true, "\(device.platform)")
                }
                if backend.name == "libssh" && device.platform == .linux {
                    // Open defect: the lab sometimes disconnects a libssh exec session ("Bye Bye").
                    await withKnownIssue("libssh exec against the lab is sometimes disconnected", isIntermittent: true)
                    {
                        try await run()
                    }
                } else {
                    try await run()
                }
            }
        }
    }

    /// Each fault and the error kinds it may give (garbage has no prompt to find: either kind).
    static let faults: [(LabFault.Kind, Set<NetPulseError.Kind>)] = [
        (.refuse, [.connectionRefused]),
        (.wrongCredentials, [.authentication]),
        (.hangBeforePrompt, [.timeout]),
        (.hangMidCommand, [.timeout]),
        (.dropMidOutput, [.connectionLost]),
        (.garbage, [.unexpectedOutput, .timeout]),
    ]

    @Test("each injected fault gives its typed error", arguments: Backends.all, faults)
    func injectedFault(backend: Backend, fault: (LabFault.Kind, Set<NetPulseError.Kind>)) async throws {
        let configuration = LabConfiguration(
            devices: 1, platforms: [.ciscoIOS], password: Self.password, faults: [0: fault.0.defaultFault]
        )
        try await withLab(configuration) { lab in
            let driver = backend.makeDriver(
                SSHDriverConfiguration(hostKeyPolicy: .strict(knownHostsFile: lab.knownHostsFile))
            )
            let result = await Self.attempt(
                driver, lab.devices[0], lab: lab, operation: .commands(["show running-config"]),
                // Long enough that a loaded machine does not turn a refusal or a drop into a timeout.
                readTimeout: .seconds(4)
            )
            switch result {
            case .success(let outcome):
                Issue.record("\(fault.0) gave no error: \(String(describing: outcome.error))")
            case .failure(let error):
                #expect(fault.1.contains(error.kind), "\(fault.0): \(error)")
                #expect(!error.message.contains(lab.devices[0].password.revealed))
            }
        }
    }

    @Test("latency and slow output are only slower", arguments: Backends.all, [LabFault.Kind.latency, .slowOutput])
    func slowButFine(backend: Backend, fault: LabFault.Kind) async throws {
        let configuration = LabConfiguration(devices: 1, platforms: [.ciscoIOS], faults: [0: fault.defaultFault])
        try await withLab(configuration) { lab in
            let driver = backend.makeDriver(
                SSHDriverConfiguration(hostKeyPolicy: .strict(knownHostsFile: lab.knownHostsFile))
            )
            let outcome = try await Self.attempt(
                driver, lab.devices[0], lab: lab, operation: .commands(["show version"]), readTimeout: .seconds(15)
            ).get()
            #expect(outcome.success)
            #expect(outcome.outputs.first?.output.contains(lab.devices[0].hostname) == true)
        }
    }
}
