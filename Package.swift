// swift-tools-version:6.2
import PackageDescription

let package = Package(
    name: "apus",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "apus", targets: ["apus"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/LebJe/TOMLKit.git", from: "0.6.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CSodium",
            pkgConfig: "libsodium",
            providers: [.apt(["libsodium-dev"])]
        ),
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        .systemLibrary(
            name: "CCrypto",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]
        ),
        .systemLibrary(name: "CResolv"),
        // libvips' headers are in the default include path; they need GLib's. Neither is
        // linked (`CVips` loads libvips on first use), so GLib's include directories are named
        // here rather than taken from `gobject-2.0.pc`, whose `-l` flags would load GLib at
        // every start. (`vips.pc` carries `-pthread`, a flag SwiftPM refuses from pkg-config.)
        .target(name: "CVips", cSettings: [
            .unsafeFlags(["-I/usr/include/glib-2.0"] + ["x86_64", "aarch64"].map { "-I/usr/lib/\($0)-linux-gnu/glib-2.0/include" }),
        ], linkerSettings: [.linkedLibrary("dl")]),
        // Batch Ed25519 verification (a join's answer checks thousands of signatures by a few keys).
        .target(name: "CEd25519Batch", linkerSettings: [.linkedLibrary("sodium")]),
        .target(name: "Sodium", dependencies: ["CSodium", "CCrypto", "CEd25519Batch"]),
        .target(name: "MatrixProtocol", dependencies: ["Sodium"]),
        // HTTP(S) to arbitrary URLs (URL previews, push gateways), safe against SSRF. A leaf:
        // the config reads its IP ranges, Services uses its client.
        .target(name: "Outbound", dependencies: [
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOTLS", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "ApusConfig", dependencies: [
            "MatrixProtocol", "Outbound",
            .product(name: "TOMLKit", package: "TOMLKit"),
        ]),
        .target(name: "Store", dependencies: [
            "MatrixProtocol",
            .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "GRDBSQLite", package: "GRDB.swift"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "FederationClient", dependencies: [
            "MatrixProtocol", "ApusConfig", "CResolv", "Outbound",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOTLS", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "Services", dependencies: [
            "MatrixProtocol", "Sodium", "ApusConfig", "Store", "FederationClient", "Outbound", "CVips",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
        ]),
        .target(name: "APICore", dependencies: [
            "MatrixProtocol",
            .product(name: "Hummingbird", package: "hummingbird"),
        ]),
        .target(name: "ClientAPI", dependencies: [
            "APICore", "Services", "MatrixProtocol",
            .product(name: "Hummingbird", package: "hummingbird"),
        ]),
        .target(name: "FederationAPI", dependencies: [
            "APICore", "Services", "MatrixProtocol",
            .product(name: "Hummingbird", package: "hummingbird"),
        ]),
        .target(name: "Server", dependencies: [
            "APICore", "ClientAPI", "FederationAPI", "FederationClient", "Services", "ApusConfig", "MatrixProtocol", "CZlib",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdCore", package: "hummingbird"),
            .product(name: "HummingbirdTLS", package: "hummingbird"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        .executableTarget(name: "apus", dependencies: [
            "Server", "Services", "ApusConfig", "Store", "Sodium", "MatrixProtocol", "FederationClient", "Outbound",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .executableTarget(name: "apus-bench", dependencies: [
            "Store", "MatrixProtocol", "Sodium", "Services", "ApusConfig",
            .product(name: "Logging", package: "swift-log"),
        ], path: "Benchmarks/apus-bench"),
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "SodiumTests", dependencies: ["Sodium"]),
        .testTarget(name: "MatrixProtocolTests", dependencies: ["MatrixProtocol", "Sodium"]),
        .testTarget(name: "ApusConfigTests", dependencies: ["ApusConfig", "Outbound"]),
        .testTarget(name: "OutboundTests", dependencies: [
            "Outbound", "TestSupport",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
        ]),
        .testTarget(name: "FederationClientTests", dependencies: [
            "FederationClient", "MatrixProtocol", "ApusConfig", "Outbound", "TestSupport",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .testTarget(name: "StoreTests", dependencies: [
            "Store", "MatrixProtocol",
            .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .testTarget(name: "ServerTests", dependencies: [
            "Server", "Services", "ApusConfig", "Sodium", "MatrixProtocol", "Store", "APICore", "CVips", "Outbound", "TestSupport",
            .product(name: "HummingbirdTesting", package: "hummingbird"),
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdTLS", package: "hummingbird"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
        ]),
    ],
    swiftLanguageModes: [.v6]
)
