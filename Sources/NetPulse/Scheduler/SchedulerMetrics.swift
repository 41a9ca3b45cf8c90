import Metrics

/// The scheduler's metrics, created once (a metric per job would cost an allocation each).
/// Dimensions are fixed words: no host, user or secret ever reaches a label.
struct SchedulerMetrics: Sendable {
    let finished = Counter(label: "netpulse_jobs_total", dimensions: [("status", "finished")])
    let failed = Counter(label: "netpulse_jobs_total", dimensions: [("status", "failed")])
    let cancelled = Counter(label: "netpulse_jobs_total", dimensions: [("status", "cancelled")])
    let expired = Counter(label: "netpulse_jobs_total", dimensions: [("status", "expired")])
    let submittedBatches = Counter(label: "netpulse_batches_total")
    let refusedBatches = Counter(label: "netpulse_batches_refused_total")
    let connects = Counter(label: "netpulse_connects_total", dimensions: [("outcome", "ok")])
    let failedConnects = Counter(label: "netpulse_connects_total", dimensions: [("outcome", "failed")])
    let reusedSessions = Counter(label: "netpulse_sessions_reused_total")
    let replacedSessions = Counter(label: "netpulse_sessions_replaced_total")
    let idleClosed = Counter(label: "netpulse_sessions_closed_total", dimensions: [("reason", "idle")])
    let evicted = Counter(label: "netpulse_sessions_closed_total", dimensions: [("reason", "lru")])
    let jobDuration = Metrics.Timer(label: "netpulse_job_duration")
    let openConnections = Gauge(label: "netpulse_open_connections")
    let runningJobs = Gauge(label: "netpulse_running_jobs")
    let queuedJobs = Gauge(label: "netpulse_queued_jobs")

    func record(_ counts: FinalCounts) {
        if counts.finished > 0 { finished.increment(by: counts.finished) }
        if counts.failed > 0 { failed.increment(by: counts.failed) }
        if counts.cancelled > 0 { cancelled.increment(by: counts.cancelled) }
        if counts.expired > 0 { expired.increment(by: counts.expired) }
    }
}
