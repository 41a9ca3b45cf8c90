import Logging
import NetPulse
import NetPulseTesting
import Testing

/// How one platform's device answers, as it prints it: prompts (with the context lines some print above
/// them), a show command, and a configuration session with a good line, a rejected line and, where the
/// platform has one, a commit.
struct PlatformRecording: Sendable, CustomStringConvertible {
    var platform: String
    /// What the device sends before its first prompt.
    var banner = "\r\n"
    /// The exec prompt as printed after a command (context lines included).
    var prompt: String
    /// Prompts after setup commands that change the mode (FortiOS `config system console`).
    var setupPrompts: [String: String] = [:]
    var show: String
    var showOutput: [String]
    /// What entering configuration mode prints before the configuration prompt.
    var enterOutput = ""
    /// The configuration prompt as printed (context lines included).
    var configPrompt: String
    var good: String
    /// The prompt after the good line, when it differs (`[*HUAWEI-GE1/0/1]`).
    var goodPrompt: String?
    var bad: String
    /// The device's answer to the bad line (without the prompt).
    var badAnswer: String
    var commitOutput = ""
    var exitOutput = ""

    var description: String { platform }
    var profile: PlatformProfile { PlatformRegistry.builtin.profile(named: platform)! }
    var lineEnding: String { profile.lineEnding }

    /// Login, the confirming line ending, and the profile's setup commands.
    func startSteps() -> [ScriptedShellChannel.Step] {
        var steps: [ScriptedShellChannel.Step] = [
            .device(banner + prompt), .expect(lineEnding), .device("\r\n" + prompt),
        ]
        for command in profile.disablePaging + profile.widenTerminal {
            steps += [.expect(command + lineEnding), .device(command + "\r\n" + (setupPrompts[command] ?? prompt))]
        }
        return steps
    }

    func showSteps() -> [ScriptedShellChannel.Step] {
        [.expect(show + lineEnding), .device(show + "\r\n" + showOutput.map { $0 + "\r\n" }.joined() + prompt)]
    }

    /// A push of `[good]` (committed) or `[good, bad]` (stopped, discarded).
    func pushSteps(failing: Bool) -> [ScriptedShellChannel.Step] {
        guard let mode = profile.configMode else { return [] }
        var steps: [ScriptedShellChannel.Step] = []
        func say(_ line: String, _ answer: String) {
            steps += [.expect(line + lineEnding), .device(line + "\r\n" + answer)]
        }
        if !mode.enter.isEmpty { say(mode.enter, enterOutput + configPrompt) }
        let afterGood = goodPrompt ?? configPrompt
        say(good, afterGood)
        if failing {
            say(bad, badAnswer + afterGood)
            if mode.commit != nil, let discard = mode.discard { say(discard, afterGood) }
        } else if let commit = mode.commit {
            say(commit, commitOutput + configPrompt)
        }
        if !mode.exit.isEmpty { say(mode.exit, exitOutput + prompt) }
        return steps
    }
}

@Suite("Platforms: each built-in profile against a recorded device session")
struct PlatformTranscriptTests {
    static let logger = Logger(label: "test.platforms")

    static let recordings: [PlatformRecording] = [
        PlatformRecording(
            platform: "cisco_xr", prompt: "RP/0/RP0/CPU0:xr1#", show: "show version",
            showOutput: ["Wed Dec  2 20:00:00.123 UTC", "Cisco IOS XR Software, Version 7.3.2"],
            configPrompt: "RP/0/RP0/CPU0:xr1(config)#", good: "ntp server 192.0.2.1", bad: "bogus thing",
            badAnswer: "                                  ^\r\n% Invalid input detected at '^' marker.\r\n"),
        PlatformRecording(
            platform: "cisco_asa", banner: "Type help or '?' for a list of available commands.\r\n", prompt: "asa# ",
            show: "show version", showOutput: ["Cisco Adaptive Security Appliance Software Version 9.16(4)"],
            configPrompt: "asa(config)# ", good: "hostname asa", bad: "bogus",
            badAnswer: "                ^\r\nERROR: % Invalid input detected at '^' marker.\r\n"),
        PlatformRecording(
            platform: "nokia_sros", prompt: "\r\n[/]\r\nA:admin@sr1# ", show: "show version",
            showOutput: ["TiMOS-B-21.10.R1 both/x86_64 Nokia 7750 SR Copyright (c) 2000-2021 Nokia."],
            enterOutput: "INFO: CLI #2060: Entering exclusive configuration mode\r\n",
            configPrompt: "\r\n(ex)[/]\r\nA:admin@sr1# ", good: "/configure system location lab",
            goodPrompt: "\r\n*(ex)[/]\r\nA:admin@sr1# ", bad: "/configure bogus",
            badAnswer: "MINOR: CLI #2069: Error: Invalid element - bogus\r\n",
            exitOutput: "INFO: CLI #2064: Exiting exclusive configuration mode\r\n"),
        PlatformRecording(
            platform: "nokia_srl", prompt: "\r\n--{ running }--[  ]--\r\nA:srl1# ", show: "show version",
            showOutput: ["Hostname             : srl1", "Software Version     : v23.10.1"],
            configPrompt: "\r\n--{ candidate private private-admin }--[  ]--\r\nA:srl1# ",
            good: "set / system information location lab",
            goodPrompt: "\r\n--{ * candidate private private-admin }--[  ]--\r\nA:srl1# ", bad: "set / bogus",
            badAnswer: "Parsing error: Unknown token 'bogus'. Options are ['acl', 'interface', 'system']\r\n",
            commitOutput: "All changes have been committed. Starting new transaction.\r\n"),
        PlatformRecording(
            platform: "fortinet", banner: "", prompt: "FGT60E # ",
            setupPrompts: [
                "config system console": "FGT60E (console) # ", "set output standard": "FGT60E (console) # ",
            ],
            show: "get system status",
            showOutput: ["Version: FortiGate-60E v7.0.12,build0523,230606 (GA.M)", "Hostname: FGT60E"],
            configPrompt: "FGT60E (interface) # ", good: "config system interface", bad: "bogus",
            badAnswer: "command parse error before 'bogus'\r\nCommand fail. Return code -61\r\n"),
        PlatformRecording(
            platform: "paloalto_panos", banner: "Last login: Wed Dec  2 20:00:00 2026\r\n\r\n", prompt: "admin@PA-VM> ",
            show: "show system info", showOutput: ["hostname: PA-VM", "sw-version: 10.1.6"],
            enterOutput: "Entering configuration mode\r\n", configPrompt: "[edit]\r\nadmin@PA-VM# ",
            good: "set deviceconfig system timezone UTC", bad: "set bogus", badAnswer: "Invalid syntax.\r\n\r\n",
            commitOutput: "Commit job 12 is in progress. Use Ctrl+C to return to command prompt\r\n....100%\r\n"
                + "Configuration committed successfully\r\n\r\n",
            exitOutput: "Exiting configuration mode\r\n"),
        PlatformRecording(
            platform: "mikrotik_routeros", banner: "\r\n  MikroTik RouterOS 7.11.2 (c) 1999-2023\r\n\r\n",
            prompt: "[admin@MikroTik] > ", show: "/system resource print",
            showOutput: ["                   uptime: 1w2d3h", "                  version: 7.11.2 (stable)"],
            configPrompt: "[admin@MikroTik] > ", good: "/ip address add address=192.0.2.1/24 interface=ether1",
            bad: "/bogus", badAnswer: "bad command name bogus (line 1 column 2)\r\n"),
        PlatformRecording(
            platform: "dell_os10", prompt: "OS10# ", show: "show version",
            showOutput: ["Dell EMC Networking OS10 Enterprise", "OS Version: 10.5.4.0"],
            configPrompt: "OS10(config)# ", good: "ntp server 192.0.2.1", bad: "bogus",
            badAnswer: "% Error: Unrecognized command.\r\n"),
        PlatformRecording(
            platform: "extreme_exos", prompt: "X460-48t.3 # ",
            setupPrompts: ["disable clipaging": "X460-48t.2 # "], show: "show version",
            showOutput: ["Image   : ExtremeXOS version 31.7.1.4 by release-manager"],
            configPrompt: "* X460-48t.5 # ", good: "configure vlan default ipaddress 192.0.2.1/24", bad: "bogus",
            badAnswer: "\r\n%% Invalid input detected at '^' marker.\r\n"),
        PlatformRecording(
            platform: "vyos", banner: "Welcome to VyOS!\r\n", prompt: "vyos@vyos:~$ ", show: "show version",
            showOutput: ["Version:          VyOS 1.4.0", "Release train:    sagitta"],
            configPrompt: "[edit]\r\nvyos@vyos# ",
            good: "set system time-zone UTC", bad: "set bogus",
            badAnswer: "\r\n  Configuration path: [bogus] is not valid\r\n  Set failed\r\n\r\n"),
        PlatformRecording(
            platform: "huawei_vrpv8", prompt: "<HUAWEI>", show: "display version",
            showOutput: ["Huawei Versatile Routing Platform Software", "VRP (R) software, Version 8.180"],
            enterOutput: "Enter system view, return user view with return command.\r\n", configPrompt: "[~HUAWEI]",
            good: "interface GE1/0/1", goodPrompt: "[*HUAWEI-GE1/0/1]", bad: "bogus",
            badAnswer: "                  ^\r\nError: Unrecognized command found at '^' position.\r\n"),
        PlatformRecording(
            platform: "dell_force10", prompt: "R1#", show: "show version",
            showOutput: ["Dell Real Time Operating System Software"], configPrompt: "R1(conf)#",
            good: "ntp server 192.0.2.1",
            bad: "bogus", badAnswer: "% Error: Invalid input at \"^\" marker.\r\n"),
        PlatformRecording(
            platform: "ruckus_fastiron", prompt: "ICX7150-24 Router#", show: "show version",
            showOutput: ["  Copyright (c) Ruckus Networks, Inc. All rights reserved."],
            configPrompt: "ICX7150-24 Router(config)#", good: "ntp", bad: "bogus",
            badAnswer: "Invalid input -> bogus\r\n"),
        PlatformRecording(
            platform: "aruba_aoscx", prompt: "switch# ", show: "show version",
            showOutput: ["ArubaOS-CX", "Version      : FL.10.10.1000"], configPrompt: "switch(config)# ",
            good: "ntp server 192.0.2.1", bad: "bogus", badAnswer: "Invalid input: bogus\r\n"),
        PlatformRecording(
            platform: "hp_procurve", prompt: "HP-2530# ", show: "show version",
            showOutput: [
                "Image stamp:    /ws/swbuildm/rel_ukiah_qaoff/code/build/bom(swbuildm_rel_ukiah_qaoff_rel_ukiah)"
            ],
            configPrompt: "HP-2530(config)# ", good: "ntp server 192.0.2.1", bad: "bogus",
            badAnswer: "Invalid input: bogus\r\n"),
    ]

    static func engine(_ steps: [ScriptedShellChannel.Step], _ recording: PlatformRecording) -> CLIEngine {
        CLIEngine(
            channel: ScriptedShellChannel(transcript: steps, chunking: .every(5)), profile: recording.profile,
            enableSecret: nil, logger: logger)
    }

    static func request(_ operation: NetPulse.DeviceOperation) -> ExecutionRequest {
        ExecutionRequest(operation: operation, enable: false, readTimeout: .seconds(5), logger: logger)
    }

    @Test("start, a show command, a committed push and a stopped one", arguments: recordings)
    func session(recording: PlatformRecording) async throws {
        let steps =
            recording.startSteps() + recording.showSteps() + recording.pushSteps(failing: false)
            + recording.pushSteps(failing: true)
        let engine = Self.engine(steps, recording)
        try await engine.start(deadline: .now + .seconds(5))

        let shown = try await engine.execute(Self.request(.commands([recording.show])))
        #expect(shown.success, "\(String(describing: shown.error))")
        #expect(shown.outputs.first?.output == recording.showOutput.joined(separator: "\n"))

        let pushed = try await engine.execute(Self.request(.config([recording.good])))
        #expect(pushed.success, "\(String(describing: pushed.error))")
        #expect(pushed.outputs.map(\.status) == [.ok])

        let stopped = try await engine.execute(Self.request(.config([recording.good, recording.bad])))
        #expect(stopped.outputs.map(\.status) == [.ok, .failed])
        #expect(stopped.error?.kind == .commandError, "\(String(describing: stopped.error))")
        #expect(stopped.error?.message.contains(recording.bad) == true)
        #expect(await engine.isUsable)
    }

    @Test("generic: a plain prompt, no setup, no configuration mode")
    func generic() async throws {
        let recording = PlatformRecording(
            platform: "generic", prompt: "router> ", show: "show version", showOutput: ["Generic OS 1.0"],
            configPrompt: "", good: "", bad: "", badAnswer: "")
        let engine = Self.engine(recording.startSteps() + recording.showSteps(), recording)
        try await engine.start(deadline: .now + .seconds(5))
        let shown = try await engine.execute(Self.request(.commands(["show version"])))
        #expect(shown.outputs.first?.output == "Generic OS 1.0")
        let error = await #expect(throws: NetPulseError.self) {
            try await engine.execute(Self.request(.config(["anything"])))
        }
        #expect(error?.kind == .unsupported)
    }

    @Test("at least 20 built-in device types with netmiko's names")
    func builtinNames() {
        let names = Set(PlatformRegistry.builtin.names)
        #expect(names.count >= 20)
        for name in [
            "cisco_ios", "cisco_xe", "cisco_nxos", "arista_eos", "juniper_junos", "huawei", "hp_comware", "linux",
            "cisco_xr", "cisco_asa", "nokia_sros", "nokia_srl", "fortinet", "paloalto_panos", "mikrotik_routeros",
            "dell_os10", "extreme_exos", "vyos", "huawei_vrpv8", "generic",
        ] {
            #expect(names.contains(name), "\(name)")
        }
        // Every built-in profile not covered by the original suites has a recording here.
        let recorded = Set(Self.recordings.map(\.platform) + ["generic"])
        let original: Set = [
            "cisco_ios", "cisco_xe", "cisco_nxos", "arista_eos", "juniper_junos", "huawei", "hp_comware", "linux",
        ]
        #expect(names.subtracting(original) == recorded)
    }

    @Test("huawei_vrpv8 commits (two stages) and then saves; vyos refuses save (commit does not save)")
    func commitThenSave() async throws {
        let vrp = Self.recordings.first { $0.platform == "huawei_vrpv8" }!
        var steps = vrp.startSteps() + vrp.pushSteps(failing: false)
        steps += [
            .expect("save\n"),
            .device("save\r\nWarning: The current configuration will be written to the device. Continue? [Y/N]:"),
            .expect("y\n"), .device("y\r\nInfo: Save the configuration successfully.\r\n<HUAWEI>"),
        ]
        let engine = Self.engine(steps, vrp)
        try await engine.start(deadline: .now + .seconds(5))
        var request = Self.request(.config([vrp.good]))
        request.save = true
        let saved = try await engine.execute(request)
        #expect(saved.success, "\(String(describing: saved.error))")

        let vyos = Self.recordings.first { $0.platform == "vyos" }!
        let vyosEngine = Self.engine(vyos.startSteps(), vyos)
        try await vyosEngine.start(deadline: .now + .seconds(5))
        var vyosRequest = Self.request(.config([vyos.good]))
        vyosRequest.save = true
        let error = await #expect(throws: NetPulseError.self) { try await vyosEngine.execute(vyosRequest) }
        #expect(error?.kind == .unsupported)
    }
}
