// swift-tools-version:6.1

import PackageDescription

let package = Package(
    name: "netpulse",
    // Built and tested on Linux only. The SSH modules, NetPulseLab and the tool use epoll and Glibc: Linux-only.
    // macOS 15 is the minimum the other modules' APIs need there; no macOS build has been tried.
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "NetPulse", targets: ["NetPulse"]),
        .library(name: "NetPulseSSHCore", targets: ["NetPulseSSHCore"]),
        .library(name: "NetPulseSSH", targets: ["NetPulseSSH"]),
        .library(name: "NetPulseSSH2", targets: ["NetPulseSSH2"]),
        .library(name: "NetPulseTesting", targets: ["NetPulseTesting"]),
        .library(name: "NetPulseLab", targets: ["NetPulseLab"]),
        .library(name: "NetPulseServer", targets: ["NetPulseServer"]),
        .library(name: "NetPulseTextFSM", targets: ["NetPulseTextFSM"]),
        .library(name: "NetPulseParsing", targets: ["NetPulseParsing"]),
        .library(name: "NetPulsePlatforms", targets: ["NetPulsePlatforms"]),
        .library(name: "NetPulsePostgres", targets: ["NetPulsePostgres"]),
        .library(name: "NetPulseRendering", targets: ["NetPulseRendering"]),
        .library(name: "NetPulseObservability", targets: ["NetPulseObservability"]),
        .executable(name: "netpulse", targets: ["netpulse"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/stencilproject/Stencil.git", exact: "0.15.1"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-distributed-tracing.git", from: "1.7.3"),
        .package(url: "https://github.com/swiftlang/swift-docc-plugin.git", from: "1.5.0"),
    ],
    targets: [
        // C libraries, each behind one system-library target with a shim header.
        .systemLibrary(
            name: "CLibSSH",
            pkgConfig: "libssh",
            providers: [.apt(["libssh-dev"])]
        ),
        .systemLibrary(
            name: "CLibSSH2",
            pkgConfig: "libssh2",
            providers: [.apt(["libssh2-1-dev"])]
        ),
        .systemLibrary(
            name: "CPCRE2",
            pkgConfig: "libpcre2-8",
            providers: [.apt(["libpcre2-dev"])]
        ),

        // JSON string literals: the one escaper of every place that writes JSON by hand (`package` API, no product).
        .target(name: "NetPulseJSONText"),
        // TextFSM templates (ntc-templates) run with textfsm 2.x semantics on PCRE2; only Foundation besides.
        .target(name: "NetPulseTextFSM", dependencies: ["CPCRE2", "NetPulseJSONText"]),
        // The request's `parsing` on TextFSM: the core's OutputParser over NetPulseTextFSM, apart so that the
        // core links no C.
        .target(name: "NetPulseParsing", dependencies: ["NetPulse", "NetPulseTextFSM"]),
        // Platform profiles from YAML or JSON files (`--platforms`); Yams reads the YAML.
        .target(name: "NetPulsePlatforms", dependencies: ["NetPulse", .product(name: "Yams", package: "Yams")]),
        // Config templates (the request's `rendering`, `netpulse render`): Jinja2's common subset on Stencil.
        .target(name: "NetPulseRendering", dependencies: ["NetPulse", .product(name: "Stencil", package: "Stencil")]),
        // Parse time of one template on one output, the Swift side of scripts/textfsm-bench.sh.
        .executableTarget(
            name: "netpulse-textfsm-bench",
            dependencies: ["NetPulseTextFSM", "CPCRE2"]
        ),

        // What both SSH backends share: the readiness loop, TCP connect, the host-key store and the
        // session skeleton over a small transport protocol. Its C seam also reaches libcrypto (SHA-1/256
        // for hashed known_hosts names and fingerprints), which libssh and libssh2 link already.
        .target(name: "CNetPulseSSHCore", linkerSettings: [.linkedLibrary("crypto")]),
        .target(
            name: "NetPulseSSHCore",
            dependencies: [
                "NetPulse", "CNetPulseSSHCore", .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ]
        ),

        // The core: value types, drivers, platforms, the CLI engine, the scheduler. Imports no C.
        .target(
            name: "NetPulse",
            dependencies: [
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ]
        ),

        // Backends.
        .target(
            name: "NetPulseSSH",
            dependencies: ["NetPulse", "NetPulseSSHCore", "CLibSSH", .product(name: "Logging", package: "swift-log")]
        ),
        .target(
            name: "NetPulseSSH2",
            dependencies: ["NetPulse", "NetPulseSSHCore", "CLibSSH2", .product(name: "Logging", package: "swift-log")]
        ),

        // Client CPU per connection and per command of both SSH drivers against a local sshd.
        .executableTarget(
            name: "netpulse-sshbench",
            dependencies: [
                "NetPulse", "NetPulseSSHCore", "NetPulseSSH", "NetPulseSSH2", "SSHTestSupport",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // In-memory driver for tests of host apps and of the scheduler.
        .target(
            name: "NetPulseTesting",
            dependencies: ["NetPulse", .product(name: "Logging", package: "swift-log")]
        ),

        // Many emulated devices over real SSH (libssh's server API), with faults on demand.
        .target(
            name: "NetPulseLab",
            dependencies: ["NetPulse", "CLibSSH", "NetPulseJSONText", .product(name: "Logging", package: "swift-log")]
        ),

        // What an operator reads: a Prometheus registry and its `GET /metrics` route, JSON log lines.
        .target(
            name: "NetPulseObservability",
            dependencies: [
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                "NetPulseJSONText",
            ]
        ),

        // The HTTP API over the scheduler (hummingbird), apart so that embedding the core pulls in no server.
        .target(
            name: "NetPulseServer",
            dependencies: [
                "NetPulse",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                "NetPulseRendering",
                "NetPulseObservability",
            ],
            // The OpenAPI document, its limits filled in at run time (OpenAPI/OpenAPIDocument.swift).
            resources: [.copy("OpenAPI/openapi.json")]
        ),

        // The scheduler's durable queue on PostgreSQL (postgres-nio): many API and worker processes.
        .target(
            name: "NetPulsePostgres",
            dependencies: [
                "NetPulse", "NetPulseServer",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // The command-line tool.
        .executableTarget(
            name: "netpulse",
            dependencies: [
                "NetPulse", "NetPulseLab", "NetPulseSSHCore", "NetPulseSSH", "NetPulseSSH2", "NetPulseServer",
                "NetPulseTextFSM", "NetPulseParsing", "NetPulseRendering",
                "NetPulsePlatforms",
                "NetPulsePostgres", .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                "NetPulseObservability",
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        // The lab's own figures (CPU per login and command; every device at once through a driver, checked),
        // with the lab as a separate process.
        .executableTarget(
            name: "netpulse-lab-bench",
            dependencies: [
                "CLibSSH", "NetPulse", "NetPulseLab", "NetPulseSSHCore", "NetPulseSSH", "NetPulseSSH2",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // Macro benchmark harness: one scenario against a running `netpulse lab`, figures as JSON
        // (Benchmarks/run-all.sh drives it and the Python peers).
        .executableTarget(
            name: "netpulse-bench",
            dependencies: [
                "NetPulse", "NetPulseSSHCore", "NetPulseSSH", "NetPulseSSH2",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // Load figures of the HTTP API against the in-memory driver (memory after a purge, GET /jobs latency).
        .executableTarget(
            name: "netpulse-api-bench",
            dependencies: [
                "NetPulse", "NetPulseServer", "NetPulseTesting",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // The PostgreSQL queue's throughput with the in-memory driver through 1..N worker processes
        // (Benchmarks/queue/run.sh drives it).
        .executableTarget(
            name: "netpulse-queue-bench",
            dependencies: [
                "NetPulse", "NetPulsePostgres", "NetPulseTesting",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // "Writing your own driver": a compiled example, built with everything else.
        .executableTarget(name: "custom-driver-example", dependencies: ["NetPulse"], path: "Examples/CustomDriver"),
        // A hummingbird app that mounts the API and streams results into its own store; run by the tests.
        .executableTarget(
            name: "hummingbird-example",
            dependencies: [
                "NetPulse", "NetPulseLab", "NetPulseSSH", "NetPulseServer",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Examples/HummingbirdApp"
        ),

        .testTarget(
            name: "NetPulseLabTests",
            dependencies: [
                "NetPulse", "NetPulseLab", "NetPulseSSHCore", "NetPulseSSH", "NetPulseSSH2", "CLibSSH2",
                "SSHTestSupport",
            ]
        ),
        .testTarget(
            name: "NetPulseTests",
            dependencies: [
                "NetPulse", "NetPulseTesting", "SSHTestSupport", .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(name: "NetPulseTestingTests", dependencies: ["NetPulse", "NetPulseTesting"]),
        .testTarget(name: "NetPulseJSONTextTests", dependencies: ["NetPulseJSONText"]),
        .testTarget(name: "NetPulseRenderingTests", dependencies: ["NetPulse", "NetPulseRendering"]),
        .testTarget(name: "NetPulseSSHCoreTests", dependencies: ["NetPulse", "NetPulseSSHCore", "SSHTestSupport"]),
        // Fixtures recorded from Python's textfsm are read from the source tree (#filePath).
        .testTarget(
            name: "NetPulseTextFSMTests", dependencies: ["NetPulseTextFSM", "SSHTestSupport"], exclude: ["Fixtures"]),
        // `parsing` end to end: the in-memory driver and lab devices through both SSH backends; the ntc
        // templates come from NetPulseTextFSMTests' recorded fixture.
        .testTarget(
            name: "NetPulseParsingTests",
            dependencies: [
                "NetPulse", "NetPulseParsing", "NetPulseTextFSM", "NetPulseTesting", "NetPulseLab", "NetPulseSSHCore",
                "NetPulseSSH", "NetPulseSSH2", "SSHTestSupport",
            ]
        ),

        // An OpenSSH sshd started by the tests on loopback, for every test that crosses a socket.
        .target(
            name: "SSHTestSupport", dependencies: [.product(name: "Logging", package: "swift-log")],
            path: "Tests/SSHTestSupport"),
        .testTarget(name: "SSHTestSupportTests", dependencies: ["SSHTestSupport"]),
        // A loopback HTTP receiver for the webhook tests of the server and of PostgreSQL.
        .target(
            name: "WebhookTestSupport",
            dependencies: [
                .product(name: "Hummingbird", package: "hummingbird"), .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/WebhookTestSupport"),
        // The `netpulse` binary run as a subprocess against lab devices.
        .testTarget(name: "NetPulseCLITests", dependencies: ["NetPulse", "NetPulseLab", "SSHTestSupport"]),
        .testTarget(
            name: "NetPulsePlatformsTests",
            dependencies: ["NetPulse", "NetPulsePlatforms", .product(name: "Yams", package: "Yams")]
        ),
        // The PostgreSQL queue against a throw-away PostgreSQL (scripts/pg/start.sh).
        .testTarget(
            name: "NetPulsePostgresTests",
            dependencies: [
                "NetPulse", "NetPulsePostgres", "NetPulseServer", "NetPulseTesting", "SSHTestSupport",
                "WebhookTestSupport", .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The HTTP API over real HTTP on loopback, against lab devices.
        .testTarget(
            name: "NetPulseServerTests",
            dependencies: [
                "NetPulse", "NetPulseServer", "NetPulseLab", "NetPulseSSH", "NetPulseSSHCore", "NetPulseTesting",
                "NetPulseParsing", "SSHTestSupport", "WebhookTestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Hummingbird", package: "hummingbird"),
                "NetPulseObservability",
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "InMemoryTracing", package: "swift-distributed-tracing"),
            ]
        ),
        // The driver suite, written once and run against both SSH backends.
        .testTarget(
            name: "SSHDriverTests",
            dependencies: [
                "NetPulse", "NetPulseSSHCore", "NetPulseSSH", "NetPulseSSH2", "NetPulseLab", "SSHTestSupport",
            ]
        ),
    ]
)

for target in package.targets where [.executable, .test, .regular].contains(target.type) {
    var settings = target.swiftSettings ?? []
    settings.append(.enableUpcomingFeature("ExistentialAny"))
    settings.append(.enableUpcomingFeature("MemberImportVisibility"))
    settings.append(.enableUpcomingFeature("InternalImportsByDefault"))
    target.swiftSettings = settings
}
