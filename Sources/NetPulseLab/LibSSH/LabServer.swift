internal import CLibSSH
import Logging
import NetPulse
import Synchronization

#if canImport(FoundationEssentials)
    import Foundation
#else
    import Foundation
#endif

#if canImport(Glibc)
    import Glibc
#endif

/// What the loop tells the Swift side about one started device.
struct StartedDevice: Sendable {
    var index: Int
    var port: Int
    var hostKey: String
    var fingerprint: String
}

/// The part of a running lab shared between its event-loop thread and the Swift API: stop requests,
/// the finished signal, statistics. All state behind `Mutex`.
final class LabLoopHandle: Sendable {
    private struct State {
        var stopRequested = false
        var finished = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private struct Watcher {
        var condition: @Sendable (LabStatistics) -> Bool
        var continuation: CheckedContinuation<LabStatistics, Never>
    }

    private let state = Mutex(State())
    let statistics = Mutex(LabStatistics())
    /// Callers waiting for the statistics to reach a condition, by id.
    private let watchers = Mutex((next: 0, waiting: [Int: Watcher]()))
    /// Write end of the loop's wake-up pipe.
    let wakeFD: Int32

    init(wakeFD: Int32) {
        self.wakeFD = wakeFD
    }

    var stopRequested: Bool { state.withLock { $0.stopRequested } }

    /// Asks the loop to stop and waits until it has freed everything.
    func stop() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let finished = state.withLock { state -> Bool in
                state.stopRequested = true
                if state.finished { return true }
                state.waiters.append(continuation)
                return false
            }
            if finished {
                continuation.resume()
            } else {
                var byte: UInt8 = 1
                _ = write(wakeFD, &byte, 1)
            }
        }
    }

    /// Publishes the loop's statistics and wakes the callers whose condition now holds.
    func publish(_ snapshot: LabStatistics) {
        statistics.withLock { $0 = snapshot }
        let ready = watchers.withLock { watchers -> [Watcher] in
            guard !watchers.waiting.isEmpty else { return [] }
            let due = watchers.waiting.filter { $0.value.condition(snapshot) }
            for id in due.keys { watchers.waiting[id] = nil }
            return Array(due.values)
        }
        for watcher in ready { watcher.continuation.resume(returning: snapshot) }
    }

    /// Waits until `condition` holds for the published statistics, or until `deadline`.
    func statistics(
        until deadline: ContinuousClock.Instant, where condition: @escaping @Sendable (LabStatistics) -> Bool
    ) async -> LabStatistics {
        let id = watchers.withLock { watchers -> Int in
            watchers.next += 1
            return watchers.next
        }
        let timer = Task { [self] in
            try? await Task.sleep(until: deadline, clock: .continuous)
            let watcher = watchers.withLock { $0.waiting.removeValue(forKey: id) }
            watcher?.continuation.resume(returning: statistics.withLock { $0 })
        }
        defer { timer.cancel() }
        return await withCheckedContinuation { (continuation: CheckedContinuation<LabStatistics, Never>) in
            let now = statistics.withLock { $0 }
            let waiting = watchers.withLock { watchers -> Bool in
                guard !condition(now), ContinuousClock.now < deadline else { return false }
                watchers.waiting[id] = Watcher(condition: condition, continuation: continuation)
                return true
            }
            if !waiting { continuation.resume(returning: now) }
        }
    }

    func markFinished() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.finished = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }
}

/// Everything a loop needs to start, decided on the caller's side.
struct LabServerPlan: Sendable {
    struct Device: Sendable {
        var index: Int
        var platform: LabPlatform
        var fault: LabFault?
        var profile: LabDeviceProfile
        var port: Int
        var hostKeyPath: String?
    }

    var devices: [Device]
    var bindAddress: String
    var username: String
    var password: String
    var enableSecret: String
    var authorizedKeys: [String]
    var loginTimeout: Duration
    var idleTimeout: Duration
    var maxChannelsPerSession: Int
    var rsaKeyPool: Int
    var keyCacheFolder: String?
    var seed: UInt64
    var logger: Logger
}

/// The SSH server of a lab: one thread, one epoll set over every listening socket and session socket,
/// and one libssh poll context per session (so no session's I/O can fail another).
///
/// Confined to its loop thread: created, run and freed there. Callbacks only record what happened
/// (they may run inside one of their own session's writes); the loop does the work after each wait.
final class LabServer {
    final class Device {
        let plan: LabServerPlan.Device
        let state: DeviceState
        let bind: OpaquePointer
        let fd: Int32
        let port: Int
        let hostKey: String
        let fingerprint: String
        /// Down after a reload until then: connections are accepted and closed at once.
        var downUntil: ContinuousClock.Instant?

        init(plan: LabServerPlan.Device, state: DeviceState, bind: OpaquePointer, fd: Int32, port: Int, key: HostKey) {
            self.plan = plan
            self.state = state
            self.bind = bind
            self.fd = fd
            self.port = port
            self.hostKey = key.publicLine
            self.fingerprint = key.fingerprint
        }
    }

    /// epoll tokens: the kind in the top byte, an index or a session id below.
    private static let wakeToken: UInt64 = 0
    private static let listenerKind: UInt64 = 1 << 56
    private static let sessionKind: UInt64 = 2 << 56
    static func sessionToken(_ id: Int) -> UInt64 { sessionKind | UInt64(id) }

    let plan: LabServerPlan
    let handle: LabLoopHandle
    private let logger: Logger
    let epoll: Int32
    private let wakeReadFD: Int32
    private(set) var devices: [Device] = []
    private var sessions: [Int: LabSession] = [:]
    private var nextSessionID = 1
    /// Sessions whose callbacks ran, whose socket was ready or whose timer fired.
    private var dirty: [LabSession] = []
    private var timers = TimerHeap()
    private let authorizedKeys: AuthorizedKeys
    private var nextSweep = ContinuousClock.now
    var stats = LabStatistics()
    private var garbageRandom: SeededGenerator

    /// Binds every device and creates its host key. Runs on the loop thread.
    init(plan: LabServerPlan, handle: LabLoopHandle, wakeReadFD: Int32) throws(LabError) {
        self.plan = plan
        self.handle = handle
        self.logger = plan.logger
        self.wakeReadFD = wakeReadFD
        garbageRandom = SeededGenerator(seed: plan.seed ^ 0x6761_7262)
        authorizedKeys = try AuthorizedKeys(lines: plan.authorizedKeys)
        epoll = epoll_create1(Int32(EPOLL_CLOEXEC))
        guard epoll >= 0 else {
            throw LabError(reason: "epoll_create1 failed: \(String(cString: strerror(errno)))")
        }
        let started = ContinuousClock.now
        var keyTime: Duration = .zero
        do throws(LabError) {
            try register(wakeReadFD, token: Self.wakeToken)
            let keys = HostKeySource(poolSize: plan.rsaKeyPool, cacheFolder: plan.keyCacheFolder)
            try keys.prepareRSA(forDevices: plan.devices.filter { $0.profile.hostKey == .rsa }.map(\.index))
            for device in plan.devices {
                let before = ContinuousClock.now
                let key = try keys.key(type: device.profile.hostKey, index: device.index, path: device.hostKeyPath)
                keyTime += ContinuousClock.now - before
                let (fd, port) = try Self.openSocket(
                    address: plan.bindAddress, port: device.port, listen: device.fault != .refuse)
                guard let bind = ssh_bind_new() else {
                    close(fd)
                    throw LabError(reason: "ssh_bind_new failed")
                }
                let state = DeviceState(
                    platform: device.platform, index: device.index, username: plan.username,
                    enableSecret: device.platform.hasEnable ? plan.enableSecret : nil)
                let entry = Device(plan: device, state: state, bind: bind, fd: fd, port: port, key: key)
                devices.append(entry)
                try key.give(to: bind)
                try Self.configure(bind, profile: device.profile)
                if device.fault != .refuse {
                    try register(fd, token: Self.listenerKind | UInt64(devices.count - 1))
                }
            }
            stats.hostKeySetupTime = keyTime
        } catch {
            freeDevices()
            close(epoll)
            throw error
        }
        logger.info(
            "lab devices bound",
            metadata: [
                "devices": "\(devices.count)", "setup": "\(ContinuousClock.now - started)", "keys": "\(keyTime)",
            ])
    }

    private func register(_ fd: Int32, token: UInt64) throws(LabError) {
        var interest = epoll_event()
        interest.events = EPOLLIN.rawValue
        interest.data.u64 = token
        guard epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &interest) == 0 else {
            throw LabError(reason: "epoll_ctl failed: \(String(cString: strerror(errno)))")
        }
    }

    /// Per-device algorithms: what libssh copies into each session it accepts on this bind.
    private static func configure(_ bind: OpaquePointer, profile: LabDeviceProfile) throws(LabError) {
        // No server configuration file: each device is what its profile says.
        var no = false
        ssh_bind_options_set(bind, SSH_BIND_OPTIONS_PROCESS_CONFIG, &no)
        var options: [(ssh_bind_options_e, String)] = []
        switch (profile.hostKey, profile.algorithms) {
        case (_, .legacyOnly):
            options = [
                (SSH_BIND_OPTIONS_HOSTKEY_ALGORITHMS, "ssh-rsa"),
                (SSH_BIND_OPTIONS_KEY_EXCHANGE, "diffie-hellman-group14-sha1"),
                (SSH_BIND_OPTIONS_CIPHERS_C_S, "aes128-cbc,aes256-cbc"),
                (SSH_BIND_OPTIONS_CIPHERS_S_C, "aes128-cbc,aes256-cbc"),
                (SSH_BIND_OPTIONS_HMAC_C_S, "hmac-sha1"),
                (SSH_BIND_OPTIONS_HMAC_S_C, "hmac-sha1"),
            ]
        case (.rsa, _):
            options = [(SSH_BIND_OPTIONS_HOSTKEY_ALGORITHMS, "rsa-sha2-512,rsa-sha2-256,ssh-rsa")]
        case (.ecdsa, _):
            options = [(SSH_BIND_OPTIONS_HOSTKEY_ALGORITHMS, "ecdsa-sha2-nistp256")]
        case (.ed25519, _):
            break
        }
        if profile.algorithms == .nist {
            options.append((SSH_BIND_OPTIONS_KEY_EXCHANGE, "ecdh-sha2-nistp256,ecdh-sha2-nistp384,ecdh-sha2-nistp521"))
        }
        for (option, value) in options where ssh_bind_options_set(bind, option, value) != SSH_OK {
            throw LabError(field: "profile", reason: "libssh refused \(value) for a \(profile) device")
        }
    }

    var startedDevices: [StartedDevice] {
        devices.map {
            StartedDevice(index: $0.plan.index, port: $0.port, hostKey: $0.hostKey, fingerprint: $0.fingerprint)
        }
    }
    /// A TCP socket on `address:port` (0: any), non-blocking, listening with a deep backlog unless
    /// `listen` is false (then connections are refused while the port stays reserved).
    private static func openSocket(address: String, port: Int, listen shouldListen: Bool) throws(LabError) -> (
        Int32, Int
    ) {
        let fd = socket(
            AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw LabError(reason: "socket() failed: \(String(cString: strerror(errno)))") }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        guard inet_pton(AF_INET, address, &addr.sin_addr) == 1 else {
            close(fd)
            throw LabError(field: "bindAddress", reason: "'\(address)' is not an IPv4 address")
        }
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw LabError(field: "basePort", reason: "cannot bind \(address):\(port): \(reason)")
        }
        // ssh_bind_listen would use a backlog of 10: bursts of connects then wait on SYN retries.
        if shouldListen, listen(fd, 4096) != 0 {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw LabError(reason: "cannot listen on \(address):\(port): \(reason)")
        }
        var actual = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return (fd, Int(UInt16(bigEndian: actual.sin_port)))
    }

    // MARK: Loop

    /// Serves until a stop is requested.
    func run() {
        var events = [epoll_event](repeating: epoll_event(), count: 512)
        while !handle.stopRequested {
            var now = ContinuousClock.now
            var timeout = nextSweep - now
            if let earliest = timers.earliest { timeout = min(timeout, earliest - now) }
            if !dirty.isEmpty { timeout = .zero }
            let milliseconds = max(0, Int32(clamping: Int((timeout / .milliseconds(1)).rounded(.up))))
            let count = epoll_wait(epoll, &events, Int32(events.count), milliseconds)
            now = ContinuousClock.now
            for index in 0..<Int(max(count, 0)) {
                let token = events[index].data.u64
                switch token & (0xFF << 56) {
                case Self.listenerKind: accept(devices[Int(token & 0xFF_FFFF_FFFF)], now: now)
                case Self.sessionKind:
                    sessions[Int(token & 0xFF_FFFF_FFFF)]?.ready(events[index].events, now: now)
                default: drainWakeups()
                }
            }
            while let due = timers.popDue(now) {
                if let session = sessions[due.id], session.timerFired(now: now) { markDirty(session) }
            }
            serviceDirty()
            if now >= nextSweep { sweep(now: now) }
            publishStatistics(now: now)
        }
    }

    private func drainWakeups() {
        var buffer = [UInt8](repeating: 0, count: 64)
        while read(wakeReadFD, &buffer, buffer.count) > 0 {}
    }

    private var nextCPUReading = ContinuousClock.now

    private func publishStatistics(now: ContinuousClock.Instant = .now) {
        // The thread's CPU time costs a system call: read it at most every 20 ms (and at the end).
        if now >= nextCPUReading {
            nextCPUReading = now + .milliseconds(20)
            var time = timespec()
            clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
            stats.loopCPUTime = .seconds(time.tv_sec) + .nanoseconds(time.tv_nsec)
        }
        stats.activeSessions = sessions.count
        stats.peakSessions = max(stats.peakSessions, sessions.count)
        handle.publish(stats)
    }

    private func accept(_ device: Device, now: ContinuousClock.Instant) {
        // Bounded per wake-up so one busy device cannot starve the others.
        for _ in 0..<256 {
            // Non-blocking, so that a client that stops reading cannot stall the loop inside libssh.
            let fd = netpulse_accept_nonblocking(device.fd)
            guard fd >= 0 else { return }
            stats.connections += 1
            if let down = device.downUntil {
                if now < down {
                    // Rebooting: the connection opens and closes at once.
                    close(fd)
                    continue
                }
                device.downUntil = nil
            }
            var one: Int32 = 1
            setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            guard let session = ssh_new() else {
                close(fd)
                continue
            }
            guard ssh_bind_accept_fd(device.bind, session, fd) == SSH_OK else {
                logger.warning(
                    "ssh_bind_accept_fd failed",
                    metadata: ["error": "\(String(cString: ssh_get_error(UnsafeMutableRawPointer(device.bind))))"])
                ssh_free(session)
                close(fd)
                continue
            }
            let lab = LabSession(id: nextSessionID, server: self, device: device, session: session, fd: fd)
            nextSessionID += 1
            sessions[lab.id] = lab
            if case .latency(_, let banner)? = device.plan.fault, banner > .zero {
                lab.kexAt = now + banner
                lab.wake(at: now + banner)
            } else {
                lab.startKeyExchange()
                if lab.dead { free(lab) }
            }
        }
    }

    private func serviceDirty() {
        // Work may mark sessions dirty again (a callback inside a write): loop until quiet, bounded.
        var rounds = 0
        var finished: [LabSession] = []
        while !dirty.isEmpty && rounds < 4 {
            rounds += 1
            let batch = dirty
            dirty = []
            let now = ContinuousClock.now
            for session in batch {
                session.isDirty = false
                if !session.dead { session.service(now: now) }
                if session.dead { finished.append(session) }
            }
        }
        for session in finished { free(session) }
    }

    func markDirty(_ session: LabSession) {
        guard !session.isDirty else { return }
        session.isDirty = true
        dirty.append(session)
    }

    func schedule(_ session: LabSession, at instant: ContinuousClock.Instant) {
        timers.push(instant, id: session.id)
    }

    /// Frees sessions that are gone (socket closed, session failed), that did not log in in time, or
    /// that sat idle too long. A session without channels stays while its client keeps it open.
    private func sweep(now: ContinuousClock.Instant) {
        nextSweep = now + .milliseconds(500)
        var finished: [LabSession] = []
        for session in sessions.values {
            if session.dead || (session.kexAt == nil && session.isClosed) {
                finished.append(session)
            } else if !session.authenticated && now - session.created > plan.loginTimeout {
                stats.loginTimeouts += 1
                finished.append(session)
            } else if now - session.lastActivity > plan.idleTimeout {
                stats.idleTimeouts += 1
                finished.append(session)
            }
        }
        for session in finished { free(session) }
    }

    func free(_ session: LabSession) {
        guard sessions.removeValue(forKey: session.id) != nil else { return }
        session.free()
    }

    /// `reload` on a device: every session of it dropped, and the device down for its boot time.
    func reload(_ device: Device) {
        device.state.reload()
        device.downUntil = ContinuousClock.now + device.plan.profile.latency.boot
        for session in sessions.values where session.device === device && !session.dead {
            session.drop()
            markDirty(session)
        }
    }

    /// Frees every session and device. Runs on the loop thread after `run()`.
    func shutdown() {
        for session in Array(sessions.values) { free(session) }
        freeDevices()
        close(epoll)
        publishStatistics()
    }

    private func freeDevices() {
        for device in devices {
            ssh_bind_free(device.bind)
            close(device.fd)
        }
        devices = []
    }

    // MARK: Used by sessions

    func checkPassword(user: String, password: String, device: Device) -> Bool {
        let ok = device.plan.fault != .wrongCredentials && user == plan.username && password == plan.password
        if ok { stats.logins += 1 } else { stats.failedAuthentications += 1 }
        return ok
    }

    func checkKey(user: String, key: OpaquePointer?, device: Device, signed: Bool) -> Bool {
        let ok = device.plan.fault != .wrongCredentials && user == plan.username && authorizedKeys.contains(key)
        if signed { if ok { stats.logins += 1 } else { stats.failedAuthentications += 1 } }
        return ok
    }

    func garbage(count: Int) -> [UInt8] {
        (0..<max(count, 16)).map { _ in UInt8(truncatingIfNeeded: garbageRandom.next()) | 0x80 }
    }
}

/// Starts a lab server on its own thread and returns once every device is bound.
func startLabServer(plan: LabServerPlan) async throws(LabError) -> (LabLoopHandle, [StartedDevice], LabStatistics) {
    var fds: [Int32] = [0, 0]
    guard pipe(&fds) == 0 else {
        throw LabError(reason: "pipe2 failed: \(String(cString: strerror(errno)))")
    }
    let readFD = fds[0]
    for fd in fds {
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
    }
    let handle = LabLoopHandle(wakeFD: fds[1])
    let result: Result<([StartedDevice], LabStatistics), LabError> = await withCheckedContinuation { continuation in
        let thread = Thread {
            let server: LabServer
            do {
                server = try LabServer(plan: plan, handle: handle, wakeReadFD: readFD)
            } catch {
                close(readFD)
                handle.markFinished()
                continuation.resume(returning: .failure(error as? LabError ?? LabError(reason: "\(error)")))
                return
            }
            continuation.resume(returning: .success((server.startedDevices, server.stats)))
            server.run()
            server.shutdown()
            close(readFD)
            handle.markFinished()
        }
        thread.name = "netpulse-lab-loop"
        thread.start()
    }
    switch result {
    case .success(let (devices, stats)): return (handle, devices, stats)
    case .failure(let error):
        close(fds[1])
        throw error
    }
}
