import Glibc
import NetPulse
import Testing

@testable import NetPulseSSHCore

@Suite("Readiness loop and TCP connect")
struct ReadinessLoopTests {
    /// A connected pair of non-blocking Unix sockets.
    func socketPair() -> (Int32, Int32) {
        var fds: [Int32] = [0, 0]
        let result = socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0, &fds)
        precondition(result == 0)
        return (fds[0], fds[1])
    }

    func closeAll(_ fds: Int32..., loop: ReadinessLoop = .shared) {
        for fd in fds {
            loop.forget(fd: fd)
            close(fd)
        }
    }

    @Test("the process-wide loop has one thread per two cores, between one and four")
    func defaultThreads() {
        let counts = [1, 2, 3, 4, 6, 8, 16, 64].map { ReadinessLoop.defaultThreadCount(cores: $0) }
        #expect(counts == [1, 1, 1, 2, 3, 4, 4, 4])
        #expect(ReadinessLoop.defaultThreadCount(cores: 0) == 1)
    }

    @Test("ticks: instants as nanoseconds, far ones clamped; the sleep to a deadline rounded up to a millisecond")
    func ticks() {
        typealias Tick = ReadinessLoop.Tick
        let now = ContinuousClock.now
        let a = Tick(now)
        let b = Tick(now + .milliseconds(1) + .nanoseconds(7))
        #expect(b.nanoseconds - a.nanoseconds == 1_000_007)
        #expect(a < b && !(b < a))
        #expect(a.adding(.milliseconds(1) + .nanoseconds(7)) == b)
        let far = Tick(now + .seconds(Int64.max / 4))
        #expect(far.nanoseconds == 3_000_000_000 * 1_000_000_000, "a far deadline is clamped")
        #expect(Tick(now - .seconds(Int64.max / 4)).nanoseconds == -3_000_000_000 * 1_000_000_000)
        typealias Worker = ReadinessLoop.Worker
        #expect(Worker.milliseconds(until: a.adding(.nanoseconds(1)), from: a) == 1, "rounded down: the loop spins")
        #expect(Worker.milliseconds(until: a.adding(.milliseconds(250)), from: a) == 250)
        #expect(Worker.milliseconds(until: a, from: a.adding(.seconds(1))) == 0, "a past deadline")
        #expect(Worker.milliseconds(until: far, from: a) == 86_400_000, "a far deadline sleeps a day at most")
    }

    @Test("a read waiter wakes when data arrives, not before")
    func wakesOnData() async throws {
        let (a, b) = socketPair()
        defer { closeAll(a, b) }
        let waiter = Task { try await ReadinessLoop.shared.wait(fd: a, for: .read, deadline: .now + .seconds(10)) }
        var byte: UInt8 = 42
        #expect(write(b, &byte, 1) == 1)
        #expect(try await waiter.value == .ready)
        #expect(read(a, &byte, 1) == 1)
    }

    @Test("a deadline with no data times out")
    func timesOut() async throws {
        let (a, b) = socketPair()
        defer { closeAll(a, b) }
        let clock = ContinuousClock()
        let start = clock.now
        let readiness = try await ReadinessLoop.shared.wait(fd: a, for: .read, deadline: .now + .milliseconds(50))
        #expect(readiness == .timedOut)
        #expect(clock.now - start >= .milliseconds(50))
    }

    @Test("a writable socket is ready at once; a far deadline does not delay it")
    func writable() async throws {
        let (a, b) = socketPair()
        defer { closeAll(a, b) }
        #expect(try await ReadinessLoop.shared.wait(fd: a, for: .write, deadline: .now + .seconds(30)) == .ready)
    }

    @Test("cancellation resumes the waiter with CancellationError")
    func cancellation() async throws {
        let (a, b) = socketPair()
        defer { closeAll(a, b) }
        let waiter = Task { try await ReadinessLoop.shared.wait(fd: a, for: .read, deadline: .now + .seconds(30)) }
        waiter.cancel()
        await #expect(throws: CancellationError.self) { _ = try await waiter.value }
    }

    @Test("hang-up wakes a reader")
    func hangUp() async throws {
        let (a, b) = socketPair()
        let waiter = Task { try await ReadinessLoop.shared.wait(fd: a, for: .read, deadline: .now + .seconds(10)) }
        closeAll(b)
        #expect(try await waiter.value == .ready)
        closeAll(a)
    }

    @Test("many waiters with mixed deadlines all finish, each exactly once")
    func manyWaiters() async throws {
        let pairs = (0..<300).map { _ in socketPair() }
        defer { for (a, b) in pairs { closeAll(a, b) } }
        let outcomes = try await withThrowingTaskGroup(of: (Int, ReadinessLoop.Readiness).self) { group in
            for (index, pair) in pairs.enumerated() {
                group.addTask {
                    let deadline: ContinuousClock.Instant = .now + .milliseconds(index.isMultiple(of: 2) ? 20 : 10_000)
                    return (index, try await ReadinessLoop.shared.wait(fd: pair.0, for: .read, deadline: deadline))
                }
            }
            for (index, pair) in pairs.enumerated() where !index.isMultiple(of: 2) {
                var byte: UInt8 = 1
                _ = write(pair.1, &byte, 1)
            }
            var outcomes: [Int: ReadinessLoop.Readiness] = [:]
            for try await (index, readiness) in group {
                #expect(outcomes[index] == nil)
                outcomes[index] = readiness
            }
            return outcomes
        }
        #expect(outcomes.count == pairs.count)
        for (index, readiness) in outcomes {
            #expect(readiness == (index.isMultiple(of: 2) ? .timedOut : .ready))
        }
    }

    @Test("TCP connect to a listener succeeds with TCP_NODELAY set")
    func connects() async throws {
        let (listener, port) = try listen(backlog: 16)
        defer { close(listener) }
        let fd = try await TCPConnector.connect(host: "127.0.0.1", port: port, deadline: .now + .seconds(5))
        defer { closeAll(fd) }
        var value: Int32 = 0
        var length = socklen_t(4)
        getsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &value, &length)
        #expect(value != 0)
    }

    @Test("TCP connect over IPv6 loopback")
    func connectsIPv6() async throws {
        let (listener, port) = try listen(backlog: 16, ipv6: true)
        defer { close(listener) }
        let fd = try await TCPConnector.connect(host: "::1", port: port, deadline: .now + .seconds(5))
        closeAll(fd)
    }

    @Test("a closed port is refused")
    func refused() async throws {
        let (listener, port) = try listen(backlog: 1)
        close(listener)
        let error = await #expect(throws: NetPulseError.self) {
            _ = try await TCPConnector.connect(host: "127.0.0.1", port: port, deadline: .now + .seconds(5))
        }
        #expect(error?.kind == .connectionRefused)
    }

    @Test("a listener that never accepts leads to a connect timeout")
    func connectTimeout() async throws {
        // Backlog 0 and nobody accepting: once the queue is full, further SYNs are dropped.
        let (listener, port) = try listen(backlog: 0)
        defer { close(listener) }
        var filled: [Int32] = []
        defer { for fd in filled { closeAll(fd) } }
        var sawTimeout = false
        for _ in 0..<8 where !sawTimeout {
            do {
                filled.append(
                    try await TCPConnector.connect(host: "127.0.0.1", port: port, deadline: .now + .milliseconds(300))
                )
            } catch let error as NetPulseError {
                #expect(error.kind == .timeout)
                sawTimeout = true
            }
        }
        #expect(sawTimeout)
    }

    @Test("a name that does not resolve")
    func unresolvable() async {
        // getaddrinfo with AI_NUMERICHOST fails on any name without asking a name server: the system
        // resolver's failure path, with no query leaving the machine.
        let local = TCPConnector.Resolver {
            try TCPConnector.blockingResolve(host: $0, port: $1, flags: AI_NUMERICHOST)
        }
        let error = await #expect(throws: NetPulseError.self) {
            _ = try await TCPConnector.connect(
                host: "no-such-host.invalid", port: 22, deadline: .now + .seconds(5), loop: .shared, resolver: local)
        }
        #expect(error?.kind == .nameResolution)
        #expect(error?.message.contains("no-such-host.invalid") == true)
    }

    @Test("the open-file limit is raised and descriptors are counted")
    func limits() {
        #expect(FileLimits.raiseOpenFileLimit() >= 1024)
        let (a, b) = socketPair()
        #expect(FileLimits.openDescriptors().isSuperset(of: [a, b]))
        closeAll(a, b)
        // Other tests run in parallel and may reuse the numbers at once; a fresh pair proves the
        // listing tracks closes.
        let (c, d) = socketPair()
        let open = FileLimits.openDescriptors()
        #expect(open.contains(c) && open.contains(d))
        closeAll(c, d)
    }

    func listen(backlog: Int32, ipv6: Bool = false) throws -> (Int32, Int) {
        let fd = socket(ipv6 ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        precondition(fd >= 0)
        if ipv6 {
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_addr = in6addr_loopback
            _ = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size))
                }
            }
        } else {
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            _ = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        }
        Glibc.listen(fd, backlog)
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        let port = withUnsafePointer(to: &storage) { pointer -> UInt16 in
            ipv6
                ? pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { $0.pointee.sin6_port }
                : pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_port }
        }
        return (fd, Int(UInt16(bigEndian: port)))
    }
}
