import Dispatch
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Sends bytes as they are on a TCP connection to 127.0.0.1 and reads the answer's status line:
/// for requests URLSession will not send (chunked bodies, broken framing).
enum RawHTTP {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Writes `request` (ignoring a reset once the server has answered), then reads until the end of
    /// the answer's head. Runs on a Dispatch thread with socket timeouts of 10 s.
    static func exchange(port: Int, request: [UInt8]) async throws -> String {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result { try blockingExchange(port: port, request: request) })
            }
        }
    }

    /// A TCP connection to 127.0.0.1:`port` whose sends and receives time out after `seconds`.
    private static func connectLoopback(port: Int, seconds: Int) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket failed") }
        var timeout = timeval(tv_sec: seconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else {
            close(fd)
            throw Failure(description: "connect failed: errno \(errno)")
        }
        return fd
    }

    private static func blockingExchange(port: Int, request: [UInt8]) throws -> String {
        let fd = try connectLoopback(port: port, seconds: 10)
        defer { close(fd) }
        var sent = 0
        while sent < request.count {
            let written = request[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if written <= 0 { break }  // The server may answer and stop reading before the end.
            sent += written
        }
        var answer: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while answer.count < 65_536 {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count <= 0 { break }
            answer += buffer[0..<count]
            if String(decoding: answer, as: UTF8.self).contains("\r\n\r\n") { break }
        }
        guard !answer.isEmpty else { throw Failure(description: "no answer (errno \(errno))") }
        return String(decoding: answer, as: UTF8.self)
    }
}

extension RawHTTP {
    /// Connects, sends `bytes` (possibly a partial request, or nothing), then waits for the server to
    /// close the connection: returns the seconds it took, or `nil` if it was still open after `limit`
    /// seconds (the socket's receive timeout is the deadline; nothing sleeps).
    static func secondsUntilClosed(port: Int, sending bytes: [UInt8], limit: Int) async throws -> Double? {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(
                    with: Result { try blockingWaitForClose(port: port, sending: bytes, limit: limit) })
            }
        }
    }

    private static func blockingWaitForClose(port: Int, sending bytes: [UInt8], limit: Int) throws -> Double? {
        let fd = try connectLoopback(port: port, seconds: limit)
        defer { close(fd) }
        let start = ContinuousClock.now
        if !bytes.isEmpty {
            _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        }
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count == 0 || (count < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
                let elapsed = ContinuousClock.now - start
                return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            }
            if count < 0 && errno != EINTR { return nil }  // the receive timeout: still open
        }
    }
}
