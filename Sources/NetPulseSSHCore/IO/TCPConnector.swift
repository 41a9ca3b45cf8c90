internal import CNetPulseSSHCore
import Dispatch
import Glibc
import NetPulse
import Synchronization

/// Opens non-blocking TCP connections for the SSH backends: name resolution off the cooperative
/// pool, IPv4 and IPv6, `TCP_NODELAY` always, a deadline on the whole attempt, and no `select()`.
public enum TCPConnector {
    /// Connects to `host:port` and returns a connected, non-blocking socket with `TCP_NODELAY` set.
    ///
    /// Each resolved address is tried in turn until one connects or the deadline passes.
    ///
    /// - Throws: ``NetPulseError`` of kind `name_resolution`, `connection_refused`, `unreachable`
    ///   or `timeout`; `CancellationError` when the task is cancelled.
    public static func connect(
        host: String,
        port: Int,
        deadline: ContinuousClock.Instant,
        loop: ReadinessLoop = .shared
    ) async throws -> Int32 {
        try await connect(host: host, port: port, deadline: deadline, loop: loop, resolver: .system)
    }

    /// Name resolution, replaceable in tests (a resolver that never answers).
    struct Resolver: Sendable {
        var resolve: @Sendable (_ host: String, _ port: Int) throws -> [Address]
        static let system = Resolver { try blockingResolve(host: $0, port: $1) }
    }

    static func connect(
        host: String,
        port: Int,
        deadline: ContinuousClock.Instant,
        loop: ReadinessLoop,
        resolver: Resolver
    ) async throws -> Int32 {
        guard (1...65_535).contains(port) else {
            throw NetPulseError(.invalidRequest, "port \(port) of \(host) is not a TCP port (1-65535)")
        }
        let addresses = try await resolve(host: host, port: port, deadline: deadline, resolver: resolver)
        var lastError = NetPulseError.connectionRefused("no address for \(host)")
        for address in addresses {
            do {
                return try await connect(to: address, host: host, port: port, deadline: deadline, loop: loop)
            } catch let error as NetPulseError where error.kind != .timeout {
                lastError = error
            }
        }
        throw lastError
    }

    /// A resolved socket address.
    struct Address: Sendable {
        var family: Int32
        var bytes: [UInt8]
    }

    /// Resolves `host` before `deadline`. `getaddrinfo` blocks and cannot be interrupted: it runs on a
    /// Dispatch thread, never on the cooperative pool, and the caller stops waiting for it at the
    /// deadline or on cancellation, whichever comes first (a late answer is dropped).
    static func resolve(
        host: String, port: Int, deadline: ContinuousClock.Instant, resolver: Resolver
    ) async throws -> [Address] {
        if let numeric = numericAddress(host: host, port: port) { return [numeric] }
        let pending = PendingResolution()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                guard pending.start(continuation) else { return }
                DispatchQueue.global().async {
                    pending.finish(with: Result { try resolver.resolve(host, port) })
                }
                let remaining = ContinuousClock.now.duration(to: deadline)
                let nanoseconds = max(
                    0,
                    Int(remaining.components.seconds) * 1_000_000_000
                        + Int(remaining.components.attoseconds / 1_000_000_000))
                DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(nanoseconds)) {
                    pending.finish(with: .failure(NetPulseError.timeout("resolving \(host) did not finish in time")))
                }
            }
        } onCancel: {
            pending.finish(with: .failure(CancellationError()))
        }
    }

    /// One name resolution's continuation, resumed exactly once by whichever of answer, deadline and
    /// cancellation comes first.
    final class PendingResolution: Sendable {
        private enum State {
            case idle
            case waiting(CheckedContinuation<[Address], any Error>)
            case finished
        }

        private let state = Mutex(State.idle)

        /// Records the continuation; `false` (and the continuation resumed) when cancelled already.
        func start(_ continuation: CheckedContinuation<[Address], any Error>) -> Bool {
            let cancelled = state.withLock { state -> Bool in
                if case .finished = state { return true }
                state = .waiting(continuation)
                return false
            }
            if cancelled { continuation.resume(throwing: CancellationError()) }
            return !cancelled
        }

        func finish(with result: Result<[Address], any Error>) {
            let waiting = state.withLock { state -> CheckedContinuation<[Address], any Error>? in
                defer { state = .finished }
                if case .waiting(let continuation) = state { return continuation }
                return nil
            }
            waiting?.resume(with: result)
        }
    }

    private static func numericAddress(host: String, port: Int) -> Address? {
        var v4 = sockaddr_in()
        if inet_pton(AF_INET, host, &v4.sin_addr) == 1 {
            v4.sin_family = sa_family_t(AF_INET)
            v4.sin_port = in_port_t(UInt16(port).bigEndian)
            return Address(family: AF_INET, bytes: withUnsafeBytes(of: v4) { Array($0) })
        }
        var v6 = sockaddr_in6()
        let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        if inet_pton(AF_INET6, bare, &v6.sin6_addr) == 1 {
            v6.sin6_family = sa_family_t(AF_INET6)
            v6.sin6_port = in_port_t(UInt16(port).bigEndian)
            return Address(family: AF_INET6, bytes: withUnsafeBytes(of: v6) { Array($0) })
        }
        return nil
    }

    /// `getaddrinfo` for `host`; `flags` are its `ai_flags` (tests pass `AI_NUMERICHOST`, which never
    /// asks a name server).
    static func blockingResolve(host: String, port: Int, flags: Int32 = 0) throws -> [Address] {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_family = AF_UNSPEC
        hints.ai_flags = flags
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0, let list else {
            throw NetPulseError(.nameResolution, "cannot resolve \(host): \(String(cString: gai_strerror(status)))")
        }
        defer { freeaddrinfo(list) }
        var addresses: [Address] = []
        var cursor: UnsafeMutablePointer<addrinfo>? = list
        while let entry = cursor {
            if let pointer = entry.pointee.ai_addr {
                let bytes = Array(UnsafeRawBufferPointer(start: pointer, count: Int(entry.pointee.ai_addrlen)))
                addresses.append(Address(family: entry.pointee.ai_family, bytes: bytes))
            }
            cursor = entry.pointee.ai_next
        }
        return addresses
    }

    private static func connect(
        to address: Address,
        host: String,
        port: Int,
        deadline: ContinuousClock.Instant,
        loop: ReadinessLoop
    ) async throws -> Int32 {
        let fd = socket(
            address.family,
            Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue)
                | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw NetPulseError.connectionRefused("socket() failed: \(errnoText(errno))") }
        var succeeded = false
        defer {
            if !succeeded {
                loop.forget(fd: fd)
                close(fd)
            }
        }
        var one: Int32 = 1
        // Without TCP_NODELAY each login stalls on Nagle/delayed ACK (~40 ms per round).
        _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        let result = address.bytes.withUnsafeBytes { raw in
            Glibc_connect(fd, raw.baseAddress!.assumingMemoryBound(to: sockaddr.self), socklen_t(raw.count))
        }
        if result != 0 {
            let error = errno
            guard error == EINPROGRESS || error == EINTR else { throw mapConnectError(error, host: host, port: port) }
            switch try await loop.wait(fd: fd, for: .write, deadline: deadline) {
            case .timedOut:
                throw NetPulseError.timeout("TCP connect to \(host):\(port) did not complete in time")
            case .ready:
                var status: Int32 = 0
                var length = socklen_t(MemoryLayout<Int32>.size)
                _ = getsockopt(fd, SOL_SOCKET, SO_ERROR, &status, &length)
                if status != 0 { throw mapConnectError(status, host: host, port: port) }
            }
        }
        succeeded = true
        return fd
    }

    static func mapConnectError(_ error: Int32, host: String, port: Int) -> NetPulseError {
        switch error {
        case ECONNREFUSED:
            return .connectionRefused("connection to \(host):\(port) refused")
        case ETIMEDOUT:
            return .timeout("TCP connect to \(host):\(port) timed out")
        case EHOSTUNREACH, ENETUNREACH, EADDRNOTAVAIL:
            return NetPulseError(.unreachable, "\(host):\(port) is unreachable: \(errnoText(error))")
        default:
            return .connectionRefused("connect to \(host):\(port) failed: \(errnoText(error))")
        }
    }

    static func errnoText(_ error: Int32) -> String { String(cString: strerror(error)) }
}

@inline(__always)
private func Glibc_connect(_ fd: Int32, _ address: UnsafePointer<sockaddr>, _ length: socklen_t) -> Int32 {
    connect(fd, address, length)
}
