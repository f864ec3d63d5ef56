// swift-tools-version:6.1
import PackageDescription

// Arrows point one way: attributiond → AttributionServer → AttributionStore → AttributionCore.
let package = Package(
    name: "attributiond",
    platforms: [.macOS(.v15)],
    products: [
        // The one product that ships. The benchmark below stays a target of its own
        // (`swift build --product attributiond-bench`), so no package build compiles it.
        .executable(name: "attributiond", targets: ["attributiond"])
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-configuration.git", from: "1.4.0"),
        .package(url: "https://github.com/apple/swift-system.git", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.0.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.80.0"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.20.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
    ],
    targets: [
        .target(
            name: "AttributionCore",
            dependencies: [.product(name: "Crypto", package: "swift-crypto")]
        ),
        // `sqlite3_config`, which Swift cannot call (it is variadic).
        .target(name: "CSQLiteConfig", linkerSettings: [.linkedLibrary("sqlite3")]),
        .target(
            name: "AttributionStore",
            dependencies: [
                "AttributionCore",
                "CSQLiteConfig",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "AttributionServer",
            dependencies: [
                "AttributionCore",
                "AttributionStore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ]
        ),
        .executableTarget(
            name: "attributiond",
            dependencies: [
                "AttributionCore",
                "AttributionStore",
                "AttributionServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                // The `send-test-events` HTTP client: NIO, not URLSession, so no libcurl ships.
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                // `backfill` talks HTTPS to Stripe's list API.
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]
        ),
        // Event builders and fixture loading shared by the test targets.
        .target(
            name: "AttributionTestSupport",
            dependencies: ["AttributionCore", "AttributionStore", .product(name: "GRDB", package: "GRDB.swift")],
            path: "Tests/Support"
        ),
        // The benchmark (`scripts/bench`); not part of `swift test`.
        .executableTarget(
            name: "attributiond-bench",
            dependencies: [
                "AttributionCore",
                "AttributionStore",
                "AttributionTestSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "AttributionCoreTests", dependencies: ["AttributionCore", "AttributionTestSupport"]),
        .testTarget(
            name: "AttributionStoreTests",
            dependencies: [
                "AttributionCore", "AttributionStore", "AttributionTestSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        .testTarget(
            name: "AttributionServerTests",
            dependencies: [
                "AttributionCore",
                "AttributionStore",
                "AttributionServer",
                "AttributionTestSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .testTarget(
            name: "EndToEndTests",
            dependencies: [
                "AttributionCore", "AttributionStore", "AttributionTestSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
                // The fake Stripe list API that `backfill` is tested against.
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ]
        ),
    ]
)
