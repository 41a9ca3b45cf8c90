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

    private let state = Mutex(State())
    let statistics = Mutex(LabStatistics())
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
    var seed: UInt64
    var logger: Logger
}

/// The SSH server of a lab: one `ssh_event` and one thread serving every device and session.
///
/// Confined to its loop thread: created, run and freed there. Callbacks only record what happened
/// (they may run inside another session's `ssh_channel_write`); the loop does the work after each poll.
final class LabServer {
    final class Device {
        let plan: LabServerPlan.Device
        let state: DeviceState
        let bind: OpaquePointer
        let fd: Int32
        let port: Int
        let hostKey: String
        let fingerprint: String
        var acceptReady = false

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

    let plan: LabServerPlan
    let handle: LabLoopHandle
    private let logger: Logger
    private let event: OpaquePointer
    private let wakeReadFD: Int32
    /// Every listening socket, in one epoll set that is a single fd of the ssh_event: the poll over the
    /// event (which libssh repeats inside every channel write) then grows with sessions, not devices.
    private let listeners: Int32
    var acceptPending = false
    private(set) var devices: [Device] = []
    private var sessions: [ObjectIdentifier: LabSession] = [:]
    /// Sessions whose callbacks ran or whose output waits for the socket or the window.
    var dirty: [LabSession] = []
    /// Sessions waiting for libssh's output buffer to drain or for the client's window: checked after each poll.
    var blocked: [LabSession] = []
    private var acceptReady: [Device] = []
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
        guard let event = ssh_event_new() else { throw LabError(reason: "ssh_event_new failed") }
        self.event = event
        authorizedKeys = try AuthorizedKeys(lines: plan.authorizedKeys)
        listeners = epoll_create1(Int32(EPOLL_CLOEXEC))
        guard listeners >= 0 else {
            ssh_event_free(event)
            throw LabError(reason: "epoll_create1 failed: \(String(cString: strerror(errno)))")
        }
        let me = Unmanaged.passUnretained(self).toOpaque()
        guard
            ssh_event_add_fd(
                event, wakeReadFD, Int16(POLLIN),
                { fd, _, _ in
                    var buffer = [UInt8](repeating: 0, count: 64)
                    _ = read(fd, &buffer, buffer.count)
                    return 0
                }, me) == SSH_OK
        else {
            throw LabError(reason: "ssh_event_add_fd failed for the wake-up pipe")
        }
        let started = ContinuousClock.now
        var keyTime: Duration = .zero
        do throws(LabError) {
            for device in plan.devices {
                let before = ContinuousClock.now
                let key = try HostKey(path: device.hostKeyPath)
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
                if device.fault != .refuse {
                    var interest = epoll_event()
                    interest.events = EPOLLIN.rawValue
                    interest.data.u64 = UInt64(devices.count - 1)
                    guard epoll_ctl(listeners, EPOLL_CTL_ADD, fd, &interest) == 0 else {
                        throw LabError(reason: "epoll_ctl failed for port \(port)")
                    }
                }
            }
            guard
                ssh_event_add_fd(
                    event, listeners, Int16(POLLIN),
                    { _, _, userdata in
                        Unmanaged<LabServer>.fromOpaque(userdata!).takeUnretainedValue().acceptPending = true
                        return 0
                    }, me) == SSH_OK
            else {
                throw LabError(reason: "ssh_event_add_fd failed for the listening sockets")
            }
        } catch {
            freeDevices()
            close(listeners)
            ssh_event_free(event)
            throw error
        }
        stats.hostKeySetupTime = keyTime
        logger.info(
            "lab devices bound",
            metadata: [
                "devices": "\(devices.count)", "setup": "\(ContinuousClock.now - started)", "keys": "\(keyTime)",
            ])
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
        while !handle.stopRequested {
            let now = ContinuousClock.now
            var timeout = nextSweep - now
            for session in sessions.values {
                if let wake = session.wakeAt { timeout = min(timeout, wake - now) }
            }
            if !dirty.isEmpty { timeout = .zero }
            let milliseconds = max(0, Int32(clamping: Int((timeout / .milliseconds(1)).rounded(.up))))
            let rc = ssh_event_dopoll(event, milliseconds)
            if acceptPending {
                acceptPending = false
                acceptReadyDevices()
            }
            serviceDirtyAndTimed()
            if rc == SSH_ERROR || ContinuousClock.now >= nextSweep {
                sweep()
            }
            publishStatistics()
        }
    }

    private func publishStatistics() {
        var time = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
        stats.loopCPUTime = .seconds(time.tv_sec) + .nanoseconds(time.tv_nsec)
        stats.activeSessions = sessions.count
        stats.peakSessions = max(stats.peakSessions, sessions.count)
        let snapshot = stats
        handle.statistics.withLock { $0 = snapshot }
    }

    private func acceptReadyDevices() {
        var ready = [epoll_event](repeating: epoll_event(), count: 256)
        let count = epoll_wait(listeners, &ready, Int32(ready.count), 0)
        guard count > 0 else { return }
        for index in 0..<Int(count) { accept(devices[Int(ready[index].data.u64)]) }
    }

    private func accept(_ device: Device) {
        // Bounded per wake-up so one busy device cannot starve the others.
        for _ in 0..<256 {
            let fd = Glibc.accept(device.fd, nil, nil)
            guard fd >= 0 else { return }
            // Non-blocking, so that a client that stops reading cannot stall the loop inside libssh.
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            var one: Int32 = 1
            setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            stats.connections += 1
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
            let lab = LabSession(server: self, device: device, session: session, fd: fd)
            sessions[ObjectIdentifier(lab)] = lab
            if case .latency(_, let banner)? = device.plan.fault, banner > .zero {
                lab.kexAt = ContinuousClock.now + banner
                lab.wakeAt = lab.kexAt
            } else {
                startKeyExchange(lab)
            }
        }
    }

    private func startKeyExchange(_ lab: LabSession) {
        lab.kexAt = nil
        lab.kexStarted = true
        // The session must have begun its key exchange before ssh_event_add_session accepts it.
        let rc = ssh_handle_key_exchange(lab.session)
        guard rc == SSH_OK || rc == SSH_AGAIN, ssh_event_add_session(event, lab.session) == SSH_OK else {
            lab.dead = true
            return
        }
        lab.inEvent = true
    }

    private func serviceDirtyAndTimed() {
        let now = ContinuousClock.now
        let waiting = blocked
        blocked = []
        for session in waiting { markDirty(session) }
        for session in sessions.values {
            if let wake = session.wakeAt, wake <= now { session.wakeAt = nil; markDirty(session) }
        }
        // Callbacks may run again inside the writes below and append to `dirty`: loop until quiet, bounded.
        var rounds = 0
        while !dirty.isEmpty && rounds < 4 {
            rounds += 1
            let batch = dirty
            dirty = []
            for session in batch {
                session.isDirty = false
                if session.dead { continue }
                if let kexAt = session.kexAt {
                    if kexAt <= ContinuousClock.now { startKeyExchange(session) } else { session.wakeAt = kexAt }
                    continue
                }
                session.service()
            }
        }
    }

    func markDirty(_ session: LabSession) {
        guard !session.isDirty else { return }
        session.isDirty = true
        dirty.append(session)
    }

    /// Frees sessions whose socket died, that did not log in in time, or that sat idle too long.
    private func sweep() {
        let now = ContinuousClock.now
        nextSweep = now + .milliseconds(250)
        var finished: [LabSession] = []
        for session in sessions.values {
            let status = ssh_get_status(session.session)
            if session.dead || (session.inEvent && (status & (SSH_CLOSED | SSH_CLOSED_ERROR)) != 0) {
                finished.append(session)
            } else if !session.authenticated && now - session.created > plan.loginTimeout {
                finished.append(session)
            } else if now - session.lastActivity > plan.idleTimeout {
                finished.append(session)
            } else if session.channelClosed && now - session.lastActivity > .seconds(5) {
                finished.append(session)
            }
        }
        for session in finished { free(session) }
    }

    func free(_ session: LabSession) {
        guard sessions.removeValue(forKey: ObjectIdentifier(session)) != nil else { return }
        session.dead = true
        if session.inEvent {
            ssh_event_remove_session(event, session.session)
            session.inEvent = false
        }
        ssh_disconnect(session.session)
        ssh_free(session.session)
        session.releaseCallbacks()
    }

    /// Frees every session, device and the event. Runs on the loop thread after `run()`.
    func shutdown() {
        for session in Array(sessions.values) { free(session) }
        freeDevices()
        ssh_event_remove_fd(event, listeners)
        close(listeners)
        ssh_event_remove_fd(event, wakeReadFD)
        ssh_event_free(event)
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
