import Foundation

/// The OpenAPI 3 description of what ``NetPulseAPI`` serves: the resource `openapi.json` beside this file,
/// written by hand and checked against the live server by `scripts/check-openapi.sh` (schemathesis) and
/// by the server tests (every listed operation is routed, every route is listed).
///
/// Limits that depend on the configuration are placeholders, filled in at run time: a whole JSON value
/// is written as the string `"__MAX_JOBS__"` (so that the file stays valid JSON) and replaced by a number,
/// quotes included; inside a description the bare `__MAX_BODY__` is replaced.
enum OpenAPIDocument {
    /// The document for `configuration`'s limits.
    ///
    /// - Throws: ``ServerConfigurationError`` (field `openapi.json`) when the resource is missing.
    static func json(_ configuration: NetPulseAPIConfiguration) throws(ServerConfigurationError) -> String {
        var document = try template.get()
        let limits = [
            ("__MAX_JOBS__", String(configuration.maxJobsListed)),
            ("__MAX_WAIT__", String(configuration.maxWait.components.seconds)),
            ("__MAX_DEVICES__", String(configuration.maxDevicesPerRequest)),
            ("__MAX_BODY__", String(configuration.maxBodyBytes)),
        ]
        for (placeholder, value) in limits {
            document = document.replacingOccurrences(of: "\"\(placeholder)\"", with: value)
                .replacingOccurrences(of: placeholder, with: value)
        }
        return document
    }

    /// Reads the resource once, so that a server refuses to start without it (see
    /// ``NetPulseServerConfiguration/validate()``).
    ///
    /// - Throws: ``ServerConfigurationError`` (field `openapi.json`) naming where it was looked for.
    static func check() throws(ServerConfigurationError) {
        _ = try template.get()
    }

    /// The folder SwiftPM copies NetPulseServer's resources into, beside the executable it builds
    /// (`<package name>_<target name>.resources`).
    static let bundleName = "netpulse_NetPulseServer.resources"

    private static let template: Result<String, ServerConfigurationError> = load()

    private static func load() -> Result<String, ServerConfigurationError> {
        // `Bundle.module` stops the process when it finds no bundle. It looks beside the executable first
        // (where `swift run`, `swift test` and the build folder have it): look there before asking it, and
        // say what is missing instead.
        let folder = Bundle.main.bundleURL
        let expected = folder.appending(path: bundleName, directoryHint: .isDirectory)
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: expected.path, isDirectory: &isFolder), isFolder.boolValue,
            let url = Bundle.module.url(forResource: "openapi", withExtension: "json")
        else {
            return .failure(
                ServerConfigurationError(
                    field: "openapi.json",
                    reason: "the OpenAPI document is missing: NetPulseServer's resources, the folder \(bundleName) "
                        + "that swift build writes beside the executable, must be beside it, in \(folder.path)"))
        }
        do {
            return .success(try String(contentsOf: url, encoding: .utf8))
        } catch {
            return .failure(
                ServerConfigurationError(
                    field: "openapi.json", reason: "cannot read the OpenAPI document at \(url.path): \(error)"))
        }
    }
}
