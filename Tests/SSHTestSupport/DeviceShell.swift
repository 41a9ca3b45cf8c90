import Foundation

/// A device-like CLI for the driver tests, served by the test sshd on a second port: a Cisco-IOS-like
/// shell (prompt `R1#`) on the session's pty, written in Python. Paging (` --More-- `) is on until
/// `terminal length 0`; `configure terminal` enters config mode (`R1(config)#`, `R1(config-if)#`);
/// unknown lines get `% Invalid input detected at '^' marker.`; `show big N` prints N bytes; `crash`
/// prints part of an answer and then kills the sshd session process serving it (SIGKILL), so the
/// client loses the connection mid-command.
public enum DeviceShell {
    /// Where the script is written (readable by the test user).
    public static let scriptPath = "/tmp/netpulse-device-shell-v1.py"

    /// A server configuration that also listens on a second loopback port whose logins run the
    /// device shell instead of the user's shell.
    ///
    /// - Returns: The configuration and the device port.
    public static func configuration() throws -> (TestSSHD.Configuration, devicePort: Int) {
        try installScript()
        let port = try TestSSHD.freePort()
        let config = TestSSHD.Configuration(extraConfig: [
            "Port \(port)",
            "Match LocalPort \(port)",
            "    ForceCommand exec /usr/bin/python3 \(scriptPath)",
        ])
        return (config, port)
    }

    /// Writes the script (atomically) unless an identical one is there.
    static func installScript() throws {
        if let existing = try? String(contentsOfFile: scriptPath, encoding: .utf8), existing == script { return }
        let temporary = "\(scriptPath).\(UUID().uuidString)"
        try script.write(toFile: temporary, atomically: false, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: temporary)
        guard rename(temporary, scriptPath) == 0 else {
            throw TestSSHD.Failure(description: "cannot install \(scriptPath)")
        }
    }

    static let script = #"""
        import os, signal, sys, termios, tty

        # A device-like CLI for the driver tests: a Cisco-IOS-like shell on a pty.
        # Prompt R1#, paging (--More--) on until 'terminal length 0', config mode, rejected lines.
        try:
            tty.setraw(0)
        except Exception:
            pass

        state = {"host": "R1", "mode": "exec", "iface": None, "length": 24, "width": 80, "config": []}


        def out(text):
            data = text.encode()
            while data:
                n = os.write(1, data)
                data = data[n:]


        def prompt():
            mode = state["mode"]
            suffix = {"exec": "#", "config": "(config)#", "if": "(config-if)#"}[mode]
            out(state["host"] + suffix)


        def read_key():
            data = os.read(0, 1)
            if not data:
                sys.exit(0)
            return data


        def paged(lines):
            length = state["length"]
            if length == 0:
                out("".join(line + "\r\n" for line in lines))
                return
            shown = 0
            for line in lines:
                if shown == length - 1:
                    out(" --More-- ")
                    key = read_key()
                    out("\b" * 10 + " " * 10 + "\b" * 10)
                    if key in (b"q", b"Q"):
                        return
                    shown = 0
                out(line + "\r\n")
                shown += 1


        def invalid(line):
            out(" " * (len(state["host"]) + 1) + "^\r\n% Invalid input detected at '^' marker.\r\n\r\n")


        def run_exec(line):
            words = line.split()
            if not words:
                return
            if words[:2] == ["terminal", "length"] and len(words) == 3 and words[2].isdigit():
                state["length"] = int(words[2])
            elif words[:2] == ["terminal", "width"] and len(words) == 3 and words[2].isdigit():
                state["width"] = int(words[2])
            elif line == "show terminal":
                out("Length: %d lines, Width: %d columns\r\n" % (state["length"], state["width"]))
            elif line == "show version":
                paged(["Cisco IOS Software, NetPulse test device, line %02d" % i for i in range(1, 61)])
            elif line == "show running-config":
                paged(["hostname " + state["host"], "!"] + state["config"] + ["end"])
            elif words[:2] == ["show", "big"] and len(words) == 3 and words[2].isdigit():
                total = int(words[2])
                row = ("x" * 98) + "\r\n"
                chunk = row * 100
                while total >= len(chunk):
                    out(chunk)
                    total -= len(chunk)
                out(("y" * total)[: max(0, total - 2)] + ("\r\n" if total >= 2 else ""))
            elif line == "crash":
                out("Building a long answer...\r\n" + ("partial output line\r\n" * 50))
                os.kill(os.getppid(), signal.SIGKILL)
                os._exit(1)
            elif line == "write memory":
                out("Building configuration...\r\n[OK]\r\n")
            elif line in ("configure terminal", "conf t"):
                out("Enter configuration commands, one per line.  End with CNTL/Z.\r\n")
                state["mode"] = "config"
            elif line == "exit":
                sys.exit(0)
            else:
                invalid(line)


        def run_config(line):
            words = line.split()
            if not words:
                return
            if line == "end":
                state["mode"] = "exec"
                state["iface"] = None
            elif line == "exit":
                state["mode"] = "config" if state["mode"] == "if" else "exec"
            elif words[0] == "hostname" and len(words) == 2:
                state["host"] = words[1]
            elif words[0] == "interface" and len(words) == 2:
                state["mode"] = "if"
                state["iface"] = words[1]
                state["config"].append("interface " + words[1])
            elif state["mode"] == "if" and words[0] in ("description", "shutdown", "no"):
                state["config"].append(" " + line)
            else:
                invalid(line)


        out("\r\nNetPulse test device\r\n\r\n")
        prompt()
        line = b""
        last = b""
        while True:
            data = os.read(0, 4096)
            if not data:
                break
            for byte in data:
                ch = bytes([byte])
                if ch == b"\n" and last == b"\r":
                    last = ch
                    continue
                last = ch
                if ch in (b"\r", b"\n"):
                    out("\r\n")
                    text = line.decode(errors="replace").strip()
                    line = b""
                    if state["mode"] == "exec":
                        run_exec(text)
                    else:
                        run_config(text)
                    prompt()
                elif ch in (b"\x7f", b"\b"):
                    line = line[:-1]
                else:
                    line += ch
                    os.write(1, ch)
        """#
}
