internal import CNetPulseSSHCore
import Glibc
import NetPulse

/// The algorithms a server offers in its first key-exchange message, read by a short probe connection
/// of our own when a handshake failed, so that the error can say what the device offered.
public struct SSHServerOffer: Sendable, Hashable {
    /// The server's version line (`SSH-2.0-OpenSSH_9.2p1 Debian-2`).
    public var version: String
    /// Key exchange, host key, cipher and MAC names (client to server), in the server's order.
    public var algorithms: SSHAlgorithms

    /// Connects to `host:port`, reads the server's version line and KEXINIT, and closes.
    ///
    /// - Returns: The offer, or `nil` when the server did not send one before `deadline`.
    public static func probe(
        host: String, port: Int, deadline: ContinuousClock.Instant, loop: ReadinessLoop
    ) async -> SSHServerOffer? {
        guard let fd = try? await TCPConnector.connect(host: host, port: port, deadline: deadline, loop: loop) else {
            return nil
        }
        defer {
            loop.forget(fd: fd)
            close(fd)
        }
        let hello = Array("SSH-2.0-NetPulse_probe\r\n".utf8)
        guard hello.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == hello.count else {
            return nil
        }
        var received: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        while received.count < 256 * 1024 {
            if let offer = parse(received) { return offer }
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
            if count > 0 {
                received += chunk[0..<count]
            } else if count == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
                return nil
            } else if (try? await loop.wait(fd: fd, for: .read, deadline: deadline)) != .ready {
                return nil
            }
        }
        return nil
    }

    /// Parses the version line and the first binary packet (unencrypted KEXINIT), once all arrived.
    static func parse(_ bytes: [UInt8]) -> SSHServerOffer? {
        // Lines before the version line are allowed (RFC 4253, 4.2).
        var start = 0
        var version: String?
        while version == nil {
            guard let end = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) else { return nil }
            let line = String(decoding: bytes[start..<end], as: UTF8.self).trimmingCharacters(in: ["\r"])
            if line.hasPrefix("SSH-") { version = line }
            start = end + 1
        }
        func uint32(_ at: Int) -> Int? {
            guard at >= 0, at + 4 <= bytes.count else { return nil }
            return Int(bytes[at]) << 24 | Int(bytes[at + 1]) << 16 | Int(bytes[at + 2]) << 8 | Int(bytes[at + 3])
        }
        guard let length = uint32(start), length <= 256 * 1024, bytes.count >= start + 4 + length, length > 1 else {
            return nil
        }
        let payload = start + 5
        guard bytes[payload] == 20 else { return nil }  // SSH_MSG_KEXINIT
        var cursor = payload + 17
        var lists: [[String]] = []
        for _ in 0..<6 {
            guard let size = uint32(cursor), cursor + 4 + size <= bytes.count else { return nil }
            let text = String(decoding: bytes[(cursor + 4)..<(cursor + 4 + size)], as: UTF8.self)
            lists.append(text.split(separator: ",").map(String.init))
            cursor += 4 + size
        }
        return SSHServerOffer(
            version: version ?? "",
            algorithms: SSHAlgorithms(keyExchange: lists[0], hostKeys: lists[1], ciphers: lists[2], macs: lists[4]))
    }
}

extension String {
    fileprivate func trimmingCharacters(in set: Set<Character>) -> String {
        var text = Substring(self)
        while let last = text.last, set.contains(last) { text = text.dropLast() }
        return String(text)
    }
}
