public import NetPulse
public import Logging

/// What a lab starts: how many devices, which platforms, credentials, ports, faults.
public struct LabConfiguration: Sendable {
    /// Number of devices (1...20,000).
    public var devices: Int
    /// Platforms assigned to devices in turn (device `i` gets `platforms[i % count]`).
    public var platforms: [LabPlatform]
    /// The address every device binds to; must be a loopback address (127.0.0.0/8).
    public var bindAddress: String
    /// Device `i` listens on `basePort + i`; `nil` lets the OS choose each port.
    public var basePort: Int?
    /// Login user of every device.
    public var username: String
    /// Password of every device (password and keyboard-interactive authentication).
    public var password: Secret
    /// Enable secret (cisco_ios, arista_eos).
    public var enableSecret: Secret
    /// Public keys accepted for publickey authentication, as `authorized_keys` lines.
    public var authorizedKeys: [String]
    /// A file in `authorized_keys` format whose keys are accepted too.
    public var authorizedKeysFile: String?
    /// A folder for persisted host keys and the known_hosts file; `nil`: a temporary folder removed at
    /// the end, with keys generated at each start.
    public var folder: String?
    /// Where to write the inventory (a NetPulse batch request skeleton); `nil`: not written.
    /// Faults go to a sidecar file beside it (`<inventory>.faults.json`).
    public var inventoryFile: String?
    /// The `driver` named in the inventory.
    public var driver: String
    /// Seed of the fleet's fault plan.
    public var seed: UInt64
    /// Fraction of devices given a fault of one of `faultKinds` (0 = none).
    public var faultRate: Double
    /// Kinds chosen from by `faultRate`.
    public var faultKinds: [LabFault.Kind]
    /// Faults by device index; these override the seeded plan.
    public var faults: [Int: LabFault]
    /// Sessions that have not authenticated by then are closed.
    public var loginTimeout: Duration
    /// Sessions without input for this long are closed.
    public var idleTimeout: Duration
    /// Where the lab logs (never a secret).
    public var logger: Logger

    public init(
        devices: Int,
        platforms: [LabPlatform] = LabPlatform.allCases,
        bindAddress: String = "127.0.0.1",
        basePort: Int? = nil,
        username: String = "admin",
        password: Secret = "admin",
        enableSecret: Secret = "enable",
        authorizedKeys: [String] = [],
        authorizedKeysFile: String? = nil,
        folder: String? = nil,
        inventoryFile: String? = nil,
        driver: String = "netmiko",
        seed: UInt64 = 0,
        faultRate: Double = 0,
        faultKinds: [LabFault.Kind] = LabFault.Kind.allCases,
        faults: [Int: LabFault] = [:],
        loginTimeout: Duration = .seconds(30),
        idleTimeout: Duration = .seconds(600),
        logger: Logger = Logger(label: "netpulse.lab")
    ) {
        self.devices = devices
        self.platforms = platforms
        self.bindAddress = bindAddress
        self.basePort = basePort
        self.username = username
        self.password = password
        self.enableSecret = enableSecret
        self.authorizedKeys = authorizedKeys
        self.authorizedKeysFile = authorizedKeysFile
        self.folder = folder
        self.inventoryFile = inventoryFile
        self.driver = driver
        self.seed = seed
        self.faultRate = faultRate
        self.faultKinds = faultKinds
        self.faults = faults
        self.loginTimeout = loginTimeout
        self.idleTimeout = idleTimeout
        self.logger = logger
    }

    /// The fault of every device that has one: the seeded plan, then the explicit `faults`.
    public var faultPlan: [Int: LabFault] {
        LabFault.plan(devices: devices, rate: faultRate, kinds: faultKinds, seed: seed)
            .merging(faults) { _, explicit in explicit }
    }

    /// Checks the configuration.
    ///
    /// - Throws: ``LabError`` naming the bad field.
    public func validate() throws(LabError) {
        guard (1...20_000).contains(devices) else {
            throw LabError(field: "devices", reason: "must be 1...20000, got \(devices)")
        }
        guard !platforms.isEmpty else { throw LabError(field: "platforms", reason: "must name at least one platform") }
        guard Self.isLoopback(bindAddress) else {
            throw LabError(
                field: "bindAddress",
                reason: "'\(bindAddress)' is not a loopback address; NetPulseLab binds to 127.0.0.0/8 only")
        }
        if let basePort, basePort < 1 || basePort + devices - 1 > 65_535 {
            throw LabError(
                field: "basePort", reason: "\(basePort)...\(basePort + devices - 1) is not a valid port range")
        }
        guard !username.isEmpty else { throw LabError(field: "username", reason: "must not be empty") }
        guard (0...1).contains(faultRate) else {
            throw LabError(field: "faultRate", reason: "must be between 0 and 1, got \(faultRate)")
        }
        if faultRate > 0 && faultKinds.isEmpty {
            throw LabError(field: "faultKinds", reason: "must name at least one kind when faultRate > 0")
        }
        for index in faults.keys where !(0..<devices).contains(index) {
            throw LabError(field: "faults[\(index)]", reason: "no device with index \(index) (0..<\(devices))")
        }
        for (index, fault) in faults {
            if case .slowOutput(let rate) = fault, rate < 1 {
                throw LabError(field: "faults[\(index)]", reason: "slow_output needs at least 1 byte/s")
            }
        }
    }

    /// Whether `address` is an IPv4 address in 127.0.0.0/8.
    static func isLoopback(_ address: String) -> Bool {
        let parts = address.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == "127" else { return false }
        return parts.allSatisfy { part in UInt8(part) != nil && (part == "0" || !part.hasPrefix("0")) }
    }
}

/// A bad lab configuration or a failure to start the lab.
public struct LabError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The configuration field at fault, if any.
    public var field: String?
    /// What is wrong.
    public var reason: String

    public init(field: String? = nil, reason: String) {
        self.field = field
        self.reason = reason
    }

    public var description: String { field.map { "\($0): \(reason)" } ?? reason }
}
