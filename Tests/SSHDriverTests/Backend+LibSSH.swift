import NetPulse
import NetPulseSSHCore
import NetPulseSSH

extension Backend {
    /// The libssh driver (`NetPulseSSH`).
    static let libssh = Backend(name: LibSSHDriver.name) { LibSSHDriver(configuration: $0) }
}
