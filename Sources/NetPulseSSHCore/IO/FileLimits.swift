internal import CNetPulseSSHCore

/// The process's open-descriptor limit.
public enum FileLimits {
    /// Raises the soft `RLIMIT_NOFILE` to the hard limit, so thousands of sessions can be open.
    ///
    /// - Returns: The soft limit in force afterwards.
    @discardableResult
    public static func raiseOpenFileLimit() -> UInt64 {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 0 }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { return UInt64(raised.rlim_cur) }
        }
        return UInt64(limit.rlim_cur)
    }

    /// The descriptors this process has open (from `/proc/self/fd`), for leak checks.
    public static func openDescriptors() -> Set<Int32> {
        guard let dir = opendir("/proc/self/fd") else { return [] }
        let own = dirfd(dir)
        defer { closedir(dir) }
        var result: Set<Int32> = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if let fd = Int32(name), fd != own { result.insert(fd) }
        }
        return result
    }

    /// The number of descriptors this process has open.
    public static func openDescriptorCount() -> Int { openDescriptors().count }
}
