public import NetPulse

/// What one non-blocking step of an ``SSHTransport`` gave (as `IOResult` in swift-nio): done with a
/// value, or "the library waits for the socket" (``SSHTransport/interest`` says for what).
public enum IOResult<Value> {
    case processed(Value)
    case wouldBlock
}

extension IOResult: Sendable where Value: Sendable {}

extension IOResult {
    /// The processed value transformed; "would block" stays.
    public func map<T>(_ transform: (Value) -> T) -> IOResult<T> {
        switch self {
        case .processed(let value): .processed(transform(value))
        case .wouldBlock: .wouldBlock
        }
    }
}
extension IOResult: Equatable where Value: Equatable {}

/// One of a channel's two output streams.
public enum SSHStream: Sendable, Hashable {
    case standardOutput
    case standardError
}

/// How a remote command ended.
public enum SSHExitState: Sendable, Hashable {
    case exited(Int)
    case signalled(String)
    /// The channel closed without a status (some devices never send one).
    case unknown
}

/// One credential as the transport gets it: a private key arrives as the file's bytes, read by the
/// session (regular file, size-limited), so libraries load keys from memory, never from a path.
public enum SSHCredentialAttempt: Sendable {
    case password(Secret)
    case keyboardInteractive(Secret)
    case privateKey(bytes: Secret, passphrase: Secret?, path: String)

    /// The SSH method name (`password`, `keyboard-interactive`, `publickey`).
    public var method: String {
        switch self {
        case .password: "password"
        case .keyboardInteractive: "keyboard-interactive"
        case .privateKey: "publickey"
        }
    }
}

/// What a transport needs to know before its handshake.
public struct SSHTransportSettings: Sendable {
    public var host: String
    public var port: Int
    public var username: String
    /// `host:port` (or `[v6]:port`), for messages.
    public var peer: String
    /// The algorithms to offer, in order (already limited to what the library supports).
    public var algorithms: SSHAlgorithms
    /// Whether legacy algorithms are among them.
    public var legacyAlgorithms: Bool
}

/// The small protocol each SSH backend implements over its C library: non-blocking steps, one C call
/// (or a few) each, that never wait. The ``SSHSession`` skeleton does everything else once for every
/// backend: the TCP connect, waiting for readiness with deadlines, the host-key decision, the
/// credential loop, shell or exec, output collection, keepalive, liveness and close.
///
/// A transport is not `Sendable`: one session actor owns it, so no two calls on it ever run at once.
/// It owns the socket from ``attach(socket:)`` on and closes it in ``close()``.
public protocol SSHTransport: AnyObject, SendableMetatype {
    /// A channel handle of the library, owned by the transport.
    associatedtype Channel: AnyObject

    /// The driver's name (`libssh`, `libssh2`), for messages.
    static var driverName: String { get }
    /// Every algorithm the library can negotiate.
    static var supportedAlgorithms: SSHAlgorithms { get }
    /// What to tell a user whose device offers nothing this library supports (e.g. "the libssh driver
    /// has rsa-sha2-512"), or `nil`.
    static func advice(forUnsupported offer: SSHAlgorithms) -> String?

    init(settings: SSHTransportSettings) throws(NetPulseError)

    /// Takes ownership of the connected non-blocking socket.
    func attach(socket: Int32) throws(NetPulseError)
    /// The socket while the transport still holds it (`nil` once the library closed it itself).
    var socket: Int32? { get }
    /// What the library waits for after a ``IOResult/wouldBlock``.
    var interest: ReadinessLoop.Interest { get }
    /// For libraries that may keep whole packets in their own buffers while the socket is quiet: how
    /// long a wait trusts the socket alone before asking the library again; `nil` when never needed.
    var recheckInterval: Duration? { get }

    func handshake() throws(NetPulseError) -> IOResult<Void>
    /// The key the server proved it holds, after the handshake.
    func serverHostKey() throws(NetPulseError) -> SSHHostKey
    /// The methods the server offers for `user`; `nil` when it let the user in already.
    func authenticationMethods() throws(NetPulseError) -> IOResult<[String]?>
    /// One authentication attempt: `true` accepted, `false` refused.
    func authenticate(_ attempt: SSHCredentialAttempt) throws(NetPulseError) -> IOResult<Bool>

    func openChannel() throws(NetPulseError) -> IOResult<Channel>
    /// Opens a `direct-tcpip` channel: the server connects to `host:port` and the channel carries that
    /// connection's bytes (the bastion's side of a jump). A server that cannot connect refuses the channel:
    /// `connection_refused`.
    func openForward(host: String, port: Int) throws(NetPulseError) -> IOResult<Channel>
    func requestPTY(_ channel: Channel, columns: Int, rows: Int) throws(NetPulseError) -> IOResult<Void>
    func requestShell(_ channel: Channel) throws(NetPulseError) -> IOResult<Void>
    func requestExec(_ channel: Channel, command: String) throws(NetPulseError) -> IOResult<Void>
    /// Reads what is there: a count > 0, or 0 at the stream's end of file.
    func read(_ channel: Channel, _ stream: SSHStream, into buffer: UnsafeMutableRawBufferPointer)
        throws(NetPulseError) -> IOResult<Int>
    /// Whether the library already holds output of `channel` that a ``read(_:_:into:)`` would return
    /// without the socket: stdout's at least (the session reads stdout first in each pass, so what a stdout
    /// read takes in for stderr is read in the same pass), or either stream's.
    ///
    /// Reading one stream makes a library take in every packet the socket has, the other stream's too: a
    /// read of stderr can pull stdout's data (and the end of file) into the library's buffers and still say
    /// "would block" for stderr. The session asks this before it sleeps on the socket, which may then stay
    /// quiet until the deadline.
    func hasBufferedOutput(_ channel: Channel) -> Bool
    /// After a ``read(_:_:into:)`` of stdout that returned `count` bytes into a buffer of `capacity`:
    /// whether the library is sure it holds nothing more of the channel that a read would return before
    /// new bytes reach the socket (it took in every complete packet the socket had, the read emptied what
    /// it held of the channel, and the channel is not at its end). The session then waits for the socket
    /// before it reads again, instead of asking the library first, which costs a system call that
    /// finds nothing (libssh's `poll`, libssh2's `recv`). `false` when unsure; the default.
    func readTookEverything(_ channel: Channel, count: Int, capacity: Int) -> Bool
    /// Writes what the channel's window takes now: a count > 0.
    func write(_ channel: Channel, _ bytes: UnsafeRawBufferPointer) throws(NetPulseError) -> IOResult<Int>
    /// After end of file: the command's exit, once the server sent it (or closed the channel).
    func exitState(_ channel: Channel) throws(NetPulseError) -> IOResult<SSHExitState>
    /// Frees a channel without waiting for the server.
    func release(_ channel: Channel)

    /// Sends a keepalive request (`keepalive@openssh.com`, which servers answer).
    func sendKeepalive() throws(NetPulseError) -> IOResult<Void>
    /// Sends what the transport still holds for the socket.
    func flush() throws(NetPulseError) -> IOResult<Void>
    /// Says goodbye if it can at once, frees the library's session and closes the socket. Never waits.
    func close()
}

extension SSHTransport {
    /// Unsure: the session asks the library before every wait.
    public func readTookEverything(_ channel: Channel, count: Int, capacity: Int) -> Bool { false }
}

extension SSHCredentialAttempt {
    /// How many keyboard-interactive rounds a transport answers before giving up (a server that keeps
    /// asking is not going to let the user in).
    public static let maxKeyboardInteractiveRounds = 8

    /// The answer to one keyboard-interactive prompt: the secret for a prompt that does not echo or that
    /// asks for a password or passcode, an empty line for any other.
    public static func answer(prompt: String, echoes: Bool, secret: Secret) -> String {
        let lower = prompt.lowercased()
        return !echoes || lower.contains("password") || lower.contains("passcode") ? secret.revealed : ""
    }
}
