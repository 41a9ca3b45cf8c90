// netpulse-lab-bench: measures NetPulseLab's CPU per login and per command and its memory per session.
//
// Starts `netpulse lab` as its own process (so its CPU and memory are read from /proc apart from the
// client's), opens S sessions with a blocking libssh client (TCP_NODELAY, strict host-key check
// against the lab's known_hosts, password, pty shell), holds them all open, runs C commands on each,
// and prints the lab's figures.
//
//   swift build -c release --product netpulse --product netpulse-lab-bench
//   .build/release/netpulse-lab-bench --devices 1000 --sessions 1000 --commands 10 --platform linux

import CLibSSH
import Foundation

struct Options {
    var devices = 1000
    var sessions = 1000
    var commands = 10
    var platform = "linux"

    init() {
        var arguments = CommandLine.arguments.dropFirst().makeIterator()
        while let name = arguments.next() {
            guard let value = arguments.next() else { fail("\(name) needs a value") }
            func number() -> Int {
                guard let number = Int(value) else { fail("\(name): not a number: \(value)") }
                return number
            }
            switch name {
            case "--devices": devices = number()
            case "--sessions": sessions = number()
            case "--commands": commands = number()
            case "--platform": platform = value
            default: fail("unknown option \(name); options: --devices, --sessions, --commands, --platform")
            }
        }
        guard (1...20_000).contains(devices), (1...20_000).contains(sessions), (0...10_000).contains(commands) else {
            fail("--devices and --sessions must be 1...20000, --commands 0...10000")
        }
    }
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("netpulse-lab-bench: \(message)\n".utf8))
    exit(1)
}

/// CPU seconds (user + system) and resident memory of a process, from /proc.
func usage(of pid: Int32) -> (cpu: Double, rssKB: Int) {
    let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
    let fields = stat.split(separator: ")").last?.split(separator: " ") ?? []
    // After the command name: state is field 0; utime and stime are fields 11 and 12.
    let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
    let cpu = fields.count > 12 ? (Double(fields[11]) ?? 0) / ticks + (Double(fields[12]) ?? 0) / ticks : 0
    let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
    let rss = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") }
        .flatMap { Int($0.split(separator: " ").dropFirst().first ?? "") } ?? 0
    return (cpu, rss)
}

/// One blocking libssh client session with a pty shell.
final class Client {
    let session: OpaquePointer
    var channel: OpaquePointer?
    var buffer = [CChar](repeating: 0, count: 65_536)

    init(port: Int, knownHosts: String, password: String) throws {
        guard let session = ssh_new() else { throw BenchError("ssh_new failed") }
        self.session = session
        var port = UInt32(port)
        var one: Int32 = 1
        ssh_options_set(session, SSH_OPTIONS_HOST, "127.0.0.1")
        ssh_options_set(session, SSH_OPTIONS_PORT, &port)
        ssh_options_set(session, SSH_OPTIONS_USER, "admin")
        ssh_options_set(session, SSH_OPTIONS_NODELAY, &one)
        ssh_options_set(session, SSH_OPTIONS_KNOWNHOSTS, knownHosts)
        ssh_options_set(session, SSH_OPTIONS_GLOBAL_KNOWNHOSTS, "/dev/null")
        var timeout = 30
        ssh_options_set(session, SSH_OPTIONS_TIMEOUT, &timeout)
        guard ssh_connect(session) == SSH_OK else { throw BenchError("connect: \(error)") }
        guard ssh_session_is_known_server(session) == SSH_KNOWN_HOSTS_OK else { throw BenchError("host key not known") }
        guard ssh_userauth_password(session, nil, password) == SSH_AUTH_SUCCESS.rawValue else {
            throw BenchError("auth: \(error)")
        }
        guard let channel = ssh_channel_new(session), ssh_channel_open_session(channel) == SSH_OK,
            ssh_channel_request_pty(channel) == SSH_OK, ssh_channel_request_shell(channel) == SSH_OK
        else { throw BenchError("shell: \(error)") }
        self.channel = channel
    }

    var error: String { String(cString: ssh_get_error(UnsafeMutableRawPointer(session))) }

    /// Reads until the output ends with a prompt.
    func readPrompt() throws -> String {
        var text = ""
        while !(text.hasSuffix("$ ") || text.hasSuffix(">") || text.hasSuffix("> ") || text.hasSuffix("#")) {
            let count = ssh_channel_read_timeout(channel, &buffer, UInt32(buffer.count), 0, 30_000)
            guard count > 0 else { throw BenchError("read: \(count) \(error)") }
            text += String(decoding: buffer[0..<Int(count)].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
        return text
    }

    func send(_ line: String) throws {
        let bytes = Array(line.utf8)
        guard ssh_channel_write(channel, bytes, UInt32(bytes.count)) == bytes.count else { throw BenchError("write") }
    }

    deinit {
        if let channel {
            ssh_channel_close(channel)
            ssh_channel_free(channel)
        }
        ssh_disconnect(session)
        ssh_free(session)
    }
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

let options = Options()
let folder = NSTemporaryDirectory() + "netpulse-lab-bench-\(getpid())"
let inventory = folder + "/inventory.json"
let labPath = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("netpulse").path
let lab = Process()
lab.executableURL = URL(fileURLWithPath: labPath)
lab.arguments = [
    "lab", "--devices", String(options.devices), "--platforms", options.platform, "--inventory", inventory,
    "--folder", folder,
]
let labOutput = Pipe()
lab.standardOutput = labOutput
try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
let launched = Date()
try lab.run()
var readyLine = ""
var pending = Data()
while readyLine.isEmpty {
    let data = labOutput.fileHandleForReading.availableData
    guard !data.isEmpty else { fail("the lab exited before it was ready") }
    pending += data
    for line in String(decoding: pending, as: UTF8.self).split(separator: "\n") where line.hasPrefix("ready:") {
        readyLine = String(line)
    }
}
let readyAfter = Date().timeIntervalSince(launched)
let pid = lab.processIdentifier
print("lab: \(readyLine)")
print(String(format: "lab ready %.3f s after launch", readyAfter))

let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: inventory))) as! [String: Any]
let ports = (json["devices"] as! [[String: Any]]).map { $0["port"] as! Int }
let knownHosts = (json["connection_args"] as! [String: Any])["known_hosts_file"] as! String

ssh_init()
let idle = usage(of: pid)
var clients: [Client] = []
clients.reserveCapacity(options.sessions)
let loginStart = Date()
for index in 0..<options.sessions {
    do {
        let client = try Client(port: ports[index % ports.count], knownHosts: knownHosts, password: "admin")
        _ = try client.readPrompt()
        if options.platform != "linux" {
            let pagingOff =
                switch options.platform {
                case "juniper_junos": "set cli screen-length 0\n"
                case "huawei": "screen-length 0 temporary\n"
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
let afterLogin = usage(of: pid)
let loginCPU = afterLogin.cpu - idle.cpu
print(
    String(
        format: "logins: %d sessions held open in %.2f s wall; lab CPU %.3f s = %.3f ms per login (incl. shell start%@)",
        options.sessions, loginWall, loginCPU, loginCPU * 1000 / Double(options.sessions),
        options.platform == "linux" ? "" : " and paging off"))
print(
    String(
        format: "memory: lab RSS %d kB idle with %d devices, %d kB with %d sessions = %.1f kB per session",
        idle.rssKB, options.devices, afterLogin.rssKB, options.sessions,
        Double(afterLogin.rssKB - idle.rssKB) / Double(options.sessions)))

let command = options.platform == "linux" ? "echo x\n" : (options.platform == "huawei" ? "display clock\n" : "show clock\n")
let commandStart = Date()
for round in 0..<options.commands {
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
let afterCommands = usage(of: pid)
let total = options.sessions * options.commands
if total > 0 {
    let cpu = afterCommands.cpu - afterLogin.cpu
    print(
        String(
            format: "commands: %d (%@) in %.2f s wall, one at a time; lab CPU %.3f s = %.1f µs per command",
            total, command.trimmingCharacters(in: .newlines), commandWall, cpu, cpu * 1_000_000 / Double(total)))
}
clients.removeAll()
lab.terminate()
lab.waitUntilExit()
let rest = String(decoding: labOutput.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
for line in rest.split(separator: "\n") where line.hasPrefix("stopping") { print("lab: \(line)") }
try? FileManager.default.removeItem(atPath: folder)
