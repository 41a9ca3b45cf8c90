import NetPulseLab
import Testing

@Suite("Device profiles: latency, host keys, algorithms, fleet mix")
struct ProfileTests {
    @Test func latencyParsesNamesAndPairs() throws {
        #expect(try LabLatency(parsing: "none") == .none)
        #expect(try LabLatency(parsing: "wan") == .wan)
        let custom = try LabLatency(parsing: "rtt=50ms,command=0.2s,line=2ms")
        #expect(custom.roundTrip == .milliseconds(50))
        #expect(custom.command == .milliseconds(200))
        #expect(custom.perLine == .milliseconds(2))
        #expect(custom.login == .zero && custom.boot == .zero)
        for bad in ["rtt=50", "rtt=-1ms", "speed=1ms", "rtt", "rtt=xms"] {
            #expect(throws: LabError.self, "\(bad)") { try LabLatency(parsing: bad) }
        }
        do {
            _ = try LabLatency(parsing: "speed=1ms")
        } catch {
            #expect(error.field == "latency")
            #expect(error.reason.contains("speed"))
        }
    }

    @Test func profilesCombine() throws {
        let legacyWAN = try LabDeviceProfile(parsing: "legacy+wan")
        #expect(legacyWAN.hostKey == .rsa && legacyWAN.algorithms == .legacyOnly && legacyWAN.latency == .wan)
        let rsaSlow = try LabDeviceProfile(parsing: "rsa+rtt=20ms")
        #expect(rsaSlow.hostKey == .rsa && rsaSlow.algorithms == .modern)
        #expect(rsaSlow.latency.roundTrip == .milliseconds(20))
        #expect(throws: LabError.self) { try LabDeviceProfile(parsing: "ancient") }
        #expect(try LabDeviceProfile(parsing: "ecdsa") == .ecdsa)
        let nist = try LabDeviceProfile(parsing: "ecdsa+nist+wan")
        #expect(nist.hostKey == .ecdsa && nist.algorithms == .nist && nist.latency == .wan)
        #expect(try LabDeviceProfile(parsing: "nist").hostKey == .ed25519)
        // Saying the same thing twice is fine; `legacy` is an RSA key with old algorithms.
        #expect(try LabDeviceProfile(parsing: "rsa+legacy") == .legacy)
    }

    /// Two parts choosing the host key (or the algorithms) differently, and empty or unknown parts, are
    /// refused with the `profile` field and both parts named.
    @Test func conflictingProfilePartsAreRefused() {
        let cases: [(String, String)] = [
            ("ecdsa+rsa", "'ecdsa' and 'rsa' choose different host keys"),
            ("ecdsa+legacy", "'ecdsa' and 'legacy' choose different host keys"),
            ("nist+legacy", "'nist' and 'legacy' choose different algorithms"),
            ("legacy+nist", "'legacy' and 'nist' choose different algorithms"),
            ("rsa++wan", "unknown profile ''"),
            ("ecdsa256", "unknown profile 'ecdsa256'; known: modern, rsa, ecdsa, nist, legacy, wan"),
        ]
        for (text, reason) in cases {
            do {
                let profile = try LabDeviceProfile(parsing: text)
                Issue.record("'\(text)' parsed as \(profile)")
            } catch {
                #expect(error.field == "profile", "\(text)")
                #expect(error.reason.contains(reason), "\(text): \(error)")
            }
        }
    }

    @Test func fleetMixIsSeededAndExplicitProfilesWin() {
        var configuration = LabConfiguration(
            devices: 1000, seed: 42, profileMix: [LabProfileShare(0.1, .legacy), LabProfileShare(0.2, .wan)],
            deviceProfiles: [0: .rsa])
        let plan = configuration.profilePlan
        #expect(plan.count == 1000)
        #expect(plan[0] == .rsa)
        let legacy = plan.filter { $0 == .legacy }.count
        let wan = plan.filter { $0 == .wan }.count
        #expect((99...100).contains(legacy) && (199...200).contains(wan))
        #expect(configuration.profilePlan == plan, "the same seed gives the same fleet")
        configuration.seed = 43
        #expect(configuration.profilePlan != plan)
    }

    @Test func badProfilesNameTheirField() {
        let cases: [(LabConfiguration, String)] = [
            (LabConfiguration(devices: 2, profile: LabDeviceProfile(algorithms: .legacyOnly)), "profile"),
            (
                LabConfiguration(
                    devices: 2, deviceProfiles: [1: LabDeviceProfile(hostKey: .ecdsa, algorithms: .legacyOnly)]),
                "deviceProfiles[1]"
            ),
            (
                LabConfiguration(devices: 2, profileMix: [LabProfileShare(0.7, .rsa), LabProfileShare(0.6, .wan)]),
                "profileMix"
            ),
            (LabConfiguration(devices: 2, profileMix: [LabProfileShare(1.5, .rsa)]), "profileMix[0].fraction"),
            (LabConfiguration(devices: 2, deviceProfiles: [5: .rsa]), "deviceProfiles[5]"),
            (LabConfiguration(devices: 2, rsaKeyPool: 0), "rsaKeyPool"),
            (LabConfiguration(devices: 2, maxChannelsPerSession: 0), "maxChannelsPerSession"),
            (
                LabConfiguration(devices: 2, profile: LabDeviceProfile(latency: LabLatency(command: .seconds(-1)))),
                "profile.latency.command"
            ),
        ]
        for (configuration, field) in cases {
            do {
                try configuration.validate()
                Issue.record("accepted a bad \(field)")
            } catch {
                #expect(error.field == field, "\(error)")
            }
        }
    }
}
