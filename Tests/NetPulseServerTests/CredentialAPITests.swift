import Foundation
import NetPulse
import NetPulseLab
import NetPulseServer
import SSHTestSupport
import Testing

/// `credential` over HTTP: only the operator's providers and references.
@Suite("HTTP API: credentials")
struct CredentialAPITests {
    typealias Fixture = ServerFixture

    @Test("an allowed reference logs in with no password in the body; another ref or provider is 403")
    func allowedReferences() async throws {
        try await withLab(Fixture.labConfiguration(devices: 1)) { lab in
            let environment = EnvironmentCredentialProvider(environment: [
                "LAB_USERNAME": "admin", "LAB_PASSWORD": Fixture.password, "LAB_SECRET": Fixture.enableSecret,
                "ROOT_PASSWORD": "must-not-leak",
            ])
            try await Fixture.withServer(
                lab: lab, api: { $0.credentialProviders.register("lab", environment, allowedReferences: ["LAB"]) }
            ) { client, _ in
                let device = try #require(lab.devices.first)
                func body(_ credential: String) -> String {
                    """
                    {"driver": "netmiko", "connection_args": {"device_type": "cisco_ios"}, "command": "show version",
                     "credential": \(credential), "devices": [{"host": "\(device.host)", "port": \(device.port)}]}
                    """
                }
                let accepted = try await client.post("/device/bulk", body(#"{"name": "lab", "ref": "LAB"}"#))
                #expect(accepted.status == 201, "\(accepted.text)")
                let batch = try accepted.batchID()
                let result = try await client.waitForBatch(batch)
                #expect(result["success"] as? Bool == true, "\(result)")
                #expect(!accepted.text.contains(Fixture.password))

                let otherRef = try await client.post("/device/bulk", body(#"{"name": "lab", "ref": "ROOT"}"#))
                #expect(otherRef.status == 403)
                #expect(try otherRef.error()["field"] as? String == "credential.ref")
                let otherProvider = try await client.post("/device/bulk", body(#"{"name": "env", "ref": "LAB"}"#))
                #expect(otherProvider.status == 403)
                #expect(try otherProvider.error()["field"] as? String == "credential.name")
                #expect(!otherRef.text.contains("must-not-leak"))
            }
        }
    }
}
