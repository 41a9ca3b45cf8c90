import Benchmark
import Logging
import NetPulse
import NetPulseTesting

/// A Cisco-like device for the benchmarks: echoes each line and answers `show big` with `bigSize`
/// bytes of 80-byte lines cut in `chunkSize` chunks, anything else with one short line.
enum BenchDevice {
    static let bigSize = 10 * 1024 * 1024
    static let prompt = "R1#"

    /// `show big`'s reply (echo, output, prompt): built once.
    static let bigBytes: [UInt8] = {
        var bytes = Array("show big\r\n".utf8)
        bytes.reserveCapacity(bigSize + 100)
        let line = Array(("GigabitEthernet0/1 is up, line protocol is up (connected) R1#x 10.0.0.1/24 desc ").utf8)
        var number = 0
        while bytes.count < bigSize {
            bytes.append(contentsOf: line.prefix(70))
            bytes.append(contentsOf: Array(String(number % 100_000).utf8))
            bytes.append(contentsOf: [13, 10])
            number += 1
        }
        bytes.append(contentsOf: Array(prompt.utf8))
        return bytes
    }()

    static func chunks(of size: Int) -> [[UInt8]] {
        stride(from: 0, to: bigBytes.count, by: size).map { Array(bigBytes[$0..<min($0 + size, bigBytes.count)]) }
    }

    static func channel(chunkSize: Int = 32 * 1024) -> ScriptedShellChannel {
        let bigReply = chunks(of: chunkSize)
        return ScriptedShellChannel(greeting: .text("\r\nR1#")) { written in
            let line = written.hasSuffix("\n") ? String(written.dropLast()) : written
            switch line {
            case "": return .text("\r\n" + prompt)
            case "show big": return ScriptedShellChannel.Reply(chunks: bigReply)
            case "show clock": return .text("show clock\r\n*10:00:00.123 UTC Sun Nov 29 2026\r\n" + prompt)
            default: return .text(line + "\r\n" + prompt)
            }
        }
    }

    static func engine(chunkSize: Int = 32 * 1024) async throws -> CLIEngine {
        let engine = CLIEngine(
            channel: channel(chunkSize: chunkSize), profile: .ciscoNXOS, enableSecret: nil,
            logger: Logger(label: "bench"))
        try await engine.start(deadline: .now + .seconds(10))
        return engine
    }

    static func request(_ command: String) -> ExecutionRequest {
        ExecutionRequest(operation: .commands([command]), readTimeout: .seconds(30), logger: Logger(label: "bench"))
    }
}

let benchmarks: @Sendable () -> Void = {
    Benchmark(
        "Prompt scan, 10 MiB output in 32 KiB chunks",
        configuration: .init(
            metrics: [.wallClock, .cpuTotal, .mallocCountTotal, .peakMemoryResident],
            maxDuration: .seconds(10),
            maxIterations: 20
        )
    ) { benchmark in
        let engine = try await BenchDevice.engine(chunkSize: 32 * 1024)
        let request = BenchDevice.request("show big")
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            let outcome = try await engine.execute(request)
            precondition(outcome.outputs[0].output.utf8.count > BenchDevice.bigSize * 9 / 10)
            blackHole(outcome)
        }
    }

    Benchmark(
        "Prompt scan, 10 MiB output in 1 KiB chunks",
        configuration: .init(
            metrics: [.wallClock, .cpuTotal, .mallocCountTotal, .peakMemoryResident],
            maxDuration: .seconds(10),
            maxIterations: 20
        )
    ) { benchmark in
        let engine = try await BenchDevice.engine(chunkSize: 1024)
        let request = BenchDevice.request("show big")
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            let outcome = try await engine.execute(request)
            precondition(outcome.outputs[0].output.utf8.count > BenchDevice.bigSize * 9 / 10)
            blackHole(outcome)
        }
    }

    Benchmark(
        "One command, short output (per command)",
        configuration: .init(
            metrics: [.wallClock, .cpuTotal, .mallocCountTotal, .throughput],
            scalingFactor: .mega,
            maxDuration: .seconds(10)
        )
    ) { benchmark in
        let engine = try await BenchDevice.engine()
        let request = BenchDevice.request("show clock")
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            let outcome = try await engine.execute(request)
            blackHole(outcome)
        }
    }
}
