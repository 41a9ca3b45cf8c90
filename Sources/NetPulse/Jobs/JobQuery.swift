/// What ``Scheduler/jobs(_:)`` lists: a filter, a page size, and where the previous page ended.
public struct JobQuery: Sendable, Hashable {
    /// The most jobs looked at to build one page, so the scheduler's lock is held briefly whatever the
    /// filter; a selective filter may then return a short page with a ``JobPage/next``.
    public static let scanLimit = 100_000

    /// Only jobs with one of these statuses; `nil` for all.
    public var statuses: Set<JobStatus>?
    /// Only jobs on this host; `nil` for all.
    public var host: String?
    /// Only jobs of this batch; `nil` for all.
    public var batchID: String?
    /// The most jobs in the page; at least 1.
    public var limit: Int
    /// ``JobPage/next`` of the previous page; `nil` for the first page.
    public var cursor: String?

    /// - Parameters:
    ///   - status: Only jobs with this status (set ``statuses`` for several); `nil` for all.
    ///   - host: Only jobs on this host; `nil` for all.
    ///   - batchID: Only jobs of this batch; `nil` for all.
    ///   - limit: The most jobs in the page; at least 1.
    ///   - cursor: ``JobPage/next`` of the previous page; `nil` for the first page.
    public init(
        status: JobStatus? = nil, host: String? = nil, batchID: String? = nil, limit: Int = 1_000,
        cursor: String? = nil
    ) {
        self.statuses = status.map { [$0] }
        self.host = host
        self.batchID = batchID
        self.limit = limit
        self.cursor = cursor
    }

    /// A cursor: the batch's submission sequence and the job's index, `SEQUENCE-INDEX`.
    static func cursor(sequence: UInt64, index: Int) -> String { "\(sequence)-\(index)" }

    static func parse(_ cursor: String) -> (sequence: UInt64, index: Int)? {
        let parts = cursor.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, parts.allSatisfy({ !$0.isEmpty && $0.count <= 20 && $0.allSatisfy(\.isNumber) }),
            let sequence = UInt64(parts[0]), let index = Int(parts[1])
        else { return nil }
        return (sequence, index)
    }
}

/// One page of jobs.
public struct JobPage: Sendable, Hashable {
    /// Matching jobs, in submission order of their batches and request order within a batch.
    public var jobs: [JobInfo]
    /// The cursor of the next page; `nil` when every matching job was listed.
    public var next: String?

    public init(jobs: [JobInfo], next: String?) {
        self.jobs = jobs
        self.next = next
    }
}

extension SchedulerState {
    /// Builds one page under the lock, looking at no more than ``JobQuery/scanLimit`` jobs.
    func jobPage(_ query: JobQuery, from start: (sequence: UInt64, index: Int)) -> JobPage {
        var found: [JobInfo] = []
        var scanned = 0
        let candidates: ArraySlice<BatchRecord>
        if let batchID = query.batchID {
            guard let batch = batches[batchID], batch.sequence >= start.sequence else {
                return JobPage(jobs: [], next: nil)
            }
            candidates = [batch][...]
        } else {
            // Batches are in submission order: find the cursor's batch by binary search.
            var low = 0
            var high = batchOrder.count
            while low < high {
                let middle = (low + high) / 2
                if batchOrder[middle].sequence < start.sequence { low = middle + 1 } else { high = middle }
            }
            candidates = batchOrder[low...]
        }
        for batch in candidates where batch.purgedCount < batch.total {
            var index = batch.sequence == start.sequence ? max(0, start.index) : 0
            while index < batch.total {
                if found.count == query.limit || scanned == JobQuery.scanLimit {
                    return JobPage(jobs: found, next: JobQuery.cursor(sequence: batch.sequence, index: index))
                }
                scanned += 1
                defer { index += 1 }
                let slot = batch.slots[index]
                if let statuses = query.statuses, !statuses.contains(slot.status) { continue }
                // The host is compared before a view is built: most scanned jobs do not match.
                if let host = query.host, (slot.spec?.target.host ?? slot.result?.hostname) != host { continue }
                guard let info = batch.info(index) else { continue }
                found.append(info)
            }
        }
        return JobPage(jobs: found, next: nil)
    }
}
