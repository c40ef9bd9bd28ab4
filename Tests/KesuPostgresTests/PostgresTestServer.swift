import Foundation
import KesuKernel
import Logging
import PostgresNIO
@testable import KesuPostgres

/// The PostgreSQL server the tests use: `KESU_TEST_POSTGRES_URL`, or else a throwaway cluster
/// started once per test process with `scripts/pg-test-cluster` (and stopped when it exits).
/// Neither available is a failure, never a skip: CI must really run these tests.
enum PostgresTestServer {
    struct Unavailable: Error, CustomStringConvertible {
        var description: String
    }

    static let urlVariable = "KESU_TEST_POSTGRES_URL"

    /// The server's URL (its database is shared; each test works in schemas of its own).
    static func url() async throws -> String { try await started.value }

    private static let started = Task<String, any Error> {
        if let url = ProcessInfo.processInfo.environment[urlVariable], !url.isEmpty { return url }
        guard hasInitdb() else {
            throw Unavailable(description: """
                the PostgreSQL tests need a server: install PostgreSQL (Debian: apt-get install postgresql) so that they \
                start a throwaway cluster with scripts/pg-test-cluster, or set \(urlVariable)=postgres://user@host:port/db
                """)
        }
        return try startCluster()
    }

    private static func hasInitdb() -> Bool {
        let root = "/usr/lib/postgresql"
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        return versions.contains { FileManager.default.isExecutableFile(atPath: "\(root)/\($0)/bin/initdb") }
    }

    static var script: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("scripts/pg-test-cluster").path
    }

    private static func startCluster() throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [script, "start"]
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0, let url = stdout.split(separator: "\n").last.map(String.init), !url.isEmpty else {
            throw Unavailable(description: "\(script) start failed (status \(process.terminationStatus)):\n\(stderr)")
        }
        if let line = stderr.split(separator: "\n").last(where: { $0.hasPrefix("dir: ") }) {
            clusterDirectory.set(String(line.dropFirst(5)))
            atexit {
                guard let dir = PostgresTestServer.clusterDirectory.get() else { return }
                let stop = Process()
                stop.executableURL = URL(fileURLWithPath: "/bin/bash")
                stop.arguments = [PostgresTestServer.script, "stop", dir]
                stop.standardOutput = FileHandle.nullDevice
                try? stop.run()
                stop.waitUntilExit()
            }
        }
        return url
    }

    static let clusterDirectory = Locked<String?>(nil)

    /// `url` with `search_path` set to `schema`.
    static func url(_ base: String, schema: String) -> String {
        base + (base.contains("?") ? "&" : "?") + "search_path=\(schema)"
    }

    /// Runs SQL on the server's database with a short-lived client.
    static func execute(_ base: String, _ statements: [String]) async throws {
        let address = try PostgresURL(base)
        let client = PostgresClient(configuration: try address.clientConfiguration(poolSize: 1),
                                    backgroundLogger: Logger(label: "kesu.test.admin"))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            try await client.withConnection { c in
                for sql in statements { try await c.query(PostgresQuery(unsafeSQL: sql), logger: Logger(label: "kesu.test.admin")) }
            }
        }
    }
}

/// A fresh, empty schema on the test server, dropped by `drop()`.
struct TestSchema: Sendable {
    let base: String
    let name: String
    var url: String { PostgresTestServer.url(base, schema: name) }

    static func make() async throws -> TestSchema {
        let base = try await PostgresTestServer.url()
        let name = "kesu_t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(16)
        try await PostgresTestServer.execute(base, ["CREATE SCHEMA \(name)"])
        return TestSchema(base: base, name: name)
    }

    func store(poolSize: Int = 10) throws -> PostgresCaseStore {
        var logger = Logger(label: "kesu.test.postgres")
        logger.logLevel = .critical
        return try PostgresCaseStore(url: url, poolSize: poolSize, logger: logger)
    }

    func drop() async {
        try? await PostgresTestServer.execute(base, ["DROP SCHEMA IF EXISTS \(name) CASCADE"])
    }

    /// `body` with a fresh schema, dropped afterwards whatever happens.
    static func with(_ body: (TestSchema) async throws -> Void) async throws {
        let schema = try await make()
        do { try await body(schema) } catch { await schema.drop(); throw error }
        await schema.drop()
    }
}

final class Locked<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value
    init(_ value: Value) { self.value = value }
    func get() -> Value { lock.withLock { value } }
    func set(_ new: Value) { lock.withLock { value = new } }
}
