import Foundation
import SSHTestSupport
import Testing

/// `Examples/HummingbirdApp`, built with the package, run as a subprocess.
@Suite("Examples: the hummingbird app")
struct HummingbirdExampleTests {
    @Test("mounts the API under /netpulse and streams a lab batch's results into its own store")
    func runs() async throws {
        let path = URL(fileURLWithPath: ServeCommandTests.binary).deletingLastPathComponent()
            .appendingPathComponent("hummingbird-example").path
        let output = try await ChildProcess.run(path, [], environment: [:])
        #expect(output.status == 0, "\(output.stdout)\n\(output.stderr)")
        #expect(output.stdout.contains("inventory: 3 of 3 devices"), "\(output.stdout)\n\(output.stderr)")
        let rows = output.stdout.split(separator: "\n").filter { $0.hasPrefix("127.0.0.1:") }
        #expect(rows.count == 3)
        #expect(rows.allSatisfy { $0.contains(" ok ") && $0.contains("Version") }, "\(rows)")
    }
}
