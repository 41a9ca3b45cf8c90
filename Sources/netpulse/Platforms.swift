import ArgumentParser
import Foundation
import NetPulse
import NetPulsePlatforms

/// `--platforms FILE|DIR` (repeatable) for `run`, `exec`, `serve` and `platforms`: platform profiles from
/// YAML or JSON files, beside the built-in ones. Over HTTP a request names a loaded `device_type`, never a file.
struct PlatformOptions: ParsableArguments {
    @Option(
        name: .customLong("platforms"),
        help: ArgumentHelp(
            "A platform profile file (.yaml, .yml, .json) or a folder of them, loaded beside the built-in ones.",
            discussion: "Repeatable. A profile may `inherits:` a built-in or earlier one; see `netpulse platforms`.",
            valueName: "file-or-dir"))
    var paths: [String] = []

    /// The built-in platforms plus the loaded ones.
    ///
    /// - Throws: `ExitCode(2)` after printing which file and field is at fault.
    func registry() throws -> PlatformRegistry {
        guard !paths.isEmpty else { return .builtin }
        do {
            return try PlatformRegistry.load(paths)
        } catch {
            printError("--platforms: \(error)")
            throw ExitCode(2)
        }
    }
}

/// `netpulse platforms`: the platforms a request may name, with their prompts and paging commands.
struct Platforms: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the platforms (device_type) known here, built in and loaded with --platforms.",
        discussion: """
            --format table shows each platform's aliases, prompt shape, paging and configuration commands; \
            --format json prints the full profiles in the field names of platform files (a good start for one \
            of your own); --format yaml prints one platform (--name) as a file to edit.
            """)

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case table, json, yaml
    }

    @Option(help: "table, json or yaml.")
    var format: Format = .table

    @Option(help: "Only this platform (a name or an alias).")
    var name: String?

    @OptionGroup var platformFiles: PlatformOptions

    func run() throws {
        let registry = try platformFiles.registry()
        var profiles = registry.names.compactMap { registry.profile(named: $0) }
        if let name {
            guard let profile = registry.profile(named: name) else {
                printError("--name: no platform named '\(name)'; known: \(registry.names.joined(separator: ", "))")
                throw ExitCode(2)
            }
            profiles = [profile]
        }
        switch format {
        case .table:
            printLine(Self.table(profiles))
        case .json:
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            guard let data = try? encoder.encode(profiles) else { throw ExitCode(1) }
            printLine(String(decoding: data, as: UTF8.self))
        case .yaml:
            guard profiles.count == 1, let profile = profiles.first else {
                printError("--format yaml prints one platform: give --name")
                throw ExitCode(2)
            }
            printLine(try PlatformRegistry.yaml(profile))
        }
    }

    /// One row per platform: name, aliases, prompt shape, paging and width commands, configuration mode.
    static func table(_ profiles: [PlatformProfile]) -> String {
        let header = ["DEVICE_TYPE", "ALIASES", "PROMPT", "PAGING OFF", "CONFIG"]
        var rows = [header]
        for profile in profiles {
            let config: String =
                if let mode = profile.configMode {
                    [mode.enter.isEmpty ? "(at prompt)" : mode.enter, mode.commit.map { "commit: \($0)" }]
                        .compactMap { $0 }.joined(separator: ", ")
                } else {
                    profile.transport == .exec ? "(exec channels)" : "-"
                }
            rows.append([
                profile.name,
                profile.aliases.joined(separator: ","),
                Self.promptExample(profile),
                (profile.disablePaging + profile.widenTerminal).joined(separator: "; "),
                config,
            ])
        }
        let widths = header.indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        return rows.map { row in
            row.indices.map { column in
                column == row.count - 1
                    ? row[column] : row[column].padding(toLength: widths[column], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }

    /// The prompt's shape in brief: `NAME` then what may follow, then the terminators.
    static func promptExample(_ profile: PlatformProfile) -> String {
        let prompt = profile.prompt
        var text = prompt.openers.isEmpty ? "" : "[\(prompt.openers)]" + (prompt.requiresOpener ? "" : "?")
        if !prompt.flags.isEmpty { text += "[\(prompt.flags)]*" }
        text += "NAME"
        switch prompt.mode {
        case .none: break
        case .enclosed(let open, let close): text += "\(open)mode\(close)?"
        case .free: text += "…"
        }
        text += prompt.terminators.count == 1 ? prompt.terminators : "[\(prompt.terminators)]"
        if !profile.promptPreamble.isEmpty {
            text += " below " + profile.promptPreamble.map(\.description).joined(separator: "|")
        }
        return text
    }
}
