public import NetPulse

extension LibSSH2Driver {
    /// None beyond the CLI engine's: any other `driver_args` field is refused.
    public var acceptedDriverArgs: Set<String>? { [] }
}
