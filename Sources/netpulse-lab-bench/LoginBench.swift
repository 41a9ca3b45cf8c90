import CLibSSH
import Foundation

/// Lab CPU per login and per command and memory per session: S sessions opened one at a time with a
/// blocking libssh client (TCP_NODELAY, strict host-key check, password, pty shell), all held open, then
/// C commands on each.
///
/// `--lab-binary bench` serves the lab from this executable (its `lab` mode) instead of `netpulse`.
/// `--lab-prefix` runs the lab under another command (valgrind); `--phase-hook` is run with `ready`,
/// `logins` and `commands` and the lab's PID at the end of each phase (scripts/bench/lab-callgrind.sh
/// dumps callgrind's counts there).
func loginBench(_ arguments: Arguments) {
    let devices = arguments.int("--devices", 1000, in: 1...20_000)
    let sessions = arguments.int("--sessions", 1000, in: 1...20_000)
    let commands = arguments.int("--commands", 10, in: 0...10_000)
    let platform = arguments.string("--platform", "linux")
    let profile = arguments.string("--profile", "modern")
    let prefix = arguments.string("--lab-prefix", "").split(separator: " ").map(String.init)
    let hook = PhaseHook(arguments.string("--phase-hook", ""))
    let labBinary = arguments.string("--lab-binary", "netpulse", oneOf: ["netpulse", "bench"])
    print("load average at start: \(loadAverage())")
    print("platform \(platform), profile \(profile) (host key and algorithms of every device)")
    let lab: LabProcess
    do {
        lab = try LabProcess(
            arguments: ["--devices", String(devices), "--platforms", platform, "--profile", profile], prefix: prefix,
            selfServed: labBinary == "bench")
    } catch {
        fail("cannot start the lab: \(error)")
    }
    print("lab: \(lab.readyLine)")
    print(String(format: "lab ready %.3f s after launch", lab.readyAfter))
    guard let data = FileManager.default.contents(atPath: lab.inventory),
        let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
        let entries = json["devices"] as? [[String: Any]],
        let knownHosts = (json["connection_args"] as? [String: Any])?["known_hosts_file"] as? String
    else { fail("cannot read the inventory \(lab.inventory)") }
    let ports = entries.compactMap { $0["port"] as? Int }

    ssh_init()
    hook.run("ready", lab: lab)
    let idle = lab.usage
    var clients: [LoginClient] = []
    clients.reserveCapacity(sessions)
    let loginStart = Date()
    for index in 0..<sessions {
        do {
            let client = try LoginClient(port: ports[index % ports.count], knownHosts: knownHosts, password: "admin")
            _ = try client.readPrompt()
            if platform != "linux" {
                let pagingOff =
                    switch platform {
                    case "juniper_junos": "set cli screen-length 0\n"
                    case "huawei": "screen-length 0 temporary\n"
                    case "hp_comware": "screen-length disable\n"
                    default: "terminal length 0\n"
                    }
                try client.send(pagingOff)
                _ = try client.readPrompt()
            }
            clients.append(client)
        } catch {
            fail("session \(index): \(error)")
        }
    }
    let loginWall = Date().timeIntervalSince(loginStart)
    let afterLogin = lab.usage
    hook.run("logins", lab: lab)
    let loginCPU = afterLogin.cpu - idle.cpu
    print(
        String(
            format:
                "logins: %d sessions held open in %.2f s wall; lab CPU %.3f s = %.3f ms per login (incl. shell start%@; goal ≤ 0.8 ms)",
            sessions, loginWall, loginCPU, loginCPU * 1000 / Double(sessions),
            platform == "linux" ? "" : " and paging off"))
    print(
        String(
            format: "memory: lab RSS %d kB idle with %d devices, %d kB with %d sessions = %.1f kB per session",
            idle.rssKB, devices, afterLogin.rssKB, sessions, Double(afterLogin.rssKB - idle.rssKB) / Double(sessions)))

    let command =
        platform == "linux"
        ? "echo x\n" : (platform == "huawei" || platform == "hp_comware" ? "display clock\n" : "show clock\n")
    let commandStart = Date()
    for round in 0..<commands {
        for (index, client) in clients.enumerated() {
            do {
                try client.send(command)
                _ = try client.readPrompt()
            } catch {
                fail("session \(index) command \(round): \(error)")
            }
        }
    }
    let commandWall = Date().timeIntervalSince(commandStart)
    let afterCommands = lab.usage
    if commands > 0 { hook.run("commands", lab: lab) }
    let total = sessions * commands
    if total > 0 {
        let cpu = afterCommands.cpu - afterLogin.cpu
        print(
            String(
                format:
                    "commands: %d (%@) in %.2f s wall, one at a time; lab CPU %.3f s = %.1f µs per command (goal ≤ 100 µs)",
                total, command.trimmingCharacters(in: .newlines), commandWall, cpu, cpu * 1_000_000 / Double(total)))
    }
    clients.removeAll()
    lab.stop()
    print("load average at end: \(loadAverage())")
}
