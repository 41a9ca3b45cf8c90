internal import CLibSSH2
import NetPulse

/// libssh2 keepalive (`keepalive@openssh.com` global requests).
func configureKeepalive(_ session: SSH2Session, interval: Duration) {
    let seconds = max(1, UInt32(clamping: interval.components.seconds))
    _ = session.withRaw { libssh2_keepalive_config($0, 1, seconds) }
}

/// Sends a keepalive if one is due; `false` when the transport failed.
///
/// - Parameter idleOnly: Skip (and report success) while an operation holds the session.
func sendKeepaliveIfDue(_ session: SSH2Session, idleOnly: Bool = false) -> Bool {
    var next: Int32 = 0
    let body = { (raw: OpaquePointer) in libssh2_keepalive_send(raw, &next) }
    if idleOnly {
        guard let rc = session.withRawIfIdle(body) else { return !session.isFreed }
        return rc == 0 || rc == LIBSSH2_ERROR_EAGAIN
    }
    let rc = session.withRaw(body) ?? -1
    return rc == 0 || rc == LIBSSH2_ERROR_EAGAIN
}

/// The handshake call, here so that the driver file imports no C.
func libssh2Handshake(_ raw: OpaquePointer, _ fd: Int32) -> Int32 {
    libssh2_session_handshake(raw, fd)
}

/// A task that sends keepalives while the session is idle, until cancelled.
func startKeepaliveTask(_ session: SSH2Session, interval: Duration) -> Task<Void, Never> {
    Task { [weak session] in
        while !Task.isCancelled {
            // A timer, not a wait for an event: keepalives are due every `interval`.
            try? await Task.sleep(for: interval)
            guard let session, !Task.isCancelled else { return }
            // Skipped while an operation runs: it has the socket, and its traffic keeps the link alive.
            if !sendKeepaliveIfDue(session, idleOnly: true) {
                session.markFailed(.connectionLost("keepalive to \(session.peer) failed"))
                return
            }
        }
    }
}

/// The directions libssh2 waits for.
func libssh2BlockDirections(_ raw: OpaquePointer) -> Int32 {
    libssh2_session_block_directions(raw)
}
