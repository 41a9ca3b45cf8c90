import Foundation
import NetPulse
import NetPulseLab
import NetPulseServer
import SSHTestSupport
import Testing

/// HTTPS from a certificate and key in files: openssl makes them, curl (a client we did not write)
/// checks the certificate and talks to the server.
@Suite("HTTP API: TLS")
struct TLSTests {
    /// A self-signed certificate for 127.0.0.1 and its key, in `directory`.
    static func makeCertificate(in directory: String) async throws -> (certificate: String, key: String) {
        let certificate = directory + "/cert.pem"
        let key = directory + "/key.pem"
        let made = try await ChildProcess.run(
            "/usr/bin/env",
            [
                "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", key, "-out", certificate, "-days", "1", "-subj", "/CN=127.0.0.1",
                "-addext", "subjectAltName=IP:127.0.0.1",
            ], environment: [:])
        try #require(made.status == 0, "openssl: \(made.stderr)")
        return (certificate, key)
    }

    @Test("serves HTTPS that curl verifies against the certificate; plain HTTP on that port gets no answer")
    func https() async throws {
        let directory = try TemporaryDirectory()
        let files = try await Self.makeCertificate(in: directory.path)
        try await withLab(ServerFixture.labConfiguration(devices: 1)) { lab in
            try await ServerFixture.withServer(
                lab: lab,
                tls: .init(certificateChainFile: files.certificate, privateKeyFile: files.key)
            ) { _, server in
                let reply = try await ChildProcess.run(
                    "/usr/bin/env",
                    [
                        "curl", "--silent", "--show-error", "--max-time", "20", "--cacert", files.certificate,
                        "-H", "X-API-KEY: \(ServerFixture.key)", "https://127.0.0.1:\(server.port)/jobs",
                    ], environment: [:])
                #expect(reply.status == 0, "curl: \(reply.stderr)")
                #expect(reply.stdout == "[]", "\(reply.stdout)")
                // Without the certificate trusted, curl refuses the server (it is really TLS, checked).
                let untrusted = try await ChildProcess.run(
                    "/usr/bin/env",
                    ["curl", "--silent", "--max-time", "20", "https://127.0.0.1:\(server.port)/health"],
                    environment: [:])
                #expect(untrusted.status != 0)
                let plain = try? await RawHTTP.exchange(
                    port: server.port, request: Array("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".utf8))
                #expect(plain?.hasPrefix("HTTP/1.1 200") != true, "plain HTTP answered on the TLS port")
            }
        }
    }

    @Test("an unreadable certificate or key is a configuration error naming it")
    func badFiles() async throws {
        let directory = try TemporaryDirectory()
        let files = try await Self.makeCertificate(in: directory.path)
        var configuration = NetPulseServerConfiguration(
            port: 0, api: NetPulseAPIConfiguration(apiKeys: try ServerFixture.keys()))
        configuration.tls = .init(certificateChainFile: files.certificate, privateKeyFile: directory.path + "/none.pem")
        #expect(throws: ServerConfigurationError(field: "tls.key_file", reason: "cannot load a PEM private key")) {
            try configuration.validate()
        }
        configuration.tls = .init(certificateChainFile: files.key, privateKeyFile: files.key)
        let error = #expect(throws: ServerConfigurationError.self) { try configuration.validate() }
        #expect(error?.field == "tls.certificate_file")
        configuration.tls = .init(certificateChainFile: files.certificate, privateKeyFile: files.key)
        try configuration.validate()
    }
}
