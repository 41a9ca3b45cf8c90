import Foundation
import NetPulse
import Testing

/// The `netpulse lab` executable: ready line, inventory, clean stop on SIGTERM, refusal of other addresses.
@Suite("netpulse lab command")
struct LabCommandTests {
    static var executable: String {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("netpulse")
            .path
    }

    @Test func runsUntilSIGTERMAndWritesAValidInventory() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.executable), "build the netpulse product first")
        let folder = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let lab = Process()
        let output = Pipe()
        lab.executableURL = URL(fileURLWithPath: Self.executable)
        lab.arguments = [
            "lab", "--devices", "6", "--platforms", "cisco_ios,linux", "--inventory", folder + "/inventory.json",
            "--folder", folder, "--fault-rate", "0.5", "--seed", "3",
        ]
        lab.standardOutput = output
        lab.standardError = FileHandle.nullDevice
        try launch(lab, pipes: [output])
        // Read until "ready:" on a Dispatch thread (the read blocks until the lab prints).
        let reader = output.fileHandleForReading
        let text = await offPool {
            var text = ""
            while !text.contains("ready:") {
                let data = reader.availableData
                if data.isEmpty { break }
                text += String(decoding: data, as: UTF8.self)
            }
            return text
        }
        #expect(text.contains("ready: 6 devices on 127.0.0.1"))
        #expect(text.components(separatedBy: "fault: ").count - 1 == 3)
        let request = try BatchRequest(json: Data(contentsOf: URL(fileURLWithPath: folder + "/inventory.json")))
        #expect(request.devices.count == 6)
        #expect(request.devices[1].connection.deviceType == "linux")
        let sidecar = try String(contentsOfFile: folder + "/inventory.json.faults.json", encoding: .utf8)
        #expect(sidecar.components(separatedBy: "\"fault\":").count - 1 == 3)
        lab.terminate()
        let rest = await offPool { String(decoding: reader.readDataToEndOfFile(), as: UTF8.self) }
        await offPool { lab.waitUntilExit() }
        #expect(lab.terminationStatus == 0)
        #expect(rest.contains("stopping on signal 15"))
    }

    @Test func refusesANonLoopbackAddress() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.executable), "build the netpulse product first")
        let lab = Process()
        let errors = Pipe()
        lab.executableURL = URL(fileURLWithPath: Self.executable)
        lab.arguments = ["lab", "--devices", "1", "--bind", "0.0.0.0"]
        lab.standardOutput = FileHandle.nullDevice
        lab.standardError = errors
        try launch(lab, pipes: [errors])
        let reader = errors.fileHandleForReading
        let message = await offPool { String(decoding: reader.readDataToEndOfFile(), as: UTF8.self) }
        await offPool { lab.waitUntilExit() }
        #expect(lab.terminationStatus != 0)
        #expect(message.contains("bindAddress: '0.0.0.0' is not a loopback address"))
    }
}
