public import NetPulse

#if canImport(FoundationEssentials)
    import FoundationEssentials
#endif
import Foundation
import Synchronization

/// A running lab: many emulated devices on loopback, served over real SSH by one event-loop thread.
///
/// Get one with ``withLab(_:_:)``; it stops when the closure returns.
public final class Lab: Sendable {
    /// The devices, by index.
    public let devices: [LabDevice]
    /// The known_hosts file holding every device's host key.
    public let knownHostsFile: String
    /// The folder holding host keys and the known_hosts file.
    public let folder: String
    /// The inventory file, if the configuration asked for one.
    public let inventoryFile: String?
    /// The inventory: a NetPulse batch request skeleton (no `command`/`config` yet), as JSON.
    public let inventoryJSON: String
    /// Time taken to bind every device and create (or load) its host key.
    public let startupTime: Duration
    private let handle: LabLoopHandle

    init(
        devices: [LabDevice], knownHostsFile: String, folder: String, inventoryFile: String?, inventoryJSON: String,
        startupTime: Duration, handle: LabLoopHandle
    ) {
        self.devices = devices
        self.knownHostsFile = knownHostsFile
        self.folder = folder
        self.inventoryFile = inventoryFile
        self.inventoryJSON = inventoryJSON
        self.startupTime = startupTime
        self.handle = handle
    }

    /// The devices with a fault.
    public var faultyDevices: [LabDevice] { devices.filter { $0.fault != nil } }

    /// The first device of a platform without a fault, if any.
    public func device(_ platform: LabPlatform) -> LabDevice? {
        devices.first { $0.platform == platform && $0.fault == nil }
    }

    /// Counters and the event loop's CPU time so far.
    public func statistics() -> LabStatistics {
        handle.statistics.withLock { $0 }
    }

    /// Waits until the statistics satisfy `condition` (checked each time the loop publishes them), or
    /// until `limit` has passed.
    ///
    /// - Parameters:
    ///   - limit: The longest wait.
    ///   - condition: What to wait for.
    /// - Returns: The statistics when the condition held, or the latest ones at the deadline.
    public func statistics(
        waitingUpTo limit: Duration, until condition: @escaping @Sendable (LabStatistics) -> Bool
    ) async -> LabStatistics {
        await handle.statistics(until: .now + limit, where: condition)
    }

    /// Stops serving and frees every session. Called by ``withLab(_:_:)``.
    func stop() async {
        await handle.stop()
        close(handle.wakeFD)
    }
}

/// Starts a lab, runs `body` with it, and stops it (every session closed, every port released) when
/// `body` returns or throws.
///
/// - Parameters:
///   - configuration: What to start.
///   - body: Work with the running lab.
/// - Returns: What `body` returns.
/// - Throws: ``LabError`` if the configuration is invalid or a device cannot start; `body`'s error.
public func withLab<Result: Sendable>(
    _ configuration: LabConfiguration,
    _ body: (Lab) async throws -> Result
) async throws -> Result {
    let lab = try await Lab.start(configuration)
    do {
        let result = try await body(lab)
        await lab.stop()
        try? lab.removeTemporaryFolder(configuration)
        return result
    } catch {
        await lab.stop()
        try? lab.removeTemporaryFolder(configuration)
        throw error
    }
}

extension Lab {
    static func start(_ configuration: LabConfiguration) async throws(LabError) -> Lab {
        try configuration.validate()
        let started = ContinuousClock.now
        let files = FileManager.default
        let folder: String
        if let given = configuration.folder {
            folder = given
        } else {
            folder = NSTemporaryDirectory() + "netpulse-lab-" + UUID().uuidString
        }
        let keys = folder + "/hostkeys"
        do {
            try files.createDirectory(atPath: keys, withIntermediateDirectories: true)
        } catch {
            throw LabError(field: "folder", reason: "cannot create \(keys): \(error.localizedDescription)")
        }
        var authorized = configuration.authorizedKeys
        if let file = configuration.authorizedKeysFile {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
                throw LabError(field: "authorizedKeysFile", reason: "cannot read \(file)")
            }
            authorized += text.split(separator: "\n").map(String.init)
        }
        let faults = configuration.faultPlan
        let profiles = configuration.profilePlan
        let persist = configuration.folder != nil
        let plan = LabServerPlan(
            devices: (0..<configuration.devices).map { index in
                LabServerPlan.Device(
                    index: index,
                    platform: configuration.platforms[index % configuration.platforms.count],
                    fault: faults[index],
                    profile: profiles[index],
                    port: configuration.basePort.map { $0 + index } ?? 0,
                    hostKeyPath: persist ? "\(keys)/device-\(index).key" : nil)
            },
            bindAddress: configuration.bindAddress,
            username: configuration.username,
            password: configuration.password.revealed,
            enableSecret: configuration.enableSecret.revealed,
            authorizedKeys: authorized,
            loginTimeout: configuration.loginTimeout,
            idleTimeout: configuration.idleTimeout,
            maxChannelsPerSession: configuration.maxChannelsPerSession,
            rsaKeyPool: configuration.rsaKeyPool,
            keyCacheFolder: configuration.keyCacheFolder,
            seed: configuration.seed,
            logger: configuration.logger)
        let (handle, started_, _) = try await startLabServer(plan: plan)
        let devices = started_.map { device in
            let platform = plan.devices[device.index].platform
            return LabDevice(
                index: device.index,
                host: configuration.bindAddress,
                port: device.port,
                platform: platform,
                hostname: "\(platform.hostnamePrefix)\(device.index + 1)",
                username: configuration.username,
                password: configuration.password,
                enableSecret: configuration.enableSecret,
                hostKey: device.hostKey,
                hostKeyFingerprint: device.fingerprint,
                fault: faults[device.index],
                profile: profiles[device.index])
        }
        let knownHosts = folder + "/known_hosts"
        let inventory = Inventory.request(devices: devices, driver: configuration.driver, knownHostsFile: knownHosts)
        do {
            try devices.map(\.knownHostsLine).joined(separator: "\n").appending("\n")
                .write(toFile: knownHosts, atomically: true, encoding: .utf8)
            if let file = configuration.inventoryFile {
                try inventory.write(toFile: file, atomically: true, encoding: .utf8)
                try Inventory.faults(devices: devices).write(
                    toFile: file + ".faults.json", atomically: true, encoding: .utf8)
            }
        } catch {
            await handle.stop()
            close(handle.wakeFD)
            throw LabError(field: "inventoryFile", reason: "cannot write: \(error.localizedDescription)")
        }
        return Lab(
            devices: devices, knownHostsFile: knownHosts, folder: folder, inventoryFile: configuration.inventoryFile,
            inventoryJSON: inventory, startupTime: ContinuousClock.now - started, handle: handle)
    }

    func removeTemporaryFolder(_ configuration: LabConfiguration) throws {
        guard configuration.folder == nil else { return }
        try FileManager.default.removeItem(atPath: folder)
    }
}
