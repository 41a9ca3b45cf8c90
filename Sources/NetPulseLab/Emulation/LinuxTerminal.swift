/// A small emulated Linux shell: a pty prompt `user@host:~$ ` and `exec` with stdout, stderr and exit
/// status.
final class LinuxTerminal: Terminal {
    let device: DeviceState
    private var editor = LineEditor()
    /// Largest `seq N` accepted, to bound memory.
    static let maxSeq = 2_000_000

    init(device: DeviceState) {
        self.device = device
    }

    var prompt: String {
        device.username == "root"
            ? "root@\(device.running.hostname):~# " : "\(device.username)@\(device.running.hostname):~$ "
    }

    func start() -> [TerminalEvent] {
        let motd =
            "Linux \(device.running.hostname) \(device.version) #1 SMP PREEMPT_DYNAMIC Debian x86_64\r\n\r\n"
            + "The programs included with the Debian GNU/Linux system are free software.\r\n"
        return [.output(Array(motd + prompt), isCommand: false)]
    }

    func receive(_ bytes: [UInt8]) -> [TerminalEvent] {
        var events: [TerminalEvent] = []
        for byte in bytes {
            guard let step = editor.feed(byte, echo: true) else { continue }
            switch step {
            case .typed(let byte): events.appendEcho(byte)
            case .echo(let echo): events.appendEcho(echo)
            case .interrupt:
                events.appendEcho(Array("^C\r\n"))
                events.append(.output(Array(prompt), isCommand: false))
            case .line(let line):
                events.appendEcho([13, 10])
                let result = exec(line)
                if result.status >= 1000 {
                    events.append(.close)
                    return events
                }
                let text = String(decoding: result.stdout + result.stderr, as: UTF8.self)
                    .split(separator: "\n", omittingEmptySubsequences: false).joined(separator: "\r\n")
                events.append(.output(Array(text + prompt), isCommand: true))
            }
        }
        return events
    }

    /// Runs a command line (`a; b` runs both). A status of 1000 + N means `exit N`.
    func exec(_ command: String) -> ExecResult {
        var result = ExecResult(stdout: [], stderr: [], status: 0)
        for part in command.split(separator: ";") {
            let one = run(String(part).trimmingCharacters())
            result.stdout += one.stdout
            result.stderr += one.stderr
            result.status = one.status
            if one.status >= 1000 { break }
        }
        return result
    }

    private func run(_ line: String) -> ExecResult {
        var words = line.split(separator: " ").map(String.init)
        var toStderr = false
        if words.last == ">&2" || words.last == "1>&2" {
            words.removeLast()
            toStderr = true
        }
        guard let name = words.first else { return ExecResult(stdout: [], stderr: [], status: 0) }
        let arguments = Array(words.dropFirst())
        func out(_ text: String, status: Int = 0) -> ExecResult {
            toStderr
                ? ExecResult(stdout: [], stderr: Array(text), status: status)
                : ExecResult(stdout: Array(text), stderr: [], status: status)
        }
        func err(_ text: String, status: Int) -> ExecResult {
            ExecResult(stdout: [], stderr: Array(text), status: status)
        }
        let hostname = device.running.hostname
        switch name {
        case "echo": return out(arguments.joined(separator: " ") + "\n")
        case "true", ":": return out("")
        case "false": return out("", status: 1)
        case "hostname": return out(hostname + "\n")
        case "whoami": return out(device.username + "\n")
        case "pwd": return out(device.username == "root" ? "/root\n" : "/home/\(device.username)\n")
        case "uname":
            if arguments.contains("-a") {
                return out(
                    "Linux \(hostname) \(device.version) #1 SMP PREEMPT_DYNAMIC Debian \(device.version) "
                        + "x86_64 GNU/Linux\n"
                )
            }
            if arguments.contains("-r") { return out(device.version + "\n") }
            return out("Linux\n")
        case "cat" where arguments == ["/etc/os-release"]:
            return out(
                "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\n"
                    + "VERSION=\"12 (bookworm)\"\nVERSION_CODENAME=bookworm\nID=debian\n"
                    + "HOME_URL=\"https://www.debian.org/\"\n")
        case "cat" where arguments == ["/etc/hostname"]:
            return out(hostname + "\n")
        case "cat", "ls":
            let path = arguments.last ?? ""
            return err(
                "\(name): \(name == "ls" ? "cannot access '\(path)'" : path): No such file or directory\n",
                status: name == "ls" ? 2 : 1)
        case "uptime":
            return out(
                " 08:00:00 up \(device.uptime.split(separator: ",").first ?? ""),  1 user,  "
                    + "load average: 0.00, 0.01, 0.05\n"
            )
        case "seq":
            guard arguments.count == 1, let count = Int(arguments[0]), count >= 0, count <= Self.maxSeq else {
                return err("seq: invalid argument (0...\(Self.maxSeq))\n", status: 1)
            }
            var bytes: [UInt8] = []
            bytes.reserveCapacity(count * 8)
            for number in stride(from: 1, through: count, by: 1) {
                bytes += Array(String(number).utf8)
                bytes.append(10)
            }
            return toStderr
                ? ExecResult(stdout: [], stderr: bytes, status: 0) : ExecResult(stdout: bytes, stderr: [], status: 0)
        case "hostnamectl" where arguments.count == 2 && arguments[0] == "set-hostname":
            device.running.hostname = arguments[1]
            return out("")
        case "exit", "logout":
            let status = arguments.first.flatMap { Int($0) } ?? 0
            return ExecResult(stdout: [], stderr: [], status: 1000 + (status & 0xFF))
        default:
            return err("bash: \(name): command not found\n", status: 127)
        }
    }
}

extension String {
    func trimmingCharacters() -> String {
        var text = Substring(self)
        while text.first == " " || text.first == "\t" { text = text.dropFirst() }
        while text.last == " " || text.last == "\t" { text = text.dropLast() }
        return String(text)
    }
}
