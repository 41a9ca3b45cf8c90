import NetPulse
import Testing

@Suite("Driver registry")
struct DriverRegistryTests {
    @Test("names and aliases resolve, case-insensitively")
    func resolves() {
        var registry = DriverRegistry()
        registry.register(NullDriver(), as: "libssh2", aliases: ["ssh2"])
        registry.register(NullDriver(), as: "libssh", aliases: ["ssh"])
        let aliased = registry.alias(["netmiko", "paramiko"], to: "ssh2")
        let missing = registry.alias(["x"], to: "telnet")
        #expect(aliased)
        #expect(!missing)
        #expect(registry.canonicalName("SSH2") == "libssh2")
        #expect(registry.canonicalName("netmiko") == "libssh2")
        #expect(registry.canonicalName("ssh") == "libssh")
        #expect(registry.driver(named: "Netmiko") != nil)
        #expect(registry.driver(named: "telnet") == nil)
        #expect(registry.names == ["libssh", "libssh2"])
    }

    @Test("platform names and aliases")
    func platforms() {
        let registry = PlatformRegistry.builtin
        for name in [
            "cisco_ios", "cisco_xe", "cisco_nxos", "arista_eos", "juniper_junos", "huawei", "hp_comware", "linux",
        ] {
            #expect(registry.profile(named: name)?.name == name)
        }
        #expect(registry.profile(named: "Juniper")?.name == "juniper_junos")
        #expect(registry.profile(named: "autodetect") == nil)
        var custom = registry
        custom.register(PlatformProfile(name: "mikrotik_routeros", aliases: ["routeros"]))
        #expect(custom.profile(named: "routeros")?.name == "mikrotik_routeros")
    }
}
