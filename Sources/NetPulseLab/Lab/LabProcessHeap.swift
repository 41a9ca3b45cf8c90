#if canImport(Glibc)
    import Glibc
#endif

/// Process-wide memory setting for a process whose main work is a lab.
public enum LabProcessHeap {
    /// Makes the heap grow in 64 MiB steps rather than one `mprotect` per 128 KiB: sessions come and go
    /// by the thousand, and small steps cost about 5% of the lab's CPU per login at 1,000 sessions.
    ///
    /// It sets glibc's `M_TOP_PAD` (`mallopt(-2, 64 MiB)`) for the whole process, so call it only from an
    /// executable that serves a lab (`netpulse lab`, `netpulse-lab-bench lab`), never from a library.
    /// `mallopt` is not in Swift's Glibc module: it is looked up at run time, and without it (another C
    /// library) nothing changes.
    public static func growInLargeSteps() {
        #if canImport(Glibc)
            guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return }
            typealias MallOpt = @convention(c) (Int32, Int32) -> Int32
            _ = unsafeBitCast(symbol, to: MallOpt.self)(-2, 64 << 20)
        #endif
    }
}
