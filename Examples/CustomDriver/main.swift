import Foundation
import NetPulse

// Register the driver under a name, then run a NetPulse batch on it like on any other driver.
var drivers = DriverRegistry()
drivers.register(LocalShellDriver(), as: "local-shell", aliases: ["local"])

let json = """
    {
      "driver": "local",
      "devices": [{"host": "localhost"}, {"host": "127.0.0.1"}],
      "connection_args": {"device_type": "linux", "username": "me", "password": "unused"},
      "command": ["echo hello from $(uname -s)", "sh -c 'exit 3'"],
      "options": {"queue_strategy": "pinned"}
    }
    """

let request = try BatchRequest(json: Data(json.utf8))
let result = try await withScheduler(configuration: SchedulerConfiguration(drivers: drivers)) { scheduler in
    try await scheduler.run(request)
}
print(String(decoding: try result.jsonData(), as: UTF8.self))
// The second command exits 3, so every device reports a command_error: exit 0 only if that is so.
let expected = result.results.allSatisfy { $0.error?.kind == .commandError && $0.outputs.first?.status == .ok }
exit(expected ? 0 : 1)
