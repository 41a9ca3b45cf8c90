import Foundation

/// A `netpulse lab` started as its own process (so that its CPU and memory are read from /proc apart from
/// the client's), with its inventory and fault sidecar in a temporary folder.
final class LabProcess {
    let process = Process()
    let output = Pipe()
    let folder: String
    let inventory: String
    var readyLine = ""
    var readyAfter = 0.0

    /// Starts `netpulse` (beside this executable) with `arguments` after `lab`, and waits for `ready:`.
    ///
    /// `prefix`, when not empty, is a command the lab runs under (e.g. `valgrind --tool=callgrind ...`),
    /// found on `PATH`; it must run the lab in its own process (so that the PID and /proc stay the lab's).
    /// With `selfServed`, this executable's own `lab` mode serves the lab instead of `netpulse`.
    init(arguments: [String], prefix: [String] = [], selfServed: Bool = false) throws {
        folder = NSTemporaryDirectory() + "netpulse-lab-bench-\(getpid())"
        inventory = folder + "/inventory.json"
        let me = URL(fileURLWithPath: CommandLine.arguments[0])
        let path = selfServed ? me.path : me.deletingLastPathComponent().appendingPathComponent("netpulse").path
        let labArguments = ["lab", "--inventory", inventory, "--folder", folder] + arguments
        if prefix.isEmpty {
            process.executableURL = URL(fileURLWithPath: path)
            process.arguments = labArguments
        } else {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = prefix + [path] + labArguments
        }
        process.standardOutput = output
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let launched = Date()
        try process.run()
        var pending = Data()
        while readyLine.isEmpty {
            let data = output.fileHandleForReading.availableData
            guard !data.isEmpty else { fail("the lab exited before it was ready") }
            pending += data
            for line in String(decoding: pending, as: UTF8.self).split(separator: "\n") where line.hasPrefix("ready:") {
                readyLine = String(line)
            }
        }
        readyAfter = Date().timeIntervalSince(launched)
        stopOnSignals()
    }

    /// SIGTERM or SIGINT to the bench (a time limit, Ctrl-C) stops its lab too, by its PID, then exits.
    private var signalSources: [any DispatchSourceSignal] = []

    private func stopOnSignals() {
        let process = self.process
        for number in [SIGTERM, SIGINT] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                if process.isRunning { kill(process.processIdentifier, SIGTERM) }
                FileHandle.standardError.write(Data("netpulse-lab-bench: stopped by signal \(number)\n".utf8))
                exit(2)
            }
            source.resume()
            signalSources.append(source)
        }
    }

    var pid: Int32 { process.processIdentifier }

    /// CPU seconds (user + system) and resident memory of the lab, from /proc.
    var usage: (cpu: Double, rssKB: Int) {
        let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
        let fields = stat.split(separator: ")").last?.split(separator: " ") ?? []
        // After the command name: state is field 0; utime and stime are fields 11 and 12.
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        let cpu = fields.count > 12 ? (Double(fields[11]) ?? 0) / ticks + (Double(fields[12]) ?? 0) / ticks : 0
        let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
        let rss =
            status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") }
            .flatMap { Int($0.split(separator: " ").dropFirst().first ?? "") } ?? 0
        return (cpu, rss)
    }

    /// Stops the lab (SIGTERM), prints its closing line, removes the folder.
    func stop() {
        process.terminate()
        process.waitUntilExit()
        let rest = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        for line in rest.split(separator: "\n") where line.hasPrefix("stopping") { print("lab: \(line)") }
        try? FileManager.default.removeItem(atPath: folder)
    }
}

/// A command run at each phase boundary of a bench with the phase's name and the lab's PID appended
/// (`--phase-hook`, e.g. a callgrind dump); the bench waits for it and stops if it fails.
struct PhaseHook {
    var words: [String]

    init(_ text: String) {
        words = text.split(separator: " ").map(String.init)
    }

    func run(_ phase: String, lab: LabProcess) {
        guard !words.isEmpty else { return }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = words + [phase, String(lab.pid)]
        do {
            try process.run()
        } catch {
            fail("--phase-hook: cannot run \(words.joined(separator: " ")): \(error)")
        }
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            fail("--phase-hook: \(words.joined(separator: " ")) \(phase) exited with \(process.terminationStatus)")
        }
    }
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("netpulse-lab-bench: \(message)\n".utf8))
    exit(1)
}

/// The machine's load average, as `uptime` prints it.
func loadAverage() -> String {
    ((try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)) ?? "?").split(separator: " ").prefix(3)
        .joined(separator: " ")
}

/// `--name value` pairs after the mode.
struct Arguments {
    var values: [String: String] = [:]

    init(_ arguments: ArraySlice<String>, known: [String]) {
        var iterator = arguments.makeIterator()
        while let name = iterator.next() {
            guard known.contains(name) else {
                fail("unknown option \(name); options: \(known.joined(separator: ", "))")
            }
            guard let value = iterator.next() else { fail("\(name) needs a value") }
            values[name] = value
        }
    }

    func int(_ name: String, _ fallback: Int, in range: ClosedRange<Int>) -> Int {
        guard let text = values[name] else { return fallback }
        guard let number = Int(text), range.contains(number) else { fail("\(name): must be \(range), got \(text)") }
        return number
    }

    func double(_ name: String, _ fallback: Double, in range: ClosedRange<Double>) -> Double {
        guard let text = values[name] else { return fallback }
        guard let number = Double(text), range.contains(number) else { fail("\(name): must be \(range), got \(text)") }
        return number
    }

    func string(_ name: String, _ fallback: String, oneOf choices: [String]? = nil) -> String {
        let value = values[name] ?? fallback
        if let choices, !choices.contains(value) {
            fail("\(name): must be one of \(choices.joined(separator: ", ")), got \(value)")
        }
        return value
    }
}
