import Metrics

/// The timings every session records through swift-metrics (histograms with a Prometheus backend),
/// labelled with the driver's name only: `netpulse_ssh_connect_duration` (TCP connect, handshake and
/// host-key check), `netpulse_ssh_auth_duration` (authentication) and `netpulse_ssh_command_duration`
/// (one job's commands, from the first sent to the last output read). Failed steps are not timed.
struct SSHSessionMetrics: Sendable {
    let connect: Metrics.Timer
    let authentication: Metrics.Timer
    let command: Metrics.Timer

    init(driver: String) {
        let dimensions = [("driver", driver)]
        connect = Metrics.Timer(label: "netpulse_ssh_connect_duration", dimensions: dimensions)
        authentication = Metrics.Timer(label: "netpulse_ssh_auth_duration", dimensions: dimensions)
        command = Metrics.Timer(label: "netpulse_ssh_command_duration", dimensions: dimensions)
    }

    /// Records the time since `start` on `timer`.
    static func record(_ timer: Metrics.Timer, since start: ContinuousClock.Instant) {
        let (seconds, attoseconds) = (ContinuousClock.now - start).components
        timer.recordNanoseconds(seconds &* 1_000_000_000 &+ attoseconds / 1_000_000_000)
    }
}
