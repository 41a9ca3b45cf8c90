// swift-tools-version:6.1

import PackageDescription

// Scheduler overhead per job on the in-memory driver: `swift run -c release` in this folder.
let package = Package(
    name: "SchedulerBench",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "netpulse", path: "../../"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
    ],
    targets: [
        .executableTarget(
            name: "SchedulerBench",
            dependencies: [
                .product(name: "NetPulse", package: "netpulse"),
                .product(name: "NetPulseTesting", package: "netpulse"),
                .product(name: "Logging", package: "swift-log"),
            ]
        )
    ]
)

for target in package.targets where [.executable, .test, .regular].contains(target.type) {
    var settings = target.swiftSettings ?? []
    settings.append(.enableUpcomingFeature("ExistentialAny"))
    settings.append(.enableUpcomingFeature("MemberImportVisibility"))
    settings.append(.enableUpcomingFeature("InternalImportsByDefault"))
    target.swiftSettings = settings
}
