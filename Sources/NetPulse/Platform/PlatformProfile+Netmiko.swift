/// More built-in platforms under netmiko's `device_type` names. Their prompts, setup commands,
/// configuration modes and commits follow what the devices print and what netmiko and scrapli send.
extension PlatformProfile {
    /// The profiles added for netmiko's common names, in ``builtin`` after the original eight.
    static let netmikoNamed: [PlatformProfile] = [
        ciscoXR, ciscoASA, nokiaSROS, nokiaSRL, fortinet, paloaltoPANOS, mikrotikRouterOS, dellOS10, extremeEXOS,
        vyos, huaweiVRPv8, generic, dellForce10, ruckusFastIron, arubaAOSCX, hpProcurve,
    ]

    private static let ciscoLikeErrors: [TextPattern] = [
        .lineStart("% Invalid input"), .lineStart("% Incomplete command"), .lineStart("% Ambiguous command"),
        .lineStart("% Unknown command"), .lineStart("% Error"), .lineStart("% Bad "),
    ]

    private static let more = Answer(TextPattern("--More--"), answer: " ", endsLine: false)

    /// Cisco IOS XR: `RP/0/RP0/CPU0:xr1#`, `RP/0/RP0/CPU0:xr1(config)#`. Already privileged; `commit` applies
    /// (and saves); a push that stops on error clears the candidate with `abort`.
    public static let ciscoXR = PlatformProfile(
        name: "cisco_xr",
        aliases: ["iosxr", "ios_xr"],
        prompt: PromptPattern(nameCharacters: "._-/:", mode: .enclosed(open: "(", close: ")"), terminators: "#"),
        disablePaging: ["terminal length 0"],
        widenTerminal: ["terminal width 511"],
        pagers: [more],
        errorPatterns: ciscoLikeErrors + [.lineStart("% Failed to commit"), .lineStart("% Invalid")],
        configMode: ConfigMode(
            enter: "configure terminal", exit: "end", commit: "commit", discard: "clear",
            exitQuestions: [Answer(TextPattern("Uncommitted changes found"), answer: "no")])
    )

    /// Cisco ASA: `asa>`, `asa#` after `enable`, `asa(config)#`; paging off with `terminal pager 0`.
    public static let ciscoASA = PlatformProfile(
        name: "cisco_asa",
        aliases: ["asa"],
        prompt: PromptPattern(nameCharacters: "._-/", mode: .enclosed(open: "(", close: ")"), terminators: ">#"),
        disablePaging: ["terminal pager 0"],
        pagers: [Answer(TextPattern("<--- More --->"), answer: " ", endsLine: false)],
        errorPatterns: ciscoLikeErrors + [.lineStart("ERROR:")],
        configMode: ConfigMode(enter: "configure terminal", exit: "end"),
        enable: EnableMode(),
        save: SaveCommand("write memory")
    )

    /// Nokia SR OS (MD-CLI): `A:admin@R1#` below a context line such as `[/]` or `*(ex)[/configure]`.
    /// `edit-config exclusive` opens the candidate, `commit` applies it, `quit-config` leaves.
    public static let nokiaSROS = PlatformProfile(
        name: "nokia_sros",
        aliases: ["sros"],
        prompt: PromptPattern(nameCharacters: "._-@:", terminators: "#"),
        promptPreamble: [
            .lineStart("["), .lineStart("*["), .lineStart("(ex)["), .lineStart("*(ex)["), .lineStart("(pr)["),
            .lineStart("*(pr)["), .lineStart("!["), .lineStart("*!["),
        ],
        disablePaging: ["environment more false"],
        widenTerminal: ["environment console width 512"],
        pagers: [Answer(TextPattern("Press any key to continue"), answer: " ", endsLine: false)],
        errorPatterns: [.lineStart("MINOR:"), .lineStart("MAJOR:"), .lineStart("CRITICAL:"), .lineStart("Error:")],
        configMode: ConfigMode(
            enter: "edit-config exclusive", exit: "quit-config", commit: "commit", discard: "discard")
    )

    /// Nokia SR Linux: `A:srl1#` below `--{ running }--[  ]--`. `enter candidate private` opens a candidate,
    /// `commit stay` applies it, `discard now` leaves (discarding whatever was not committed).
    public static let nokiaSRL = PlatformProfile(
        name: "nokia_srl",
        aliases: ["srlinux", "nokia_srlinux"],
        prompt: PromptPattern(nameCharacters: "._-@:", terminators: "#"),
        promptPreamble: [.lineStart("--{")],
        disablePaging: ["environment cli-engine type basic", "environment complete-on-space false"],
        errorPatterns: [.lineStart("Error:"), TextPattern("error:")],
        configMode: ConfigMode(
            enter: "enter candidate private", exit: "discard now", commit: "commit stay", discard: "discard stay")
    )

    /// Fortinet FortiOS: `FGT60E # `, `FGT60E (interface) # `. Configuration is typed at the prompt
    /// (`config system interface` … `end`); paging off through the console settings, as netmiko does.
    public static let fortinet = PlatformProfile(
        name: "fortinet",
        aliases: ["fortios", "fortinet_ssh"],
        prompt: PromptPattern(nameCharacters: "._-", mode: .free, terminators: "#$"),
        disablePaging: ["config system console", "set output standard", "end"],
        pagers: [Answer(TextPattern("--More--"), answer: " ", endsLine: false)],
        errorPatterns: [
            .lineStart("Command fail"), .lineStart("command parse error"), .lineStart("Unknown action"),
            .lineStart("entry not found"), .lineStart("value parse error"),
        ],
        configMode: ConfigMode(enter: "", exit: "")
    )

    /// Palo Alto PAN-OS: `admin@PA-VM> `, `admin@PA-VM# ` below `[edit]`. `commit` applies and saves.
    public static let paloaltoPANOS = PlatformProfile(
        name: "paloalto_panos",
        aliases: ["panos", "paloalto"],
        prompt: PromptPattern(nameCharacters: "._-@()", terminators: ">#"),
        promptPreamble: [.lineStart("[edit")],
        disablePaging: ["set cli scripting-mode on", "set cli pager off"],
        widenTerminal: ["set cli terminal width 500"],
        errorPatterns: [
            .lineStart("Invalid syntax"), .lineStart("Unknown command"), .lineStart("Server error"),
            .lineStart("Validation Error"), TextPattern("Commit failed"),
        ],
        configMode: ConfigMode(enter: "configure", exit: "exit", commit: "commit", discard: "revert config")
    )

    /// MikroTik RouterOS: `[admin@MikroTik] > `, `[admin@MikroTik] /ip address> `. Configuration is typed at
    /// the prompt; no paging to turn off when the login name carries `+ct` (as netmiko adds).
    public static let mikrotikRouterOS = PlatformProfile(
        name: "mikrotik_routeros",
        aliases: ["routeros", "mikrotik"],
        prompt: PromptPattern(
            openers: "[", requiresOpener: true, nameCharacters: "._-@", mode: .free, terminators: ">"),
        errorPatterns: [
            .lineStart("bad command name"), .lineStart("syntax error"), .lineStart("expected end of command"),
            .lineStart("failure:"), .lineStart("input does not match"), .lineStart("no such item"),
        ],
        configMode: ConfigMode(enter: "", exit: ""),
        lineEnding: "\r\n"
    )

    /// Dell EMC OS10: `OS10#`, `OS10(config)#`; saves with `copy running-configuration startup-configuration`.
    public static let dellOS10 = PlatformProfile(
        name: "dell_os10",
        aliases: ["os10"],
        prompt: PromptPattern(nameCharacters: "._-/", mode: .enclosed(open: "(", close: ")"), terminators: ">#"),
        disablePaging: ["terminal length 0"],
        pagers: [more],
        errorPatterns: [.lineStart("% Error"), .lineStart("% Invalid"), .lineStart("% Incomplete")],
        configMode: ConfigMode(enter: "configure terminal", exit: "end"),
        save: SaveCommand("copy running-configuration startup-configuration")
    )

    /// Extreme EXOS: `X460-48t.3 # `, `* X460-48t.4 # ` with unsaved changes (the number counts commands, so
    /// it is not part of the name). Configuration is typed at the prompt; `save configuration` asks `(y/N)`.
    public static let extremeEXOS = PlatformProfile(
        name: "extreme_exos",
        aliases: ["exos", "extreme"],
        prompt: PromptPattern(openers: "*", flags: " ", nameCharacters: "_-", mode: .free, terminators: "#>"),
        disablePaging: ["disable clipaging"],
        pagers: [Answer(TextPattern("Press <SPACE> to continue"), answer: " ", endsLine: false)],
        errorPatterns: [.lineStart("%% "), .lineStart("Error:")],
        configMode: ConfigMode(enter: "", exit: ""),
        save: SaveCommand(
            "save configuration",
            confirmations: [Answer(TextPattern("(y/N)", caseInsensitive: true), answer: "y")])
    )

    /// VyOS: `vyos@vyos:~$ `, `vyos@vyos# ` below `[edit]`. `commit` applies but does not save, and `save`
    /// exists only in configuration mode: a push with `save` is refused.
    public static let vyos = PlatformProfile(
        name: "vyos",
        aliases: ["vyatta", "vyos_ssh"],
        prompt: PromptPattern(nameCharacters: "._-@", mode: .free, terminators: "$#"),
        promptPreamble: [.lineStart("[edit")],
        disablePaging: ["set terminal length 0"],
        widenTerminal: ["set terminal width 512"],
        errorPatterns: [
            .lineStart("Invalid command"), .lineStart("Configuration path:"), .lineStart("Commit failed"),
            TextPattern("is not valid"),
        ],
        configMode: ConfigMode(
            enter: "configure", exit: "exit", commit: "commit", discard: "discard", commitSaves: false)
    )

    /// Huawei VRP 8 (two-stage commit): `<HUAWEI>`, `[~HUAWEI]`, `[*HUAWEI-GigabitEthernet0/0/1]` with
    /// uncommitted changes. `commit` applies, `save` stores.
    public static let huaweiVRPv8: PlatformProfile = {
        var profile = huawei
        profile.name = "huawei_vrpv8"
        profile.aliases = ["vrpv8", "huawei_vrp8"]
        profile.configMode = ConfigMode(
            enter: "system-view", exit: "return", commit: "commit", discard: "clear configuration candidate",
            exitQuestions: [Answer(TextPattern("Uncommitted configurations found"), answer: "n")],
            commitSaves: false)
        profile.errorPatterns += [.lineStart("Commit failed")]
        return profile
    }()

    /// Any device with a plain prompt (`name>`, `name#`, `<name>`, `[name]`, `user@host:~$`): no setup, no
    /// configuration mode.
    public static let generic = PlatformProfile(name: "generic", aliases: ["generic_termserver", "terminal_server"])

    /// Dell Force10 (FTOS): Cisco-like, with enable.
    public static let dellForce10 = PlatformProfile(
        name: "dell_force10",
        aliases: ["ftos"],
        prompt: PromptPattern(nameCharacters: "._-/", mode: .enclosed(open: "(", close: ")"), terminators: ">#"),
        disablePaging: ["terminal length 0"],
        pagers: [more],
        errorPatterns: ciscoLikeErrors,
        configMode: ConfigMode(enter: "configure terminal", exit: "end"),
        enable: EnableMode(),
        save: SaveCommand("write memory")
    )

    /// Ruckus (Brocade) FastIron: `ICX7150-24 Router>`, `#` after `enable`, paging off with `skip-page-display`.
    public static let ruckusFastIron = PlatformProfile(
        name: "ruckus_fastiron",
        aliases: ["brocade_fastiron", "fastiron"],
        prompt: PromptPattern(nameCharacters: "._-@ ", mode: .enclosed(open: "(", close: ")"), terminators: ">#"),
        disablePaging: ["skip-page-display"],
        pagers: [Answer(TextPattern("--More--"), answer: " ", endsLine: false)],
        errorPatterns: [.lineStart("Invalid input"), .lineStart("Error")],
        configMode: ConfigMode(enter: "configure terminal", exit: "end"),
        enable: EnableMode(),
        save: SaveCommand("write memory")
    )

    /// Aruba AOS-CX: `switch#`, `switch(config)#`, paging off with `no page`.
    public static let arubaAOSCX = PlatformProfile(
        name: "aruba_aoscx",
        aliases: ["aoscx"],
        prompt: PromptPattern(nameCharacters: "._-/", mode: .enclosed(open: "(", close: ")"), terminators: ">#"),
        disablePaging: ["no page"],
        pagers: [more],
        errorPatterns: [.lineStart("Invalid input"), .lineStart("% Command incomplete"), .lineStart("Error")],
        configMode: ConfigMode(enter: "configure terminal", exit: "end"),
        save: SaveCommand("write memory")
    )

    /// HPE ProCurve / ArubaOS-Switch: `HP-2530#`, `HP-2530(config)#`, paging off with `no page`.
    public static let hpProcurve = PlatformProfile(
        name: "hp_procurve",
        aliases: ["procurve", "aruba_procurve", "aruba_os"],
        prompt: PromptPattern(nameCharacters: "._-/", mode: .enclosed(open: "(", close: ")"), terminators: ">#"),
        disablePaging: ["no page"],
        widenTerminal: ["terminal width 511"],
        pagers: [Answer(TextPattern("-- MORE --"), answer: " ", endsLine: false)],
        errorPatterns: [.lineStart("Invalid input"), .lineStart("Ambiguous input"), .lineStart("Incomplete input")],
        configMode: ConfigMode(enter: "configure terminal", exit: "end"),
        enable: EnableMode(),
        save: SaveCommand("write memory")
    )
}
