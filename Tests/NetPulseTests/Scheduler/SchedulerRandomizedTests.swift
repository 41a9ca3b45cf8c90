import NetPulse
import NetPulseTesting
import Testing

@Suite("Scheduler: randomized exactly-once", .timeLimit(.minutes(1)))
struct SchedulerRandomizedTests {
    enum Behaviour: CaseIterable {
        case ok, rejectsLine, refuses, rejectsCredentials, wrongHostKey, hangsOnConnect, hangsOnCommand, drops
        case dropsIdleSession

        var expected: NetPulseError.Kind? {
            switch self {
            case .ok, .dropsIdleSession: nil
            case .rejectsLine: .commandError
            case .refuses: .connectionRefused
            case .rejectsCredentials: .authentication
            case .wrongHostKey: .hostKeyMismatch
            case .hangsOnConnect, .hangsOnCommand: .timeout
            case .drops: .connectionLost
            }
        }
    }

    @Test(
        "2,000 devices, every failure kind, cancels and expiries: each device reported exactly once",
        arguments: [42 as UInt64, 7])
    func randomized(seed: UInt64) async throws {
        var random = SplitMix64(seed: seed)
        let hosts = SchedulerFixture.hosts(2_000, prefix: "d")
        var behaviours: [String: Behaviour] = [:]
        var scripts: [String: ScriptedDevice] = [:]
        for host in hosts {
            let roll = Int.random(in: 0..<100, using: &random)
            let behaviour: Behaviour =
                switch roll {
                case 0..<55: .ok
                case 55..<62: .rejectsLine
                case 62..<67: .refuses
                case 67..<72: .rejectsCredentials
                case 72..<77: .wrongHostKey
                case 77..<81: .hangsOnConnect
                case 81..<85: .hangsOnCommand
                case 85..<92: .drops
                default: .dropsIdleSession
                }
            behaviours[host] = behaviour
            scripts[host] =
                switch behaviour {
                case .ok, .dropsIdleSession: ScriptedDevice()
                case .rejectsLine: ScriptedDevice(rejectedLines: ["show \(host)": "% Invalid input detected"])
                case .refuses: ScriptedDevice(fault: .refuse)
                case .rejectsCredentials: ScriptedDevice(fault: .rejectCredentials)
                case .wrongHostKey: ScriptedDevice(fault: .hostKeyMismatch)
                case .hangsOnConnect: ScriptedDevice(fault: .hangOnConnect)
                case .hangsOnCommand: ScriptedDevice(fault: .hangOnCommand)
                case .drops: ScriptedDevice(fault: .dropAfter(lines: 0))
                }
        }
        // Devices that hold their queue (no execution timeout) so that a batch behind them expires.
        let holders = ["hold0", "hold1", "hold2"]
        for host in holders { scripts[host] = ScriptedDevice(fault: .hangOnCommand) }
        let driver = InMemoryDriver(devices: scripts, fallback: nil, recordsExecutions: false)
        let limits = SchedulerFixture.limits(open: 1_200, handshakes: 40, pinned: 1_000, lanes: 150)
        let timeout = BatchOptions(executionTimeout: .milliseconds(200))

        try await withScheduler(configuration: SchedulerFixture.configuration(driver, limits: limits)) { scheduler in
            let pinnedHosts = Array(hosts[..<1_000])
            let roundRobinHosts = Array(hosts[1_000...])
            let holdRequest = SchedulerFixture.request(hosts: holders, strategy: .pinned)
            let expiringRequest = SchedulerFixture.request(
                hosts: holders, strategy: .pinned, options: BatchOptions(ttl: .seconds(1)))
            let pinnedRequest = SchedulerFixture.request(hosts: pinnedHosts, strategy: .pinned, options: timeout)
            let roundRobinRequest = SchedulerFixture.request(hosts: roundRobinHosts, strategy: .roundRobin, options: timeout)

            let hold = try scheduler.submit(holdRequest)
            let expiring = try scheduler.submit(expiringRequest)
            let pinned = try scheduler.submit(pinnedRequest)
            let roundRobin = try scheduler.submit(roundRobinRequest)
            // Cancel a random sample of round-robin jobs while the batch runs.
            var cancelled: Set<Int> = []
            for _ in 0..<40 { cancelled.insert(Int.random(in: 0..<roundRobinHosts.count, using: &random)) }
            for index in cancelled { roundRobin.cancel(jobID: roundRobin.jobIDs[index]) }

            func check(_ result: BatchResult, _ request: BatchRequest, cancelledOK: Set<Int> = []) {
                for (index, entry) in result.results.enumerated() {
                    let expected = behaviours[request.devices[index].host]!.expected
                    if cancelledOK.contains(index) && entry.error?.kind == .cancelled { continue }
                    #expect(entry.error?.kind == expected, "\(entry.hostname): \(String(describing: entry.error))")
                }
            }
            check(await collectChecked(pinned, pinnedRequest), pinnedRequest)
            let roundRobinResult = await collectChecked(roundRobin, roundRobinRequest)
            check(roundRobinResult, roundRobinRequest, cancelledOK: cancelled)
            #expect(roundRobinResult.results.count { $0.error?.kind == .cancelled } > 0)

            // Second pinned round on the same devices: sessions of some died while idle.
            for host in pinnedHosts where behaviours[host] == .dropsIdleSession { driver.killSessions(host: host) }
            let second = try scheduler.submit(pinnedRequest)
            let secondResult = await collectChecked(second, pinnedRequest)
            check(secondResult, pinnedRequest)
            // A dead idle session is never reused; live ones are, unless the LRU cap evicted them.
            for (index, entry) in secondResult.results.enumerated() where entry.success {
                let host = pinnedRequest.devices[index].host
                if behaviours[host] == .dropsIdleSession { #expect(!entry.sessionReused, "\(host) reuse") }
            }
            #expect(secondResult.results.count { $0.sessionReused } > 400)

            let expiredResult = await collectChecked(expiring, expiringRequest)
            #expect(expiredResult.results.allSatisfy { $0.error?.kind == .expired })
            hold.cancel()
            let holdResult = await collectChecked(hold, holdRequest)
            #expect(holdResult.results.allSatisfy { $0.error?.kind == .cancelled })

            let stats = scheduler.stats
            #expect(stats.runningJobs == 0)
            #expect(stats.queuedJobs == 0)
        }
        let stats = driver.stats
        #expect(stats.openSessions == 0)
        #expect(stats.overlappingExecutions == 0)
        #expect(stats.peakOpenSessions <= 1_200)
        #expect(stats.peakConnectsInProgress <= 40)
    }
}
