// swift-tools-version:6.1
import PackageDescription

// The kernel depends on Foundation only; every adapter (YAML, SQLite, CLI) is its own target
// around it, so a deployment pulls in only what it uses.
let strict: [SwiftSetting] = [.enableUpcomingFeature("ExistentialAny")]

let package = Package(
    name: "kesu",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "KesuKernel", targets: ["KesuKernel"]),
        .library(name: "KesuRendering", targets: ["KesuRendering"]),
        .library(name: "KesuYAML", targets: ["KesuYAML"]),
        .library(name: "KesuSQLite", targets: ["KesuSQLite"]),
        .library(name: "KesuNotifiers", targets: ["KesuNotifiers"]),
        .library(name: "KesuPlugins", targets: ["KesuPlugins"]),
        .library(name: "KesuViews", targets: ["KesuViews"]),
        .executable(name: "kesu", targets: ["kesu"]),
    ],
    dependencies: [
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        // The server (issue 6): Hummingbird 2 for HTTP, postgres-nio for the multi-instance store,
        // swift-log / swift-metrics / swift-prometheus for operations, service-lifecycle for shutdown.
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.3"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        // The web console (issue 17): sessions and bcrypt from hummingbird-auth, pages from mustache templates.
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
    ],
    targets: [
        .target(name: "KesuKernel", swiftSettings: strict),
        // Presentation over the kernel's facts: HTML/SVG documents, Chinese labels and wording, the
        // human text of explanations. The kernel keeps keys and values; every front end renders here.
        // It renders KesuViews' view models too (the month grid of `kesu calendar show`).
        .target(name: "KesuRendering", dependencies: ["KesuKernel", "KesuViews"], swiftSettings: strict),
        .target(
            name: "KesuYAML",
            dependencies: ["KesuKernel", "CZlib", .product(name: "Yams", package: "Yams")],
            swiftSettings: strict),
        .target(
            name: "KesuSQLite",
            dependencies: ["KesuKernel", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: strict),
        // Typed views of what people see (a case, its history, clocks, transitions, listings), built
        // once from the kernel for the CLI, the JSON API and the console alike.
        .target(name: "KesuViews", dependencies: ["KesuKernel"], swiftSettings: strict),
        // Built-in notification channels (console, outbox-file, webhook): HTTP lives here, not in the kernel.
        .target(name: "KesuNotifiers", dependencies: ["KesuKernel"], swiftSettings: strict),
        // A candidate pack uploaded as a zip is inflated with the system zlib (zlib1g-dev).
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // Excel export through Debian's libxlsxwriter (libxlsxwriter-dev), linked as a system library; it writes
        // KesuRendering's export sheets (scores, the case register) for the CLI and the server alike.
        .systemLibrary(name: "CXlsxWriter", pkgConfig: "xlsxwriter", providers: [.apt(["libxlsxwriter-dev"])]),
        .target(name: "KesuXLSX", dependencies: ["CXlsxWriter", "KesuKernel", "KesuRendering"], swiftSettings: strict),
        // Out-of-process (exec) plugins: manifests, the JSON-RPC host, ExecNotifier/ExecScorer and the
        // conformance kit. Yams is the YAML parser KesuYAML already wraps (for plugin.yaml locations).
        .target(
            name: "KesuPlugins",
            dependencies: ["KesuKernel", "KesuYAML", .product(name: "Yams", package: "Yams")],
            swiftSettings: strict),
        // PostgreSQL: the store for several instances on one database.
        .target(
            name: "KesuPostgres",
            dependencies: [
                "KesuKernel",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict),
        // Test utility: the PostgreSQL server tests run against (KESU_TEST_POSTGRES_URL or a throwaway cluster).
        .target(
            name: "KesuPostgresTestSupport",
            dependencies: [
                "KesuPostgres",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),
        // `kesu serve`: the HTTP API, accounts and tokens, the sweep as a Service, metrics.
        .target(
            name: "KesuServer",
            dependencies: [
                "KesuKernel", "KesuYAML", "KesuViews", "KesuRendering", "KesuXLSX",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                // The channel handler that answers an unparsable request with the JSON error.
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                // The console: sessions kept in the store, bcrypt password hashes, server-rendered pages.
                .product(name: "HummingbirdAuth", package: "hummingbird-auth"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "Mustache", package: "swift-mustache"),
            ],
            resources: [.copy("Console/Templates"), .copy("Console/Assets")],
            swiftSettings: strict),
        .target(
            name: "KesuTestSupport",
            dependencies: ["KesuKernel"],
            swiftSettings: strict),
        .executableTarget(
            name: "kesu",
            dependencies: [
                "KesuKernel", "KesuRendering", "KesuViews", "KesuYAML", "KesuSQLite", "KesuXLSX", "KesuNotifiers", "KesuPlugins",
                "KesuPostgres", "KesuServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: strict),
        // Benchmarks (issue 7): `swift run -c release kesu-bench [--quick]`. Not part of `swift test`.
        // libFuzzer target over the pack loader (scripts/fuzz-pack); built normally, it replays inputs.
        .executableTarget(
            name: "kesu-fuzz-pack",
            dependencies: ["KesuKernel", "KesuYAML"],
            swiftSettings: strict),
        .executableTarget(
            name: "kesu-bench",
            dependencies: [
                // KesuServer: the console's logins, created for the console figures.
                "KesuKernel", "KesuRendering", "KesuYAML", "KesuSQLite", "KesuPostgres", "KesuServer", .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"), .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),
        .testTarget(
            name: "KesuRenderingTests",
            dependencies: ["KesuRendering", "KesuKernel", "KesuTestSupport", "KesuNotifiers", "KesuPlugins"],
            swiftSettings: strict),
        // KesuRendering too: the tests of the documents moved out of the kernel stay beside the facts they render.
        .testTarget(
            name: "KesuKernelTests", dependencies: ["KesuKernel", "KesuRendering", "KesuTestSupport"], swiftSettings: strict),
        .testTarget(name: "KesuYAMLTests", dependencies: ["KesuYAML", "KesuKernel", "KesuTestSupport"], swiftSettings: strict),
        .testTarget(
            name: "KesuSQLiteTests",
            dependencies: ["KesuSQLite", "KesuKernel", "KesuTestSupport"],
            swiftSettings: strict),
        .testTarget(
            name: "KesuCLITests",
            dependencies: ["kesu", "KesuKernel", "KesuRendering", "KesuYAML", "KesuSQLite", "KesuNotifiers", "KesuTestSupport"],
            swiftSettings: strict),
        .testTarget(
            name: "KesuPluginsTests",
            dependencies: ["KesuPlugins", "KesuKernel", "kesu"],
            swiftSettings: strict),
        .testTarget(
            name: "KesuPostgresTests",
            dependencies: ["KesuPostgres", "KesuPostgresTestSupport", "KesuKernel", "KesuTestSupport"],
            swiftSettings: strict),
        .testTarget(
            name: "KesuServerTests",
            dependencies: [
                "KesuServer", "KesuKernel", "KesuYAML", "KesuSQLite", "KesuPostgres", "KesuPostgresTestSupport", "KesuTestSupport", "kesu",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: strict),
    ],
    swiftLanguageModes: [.v6]
)
