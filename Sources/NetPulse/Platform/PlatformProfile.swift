/// How to drive one platform's CLI. Profiles are data, not subclasses.
///
/// (Foundation issue: only the identity is here; the prompt, paging, config-mode and error
/// patterns arrive with the CLI engine.)
public struct PlatformProfile: Sendable, Hashable {
    /// The name requests use as `device_type`.
    public var name: String
    /// Other names accepted for this platform (`juniper` for `juniper_junos`).
    public var aliases: [String]

    public init(name: String, aliases: [String] = []) {
        self.name = name
        self.aliases = aliases
    }
}
