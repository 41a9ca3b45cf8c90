// swift-tools-version:6.1

import PackageDescription

let package = Package(
    name: "netpulse-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "netpulse", path: "../"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/ordo-one/benchmark.git", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        // The CLI engine: prompt scanning throughput on a large output, CPU per command on a short one.
        .executableTarget(
            name: "EngineBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "NetPulse", package: "netpulse"),
                .product(name: "NetPulseTesting", package: "netpulse"),
            ],
            path: "Benchmarks/EngineBenchmarks",
            plugins: [
                .plugin(name: "BenchmarkPlugin", package: "benchmark")
            ]
        ),
        // JSON decode/encode of a 10,000-device request and result; scheduler overhead per job.
        .executableTarget(
            name: "CoreBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "NetPulse", package: "netpulse"),
                .product(name: "NetPulseTesting", package: "netpulse"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Benchmarks/CoreBenchmarks",
            plugins: [
                .plugin(name: "BenchmarkPlugin", package: "benchmark")
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
