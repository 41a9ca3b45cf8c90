import Foundation
import NetPulse
import NetPulseTesting
import SSHTestSupport
import Testing

/// Exactly-once accounting under every fault at once, on both stores.
@Suite("Scheduler suite: randomized exactly-once", .serialized, .timeLimit(.minutes(2)))
struct SchedulerRandomizedSuite {
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
        arguments: Backend.allCases, [42 as UInt64, 7])
    func randomized(_ backend: Backend, seed: UInt64) async throws {
        var random = SplitMix64(seed: seed)
        let hosts = SuiteRequest.hosts(2_000, prefix: "d")
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
        // Memory: 1,200 connections, 40 handshakes, 1,000 pinned sessions, 150 lanes. PostgreSQL: the same
        // 1,200 connections in two workers of 600, each with 75 round-robin lanes (so 525 connections for
        // pinned devices, busy or kept: the round-robin batch closes no kept session).
        let setup = StoreSetup(
            memory: StoreSetup.limits(open: 1_200, handshakes: 40, pinned: 1_000, lanes: 150), workers: 2,
            capacity: 600, lanes: 75)
        let timeout: [String: JSONValue] = ["execution_timeout": .number(0.2)]
        let behaviourOf = behaviours
        let pinnedHosts = Array(hosts[..<1_000])
        let roundRobinHosts = Array(hosts[1_000...])
        var cancelled: Set<Int> = []
        for _ in 0..<40 { cancelled.insert(Int.random(in: 0..<roundRobinHosts.count, using: &random)) }
        let sample = cancelled

        try await withSuiteStore(backend, drivers: suiteDrivers(driver), setup: setup, sessionsOf: [driver]) { store in
            let holdRequest = SuiteRequest(hosts: holders, strategy: .pinned)
            let expiringRequest = SuiteRequest(hosts: holders, strategy: .pinned, options: ["ttl": .number(1)])
            let pinnedRequest = SuiteRequest(hosts: pinnedHosts, strategy: .pinned, options: timeout)
            let roundRobinRequest = SuiteRequest(hosts: roundRobinHosts, strategy: .roundRobin, options: timeout)

            let hold = try await submit(store, holdRequest)
            let expiring = try await submit(store, expiringRequest)
            let pinned = try await submit(store, pinnedRequest)
            let roundRobin = try await submit(store, roundRobinRequest)
            // Cancel a random sample of round-robin jobs while the batch runs.
            for index in sample { _ = try await store.cancelJob(id: roundRobin.jobIDs[index]) }

            func check(_ outcome: Outcome, _ request: SuiteRequest, cancelledOK: Set<Int> = []) {
                for (index, entry) in outcome.results.enumerated() {
                    let expected = behaviourOf[request.hosts[index]]!.expected
                    if cancelledOK.contains(index) && entry.error?.kind == .cancelled { continue }
                    #expect(entry.error?.kind == expected, "\(entry.hostname): \(String(describing: entry.error))")
                }
            }
            check(try await collectChecked(store, pinned, pinnedRequest, within: .seconds(90)), pinnedRequest)
            let roundRobinResult = try await collectChecked(store, roundRobin, roundRobinRequest, within: .seconds(90))
            check(roundRobinResult, roundRobinRequest, cancelledOK: sample)
            #expect(roundRobinResult.results.count { $0.error?.kind == .cancelled } > 0)

            // Second pinned round on the same devices: sessions of some died while idle.
            for host in pinnedHosts where behaviourOf[host] == .dropsIdleSession { driver.killSessions(host: host) }
            let second = try await submit(store, pinnedRequest)
            let secondResult = try await collectChecked(store, second, pinnedRequest, within: .seconds(90))
            check(secondResult, pinnedRequest)
            // A dead idle session is never reused; live ones are.
            for (index, entry) in secondResult.results.enumerated() where entry.success {
                let host = pinnedRequest.hosts[index]
                if behaviourOf[host] == .dropsIdleSession { #expect(!entry.sessionReused, "\(host) reuse") }
            }
            let reused = secondResult.results.count { $0.sessionReused }
            #expect(reused > 400)

            let expiredResult = try await collectChecked(store, expiring, expiringRequest)
            #expect(expiredResult.results.allSatisfy { $0.error?.kind == .expired })
            #expect(try await store.cancelBatch(id: hold.batchID))
            let holdResult = try await collectChecked(store, hold, holdRequest)
            #expect(holdResult.results.allSatisfy { $0.error?.kind == .cancelled })

            let stats = try await store.storeStats()
            #expect(stats.runningJobs == 0)
            #expect(stats.queuedJobs == 0)
        }
        let stats = driver.stats
        #expect(stats.overlappingExecutions == 0)
        #expect(stats.peakOpenSessions <= 1_200)
        if backend == .memory { #expect(stats.peakConnectsInProgress <= 40) }
    }
}
