internal import CNetPulseSSHCore
import Glibc
import Logging
import NetPulse

/// One connection forwarded by a bastion session: a `direct-tcpip` channel and the bastion's end of a
/// socket pair whose other end a device's session uses as its socket.
final class JumpForward<Channel: AnyObject> {
    let channel: Channel
    let fd: Int32
    /// Bytes read from the channel that the device's end has not taken yet.
    var toLocal: [UInt8] = []
    /// Bytes from the device's end that the channel has not taken yet.
    var toRemote: [UInt8] = []
    var remoteEnded = false
    var scratch = [UInt8](repeating: 0, count: 32 * 1024)

    init(channel: Channel, fd: Int32) {
        self.channel = channel
        self.fd = fd
    }
}

extension SSHSession: JumpForwarder {
    /// The device's socket: a TCP connection, or, behind jump hosts, a forward through the last bastion,
    /// whose session comes from the driver's ``BastionPool`` (opened through the bastions before it).
    func connectSocket(deadline: ContinuousClock.Instant) async throws -> Int32 {
        guard let last = target.jumpHosts.last else {
            return try await TCPConnector.connect(
                host: target.host, port: target.port, deadline: deadline, loop: configuration.loop)
        }
        var hop = DeviceTarget(
            host: last.host, port: last.port, username: last.username, credentials: last.credentials,
            platform: PlatformProfile.linux.name, connectTimeout: ContinuousClock.now.duration(to: deadline),
            hostKeyPolicy: last.hostKeyPolicy, keepaliveInterval: target.keepaliveInterval)
        hop.jumpHosts = Array(target.jumpHosts.dropLast())
        let bastion = hop
        let context = DriverContext(platform: .linux, logger: logger)
        let configuration = self.configuration
        let lease: BastionLease
        do {
            lease = try await configuration.bastions.acquire(
                BastionPool.Key(driver: Transport.driverName, chain: target.jumpHosts)
            ) {
                try await SSHSession.open(target: bastion, context: context, configuration: configuration)
            }
        } catch let error as NetPulseError {
            throw Self.naming(last, error)
        }
        bastionLease = lease
        do {
            return try await lease.forwarder.forward(host: target.host, port: target.port, deadline: deadline)
        } catch let error as NetPulseError {
            throw NetPulseError(error.kind, "through \(last): \(error.message)")
        }
    }

    /// `error` of a bastion's session, its message saying which hop failed (an inner hop names itself).
    static func naming(_ hop: JumpHost, _ error: NetPulseError) -> NetPulseError {
        error.message.hasPrefix("jump host ") ? error : NetPulseError(error.kind, "\(hop): \(error.message)")
    }

    /// Opens a `direct-tcpip` channel to `host:port` and returns the device's end of a socket pair that
    /// the pump joins to it.
    func forward(host: String, port: Int, deadline: ContinuousClock.Instant) async throws -> Int32 {
        let channel = try await drive("opening a channel to \(host):\(port)", deadline: deadline) {
            () throws(NetPulseError) in try transport.openForward(host: host, port: port)
        }
        let pair: (Int32, Int32)
        do {
            pair = try Self.socketPair()
        } catch {
            transport.release(channel)
            throw error
        }
        forwards.append(JumpForward(channel: channel, fd: pair.0))
        try startPump()
        return pair.1
    }

    private func startPump() throws(NetPulseError) {
        if pump != nil {
            var one: UInt8 = 1
            _ = Glibc.write(wake.write, &one, 1)
            return
        }
        wake = try Self.socketPair()
        pump = Task { await self.runPump() }
    }

    /// A connected pair of non-blocking Unix stream sockets.
    static func socketPair() throws(NetPulseError) -> (Int32, Int32) {
        var pair: [Int32] = [-1, -1]
        let type = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        guard socketpair(AF_UNIX, type, 0, &pair) == 0 else {
            throw NetPulseError.driverError("socketpair failed: \(TCPConnector.errnoText(errno))")
        }
        return (pair[0], pair[1])
    }

    /// Copies bytes both ways between each forward's channel and socket until the session closes; a
    /// forward ends when either side ends. Waits on the bastion's socket (while some forward can take
    /// channel data or has data for the channel), the forwards' sockets and the wake socket (new forwards).
    private func runPump() async {
        while !closing && !Task.isCancelled {
            var moved = false
            var finished: [JumpForward<Transport.Channel>] = []
            for forward in forwards {
                let (didMove, done) = shuttle(forward)
                moved = moved || didMove
                if done { finished.append(forward) }
            }
            for forward in finished { end(forward) }
            forwards.removeAll { forward in finished.contains { $0 === forward } }
            if moved {
                await Task.yield()
                continue
            }
            var drain = [UInt8](repeating: 0, count: 64)
            while Glibc.read(wake.read, &drain, drain.count) > 0 {}
            var waits: [(Int32, ReadinessLoop.Interest)] = [(wake.read, .read)]
            for forward in forwards {
                var interest: ReadinessLoop.Interest = []
                if forward.toRemote.isEmpty { interest.insert(.read) }
                if !forward.toLocal.isEmpty { interest.insert(.write) }
                if !interest.isEmpty { waits.append((forward.fd, interest)) }
            }
            if forwards.contains(where: { $0.toLocal.isEmpty || !$0.toRemote.isEmpty }), let fd = transport.socket {
                waits.append((fd, transport.interest))
            }
            let slice = ContinuousClock.now + (transport.recheckInterval ?? .seconds(60))
            guard await Self.waitAny(waits, deadline: slice, loop: configuration.loop) else { break }
        }
        // What devices wrote last (their DISCONNECT) goes out before the channels close, as far as the
        // sockets take it now; nothing waits.
        for forward in forwards {
            for _ in 0..<4 where !shuttle(forward).done {}
            end(forward)
        }
        _ = try? transport.flush()
        forwards = []
        configuration.loop.forget(fd: wake.read)
        Glibc.close(wake.read)
        Glibc.close(wake.write)
    }

    /// One round of copying for `forward`: whether bytes moved, and whether the forward is over.
    private func shuttle(_ forward: JumpForward<Transport.Channel>) -> (moved: Bool, done: Bool) {
        var moved = false
        do {
            if forward.toLocal.isEmpty && !forward.remoteEnded {
                let result = try forward.scratch.withUnsafeMutableBytes {
                    try transport.read(forward.channel, .standardOutput, into: $0)
                }
                if case .processed(let count) = result {
                    if count == 0 {
                        forward.remoteEnded = true
                    } else {
                        forward.toLocal = Array(forward.scratch[..<count])
                    }
                    moved = true
                }
            }
            if !forward.toLocal.isEmpty {
                let sent = forward.toLocal.withUnsafeBytes {
                    Glibc.send(forward.fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
                }
                if sent > 0 {
                    forward.toLocal.removeFirst(sent)
                    moved = true
                } else if sent < 0 && errno != EAGAIN && errno != EINTR {
                    return (moved, true)
                }
            }
            if forward.remoteEnded && forward.toLocal.isEmpty { return (moved, true) }
            if forward.toRemote.isEmpty {
                let count = forward.scratch.withUnsafeMutableBytes {
                    Glibc.recv(forward.fd, $0.baseAddress, $0.count, 0)
                }
                if count == 0 { return (moved, true) }  // the device's session closed its end
                if count > 0 {
                    forward.toRemote = Array(forward.scratch[..<count])
                    moved = true
                } else if errno != EAGAIN && errno != EINTR {
                    return (moved, true)
                }
            }
            if !forward.toRemote.isEmpty {
                let result = try forward.toRemote.withUnsafeBytes { try transport.write(forward.channel, $0) }
                if case .processed(let count) = result {
                    forward.toRemote.removeFirst(count)
                    moved = true
                }
            }
            return (moved, false)
        } catch {
            logger.debug("a forward through \(peer) ended: \(error)")
            return (moved, true)
        }
    }

    private func end(_ forward: JumpForward<Transport.Channel>) {
        transport.release(forward.channel)
        configuration.loop.forget(fd: forward.fd)
        Glibc.close(forward.fd)
    }

    /// Waits until one of `waits` is ready or `deadline` passes; `false` when a socket is gone.
    private static func waitAny(
        _ waits: [(Int32, ReadinessLoop.Interest)], deadline: ContinuousClock.Instant, loop: ReadinessLoop
    ) async -> Bool {
        await withTaskGroup(of: Bool.self) { group in
            for (fd, interest) in waits {
                group.addTask {
                    do {
                        _ = try await loop.wait(fd: fd, for: interest, deadline: deadline)
                        return true
                    } catch is ReadinessLoop.Failure {
                        return false
                    } catch {
                        return true
                    }
                }
            }
            let first = await group.next() ?? true
            group.cancelAll()
            return first
        }
    }
}
