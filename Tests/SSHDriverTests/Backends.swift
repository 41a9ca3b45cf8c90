import NetPulse
import NetPulseSSHCore
import NetPulseSSH2

/// One SSH backend under test. The driver suite is written once and runs for every entry of
/// ``Backends/all``, so the two backends stay at parity.
struct Backend: Sendable, CustomStringConvertible {
    /// The registered driver name (`libssh2`, `libssh`).
    var name: String
    /// Whether its library has `rsa-sha2-256/512` host keys (libssh2 1.10 has not): a server whose
    /// only host key is RSA and that refuses SHA-1 signatures is out of reach without them.
    var negotiatesRSASHA2 = true
    /// Makes a driver with the given configuration.
    var makeDriver: @Sendable (SSHDriverConfiguration) -> any Driver

    var description: String { name }
}

enum Backends {
    /// Every backend the suite runs against. Each backend adds itself here.
    static let all: [Backend] = [
        Backend(name: "libssh2", negotiatesRSASHA2: false) { LibSSH2Driver(configuration: $0) },
        .libssh,
    ]
}
