internal import CLibSSH2
import NetPulseSSHCore

/// The libssh2 backend: ``LibSSH2Driver`` and facts about the linked library.
public enum LibSSH2 {
    /// The version of the libssh2 library linked at run time, e.g. `"1.10.0"`.
    public static var libraryVersion: String {
        libssh2_version(0).map { String(cString: $0) } ?? "unknown"
    }

    /// `libssh2_init` is not thread-safe; Swift runs a global's initializer exactly once. The
    /// open-file limit is raised at the same time, for configurations with a loop of their own.
    private static let initialized: Bool = {
        FileLimits.raiseOpenFileLimit()
        return libssh2_init(0) == 0
    }()

    static func initializeOnce() {
        precondition(initialized, "libssh2_init failed")
    }
}
