// `import NetPulseSSH` is all a user needs to build and configure the libssh driver: the core types
// (requests, targets, the scheduler) and the shared SSH settings (SSHDriverConfiguration, the
// known_hosts store, the readiness loop) come with it.
@_exported public import NetPulse
@_exported public import NetPulseSSHCore
