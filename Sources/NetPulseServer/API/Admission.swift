import Foundation
import HTTPTypes
import NetPulse

/// The endpoint a batch came through: it decides which operations are allowed.
enum SubmitEndpoint: String, Sendable, Codable {
    case bulk = "/device/bulk"
    case exec = "/device/exec"
    case pull = "/pull/batch"
    case push = "/push/batch"

    /// The NetPulse request model the endpoint takes, for its defaults.
    var shape: RequestShape {
        switch self {
        case .exec: .single
        case .bulk: .bulk
        case .pull, .push: .batch
        }
    }
}

/// A device the request gave that was not queued, and why.
struct Rejection: Sendable, Codable {
    /// Its position in the request's `devices`.
    var index: Int
    var host: String
    /// The JSON path of the field at fault.
    var field: String
    var reason: String
}

/// A device as a job view shows it: identity and platform, with each given secret masked.
struct MaskedDevice: Sendable, Codable {
    var host: String
    var port: Int
    var username: String
    var deviceType: String
    var password: String?
    var secret: String?
    var passphrase: String?
    var keyFile: String?

    init(_ target: DeviceTarget) {
        host = target.host
        port = target.port
        username = target.username
        deviceType = target.platform
        for credential in target.credentials {
            switch credential {
            case .password, .keyboardInteractive: password = Secret.mask
            case .privateKey(let path, let passphrase):
                keyFile = path
                if passphrase != nil { self.passphrase = Secret.mask }
            }
        }
        if target.enableSecret != nil { secret = Secret.mask }
    }

    enum CodingKeys: String, CodingKey {
        case host, port, username, password, secret, passphrase
        case deviceType = "device_type"
        case keyFile = "key_file"
    }
}

/// A request split into what can be queued and what cannot.
struct Admission: Sendable {
    /// The request with only the devices that can be queued.
    var request: BatchRequest
    /// For each queued device (in queue order), its position in the original request.
    var requestIndices: [Int]
    var devices: [MaskedDevice]
    var rejected: [Rejection]
}

/// Turns a request body into an ``Admission``, or an ``APIError`` that names the field at fault.
struct Admitter: Sendable {
    var drivers: DriverRegistry
    var platforms: PlatformRegistry
    var maxDevices: Int
    var allowedTargets: TargetFilter?
    var policy: RequestPolicy

    /// Why a device's host may not be used, or `nil` when it may.
    func refusal(host: String) -> String? {
        guard let allowedTargets, !allowedTargets.allows(host) else { return nil }
        return "'\(host)' is not among the targets this server may connect to (\(allowedTargets))"
    }

    /// Parses JSON (400 when malformed).
    static func parse(_ body: Data) throws(APIError) -> JSONValue {
        if body.isEmpty {
            throw APIError(
                .badRequest, code: "malformed_json", message: "the request body is empty; send a JSON object")
        }
        do {
            return try JSONDecoder().decode(JSONValue.self, from: body)
        } catch {
            throw APIError(.badRequest, code: "malformed_json", message: "malformed JSON: \(Self.describe(error))")
        }
    }

    /// NetPulse's single-device shape (`connection_args` with `host`, no `devices`) as the guide's
    /// shape with one device.
    static func singleDeviceShape(_ value: JSONValue) -> JSONValue {
        guard case .object(var root) = value, root["devices"] == nil,
            case .object(var args)? = root["connection_args"]
        else { return value }
        var device: [String: JSONValue] = [:]
        for key in ["host", "ip"] {
            if let host = args.removeValue(forKey: key) { device[key] = host }
        }
        guard !device.isEmpty else { return value }
        root["connection_args"] = .object(args)
        root["devices"] = .array([.object(device)])
        return .object(root)
    }

    /// The request, checked as far as it can be without looking at each device.
    func request(_ value: JSONValue, endpoint: SubmitEndpoint?) throws(APIError) -> BatchRequest {
        if case .object(let root) = value, case .array(let devices)? = root["devices"], devices.count > maxDevices {
            throw APIError(
                .contentTooLarge, code: "too_many_devices", field: "devices",
                message: "\(devices.count) devices; at most \(maxDevices) per request")
        }
        let request: BatchRequest
        do {
            request = try BatchRequest(jsonValue: value, shape: endpoint?.shape ?? .single)
        } catch {
            throw .invalid(error)
        }
        switch endpoint {
        case .pull?:
            if request.operation?.isConfig == true {
                throw .invalid(field: "config", "POST /pull/batch runs commands; send config to POST /push/batch")
            }
        case .push?:
            if let operation = request.operation, !operation.isConfig {
                throw .invalid(field: "command", "POST /push/batch pushes config; send commands to POST /pull/batch")
            }
        case .exec?:
            if request.devices.count != 1 {
                throw .invalid(
                    field: "devices", "POST /device/exec takes exactly one device, got \(request.devices.count)")
            }
        case .bulk?, nil:
            break
        }
        return request
    }

    /// Checks each device on its own: devices at fault are rejected with the reason, the others are
    /// admitted. A fault outside `devices` (driver, options, shared connection fields) rejects the
    /// whole request.
    func admit(_ request: BatchRequest, endpoint: SubmitEndpoint) throws(APIError) -> Admission {
        var request = request
        request.connectionArgs = try shared(request.connectionArgs)
        do {
            try policy.check(request.parsing)
        } catch {
            throw .forbidden(field: error.field, error.reason)
        }
        var accepted: [BatchRequest.Device] = []
        var indices: [Int] = []
        var masked: [MaskedDevice] = []
        var rejected: [Rejection] = []
        var seen: [DeviceKey: Int] = [:]
        for (index, original) in request.devices.enumerated() {
            var device = original
            do {
                device.connection = try policy.apply(
                    to: device.connection, path: "devices[\(index)]", inherited: request.connectionArgs)
            } catch {
                rejected.append(Rejection(index: index, host: device.host, field: error.field, reason: error.reason))
                continue
            }
            var single = request
            single.devices = [device]
            let spec: DeviceJobSpec
            do {
                guard let first = try single.validated(drivers: drivers, platforms: platforms).first else { continue }
                spec = first
            } catch {
                guard error.field.hasPrefix("devices[0]") else { throw .invalid(error) }
                let field = "devices[\(index)]" + error.field.dropFirst("devices[0]".count)
                rejected.append(Rejection(index: index, host: device.host, field: field, reason: error.reason))
                continue
            }
            if let reason = refusal(host: spec.target.host) {
                rejected.append(
                    Rejection(index: index, host: device.host, field: "devices[\(index)].host", reason: reason))
                continue
            }
            if let mismatch = Self.operationMismatch(spec.operation, endpoint: endpoint) {
                rejected.append(
                    Rejection(
                        index: index, host: device.host, field: "devices[\(index)].\(mismatch.field)",
                        reason: mismatch.reason))
                continue
            }
            if let first = seen[spec.target.key] {
                rejected.append(
                    Rejection(
                        index: index, host: device.host, field: "devices[\(index)]",
                        reason: "duplicate device \(spec.target.key): same host, port and username as devices[\(first)]"
                    ))
                continue
            }
            seen[spec.target.key] = index
            accepted.append(device)
            indices.append(index)
            masked.append(MaskedDevice(spec.target))
        }
        if accepted.isEmpty {
            guard let first = rejected.first else {
                throw .invalid(field: "devices", "is empty; give at least one device")
            }
            let others = rejected.count > 1 ? " (and \(rejected.count - 1) more device(s) rejected)" : ""
            throw .invalid(field: first.field, "no device could be queued: \(first.reason)\(others)")
        }
        var admitted = request
        admitted.devices = accepted
        return Admission(request: admitted, requestIndices: indices, devices: masked, rejected: rejected)
    }

    /// The shared connection fields under the operator's policy; a refusal refuses the whole request (403).
    func shared(_ args: ConnectionArgs) throws(APIError) -> ConnectionArgs {
        do {
            return try policy.apply(to: args, path: "connection_args")
        } catch {
            throw .forbidden(field: error.field, error.reason)
        }
    }

    /// One device's connection fields under the operator's policy (403 naming the field).
    func device(_ device: BatchRequest.Device, index: Int, shared: ConnectionArgs) throws(APIError) -> ConnectionArgs {
        do {
            return try policy.apply(to: device.connection, path: "devices[\(index)]", inherited: shared)
        } catch {
            throw .forbidden(field: error.field, error.reason)
        }
    }

    private static func operationMismatch(
        _ operation: NetPulse.DeviceOperation, endpoint: SubmitEndpoint
    ) -> (field: String, reason: String)? {
        switch endpoint {
        case .pull where operation.isConfig:
            ("config", "POST /pull/batch runs commands; send config to POST /push/batch")
        case .push where !operation.isConfig:
            ("command", "POST /push/batch pushes config; send commands to POST /pull/batch")
        default:
            nil
        }
    }

    private static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.dataCorrupted(let context):
            if let underlying = context.underlyingError { return String(describing: underlying) }
            return context.debugDescription
        default:
            return String(describing: error)
        }
    }
}
