internal import CLibSSH2

/// The libssh2 backend: ``LibSSH2Driver`` and facts about the linked library.
public enum LibSSH2 {
    /// The version of the libssh2 library linked at run time, e.g. `"1.10.0"`.
    public static var libraryVersion: String {
        libssh2_version(0).map { String(cString: $0) } ?? "unknown"
    }

    /// `libssh2_init` is not thread-safe; Swift runs a global's initializer exactly once.
    private static let initialized: Bool = libssh2_init(0) == 0

    static func initializeOnce() {
        precondition(initialized, "libssh2_init failed")
    }
}
