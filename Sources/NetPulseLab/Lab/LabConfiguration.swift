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
    /// The profile (speed, host key, algorithms) of every device not given another one.
    public var profile: LabDeviceProfile
    /// Seeded fractions of the fleet given other profiles (applied in order; the rest keep `profile`).
    public var profileMix: [LabProfileShare]
    /// Profiles by device index; these override `profile` and `profileMix`.
    public var deviceProfiles: [Int: LabDeviceProfile]
    /// How many distinct RSA host keys RSA devices draw from (device `i` gets key `i % rsaKeyPool`).
    /// Generating one costs about 0.2 s; the keys are kept for the life of the process, and in
    /// `keyCacheFolder` when set.
    public var rsaKeyPool: Int
    /// A folder where generated RSA pool keys are kept across runs (created if missing); `nil`: memory only.
    public var keyCacheFolder: String?
    /// Channels one session may have open at once (OpenSSH's sshd allows 10).
    public var maxChannelsPerSession: Int
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
        profile: LabDeviceProfile = .modern,
        profileMix: [LabProfileShare] = [],
        deviceProfiles: [Int: LabDeviceProfile] = [:],
        rsaKeyPool: Int = 16,
        keyCacheFolder: String? = nil,
        maxChannelsPerSession: Int = 10,
        logger: Logger = Logger.current
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
        self.profile = profile
        self.profileMix = profileMix
        self.deviceProfiles = deviceProfiles
        self.rsaKeyPool = rsaKeyPool
        self.keyCacheFolder = keyCacheFolder
        self.maxChannelsPerSession = maxChannelsPerSession
        self.logger = logger
    }

    /// The fault of every device that has one: the seeded plan, then the explicit `faults`.
    public var faultPlan: [Int: LabFault] {
        LabFault.plan(devices: devices, rate: faultRate, kinds: faultKinds, seed: seed)
            .merging(faults) { _, explicit in explicit }
    }

    /// The profile of every device: `profile`, then the seeded `profileMix`, then `deviceProfiles`.
    public var profilePlan: [LabDeviceProfile] {
        var profiles = [LabDeviceProfile](repeating: profile, count: max(devices, 0))
        for (index, mixed) in LabDeviceProfile.plan(devices: devices, mix: profileMix, seed: seed) {
            profiles[index] = mixed
        }
        for (index, explicit) in deviceProfiles where profiles.indices.contains(index) { profiles[index] = explicit }
        return profiles
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
            if case .latency(let command, let banner) = fault, !Self.isSensible(command) || !Self.isSensible(banner) {
                throw LabError(field: "faults[\(index)]", reason: "latency delays must be 0...3600 s")
            }
        }
        try Self.check(profile, field: "profile")
        var total = 0.0
        for (number, share) in profileMix.enumerated() {
            guard (0...1).contains(share.fraction) else {
                throw LabError(
                    field: "profileMix[\(number)].fraction", reason: "must be between 0 and 1, got \(share.fraction)")
            }
            total += share.fraction
            try Self.check(share.profile, field: "profileMix[\(number)].profile")
        }
        guard total <= 1.000_001 else {
            throw LabError(field: "profileMix", reason: "fractions add up to \(total), more than 1")
        }
        for (index, profile) in deviceProfiles {
            guard (0..<devices).contains(index) else {
                throw LabError(
                    field: "deviceProfiles[\(index)]", reason: "no device with index \(index) (0..<\(devices))")
            }
            try Self.check(profile, field: "deviceProfiles[\(index)]")
        }
        guard (1...4096).contains(rsaKeyPool) else {
            throw LabError(field: "rsaKeyPool", reason: "must be 1...4096, got \(rsaKeyPool)")
        }
        guard (1...64).contains(maxChannelsPerSession) else {
            throw LabError(field: "maxChannelsPerSession", reason: "must be 1...64, got \(maxChannelsPerSession)")
        }
        guard Self.isSensible(loginTimeout), loginTimeout > .zero else {
            throw LabError(field: "loginTimeout", reason: "must be more than 0 and at most 3600 s")
        }
        guard Self.isSensible(idleTimeout), idleTimeout > .zero else {
            throw LabError(field: "idleTimeout", reason: "must be more than 0 and at most 3600 s")
        }
    }

    private static func isSensible(_ duration: Duration) -> Bool {
        duration >= .zero && duration <= .seconds(3600)
    }

    private static func check(_ profile: LabDeviceProfile, field: String) throws(LabError) {
        if profile.algorithms == .legacyOnly && profile.hostKey != .rsa {
            throw LabError(field: field, reason: "legacy_only algorithms need an RSA host key (ssh-rsa)")
        }
        let latency = profile.latency
        for (name, value) in [
            ("roundTrip", latency.roundTrip), ("login", latency.login), ("command", latency.command),
            ("perLine", latency.perLine), ("boot", latency.boot),
        ] where !isSensible(value) {
            throw LabError(field: "\(field).latency.\(name)", reason: "must be 0...3600 s, got \(value)")
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
