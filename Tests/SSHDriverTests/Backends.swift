import NetPulse
import NetPulseSSHCore
import NetPulseSSH2

/// One SSH backend under test. The driver suite is written once and runs for every entry of
/// ``Backends/all``, so the two backends stay at parity.
struct Backend: Sendable, CustomStringConvertible {
    /// The registered driver name (`libssh2`, `libssh`).
    var name: String
    /// Makes a driver with the given configuration.
    var makeDriver: @Sendable (SSHDriverConfiguration) -> any Driver

    var description: String { name }
}

enum Backends {
    /// Every backend the suite runs against. Each backend adds itself here.
    static let all: [Backend] = [
        Backend(name: "libssh2") { LibSSH2Driver(configuration: $0) },
        .libssh,
    ]
}
