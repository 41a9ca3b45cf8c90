import Foundation
import NetPulse
import SSHTestSupport
import Testing

@Suite("Batch request JSON")
struct BatchRequestJSONTests {
    @Test("the guide's command example decodes as printed")
    func guideCommandExample() throws {
        let request = try BatchRequest(json: Data(GuideExamples.batchCommand.utf8))
        #expect(request.driver == "netmiko")
        #expect(request.devices.map(\.host) == ["192.168.1.1", "192.168.1.2"])
        #expect(request.devices[0].connection.username == "admin")
        #expect(request.devices[0].connection.password?.revealed == "admin123")
        #expect(request.connectionArgs.deviceType == "cisco_ios")
        #expect(request.connectionArgs.timeout == .seconds(30))
        #expect(request.operation == .commands(["show version"]))
        #expect(request.options.queueStrategy == .pinned)
        #expect(request.options.ttl == .seconds(600))

        let jobs = try request.validated()
        #expect(jobs.count == 2)
        #expect(jobs[1].target.host == "192.168.1.2")
        #expect(jobs[1].target.port == 22)
        #expect(jobs[1].target.platform == "cisco_ios")
        #expect(jobs[1].target.connectTimeout == .seconds(30))
        #expect(jobs[1].target.readTimeout == .seconds(30))
        #expect(jobs[1].target.credentials == [.password("admin123"), .keyboardInteractive("admin123")])
    }

    @Test("the guide's config example decodes as printed, split into lines")
    func guideConfigExample() throws {
        let request = try BatchRequest(json: Data(GuideExamples.batchConfig.utf8))
        #expect(request.operation == .config(["interface GigabitEthernet0/1", " description Batch Config"]))
        #expect(request.options.queueStrategy == .pinned)
        #expect(try request.validated().allSatisfy { $0.operation.isConfig })
    }

    @Test("NetPulse 0.4's top-level options, per-device overrides and lists")
    func topLevelLayout() throws {
        let request = try BatchRequest(json: Data(GuideExamples.topLevelOptions.utf8))
        #expect(request.options.queueStrategy == .roundRobin)
        #expect(request.options.ttl == .seconds(120))
        #expect(request.options.executionTimeout == .milliseconds(45_500))
        #expect(request.options.resultTTL == .seconds(3600))
        let jobs = try request.validated()
        #expect(jobs[0].target.port == 22)
        #expect(jobs[0].operation == .commands(["show version", "show ip interface brief"]))
        #expect(jobs[1].target.port == 2222)
        #expect(jobs[1].target.username == "ops")
        #expect(jobs[1].operation == .commands(["show clock"]))
    }

    @Test(
        "strategy names",
        arguments: [
            ("pinned", QueueStrategy.pinned), ("round_robin", .roundRobin), ("fifo", .roundRobin),
            ("FIFO", .roundRobin),
        ])
    func strategies(name: String, strategy: QueueStrategy) throws {
        let json = #"{"driver":"x","devices":[{"host":"h"}],"command":"c","options":{"queue_strategy":"\#(name)"}}"#
        #expect(try BatchRequest(json: Data(json.utf8)).options.queueStrategy == strategy)
    }

    @Test("a device's fields override the shared ones, field by field")
    func mergeRule() throws {
        let shared = ConnectionArgs(
            deviceType: "cisco_ios", port: 22, username: "shared", password: "sharedpw", secret: "en",
            timeout: .seconds(5)
        )
        let own = ConnectionArgs(deviceType: "arista_eos", username: "own", readTimeout: .seconds(9))
        let merged = own.merged(over: shared)
        #expect(merged.deviceType == "arista_eos")
        #expect(merged.username == "own")
        #expect(merged.port == 22)
        #expect(merged.password == "sharedpw")
        #expect(merged.secret == "en")
        let target = try merged.resolve(host: "h", platforms: .builtin, path: "devices[0]")
        #expect(target.connectTimeout == .seconds(5))
        #expect(target.readTimeout == .seconds(9))
        #expect(target.enableSecret == "en")
    }

    @Test("credentials: key file first, explicit auth methods, host-key policy")
    func credentials() throws {
        let json = #"""
            {"driver": "libssh2", "command": "show version",
             "connection_args": {"device_type": "linux", "username": "u", "password": "p",
                                 "host_key_policy": "accept_new", "known_hosts_file": "/tmp/kh"},
             "devices": [{"host": "a", "key_file": "/k", "passphrase": "pp"},
                         {"host": "b", "auth_method": "keyboard_interactive"},
                         {"host": "c", "host_key_policy": "off"}]}
            """#
        let jobs = try BatchRequest(json: Data(json.utf8)).validated()
        #expect(jobs[0].target.credentials.first == .privateKey(path: "/k", passphrase: "pp"))
        #expect(jobs[0].target.credentials.count == 3)
        #expect(jobs[1].target.credentials == [.keyboardInteractive("p")])
        #expect(jobs[0].target.hostKeyPolicy == .acceptNew(knownHostsFile: "/tmp/kh"))
        #expect(jobs[2].target.hostKeyPolicy == .off)
    }

    @Test("netmiko pass-through fields are kept for drivers, not rejected")
    func passThrough() throws {
        let json = #"""
            {"driver": "netmiko", "command": "show version",
             "connection_args": {"device_type": "cisco_ios", "username": "u", "password": "p", "fast_cli": true,
                                 "global_delay_factor": 2},
             "devices": [{"ip": "10.1.1.1", "driver_args": {"vrf": "mgmt"}}]}
            """#
        let jobs = try BatchRequest(json: Data(json.utf8)).validated()
        #expect(jobs[0].target.host == "10.1.1.1")
        #expect(jobs[0].target.driverArgs["fast_cli"] == .bool(true))
        #expect(jobs[0].target.driverArgs["vrf"] == .string("mgmt"))
    }

    @Test("a device given as a bare host string")
    func bareHost() throws {
        let json =
            #"{"driver":"d","devices":["r1","r2"],"connection_args":{"device_type":"huawei","username":"u","password":"p"},"command":"display version"}"#
        #expect(try BatchRequest(json: Data(json.utf8)).validated().map(\.target.host) == ["r1", "r2"])
    }

    @Test("secrets never show in descriptions")
    func secretsMasked() throws {
        let request = try BatchRequest(json: Data(GuideExamples.batchCommand.utf8))
        let jobs = try request.validated()
        let texts = [
            String(describing: request), String(reflecting: request), String(describing: jobs),
            String(describing: jobs[0].target), "\(jobs[0].target.credentials)",
        ]
        for text in texts { #expect(!text.contains("admin123"), "\(text)") }
        let encoded = String(decoding: try JSONEncoder().encode(Secret("admin123")), as: UTF8.self)
        #expect(!encoded.contains("admin123"))
    }
}
