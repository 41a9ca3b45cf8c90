extension DeviceTarget {
    /// The longest host name accepted (a DNS name's limit).
    public static let maximumHostLength = 253

    /// The accepted TCP ports.
    public static let portRange: ClosedRange<Int> = 1...65_535

    /// Why `host` cannot name a device, or `nil` when it can.
    ///
    /// A host must be non-empty, at most ``maximumHostLength`` bytes, and hold no NUL, no control
    /// character and no whitespace (an embedded NUL ends the name for C but not for Swift, and a line
    /// break would write a line of its own into known_hosts); it must not start with `-` (it would read
    /// as an option to any tool it is handed to). The reason never quotes the host.
    ///
    /// - Parameter host: The host as given (an IPv6 address without brackets, or a name).
    /// - Returns: The reason, for ``RequestError/reason``.
    public static func hostProblem(_ host: String) -> String? {
        if host.isEmpty { return "is required" }
        let length = host.utf8.count
        if length > maximumHostLength {
            return "is \(length) bytes long; at most \(maximumHostLength)"
        }
        if host.utf8.first == UInt8(ascii: "-") { return "must not start with '-'" }
        for scalar in host.unicodeScalars {
            let value = scalar.value
            if value < 0x20 || (0x7F...0x9F).contains(value) {
                let code = String(value, radix: 16, uppercase: true)
                return "contains a control character (U+\(String(repeating: "0", count: 4 - code.count))\(code))"
            }
            // ASCII (nearly every host): the only whitespace left after the control characters is the space.
            if value < 0x80 {
                if value == 0x20 { return "contains whitespace" }
                continue
            }
            if scalar.properties.isWhitespace || value == 0x200B || value == 0xFEFF {
                return "contains whitespace"
            }
        }
        return nil
    }

    /// Checks a host.
    ///
    /// - Parameters:
    ///   - host: The host as given.
    ///   - field: The field path for the error (`devices[3].host`).
    /// - Throws: ``RequestError`` naming `field`.
    public static func validateHost(_ host: String, field: String) throws(RequestError) {
        if let problem = hostProblem(host) { throw RequestError(field: field, reason: problem) }
    }

    /// Checks a TCP port: 1 to 65535.
    ///
    /// - Throws: ``RequestError`` naming `field`.
    public static func validatePort(_ port: Int, field: String) throws(RequestError) {
        guard portRange.contains(port) else {
            throw RequestError(field: field, reason: "must be between 1 and 65535, got \(port)")
        }
    }
}
