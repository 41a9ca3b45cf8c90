import Foundation
import NetPulse
import Testing

@testable import NetPulseLab

/// The lines a terminal sent, without the trailing prompt, checked with the core profile's own
/// prompt and error patterns: the emulation and the profile that drives it must agree.
func profileCheck(_ platform: LabPlatform, _ text: String) -> (prompt: PromptPattern.Match?, errors: [String]) {
    let profile = PlatformRegistry.builtin.profile(named: platform.rawValue)!
    let lines = text.components(separatedBy: "\r\n")
    let errors = lines.filter { line in profile.errorPatterns.contains { $0.matches(line) } }
    return (profile.prompt.match(lines.last ?? ""), errors)
}

@Suite("Cisco NX-OS emulation")
struct NexusTests {
    @Test func startsPrivilegedWithNexusPromptsAndErrors() {
        let terminal = router(.ciscoNXOS, index: 0, secret: nil)
        let banner = startText(terminal)
        #expect(banner.contains("Cisco Nexus Operating System (NX-OS) Software"))
        #expect(banner.hasSuffix("\r\nN1# "))
        #expect(profileCheck(.ciscoNXOS, banner).prompt?.name == "N1")
        #expect(type(terminal, "show interfaces\r").hasSuffix(" --More-- "))
        _ = type(terminal, "q")
        #expect(type(terminal, "terminal length 0\r").hasSuffix("N1# "))
        let invalid = type(terminal, "show bogus\r")
        #expect(invalid.contains("\r\n" + String(repeating: " ", count: "N1# show ".count) + "^\r\n"))
        #expect(invalid.contains("% Invalid command at '^' marker."))
        #expect(profileCheck(.ciscoNXOS, invalid).errors.count == 1)
        #expect(profileCheck(.ciscoNXOS, type(terminal, "show\r")).errors == ["% Incomplete command at '^' marker."])
        #expect(type(terminal, "show version\r").contains("NXOS: version 9.3(8)"))
        let brief = type(terminal, "show interface brief\r")
        #expect(brief.contains("Eth1/1 "))
        #expect(brief.contains("mgmt0"))
    }

    @Test func configModeSaveAndReload() {
        let terminal = router(.ciscoNXOS, index: 1, secret: nil)
        _ = type(terminal, "terminal length 0\r")
        #expect(type(terminal, "configure terminal\r").hasSuffix("N2(config)# "))
        #expect(type(terminal, "interface Eth1/3\r").hasSuffix("N2(config-if)# "))
        _ = type(terminal, "description to spine\rno switchport\rip address 10.9.9.1/30\r")
        #expect(type(terminal, "vlan 300\r").hasSuffix("N2(config-vlan)# "))
        _ = type(terminal, "name STORAGE\r")
        #expect(type(terminal, "end\r").hasSuffix("N2# "))
        let config = type(terminal, "show running-config\r")
        #expect(config.contains("interface Ethernet1/3\r\n  description to spine\r\n  no switchport\r\n"))
        #expect(config.contains("  ip address 10.9.9.1/30\r\n"))
        #expect(config.contains("vlan 300\r\n  name STORAGE\r\n"))
        #expect(type(terminal, "write memory\r").contains("% Invalid command"))
        let saved = type(terminal, "copy running-config startup-config\r")
        #expect(saved.contains("Copy complete."))
        #expect(type(terminal, "show startup-config\r").contains("description to spine"))
        #expect(type(terminal, "reload\r").hasSuffix("This command will reboot the system. (y/n)?  [n] "))
        #expect(type(terminal, "n\r").hasSuffix("N2# "))
        _ = type(terminal, "reload\r")
        #expect(type(terminal, "y\r").hasSuffix("<reload>"))
    }
}

@Suite("HPE Comware emulation")
struct ComwareTests {
    @Test func userViewSystemViewAndErrors() {
        let terminal = router(.hpComware, index: 2, secret: nil)
        let banner = startText(terminal)
        #expect(banner.contains("Hewlett Packard Enterprise"))
        #expect(banner.hasSuffix("<HP3>"))
        #expect(profileCheck(.hpComware, banner).prompt?.name == "HP3")
        #expect(type(terminal, "display interface\r").hasSuffix("  ---- More ----"))
        _ = type(terminal, "q")
        #expect(type(terminal, "screen-length disable\r") == "screen-length disable\r\n<HP3>")
        let error = type(terminal, "display bogus\r")
        #expect(error.contains(String(repeating: " ", count: "<HP3>display ".count) + "^"))
        #expect(error.contains(" % Unrecognized command found at '^' position."))
        #expect(profileCheck(.hpComware, error).errors.count == 1)
        #expect(type(terminal, "display version\r").contains("HPE Comware Software, Version 7.1.070"))
        #expect(type(terminal, "system-view\r").hasSuffix("System View: return to User View with Ctrl+Z.\r\n[HP3]"))
        #expect(type(terminal, "interface GigabitEthernet1/0/5\r").hasSuffix("[HP3-GigabitEthernet1/0/5]"))
        _ = type(terminal, "description to printer\rshutdown\r")
        #expect(type(terminal, "vlan 20\r").hasSuffix("[HP3-vlan20]"))
        _ = type(terminal, "name PRINTERS\r")
        #expect(type(terminal, "return\r").hasSuffix("<HP3>"))
        let config = type(terminal, "display current-configuration\r")
        #expect(config.contains("interface GigabitEthernet1/0/5\r\n port link-mode bridge\r\n description to printer"))
        #expect(config.contains("vlan 20\r\n name PRINTERS\r\n#"))
        #expect(type(terminal, "display vlan\r").contains("1(default), "))
    }

    @Test func saveAsksThreeQuestionsAndSaveForceNone() {
        let terminal = router(.hpComware, index: 0, secret: nil)
        _ = type(terminal, "screen-length disable\rsystem-view\rsysname EDGE1\rreturn\r")
        #expect(type(terminal, "save\r").hasSuffix("Are you sure? [Y/N]:"))
        #expect(type(terminal, "y\r").hasSuffix("(To leave the existing filename unchanged, press the enter key):"))
        #expect(type(terminal, "\r").hasSuffix("flash:/startup.cfg exists, overwrite? [Y/N]:"))
        let saved = type(terminal, "y\r")
        #expect(saved.contains("Saved the current configuration to mainboard device successfully."))
        #expect(type(terminal, "display saved-configuration\r").contains("sysname EDGE1"))
        _ = type(terminal, "system-view\rsysname EDGE2\rreturn\r")
        #expect(type(terminal, "save force\r").contains("successfully."))
        #expect(type(terminal, "display saved-configuration\r").contains("sysname EDGE2"))
        // Unsaved changes: reboot offers to save first.
        _ = type(terminal, "system-view\rsysname EDGE3\rreturn\r")
        #expect(type(terminal, "reboot\r").hasSuffix("save current configuration? [Y/N]:"))
        #expect(type(terminal, "n\r").hasSuffix("This command will reboot the device. Continue? [Y/N]:"))
        #expect(type(terminal, "y\r").hasSuffix("<reload>"))
    }
}

@Suite("Questions real IOS asks")
struct IOSQuestionTests {
    @Test func confirmTakesOneKeyAndReturnConfirms() {
        let terminal = router(.ciscoIOS)
        _ = type(terminal, "terminal length 0\renable\renable\r")
        #expect(
            type(terminal, "clear counters\r").hasSuffix(
                "Clear \"show interface\" counters on all interfaces [confirm]"))
        // One key decides; a CR LF counts once.
        #expect(type(terminal, "\r\n") == "\r\nR1#")
        _ = type(terminal, "clear counters\r")
        #expect(type(terminal, "n") == "\r\nR1#")
        #expect(type(terminal, "write erase\r").hasSuffix("Continue? [confirm]"))
        #expect(type(terminal, "y").contains("Erase of nvram: complete"))
    }

    @Test func reloadAsksToSaveThenToProceed() {
        let terminal = router(.ciscoIOS)
        _ = type(terminal, "terminal length 0\renable\renable\rconfigure terminal\rhostname CHANGED\rend\r")
        #expect(type(terminal, "reload\r").hasSuffix("System configuration has been modified. Save? [yes/no]: "))
        #expect(type(terminal, "maybe\r").contains("% Please answer 'yes' or 'no'."))
        let saved = type(terminal, "yes\r")
        #expect(saved.contains("[OK]"))
        #expect(saved.hasSuffix("Proceed with reload? [confirm]"))
        // Cancelled at [confirm]: back at the prompt, nothing reloaded.
        #expect(type(terminal, "n").hasSuffix("CHANGED#"))
        #expect(type(terminal, "reload\r").hasSuffix("Proceed with reload? [confirm]"), "saved: no question")
        let reloading = type(terminal, "\r")
        #expect(reloading.contains("%SYS-5-RELOAD"))
        #expect(reloading.hasSuffix("<reload>"))
    }

    @Test func copyAsksForTheDestination() {
        let terminal = router(.ciscoIOS)
        _ = type(terminal, "enable\renable\r")
        #expect(
            type(terminal, "copy running-config startup-config\r").hasSuffix("Destination filename [startup-config]? "))
        #expect(type(terminal, "\r").contains("[OK]"))
        _ = type(terminal, "copy running-config startup-config\r")
        #expect(type(terminal, "bogus\r").contains("%Error opening bogus"))
    }

    @Test func aReloadLosesUnsavedChanges() {
        let device = DeviceState(platform: .ciscoIOS, index: 0, username: "admin", enableSecret: "enable")
        device.running.hostname = "UNSAVED"
        device.reload()
        #expect(device.running.hostname == "R1")
    }
}
