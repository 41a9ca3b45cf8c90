import Foundation
import NetPulse
import NetPulseLab

/// `netpulse-lab-bench lab`: serves a lab from this executable, with the options of `netpulse lab` that
/// ``LabProcess`` passes, and the same `ready:` and `stopping` lines. It lets the benches run (and
/// scripts/bench/lab-callgrind.sh count) the lab without building the whole `netpulse` tool, whose
/// HTTP and PostgreSQL modules the lab never runs: the lab's code is the same NetPulseLab.
func serveLab(_ arguments: Arguments) async {
    let devices = arguments.int("--devices", 10, in: 1...60_000)
    let inventory = arguments.string("--inventory", "")
    let folder = arguments.string("--folder", "")
    let seed = arguments.int("--seed", 0, in: 0...Int(Int32.max))
    let faultRate = arguments.double("--fault-rate", 0, in: 0...1)
    var platforms: [LabPlatform] = []
    for name in arguments.string("--platforms", "linux").split(separator: ",") {
        guard let platform = LabPlatform(rawValue: String(name)) else {
            fail("--platforms: unknown platform '\(name)'")
        }
        platforms.append(platform)
    }
    var kinds: [LabFault.Kind] = []
    for name in arguments.string("--faults", LabFault.Kind.allCases.map(\.rawValue).joined(separator: ","))
        .split(separator: ",")
    {
        guard let kind = LabFault.Kind(rawValue: String(name)) else { fail("--faults: unknown fault '\(name)'") }
        kinds.append(kind)
    }
    let profile: LabDeviceProfile
    do {
        profile = try LabDeviceProfile(parsing: arguments.string("--profile", "modern"))
    } catch {
        fail("--profile: \(error)")
    }
    let configuration = LabConfiguration(
        devices: devices, platforms: platforms, folder: folder.isEmpty ? nil : folder,
        inventoryFile: inventory.isEmpty ? nil : inventory, seed: UInt64(seed), faultRate: faultRate,
        faultKinds: kinds, profile: profile)
    LabProcessHeap.growInLargeSteps()
    let stop = StopSignal()
    do {
        try await withLab(configuration) { lab in
            for device in lab.faultyDevices { print("fault: \(device.description)") }
            print(
                "ready: \(lab.devices.count) devices, ports \(lab.devices.map(\.port).min() ?? 0)"
                    + "-\(lab.devices.map(\.port).max() ?? 0); started in \(lab.startupTime); known_hosts "
                    + lab.knownHostsFile + (lab.inventoryFile.map { "; inventory \($0)" } ?? ""))
            fflush(nil)
            let signal = await stop.wait()
            let final = lab.statistics()
            print(
                "stopping on signal \(signal): \(final.connections) connections, \(final.logins) logins, "
                    + "\(final.commands) commands, \(final.channels) channels, peak \(final.peakSessions) sessions, "
                    + "loop CPU \(final.loopCPUTime)")
            fflush(nil)
        }
    } catch {
        fail("lab: \(error)")
    }
}

/// SIGTERM or SIGINT, awaited once.
private final class StopSignal: @unchecked Sendable {
    private var sources: [any DispatchSourceSignal] = []
    private let lock = NSLock()
    private var received: Int32?
    private var waiter: CheckedContinuation<Int32, Never>?

    init() {
        for number in [SIGTERM, SIGINT] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [weak self] in self?.deliver(number) }
            source.resume()
            sources.append(source)
        }
    }

    private func deliver(_ number: Int32) {
        lock.lock()
        let waiter = self.waiter
        self.waiter = nil
        if waiter == nil && received == nil { received = number }
        lock.unlock()
        waiter?.resume(returning: number)
    }

    func wait() async -> Int32 {
        await withCheckedContinuation { continuation in
            lock.lock()
            if let received {
                lock.unlock()
                continuation.resume(returning: received)
            } else {
                waiter = continuation
                lock.unlock()
            }
        }
    }
}
