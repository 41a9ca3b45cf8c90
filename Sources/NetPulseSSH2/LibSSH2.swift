internal import CLibSSH2

/// The libssh2 backend. (Foundation issue: only the link to libssh2 is here; the driver arrives
/// with its own issue and is not registered until then.)
public enum LibSSH2 {
    /// The version of the libssh2 library linked at run time, e.g. `"1.10.0"`.
    public static var libraryVersion: String {
        libssh2_version(0).map { String(cString: $0) } ?? "unknown"
    }
}
