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
