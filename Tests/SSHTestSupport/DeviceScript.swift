public import Foundation

/// A Cisco-like CLI written as a shell script, for sshd's `ForceCommand` (sshd runs it in the pty):
/// a `R1>` prompt, paging (` --More-- `) until `terminal length 0`, `enable` with the password
/// ``enableSecret``, `configure terminal` and `interface`/`description` lines, `% Invalid input` for
/// anything else, and `crash`, which kills the sshd process serving the connection.
public struct DeviceScript: Sendable {
    /// The enable secret the script accepts.
    public static let enableSecret = "en-secret"

    public let directory: String
    /// The script's path, for `ForceCommand`.
    public var path: String { directory + "/device.sh" }
    /// The sshd config line that runs it.
    public var forceCommand: String { "ForceCommand \(path)" }

    /// Writes the script to a fresh folder readable by the test user.
    public init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("np-dev-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try Self.text.write(toFile: path, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: directory)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
    }

    /// Removes the folder.
    public func remove() { try? FileManager.default.removeItem(atPath: directory) }

    static let text = #"""
        #!/bin/sh
        host=R1; mode=user; paging=1; cr=$(printf '\r')
        prompt() {
          case $mode in user) printf '%s>' "$host" ;; priv) printf '%s#' "$host" ;; *) printf '%s(%s)#' "$host" "$mode" ;; esac
        }
        printf 'Welcome to R1\n\n'
        prompt
        while IFS= read -r line; do
          line=${line%"$cr"}
          case "$line" in
            '') ;;
            'terminal length 0') paging=0 ;;
            'terminal width 511') ;;
            'show clock') printf '10:00:00.000 UTC Sun Nov 29 2026\n' ;;
            'show version')
              n=0; i=1
              while [ $i -le 12 ]; do
                printf 'line %s of the version output\n' $i
                i=$((i+1)); n=$((n+1))
                if [ $paging = 1 ] && [ $n = 5 ]; then
                  n=0; printf ' --More-- '; stty -icanon -echo min 1; dd bs=1 count=1 >/dev/null 2>&1
                  stty icanon echo; printf '\r          \r'
                fi
              done ;;
            enable)
              printf 'Password: '; stty -echo; IFS= read -r pw; stty echo; printf '\n'
              if [ "${pw%"$cr"}" = en-secret ]; then mode=priv; else printf '%% Access denied\n'; fi ;;
            'configure terminal') if [ $mode = priv ]; then mode=config; else printf "%% Invalid input detected at '^' marker.\n"; fi ;;
            interface*) if [ $mode != user ] && [ $mode != priv ]; then mode=config-if; else printf "%% Invalid input detected at '^' marker.\n"; fi ;;
            description*) [ $mode = config-if ] || printf "%% Invalid input detected at '^' marker.\n" ;;
            end) [ $mode = user ] || mode=priv ;;
            crash)
              printf 'dying\n'; p=$PPID
              while [ "$(cat /proc/$p/comm)" != sshd ]; do p=$(cut -d' ' -f4 /proc/$p/stat); done
              kill -9 $p ;;
            exit) exit 0 ;;
            *) printf "%% Invalid input detected at '^' marker.\n" ;;
          esac
          prompt
        done
        """#
}
