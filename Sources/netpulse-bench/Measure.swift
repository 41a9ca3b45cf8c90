#if canImport(Glibc)
    import Glibc
#endif

/// Process figures read from the kernel: CPU time and memory of this process, CPU time of another.
enum ProcessFigures {
    /// User + system CPU time of this process, in seconds.
    static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }

    /// Peak resident set size of this process so far, in KiB.
    static func peakResidentKiB() -> Int {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Int(usage.ru_maxrss)
    }

    /// Current resident set size of this process, in KiB (`/proc/self/statm`).
    static func residentKiB() -> Int {
        guard let text = readFile("/proc/self/statm") else { return 0 }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE))) / 1024
    }

    /// User + system CPU time of process `pid` in seconds (`/proc/PID/stat`), or `nil` if unreadable.
    static func cpuSeconds(ofProcess pid: Int) -> Double? {
        guard let text = readFile("/proc/\(pid)/stat"), let close = text.lastIndex(of: ")") else { return nil }
        // Fields after the command name: state is field 3; utime and stime are fields 14 and 15.
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    private static func seconds(_ value: timeval) -> Double {
        Double(value.tv_sec) + Double(value.tv_usec) / 1e6
    }

    private static func readFile(_ path: String) -> String? {
        guard let file = fopen(path, "r") else { return nil }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = fread(&buffer, 1, buffer.count, file)
            if count <= 0 { break }
            bytes.append(contentsOf: buffer[0..<count])
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// Wall time, CPU time and the lab's CPU time over one measured region.
struct Region {
    private let startWall = ContinuousClock.now
    private let startCPU = ProcessFigures.cpuSeconds()
    private let labPID: Int?
    private let startLabCPU: Double?

    init(labPID: Int?) {
        self.labPID = labPID
        startLabCPU = labPID.flatMap { ProcessFigures.cpuSeconds(ofProcess: $0) }
    }

    struct Figures {
        var wall: Double
        var cpu: Double
        var labCPU: Double?
    }

    func end() -> Figures {
        let wall = ContinuousClock.now - startWall
        let labCPU: Double? =
            if let labPID, let startLabCPU, let now = ProcessFigures.cpuSeconds(ofProcess: labPID) {
                now - startLabCPU
            } else {
                nil
            }
        return Figures(wall: wall.seconds, cpu: ProcessFigures.cpuSeconds() - startCPU, labCPU: labCPU)
    }
}

extension Duration {
    var seconds: Double {
        let (whole, fraction) = components
        return Double(whole) + Double(fraction) / 1e18
    }
}

/// The `q` quantile (0...1) of `values`, nearest rank; 0 for none.
func quantile(_ values: [Double], _ q: Double) -> Double {
    guard !values.isEmpty else { return 0 }
    let sorted = values.sorted()
    let rank = Int((q * Double(sorted.count)).rounded(.up)) - 1
    return sorted[min(max(rank, 0), sorted.count - 1)]
}
