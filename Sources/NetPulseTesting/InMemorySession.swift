import NetPulse
import Synchronization

/// A session on an in-memory device.
final class InMemorySession: DriverSession {
    private struct State {
        var alive = true
        var closed = false
        var executing = false
    }

    let id: Int
    let target: DeviceTarget
    private let driver: InMemoryDriver
    private let state = Mutex(State())

    init(id: Int, target: DeviceTarget, driver: InMemoryDriver) {
        self.id = id
        self.target = target
        self.driver = driver
    }

    func kill() { state.withLock { $0.alive = false } }

    func isAlive() async -> Bool { state.withLock { $0.alive && !$0.closed } }

    func close() async {
        state.withLock { $0.closed = true }
        driver.sessionClosed(self)
    }

    func execute(_ request: ExecutionRequest) async throws -> ExecutionOutcome {
        let (alive, overlapping) = state.withLock { state -> (Bool, Bool) in
            let overlapping = state.executing
            state.executing = true
            return (state.alive && !state.closed, overlapping)
        }
        let start = ContinuousClock.now
        driver.executionStarted(on: self, overlapping: overlapping)
        defer {
            state.withLock { $0.executing = false }
            driver.executionEnded(
                .init(device: target.key, sessionID: id, operation: request.operation, start: start, end: .now)
            )
        }
        guard alive else {
            throw NetPulseError.sessionUnavailable("session \(id) to \(target.key) is no longer alive")
        }
        guard let script = driver.script(for: target.host) else {
            throw NetPulseError.connectionLost("\(target.key) went away")
        }
        var outputs: [CommandOutput] = []
        var failure: NetPulseError?
        let lines = request.operation.lines
        for (number, line) in lines.enumerated() {
            try await driver.passHold(host: target.host)
            if script.fault == .hangOnCommand { try await hangUntilCancelled() }
            if case .dropAfter(let count)? = script.fault, number >= count {
                kill()
                throw NetPulseError.connectionLost("\(target.key) dropped the connection during '\(line)'")
            }
            if script.commandLatency > .zero { try await driver.clock.sleep(for: script.commandLatency) }
            try Task.checkCancellation()
            if let message = script.rejectedLines[line] {
                outputs.append(CommandOutput(command: line, output: message, status: .failed))
                failure = failure ?? .commandError("'\(line)' rejected by \(target.key): \(message)")
                if request.operation.isConfig && request.stopOnError {
                    let rest = lines[(number + 1)...].map { CommandOutput(command: $0, output: "", status: .skipped) }
                    outputs += rest
                    break
                }
                continue
            }
            outputs.append(CommandOutput(command: line, output: script.output(for: line)))
        }
        return ExecutionOutcome(outputs: outputs, error: failure)
    }
}
