/// A configuration line that carries a secret (`username x secret …`, `snmp-server community …`,
/// `enable secret …`), and the word after which the secret starts.
///
/// The CLI engine redacts such lines wherever it would show them: debug logs, `command_error` messages,
/// the last bytes quoted in timeout errors, and the commands recorded with a config push's outputs.
/// What follows the keyword is replaced by `********`: `username admin secret ********`.
public struct SensitivePattern: Sendable, Hashable {
    /// The lines the pattern applies to (`tacacs-server`); `nil` for every line.
    public var line: TextPattern?
    /// The word after which the rest of the line is secret, matched as a whole word in any case.
    public var keyword: String

    /// - Parameters:
    ///   - line: The lines it applies to; `nil` for every line.
    ///   - keyword: The word after which the rest of the line is secret.
    public init(line: TextPattern? = nil, keyword: String) {
        self.line = line
        self.keyword = keyword
    }

    /// Secrets in the configuration languages of the built-in platforms: Cisco and Arista
    /// (`username … secret|password`, `enable secret`, `snmp-server community`, `key-string`,
    /// `tacacs-server … key`), Junos (`encrypted-password`, `authentication-key`, `community`), Huawei
    /// and Comware (`password cipher …`, `snmp-agent community …`).
    public static let common: [SensitivePattern] =
        [
            "secret", "password", "community", "key-string", "pre-shared-key", "encrypted-password",
            "plain-text-password-value", "authentication-key",
        ].map { SensitivePattern(keyword: $0) } + [
            SensitivePattern(line: .lineStart("tacacs-server", caseInsensitive: true), keyword: "key"),
            SensitivePattern(line: .lineStart("radius-server", caseInsensitive: true), keyword: "key"),
            SensitivePattern(line: .lineStart("tacacs server", caseInsensitive: true), keyword: "key"),
            SensitivePattern(line: .lineStart("crypto isakmp key", caseInsensitive: true), keyword: "key"),
            SensitivePattern(line: .lineStart("snmp-server user", caseInsensitive: true), keyword: "auth"),
            SensitivePattern(line: .lineStart("ntp authentication-key", caseInsensitive: true), keyword: "md5"),
        ]

    /// Where the secret starts in `line` (the index after the keyword and its space), or `nil` when the
    /// line holds none.
    func secretStart(in line: UnsafeBufferPointer<UInt8>) -> Int? {
        if let pattern = self.line, !pattern.matches(line) { return nil }
        let word = Array(keyword.utf8)
        guard !word.isEmpty, line.count > word.count + 1 else { return nil }
        var start = 0
        while start + word.count < line.count {
            let before = start == 0 || Self.isSpace(line[start - 1])
            if before, Self.equalIgnoringCase(line, at: start, word), Self.isSpace(line[start + word.count]) {
                var secret = start + word.count
                while secret < line.count, Self.isSpace(line[secret]) { secret += 1 }
                if secret < line.count { return secret }
                return nil
            }
            start += 1
        }
        return nil
    }

    private static func isSpace(_ byte: UInt8) -> Bool { byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }

    private static func equalIgnoringCase(_ line: UnsafeBufferPointer<UInt8>, at start: Int, _ word: [UInt8]) -> Bool {
        for offset in 0..<word.count {
            var byte = line[start + offset]
            if byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") { byte += 32 }
            var expected = word[offset]
            if expected >= UInt8(ascii: "A") && expected <= UInt8(ascii: "Z") { expected += 32 }
            if byte != expected { return false }
        }
        return true
    }
}

extension PlatformProfile {
    /// `text` with the secret part of every sensitive line (``sensitiveLines``) replaced by `********`.
    ///
    /// - Parameter text: One line or several (separated by `\n`).
    /// - Returns: The text, redacted.
    public func redacted(_ text: String) -> String {
        guard !sensitiveLines.isEmpty else { return text }
        let bytes = Array(text.utf8)
        let result = redacted(bytes)
        return result.count == bytes.count && result == bytes ? text : String(decoding: result, as: UTF8.self)
    }

    /// The secret part of `line` when it is a sensitive line (what ``redacted(_:)`` masks), else `nil`.
    public func secretPart(of line: String) -> String? {
        guard !sensitiveLines.isEmpty else { return nil }
        let bytes = Array(line.utf8)
        let cut = bytes.withUnsafeBufferPointer { buffer in
            sensitiveLines.compactMap { $0.secretStart(in: buffer) }.min()
        }
        guard let cut else { return nil }
        var secret = bytes[cut...]
        while let last = secret.last, last == UInt8(ascii: " ") || last == UInt8(ascii: "\t") { secret.removeLast() }
        return secret.isEmpty ? nil : String(decoding: secret, as: UTF8.self)
    }

    /// `bytes` with the secret part of every sensitive line replaced by `********`.
    func redacted(_ bytes: [UInt8]) -> [UInt8] {
        guard !sensitiveLines.isEmpty else { return bytes }
        var result: [UInt8] = []
        result.reserveCapacity(bytes.count)
        bytes.withUnsafeBufferPointer { buffer in
            var start = 0
            while start <= buffer.count {
                var end = start
                while end < buffer.count, buffer[end] != UInt8(ascii: "\n"), buffer[end] != UInt8(ascii: "\r") {
                    end += 1
                }
                let line = UnsafeBufferPointer(rebasing: buffer[start..<end])
                let cut = sensitiveLines.compactMap { $0.secretStart(in: line) }.min()
                if let cut {
                    result.append(contentsOf: line[0..<cut])
                    result.append(contentsOf: Secret.mask.utf8)
                } else {
                    result.append(contentsOf: line)
                }
                guard end < buffer.count else { break }
                result.append(buffer[end])
                start = end + 1
            }
        }
        return result
    }
}
