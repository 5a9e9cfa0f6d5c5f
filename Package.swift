// swift-tools-version:6.1
import PackageDescription

// Dependencies are chosen for first-build time and cold start; see docs/dependencies.md.
let package = Package(
    name: "tidings",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "TidingsCore", targets: ["TidingsCore"]),
        .library(name: "TidingsRuntime", targets: ["TidingsRuntime"]),
        .library(name: "TidingsHTTP", targets: ["TidingsHTTP"]),
        .executable(name: "tidings", targets: ["tidings"]),
        .executable(name: "cartAbandoned", targets: ["cartAbandoned"]),
        .executable(name: "orderCreated", targets: ["orderCreated"]),
        .executable(name: "orderCancelled", targets: ["orderCancelled"]),
        .executable(name: "winBack", targets: ["winBack"]),
        // The target has another name: a module called "dispatch" would define `dispatch_main`, which
        // is libdispatch's, and the process would crash at start.
        .executable(name: "dispatch", targets: ["DispatchFunction"]),
        .executable(name: "unsubscribe", targets: ["unsubscribe"]),
        .executable(name: "hello-baseline", targets: ["hello-baseline"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        // Already in the graph through swift-crypto's _CryptoExtras; named here because TidingsCore
        // reads X.509 certificates with it (SNS signatures, docs/decisions/suppression.md).
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.4"),
        // `tidings serve` only (the webhook receiver and the review dashboard): the handler
        // binaries do not link it. No traits: swift-configuration is not needed (docs/decisions/serve.md).
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: []),
        // Hummingbird's own dependencies, named because TidingsServe uses their types directly.
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    ],
    targets: [
        .target(
            name: "TidingsCore",
            dependencies: [
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Mustache", package: "swift-mustache"),
                "CSQLite",
            ]
        ),
        // SQLite (libsqlite3-dev's header), loaded with dlopen by the first SQLiteStateStore, like
        // CCurl, so a handler whose state is in DynamoDB never loads it (docs/decisions/state-store.md).
        .target(name: "CSQLite", linkerSettings: [.linkedLibrary("dl")]),
        // libcurl (libcurl4-openssl-dev's headers), loaded with dlopen by the first transport and
        // called through typed wrappers of its variadic calls (docs/decisions/http-transport.md).
        .target(name: "CCurl", linkerSettings: [.linkedLibrary("dl")]),
        // The production HTTP transport: libcurl's multi interface (docs/decisions/http-transport.md).
        .target(
            name: "TidingsHTTP",
            dependencies: ["TidingsCore", "CCurl"]
        ),
        .target(
            name: "TidingsRuntime",
            dependencies: [
                "TidingsCore",
                "TidingsHTTP",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // What only the CLI and the tests use: generators, the Runtime API emulator, the replayer,
        // benchmarks and recording doubles. No handler executable depends on it, so none links it
        // (.ci/check-handler-symbols.sh checks the release binaries; docs/decisions/devkit.md).
        .target(
            name: "TidingsDevKit",
            dependencies: [
                "TidingsCore", "TidingsRuntime", .product(name: "_CryptoExtras", package: "swift-crypto"),
            ]
        ),
        // `tidings serve`: the webhook receiver with its durable local queue and the review
        // dashboard, on Hummingbird. Only the CLI and its tests link it (docs/decisions/serve.md).
        .target(
            name: "TidingsServe",
            dependencies: [
                "TidingsCore", "TidingsRuntime",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ]
        ),
        .executableTarget(
            name: "tidings",
            dependencies: [
                "TidingsCore",
                "TidingsServe",
                "TidingsRuntime",
                "TidingsHTTP",
                "TidingsDevKit",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "cartAbandoned",
            dependencies: ["TidingsRuntime"],
            path: "Functions/cartAbandoned"
        ),
        .executableTarget(
            name: "orderCreated",
            dependencies: ["TidingsRuntime"],
            path: "Functions/orderCreated"
        ),
        .executableTarget(
            name: "orderCancelled",
            dependencies: ["TidingsRuntime"],
            path: "Functions/orderCancelled"
        ),
        .executableTarget(
            name: "winBack",
            dependencies: ["TidingsRuntime"],
            path: "Functions/winBack"
        ),
        .executableTarget(
            name: "DispatchFunction",
            dependencies: ["TidingsRuntime"],
            path: "Functions/dispatch"
        ),
        // Not a flow: the one-click unsubscribe endpoint (docs/decisions/suppression.md).
        .executableTarget(
            name: "unsubscribe",
            dependencies: ["TidingsRuntime"],
            path: "Functions/unsubscribe"
        ),
        .executableTarget(name: "hello-baseline", path: "Benchmarks/HelloBaseline"),
        .testTarget(name: "TidingsCoreTests", dependencies: ["TidingsCore", "TidingsDevKit"]),
        .testTarget(name: "TidingsHTTPTests", dependencies: ["TidingsHTTP", "TidingsCore"]),
        .testTarget(
            name: "TidingsRuntimeTests",
            dependencies: ["TidingsRuntime", "TidingsCore", "TidingsDevKit", "TidingsHTTP"]),
        .testTarget(
            name: "TidingsServeTests",
            dependencies: ["TidingsServe", "TidingsRuntime", "TidingsCore", "TidingsDevKit", "TidingsHTTP"]),
    ],
    swiftLanguageModes: [.v6]
)
