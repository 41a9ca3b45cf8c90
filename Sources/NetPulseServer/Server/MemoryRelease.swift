import NetPulse
import ServiceLifecycle

#if canImport(Glibc)
    import Glibc
#endif

/// Gives memory back to the system once results are purged.
///
/// glibc's allocator keeps the pages of freed memory for the process: after a burst of batches and
/// their purge, the server's resident size stays at its peak although nothing is kept any more (seen
/// in `netpulse-api-bench memory`: the same plateau after every round, with one arena or eight). Every
/// `interval`, when the scheduler holds fewer batches than at the last look, this asks the allocator to
/// return its free pages (`malloc_trim`). Off the scheduler's paths; nothing happens while batches only
/// come in.
struct MemoryReleaseService: Service {
    let scheduler: Scheduler
    let interval: Duration

    func run() async throws {
        do {
            try await cancelWhenGracefulShutdown {
                var previous = 0
                while true {
                    try await Task.sleep(for: interval)
                    let batches = scheduler.stats.batches
                    if batches < previous { Allocator.releaseFreeMemory() }
                    previous = batches
                }
            }
        } catch is CancellationError {
            // Shutdown.
        }
    }
}

/// The process's allocator.
enum Allocator {
    /// Returns the allocator's free pages to the system, where the platform allows (glibc's
    /// `malloc_trim`, looked up at run time since no Swift module declares it); elsewhere nothing.
    static func releaseFreeMemory() {
        #if canImport(Glibc)
            if let trim { _ = trim(0) }
        #endif
    }

    #if canImport(Glibc)
        private typealias Trim = @convention(c) (Int) -> Int32
        private static let trim: Trim? = {
            guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_trim") else { return nil }
            return unsafeBitCast(symbol, to: Trim.self)
        }()
    #endif
}
