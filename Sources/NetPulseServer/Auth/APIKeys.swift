import Foundation
public import NetPulse

/// The API keys a server accepts in the `X-API-KEY` header.
///
/// A presented key is compared with every configured key in constant time (the time does not depend
/// on how many leading bytes match, nor on which key matched). Keys never appear in `description`,
/// logs or errors.
public struct APIKeys: Sendable, CustomStringConvertible {
    /// What a key may do.
    public enum Scope: String, Sendable, Hashable, CaseIterable {
        /// `GET` endpoints only (job and batch views, lists).
        case read
        /// Everything: submit, test, cancel, and read.
        case write
    }

    /// One accepted key.
    public struct Key: Sendable {
        /// Where the key came from, for messages (`NETPULSE_API_KEYS #2`, `keys.txt:4`); never the key.
        public var origin: String
        public var scope: Scope
        let padded: [UInt8]
        let length: Int

        /// - Parameters:
        ///   - secret: The key; between ``APIKeys/minimumLength`` and ``APIKeys/maximumLength`` bytes,
        ///     printable ASCII without spaces.
        ///   - scope: What the key may do.
        ///   - origin: Where the key came from, for messages.
        /// - Throws: ``APIKeyError`` when the key is too short, too long, or has unusable characters.
        public init(_ secret: Secret, scope: Scope = .write, origin: String) throws(APIKeyError) {
            let bytes = Array(secret.revealed.utf8)
            guard bytes.count >= APIKeys.minimumLength else {
                throw APIKeyError(
                    origin: origin, reason: "a key must have at least \(APIKeys.minimumLength) characters")
            }
            guard bytes.count <= APIKeys.maximumLength else {
                throw APIKeyError(
                    origin: origin, reason: "a key must have at most \(APIKeys.maximumLength) characters")
            }
            guard bytes.allSatisfy({ $0 > 0x20 && $0 < 0x7f }) else {
                throw APIKeyError(origin: origin, reason: "a key must be printable ASCII without spaces")
            }
            self.origin = origin
            self.scope = scope
            self.length = bytes.count
            self.padded = bytes + [UInt8](repeating: 0, count: APIKeys.maximumLength - bytes.count)
        }
    }

    /// Keys shorter than this are refused when loaded.
    public static let minimumLength = 16
    /// Keys longer than this are refused when loaded; presented keys longer than this never match.
    public static let maximumLength = 256

    public private(set) var keys: [Key]

    /// - Parameter keys: The accepted keys; none means no request is authenticated.
    public init(_ keys: [Key] = []) { self.keys = keys }

    public var isEmpty: Bool { keys.isEmpty }

    public var description: String {
        "\(keys.count) API key(s) (\(keys.filter { $0.scope == .read }.count) read-only)"
    }

    /// The scope of the key that matches `presented`, or `nil` when none does. Every key is
    /// compared in full, whatever matched before.
    public func scope(of presented: some StringProtocol) -> Scope? {
        match(presented)?.scope
    }

    /// The key that matches `presented` (its position in ``keys`` and its scope), or `nil` when none
    /// does; the write key when the same key is configured twice. Every key is compared in full,
    /// whatever matched before.
    public func match(_ presented: some StringProtocol) -> (index: Int, scope: Scope)? {
        var buffer = [UInt8](repeating: 0, count: Self.maximumLength)
        var count = 0
        var tooLong = 0 as UInt8
        for byte in presented.utf8 {
            if count < Self.maximumLength { buffer[count] = byte } else { tooLong = 1 }
            count &+= 1
        }
        var found: (index: Int, scope: Scope)?
        for (index, key) in keys.enumerated() {
            var difference = tooLong
            // Fold the lengths in, then every byte of the fixed-size buffers: no early exit.
            let lengthDifference = key.length ^ min(count, Self.maximumLength)
            difference |= UInt8(truncatingIfNeeded: lengthDifference) | UInt8(truncatingIfNeeded: lengthDifference >> 8)
            for index in 0..<Self.maximumLength {
                difference |= key.padded[index] ^ buffer[index]
            }
            if difference == 0 && found?.scope != .write { found = (index, key.scope) }
        }
        return found
    }

    /// Adds the keys in an environment variable's value: comma- or whitespace-separated keys, each
    /// with full (`write`) scope.
    ///
    /// - Parameters:
    ///   - value: The variable's value.
    ///   - name: The variable's name, for messages.
    public mutating func add(environmentValue value: String, name: String) throws(APIKeyError) {
        let parts = value.split { $0 == "," || $0.isWhitespace }
        for (number, part) in parts.enumerated() {
            keys.append(try Key(Secret(String(part)), scope: .write, origin: "\(name) #\(number + 1)"))
        }
    }

    /// Adds the keys of a key file: one key per line, optionally followed by a space and its scope
    /// (`read` or `write`, default `write`); blank lines and lines starting with `#` are skipped.
    ///
    /// - Parameter path: The file.
    /// - Throws: ``APIKeyError`` naming the file and line at fault (never the key).
    public mutating func add(file path: String) throws(APIKeyError) {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw APIKeyError(origin: path, reason: "cannot read the key file")
        }
        for (number, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty || line.hasPrefix("#") { continue }
            let origin = "\(path):\(number + 1)"
            let fields = line.split(whereSeparator: \.isWhitespace)
            guard fields.count <= 2 else {
                throw APIKeyError(origin: origin, reason: "expected a key, optionally followed by 'read' or 'write'")
            }
            var scope = Scope.write
            if fields.count == 2 {
                guard let parsed = Scope(rawValue: String(fields[1])) else {
                    throw APIKeyError(origin: origin, reason: "unknown scope; expected 'read' or 'write'")
                }
                scope = parsed
            }
            keys.append(try Key(Secret(String(fields[0])), scope: scope, origin: origin))
        }
    }
}

/// A key that cannot be used, with where it came from; never the key itself.
public struct APIKeyError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Where the key came from (`keys.txt:4`, `NETPULSE_API_KEYS #1`).
    public var origin: String
    public var reason: String

    public init(origin: String, reason: String) {
        self.origin = origin
        self.reason = reason
    }

    public var description: String { "\(origin): \(reason)" }
}
