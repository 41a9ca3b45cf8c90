internal import CLibSSH

/// The libssh backend. (Foundation issue: only the link to libssh is here; the driver arrives with
/// its own issue and is not registered until then.)
public enum LibSSH {
    /// The version of the libssh library linked at run time, e.g. `"0.10.6/openssl/zlib"`.
    public static var libraryVersion: String {
        String(cString: ssh_version(0))
    }
}
