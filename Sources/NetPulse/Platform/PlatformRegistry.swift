/// The platform profiles a request may name, by name or alias (case-insensitive).
public struct PlatformRegistry: Sendable {
    private var profiles: [String: PlatformProfile] = [:]
    private var lookup: [String: String] = [:]

    /// An empty registry.
    public init() {}

    /// A registry holding the given profiles.
    public init(_ profiles: [PlatformProfile]) {
        for profile in profiles { register(profile) }
    }

    /// Adds a profile, replacing any with the same name; its aliases point to it.
    public mutating func register(_ profile: PlatformProfile) {
        profiles[profile.name] = profile
        lookup[profile.name.lowercased()] = profile.name
        for alias in profile.aliases { lookup[alias.lowercased()] = profile.name }
    }

    /// The profile with this name or alias, if any.
    public func profile(named name: String) -> PlatformProfile? {
        lookup[name.lowercased()].flatMap { profiles[$0] }
    }

    /// The registered names (not aliases), sorted.
    public var names: [String] { profiles.keys.sorted() }
}

extension PlatformRegistry {
    /// The profiles NetPulse ships.
    public static let builtin = PlatformRegistry(PlatformProfile.builtin)
}

extension PlatformProfile {
    /// The profiles NetPulse ships, before any user registration.
    public static let builtin: [PlatformProfile] = [
        PlatformProfile(name: "cisco_ios"),
        PlatformProfile(name: "cisco_xe"),
        PlatformProfile(name: "cisco_nxos"),
        PlatformProfile(name: "arista_eos"),
        PlatformProfile(name: "juniper_junos", aliases: ["juniper"]),
        PlatformProfile(name: "huawei"),
        PlatformProfile(name: "hp_comware"),
        PlatformProfile(name: "linux"),
    ]
}
