import Foundation
import NetPulseLab
import SSHTestSupport
import Testing

@Suite("Many concurrent sessions")
struct ConcurrencyTests {
    /// The first prompt of every platform: `R1>`, `admin@mx1> `, `N1# `, `<HP1>`, `user@host:~$ `.
    static func endsWithPrompt(_ text: String) -> Bool {
        text.hasSuffix(">") || text.hasSuffix("> ") || text.hasSuffix("# ") || text.hasSuffix("$ ")
    }

    /// 200 OpenSSH clients hold interactive shells open at once on one lab (one event-loop thread).
    @Test func twoHundredConcurrentShells() async throws {
        let folder = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let key = try await makeClientKey(in: folder)
        let configuration = LabConfiguration(devices: 50, authorizedKeys: [key.publicLine])
        try await withLab(configuration) { lab in
            let sessions = 200
            var clients: [OpenSSHClient] = []
            for index in 0..<sessions {
                let device = lab.devices[index % lab.devices.count]
                clients.append(
                    try OpenSSHClient(
                        ["-tt"]
                            + OpenSSHClient.options(
                                for: device, knownHosts: lab.knownHostsFile, auth: OpenSSHClient.key(key.privateKey))))
            }
            defer { for client in clients { client.terminate() } }
            // One deadline for the whole test, so a failure cannot multiply waits.
            let deadline = ContinuousClock.now + .seconds(90)
            func remaining() -> Duration { max(.zero, deadline - ContinuousClock.now) }
            // Every client sees its first prompt; none has left.
            for client in clients {
                let prompted = await client.wait(upTo: remaining(), for: Self.endsWithPrompt)
                #expect(
                    prompted,
                    "no prompt: \(client.errorOutput) \(client.diagnosis) \(client.tail) lab: \(lab.statistics())")
            }
            // One round trip each while all are open.
            for (index, client) in clients.enumerated() {
                let device = lab.devices[index % lab.devices.count]
                let command =
                    switch device.platform {
                    case .linux: "echo ping-\(index)\n"
                    case .huawei, .hpComware: "display version\n"
                    default: "show version\n"
                    }
                client.send(command)
            }
            for (index, client) in clients.enumerated() {
                let device = lab.devices[index % lab.devices.count]
                let answered = await client.wait(upTo: remaining()) { text in
                    if device.platform == .linux { return text.contains("ping-\(index)\r\nadmin@") }
                    // The answer to `show version` ends with the next prompt.
                    guard let answer = text.components(separatedBy: " version\r\n").dropFirst().last else {
                        return false
                    }
                    return answer.count > 100 && Self.endsWithPrompt(answer)
                }
                #expect(answered)
            }
            let statistics = lab.statistics()
            #expect(statistics.activeSessions == sessions)
            #expect(statistics.logins == sessions)
            for (index, client) in clients.enumerated() {
                let vrp = [LabPlatform.huawei, .hpComware].contains(lab.devices[index % lab.devices.count].platform)
                client.send(vrp ? "quit\n" : "exit\n")
                let status = await client.exitStatus(within: remaining())
                #expect(
                    status == 0,
                    "\(lab.devices[index % lab.devices.count].platform): \(client.diagnosis) \(client.tail)"
                )
            }
        }
    }
}
