extension SchedulerCore {
    /// The outcome with each command's records, when the job's batch asked for `parsing`. Runs on the
    /// job's task, outside the lock; a parse failure fails the job with its typed error and keeps the
    /// raw output.
    func parsed(_ outcome: ExecutionOutcome, job: Assignment) -> ExecutionOutcome {
        guard let spec = job.batch.parsing else { return outcome }
        var outcome = outcome
        let platform = job.spec.target.platform
        guard let parser = configuration.parser else {
            // `submit` refuses such a batch; kept as a typed error rather than a silent skip.
            if outcome.error == nil { outcome.error = .parsingError("no output parser is configured") }
            return outcome
        }
        let profile = job.batch.profile(for: platform, in: configuration.platforms)
        outcome.parse(with: parser, spec: spec, platform: platform) { message in
            profile?.redacted(message) ?? message
        }
        return outcome
    }
}
