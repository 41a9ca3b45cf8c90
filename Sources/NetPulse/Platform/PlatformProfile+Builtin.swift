extension PlatformProfile {
    /// The profiles NetPulse ships, before any user registration.
    public static let builtin: [PlatformProfile] =
        [ciscoIOS, ciscoXE, ciscoNXOS, aristaEOS, juniperJunos, huawei, hpComware, linux] + netmikoNamed

    private static let ciscoPrompt = PromptPattern(
        nameCharacters: "._-/", mode: .enclosed(open: "(", close: ")"), terminators: ">#")

    private static let ciscoErrors: [TextPattern] = [
        .lineStart("% Invalid input"),
        .lineStart("% Incomplete command"),
        .lineStart("% Ambiguous command"),
        .lineStart("% Unknown command"),
        .lineStart("% Invalid command"),
        .lineStart("% Unrecognized command"),
        .lineStart("% Bad "),
        .lineStart("% Error"),
        .lineStart("% Not allowed"),
    ]

    private static let moreSpace = Answer(TextPattern("--More--"), answer: " ", endsLine: false)

    /// Cisco IOS: `R1>`, `R1#` after `enable`, `R1(config)#`.
    public static let ciscoIOS = PlatformProfile(
        name: "cisco_ios",
        aliases: ["ios", "cisco_ios_ssh"],
        prompt: ciscoPrompt,
        disablePaging: ["terminal length 0"],
        widenTerminal: ["terminal width 511"],
        pagers: [moreSpace],
        errorPatterns: ciscoErrors,
        configMode: ConfigMode(enter: "configure terminal", exit: "end"),
        enable: EnableMode(),
        save: SaveCommand(
            "write memory",
            confirmations: [Answer(TextPattern("Destination filename ["), answer: "")]
        ),
        questions: [Answer(TextPattern("Destination filename ["), answer: "")]
    )

    /// Cisco IOS XE: as IOS.
    public static let ciscoXE: PlatformProfile = {
        var profile = ciscoIOS
        profile.name = "cisco_xe"
        profile.aliases = ["ios_xe", "iosxe"]
        return profile
    }()

    /// Cisco NX-OS: `N1#` (already privileged), `N1(config)#`.
    public static let ciscoNXOS = PlatformProfile(
        name: "cisco_nxos",
        aliases: ["nxos", "nx_os"],
        prompt: ciscoPrompt,
        disablePaging: ["terminal length 0"],
        widenTerminal: ["terminal width 511"],
        pagers: [moreSpace],
        errorPatterns: ciscoErrors + [.lineStart("ERROR:")],
        configMode: ConfigMode(enter: "configure terminal", exit: "end"),
        enable: EnableMode(requiredForConfig: false),
        save: SaveCommand("copy running-config startup-config")
    )

    /// Arista EOS: `sw1>`, `sw1#` after `enable`, `sw1(config-if-Et1)#`.
    public static let aristaEOS = PlatformProfile(
        name: "arista_eos",
        aliases: ["eos", "arista"],
        prompt: ciscoPrompt,
        disablePaging: ["terminal length 0"],
        widenTerminal: ["terminal width 32767"],
        pagers: [moreSpace],
        errorPatterns: ciscoErrors,
        configMode: ConfigMode(enter: "configure terminal", exit: "end"),
        enable: EnableMode(),
        save: SaveCommand("write memory")
    )

    /// Juniper Junos: `admin@mx1> `, `admin@mx1# ` below an `[edit]` line in configuration mode.
    /// `commit` applies and saves; a push that stops on error is rolled back instead.
    public static let juniperJunos = PlatformProfile(
        name: "juniper_junos",
        aliases: ["juniper", "junos"],
        prompt: PromptPattern(nameCharacters: "._-@", terminators: ">#"),
        promptPreamble: [
            .lineStart("[edit"), .lineStart("{master"), .lineStart("{backup"), .lineStart("{primary"),
            .lineStart("{secondary"), .lineStart("{linecard"),
        ],
        disablePaging: ["set cli screen-length 0"],
        widenTerminal: ["set cli screen-width 0"],
        pagers: [Answer(TextPattern("---(more"), answer: " ", endsLine: false)],
        errorPatterns: [
            .lineStart("syntax error"),
            .lineStart("unknown command"),
            .lineStart("error:"),
            .lineStart("invalid "),
            .lineStart("missing argument"),
        ],
        configMode: ConfigMode(
            enter: "configure",
            exit: "exit configuration-mode",
            commit: "commit",
            discard: "rollback 0",
            exitQuestions: [Answer(TextPattern("uncommitted changes"), answer: "yes")]
        )
    )

    private static let vrpPrompt = PromptPattern(
        openers: "<[", requiresOpener: true, flags: "~*", nameCharacters: "._-", mode: .free, terminators: ">]")

    /// Huawei VRP: `<HW1>`, `[HW1]`, `[HW1-GigabitEthernet0/0/1]`.
    public static let huawei = PlatformProfile(
        name: "huawei",
        aliases: ["huawei_vrp", "vrp"],
        prompt: vrpPrompt,
        disablePaging: ["screen-length 0 temporary"],
        pagers: [Answer(TextPattern("---- More ----"), answer: " ", endsLine: false)],
        errorPatterns: [
            .lineStart("Error:"),
            TextPattern("Unrecognized command found"),
            TextPattern("Incomplete command found"),
            TextPattern("Wrong parameter found"),
            TextPattern("Too many parameters found"),
        ],
        configMode: ConfigMode(enter: "system-view", exit: "return"),
        save: SaveCommand(
            "save",
            confirmations: [Answer(TextPattern("[Y/N]", caseInsensitive: true), answer: "y")]
        )
    )

    /// HPE Comware: `<HP1>`, `[HP1]`.
    public static let hpComware = PlatformProfile(
        name: "hp_comware",
        aliases: ["comware", "h3c"],
        prompt: vrpPrompt,
        disablePaging: ["screen-length disable"],
        pagers: [Answer(TextPattern("---- More ----"), answer: " ", endsLine: false)],
        errorPatterns: [
            .lineStart("% Unrecognized command"),
            .lineStart("% Incomplete command"),
            .lineStart("% Wrong parameter"),
            .lineStart("% Too many parameters"),
            .lineStart("% Ambiguous command"),
            .lineStart("Error:"),
        ],
        configMode: ConfigMode(enter: "system-view", exit: "return"),
        save: SaveCommand(
            "save force",
            confirmations: [Answer(TextPattern("[Y/N]", caseInsensitive: true), answer: "y")]
        )
    )

    /// A Linux shell: `user@host:~$ `, `root@host:/# `, `[user@host ~]$ `. No configuration mode.
    public static let linux = PlatformProfile(
        name: "linux",
        aliases: ["linux_ssh"],
        prompt: PromptPattern(openers: "[", nameCharacters: "._-@", mode: .free, terminators: "$#"),
        errorPatterns: [
            TextPattern(": command not found")
        ],
        transport: .exec,
        legacyAlgorithms: false
    )
}
