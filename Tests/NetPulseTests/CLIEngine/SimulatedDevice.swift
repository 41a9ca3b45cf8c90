import NetPulse
import NetPulseTesting
import Synchronization

/// A small model of each platform's CLI, written from the platform conventions (prompts, echo, pager
/// with its erase sequence, config modes, enable, save questions), used as the responder of a
/// ``ScriptedShellChannel``. Bytes are what a pty sends: `\r\n` line endings, echo of typed lines,
/// no echo of passwords or pager answers.
final class SimulatedDevice: Sendable {
    enum Style: Sendable { case cisco, junos, vrp, comware, linux }

    struct Setup: Sendable {
        var platform: String
        var hostname: String
        var user = "admin"
        var banner = ""
        /// Cisco-style: the device starts at `>` and `enable` asks for this secret (nil: no password).
        var enableSecret: String?
        var startsPrivileged = false
        var outputs: [String: String] = [:]
        /// Lines the device rejects (config or exec).
        var rejected: Set<String> = []
        /// Lines per page when paging is on; nil: no pager.
        var pageLines: Int? = nil
        /// Page even after paging was turned off (a device that ignores it).
        var pagesAlways = false
        /// Colour codes around the prompt.
        var colourPrompt = false
        /// Lines after which the device answers nothing at all.
        var hangOn: Set<String> = []
    }

    private struct State {
        var hostname: String
        var privileged: Bool
        var config: String?  // nil: not in config mode; "" top level; else sub-mode name
        var pagingOff = false
        var askingPassword = false
        var passwordTries = 0
        var pendingPages: [String] = []
        var pendingHostname: String?
        var askingSave = false
        var log: [String] = []
    }

    let setup: Setup
    let style: Style
    private let state: Mutex<State>

    init(_ setup: Setup) {
        self.setup = setup
        switch setup.platform {
        case "juniper_junos": style = .junos
        case "huawei": style = .vrp
        case "hp_comware": style = .comware
        case "linux": style = .linux
        default: style = .cisco
        }
        let privileged = setup.startsPrivileged || style != .cisco
        state = Mutex(State(hostname: setup.hostname, privileged: privileged))
    }

    /// Lines the device executed (config lines, saves, commits), for assertions.
    var log: [String] { state.withLock { $0.log } }
    var hostname: String { state.withLock { $0.hostname } }

    func channel(
        chunking: ScriptedShellChannel.Chunking = .whole, deadlines: ScriptedShellChannel.DeadlineMode = .immediate
    ) -> ScriptedShellChannel {
        let greeting = state.withLock { state in setup.banner + prompt(state) }
        return ScriptedShellChannel(greeting: .text(greeting), chunking: chunking, deadlines: deadlines) {
            [self] written in
            .text(self.respond(written))
        }
    }

    // MARK: - Rendering

    private func prompt(_ state: State) -> String {
        let text: String
        switch style {
        case .cisco:
            let mode = state.config.map { $0.isEmpty ? "(config)" : "(config-\($0))" } ?? ""
            text = state.hostname + mode + (state.privileged ? "#" : ">")
        case .junos:
            text = state.config == nil ? "\(setup.user)@\(state.hostname)> " : "\(setup.user)@\(state.hostname)# "
        case .vrp, .comware:
            if let config = state.config {
                text = config.isEmpty ? "[\(state.hostname)]" : "[\(state.hostname)-\(config)]"
            } else {
                text = "<\(state.hostname)>"
            }
        case .linux:
            text = "\(setup.user)@\(state.hostname):~$ "
        }
        guard setup.colourPrompt else { return text }
        return "\u{1B}[?2004h\u{1B}[01;32m" + text.dropLast(style == .junos || style == .linux ? 2 : 1)
            + "\u{1B}[00m" + text.suffix(style == .junos || style == .linux ? 2 : 1)
    }

    private var configPreamble: String { style == .junos ? "\r\n[edit]\r\n" : "" }

    private var errorText: String {
        switch style {
        case .cisco: "\r\n% Invalid input detected at '^' marker.\r\n"
        case .junos: "                  ^\r\nsyntax error.\r\n"
        case .vrp: "                  ^\r\nError: Unrecognized command found at '^' position.\r\n"
        case .comware: "                  ^\r\n% Unrecognized command found at '^' position.\r\n"
        case .linux: "bash: command not found\r\n"
        }
    }

    private var pagerText: String {
        switch style {
        case .cisco: " --More-- "
        case .junos: "---(more)---"
        case .vrp, .comware: "  ---- More ----"
        case .linux: ""
        }
    }

    private var pagerErase: String {
        switch style {
        case .cisco:
            String(repeating: "\u{8}", count: 10) + String(repeating: " ", count: 10)
                + String(repeating: "\u{8}", count: 10)
        case .junos: "\r" + String(repeating: " ", count: 12) + "\r"
        case .vrp, .comware: "\u{1B}[16D" + String(repeating: " ", count: 16) + "\u{1B}[16D"
        case .linux: ""
        }
    }

    // MARK: - Behaviour

    func respond(_ written: String) -> String {
        state.withLock { state in respond(written, &state) }
    }

    private func respond(_ written: String, _ state: inout State) -> String {
        if !state.pendingPages.isEmpty {
            guard written == " " else { return "" }
            return pagerErase + page(&state)
        }
        let line = written.hasSuffix("\n") ? String(written.dropLast()) : written
        if state.askingPassword {
            // No echo for passwords.
            if line == setup.enableSecret {
                state.askingPassword = false
                state.privileged = true
                return "\r\n" + prompt(state)
            }
            state.passwordTries += 1
            if state.passwordTries >= 3 {
                state.askingPassword = false
                return "\r\n% Bad secrets\r\n\r\n" + prompt(state)
            }
            return "\r\nPassword: "
        }
        if state.askingSave {
            state.askingSave = false
            state.log.append("saved")
            return line + "\r\nNow saving the current configuration to the slot 0.\r\n"
                + "Save the configuration successfully.\r\n" + prompt(state)
        }
        let echo = line + "\r\n"
        if setup.hangOn.contains(line) { return echo }
        if line.isEmpty { return "\r\n" + prompt(state) }
        if setup.rejected.contains(line) {
            return echo + errorText + (state.config != nil ? configPreamble : "") + prompt(state)
        }
        return echo + execute(line, &state)
    }

    private func page(_ state: inout State) -> String {
        let size = setup.pageLines ?? Int.max
        let lines = state.pendingPages.prefix(size)
        state.pendingPages.removeFirst(lines.count)
        let text = lines.map { $0 + "\r\n" }.joined()
        if state.pendingPages.isEmpty { return text + prompt(state) }
        return text + pagerText
    }

    private func output(_ text: String, _ state: inout State) -> String {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if let size = setup.pageLines, lines.count > size, !state.pagingOff || setup.pagesAlways {
            state.pendingPages = lines
            return page(&state)
        }
        return lines.map { $0 + "\r\n" }.joined() + prompt(state)
    }

    private func execute(_ line: String, _ state: inout State) -> String {
        let words = line.split(separator: " ").map(String.init)
        switch style {
        case .cisco: return cisco(line, words, &state)
        case .junos: return junos(line, words, &state)
        case .vrp, .comware: return vrp(line, words, &state)
        case .linux: return output(setup.outputs[line] ?? "output of \(line)", &state)
        }
    }

    private func cisco(_ line: String, _ words: [String], _ state: inout State) -> String {
        if state.config != nil {
            switch words.first {
            case "end":
                state.config = nil
                return prompt(state)
            case "exit":
                state.config = state.config == "" ? nil : ""
                return prompt(state)
            case "hostname" where words.count == 2:
                state.hostname = words[1]
            case "interface":
                state.config = "if"
            default: break
            }
            state.log.append(line)
            return prompt(state)
        }
        switch line {
        case "enable":
            if state.privileged { return prompt(state) }
            guard setup.enableSecret != nil else {
                state.privileged = true
                return prompt(state)
            }
            state.askingPassword = true
            state.passwordTries = 0
            return "Password: "
        case "terminal length 0":
            state.pagingOff = true
            return prompt(state)
        case "terminal width 511", "terminal width 32767":
            return prompt(state)
        case "configure terminal":
            guard state.privileged else { return errorText + prompt(state) }
            state.config = ""
            return "Enter configuration commands, one per line.  End with CNTL/Z.\r\n" + prompt(state)
        case "write memory":
            state.log.append("saved")
            return "Building configuration...\r\n[OK]\r\n" + prompt(state)
        case "copy running-config startup-config":
            state.log.append("saved")
            return "[########################################] 100%\r\nCopy complete.\r\n" + prompt(state)
        default:
            return output(setup.outputs[line] ?? "output of \(line)", &state)
        }
    }

    private func junos(_ line: String, _ words: [String], _ state: inout State) -> String {
        if state.config != nil {
            switch line {
            case "commit":
                if let name = state.pendingHostname { state.hostname = name }
                state.pendingHostname = nil
                state.log.append("commit")
                return "commit complete\r\n" + configPreamble + prompt(state)
            case "rollback 0":
                state.pendingHostname = nil
                state.log.append("rollback")
                return "load complete\r\n" + configPreamble + prompt(state)
            case "exit configuration-mode":
                state.config = nil
                return "Exiting configuration mode\r\n\r\n" + prompt(state)
            default:
                if words.count == 4, words[0] == "set", words[1] == "system", words[2] == "host-name" {
                    state.pendingHostname = words[3]
                }
                state.log.append(line)
                return configPreamble + prompt(state)
            }
        }
        switch line {
        case "set cli screen-length 0":
            state.pagingOff = true
            return "Screen length set to 0\r\n\r\n" + prompt(state)
        case "set cli screen-width 0":
            return "Screen width set to 0\r\n\r\n" + prompt(state)
        case "configure":
            state.config = ""
            return "Entering configuration mode\r\n" + configPreamble + prompt(state)
        default:
            return output(setup.outputs[line] ?? "output of \(line)", &state)
        }
    }

    private func vrp(_ line: String, _ words: [String], _ state: inout State) -> String {
        if state.config != nil {
            switch words.first {
            case "return":
                state.config = nil
                return prompt(state)
            case "quit":
                state.config = state.config == "" ? nil : ""
                return prompt(state)
            case "sysname" where words.count == 2:
                state.hostname = words[1]
            case "interface" where words.count == 2:
                state.config = words[1]
            default: break
            }
            state.log.append(line)
            return prompt(state)
        }
        switch line {
        case "screen-length 0 temporary", "screen-length disable":
            state.pagingOff = true
            return "Info: The configuration takes effect on the current user terminal interface only.\r\n"
                + prompt(state)
        case "system-view":
            state.config = ""
            return "Enter system view, return user view with Ctrl+Z.\r\n" + prompt(state)
        case "save":
            state.askingSave = true
            return "The current configuration will be written to the device.\r\nAre you sure to continue?[Y/N]:"
        case "save force":
            state.log.append("saved")
            return "Validating file. Please wait...\r\nSaved the current configuration to mainboard device"
                + " successfully.\r\n" + prompt(state)
        default:
            return output(setup.outputs[line] ?? "output of \(line)", &state)
        }
    }
}
