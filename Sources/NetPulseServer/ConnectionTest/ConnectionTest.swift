import Foundation
public import Logging
public import NetPulse

/// The outcome of a synchronous connection test of one device (`POST /device/test`): how far the
/// connection got, and how long it took.
public struct ConnectionTestReport: Sendable, Hashable, Encodable {
    public var host: String
    public var port: Int
    public var username: String
    public var deviceType: String
    public var driver: String
    /// TCP connected.
    public var reachable: Bool
    /// SSH key exchange, host key and login succeeded.
    public var authenticated: Bool
    /// The CLI's prompt was found (and enable mode entered where the platform needs it).
    public var promptFound: Bool
    public var success: Bool
    /// Seconds from the start of the test to its end.
    public var time: Double
    /// NetPulse's: seconds to connect and log in, when the test succeeded.
    public var latency: Double? { success ? time : nil }
    /// When the test ended (ISO 8601, UTC).
    public var timestamp: String
    public var error: NetPulseError?

    enum CodingKeys: String, CodingKey {
        case host, port, username, driver, reachable, authenticated, success, time, error, latency, timestamp
        case deviceType = "device_type"
        case promptFound = "prompt_found"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(host, forKey: .host)
        try container.encode(port, forKey: .port)
        try container.encode(username, forKey: .username)
        try container.encode(deviceType, forKey: .deviceType)
        try container.encode(driver, forKey: .driver)
        try container.encode(reachable, forKey: .reachable)
        try container.encode(authenticated, forKey: .authenticated)
        try container.encode(promptFound, forKey: .promptFound)
        try container.encode(success, forKey: .success)
        try container.encode(time, forKey: .time)
        try container.encodeIfPresent(latency, forKey: .latency)
        try container.encode(timestamp, forKey: .timestamp)
        try container.encodeIfPresent(error, forKey: .error)
    }
}

/// Opens a session on a device and closes it at once, like `netpulse test`.
public enum ConnectionTest {
    /// Tests one device.
    ///
    /// A driver's `connect` covers TCP, SSH, login and the first prompt; when it fails, the error's
    /// kind (and, for timeouts, whether the TCP connect or the CLI was being waited for) tells how
    /// far it got.
    ///
    /// - Parameters:
    ///   - target: The resolved device.
    ///   - driver: The driver to connect with.
    ///   - driverName: The driver's name, for the report.
    ///   - platform: The device's platform profile.
    ///   - limit: Upper bound of the device's connect and read timeouts for this test.
    ///   - logger: Where the driver logs.
    /// - Returns: The report; a failure is in the report, never thrown.
    public static func run(
        _ target: DeviceTarget,
        driver: any Driver,
        driverName: String,
        platform: PlatformProfile,
        limit: Duration,
        logger: Logger
    ) async -> ConnectionTestReport {
        var target = target
        target.connectTimeout = min(target.connectTimeout, limit)
        target.readTimeout = min(target.readTimeout, limit)
        let clock = ContinuousClock()
        let start = clock.now
        let context = DriverContext(platform: platform, logger: logger)
        let connectTarget = target
        // The driver's own deadlines (connect, then the first prompt) should end the test first.
        let safety = start + target.connectTimeout + target.readTimeout + .seconds(1)
        let outcome: NetPulseError?? = await withTaskGroup(of: NetPulseError??.self) { group in
            group.addTask {
                do {
                    let session = try await driver.connect(to: connectTarget, context: context)
                    await session.close()
                    return .some(nil)
                } catch {
                    return .some(NetPulseError(wrapping: error))
                }
            }
            group.addTask {
                // A deadline for drivers that do not keep their own, not a wait for an event.
                try? await clock.sleep(until: safety)
                return Task.isCancelled ? .none : .some(.timeout("the connection test did not finish in time"))
            }
            var first: NetPulseError?? = .none
            while let next = await group.next() {
                if case .some = next {
                    first = next
                    break
                }
            }
            group.cancelAll()
            return first
        }
        let elapsed = clock.now - start
        var report = ConnectionTestReport(
            host: target.host, port: target.port, username: target.username, deviceType: target.platform,
            driver: driverName, reachable: true, authenticated: true, promptFound: true, success: true,
            time: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18,
            timestamp: Date().formatted(.iso8601), error: nil)
        if case .some(.some(let error)) = outcome {
            report.success = false
            report.error = error
            report.promptFound = false
            let stage = Self.stage(of: error)
            report.reachable = stage != .tcp
            report.authenticated = stage == .cli
        }
        return report
    }

    enum Stage { case tcp, ssh, cli }

    /// How far a failed connect got, from its error.
    static func stage(of error: NetPulseError) -> Stage {
        switch error.kind {
        case .connectionRefused, .unreachable, .nameResolution:
            return .tcp
        case .timeout:
            if error.message.contains("TCP") || error.message.contains("connection test") { return .tcp }
            // The CLI engine's timeouts say what they were waiting for (a prompt, the enable secret).
            return error.message.contains("waiting for") || error.message.contains("enable") ? .cli : .ssh
        case .authentication:
            // Enable failures are reported as authentication by the CLI engine, after login.
            return error.message.contains("enable") ? .cli : .ssh
        case .hostKeyMismatch, .hostKeyUnknown, .protocolError:
            return .ssh
        default:
            return .cli
        }
    }
}
