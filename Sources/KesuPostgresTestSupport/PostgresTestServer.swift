import Foundation
import KesuKernel
import Logging
import PostgresNIO
import KesuPostgres

/// The PostgreSQL server tests use (test utilities, as swift-nio keeps them: their own target): `KESU_TEST_POSTGRES_URL`, or else a throwaway cluster
/// started once per test process with `scripts/pg-test-cluster` (and stopped when it exits).
/// Neither available is a failure, never a skip: CI must really run these tests.
public enum PostgresTestServer {
    public struct Unavailable: Error, CustomStringConvertible {
        public var description: String
    }

    public static let urlVariable = "KESU_TEST_POSTGRES_URL"

    /// The server's URL (its database is shared; each test works in schemas of its own).
    public static func url() async throws -> String { try await started.value }

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
        let temp = FileManager.default.temporaryDirectory.appendingPathComponent("kesu-pg-start-\(UUID().uuidString)")
        let out = temp.path + ".out", err = temp.path + ".err"
        defer { try? FileManager.default.removeItem(atPath: out); try? FileManager.default.removeItem(atPath: err) }
        let status = shell("exec '\(script)' start >'\(out)' 2>'\(err)' </dev/null")
        let stdout = (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
        let stderr = (try? String(contentsOfFile: err, encoding: .utf8)) ?? ""
        guard status == 0, let url = stdout.split(separator: "\n").last.map(String.init), !url.isEmpty else {
            throw Unavailable(description: "\(script) start failed (status \(status)):\n\(stderr)")
        }
        if let line = stderr.split(separator: "\n").last(where: { $0.hasPrefix("dir: ") }) {
            clusterDirectory.set(String(line.dropFirst(5)))
            atexit {
                guard let dir = PostgresTestServer.clusterDirectory.get() else { return }
                _ = PostgresTestServer.shell("'\(PostgresTestServer.script)' stop '\(dir)' >/dev/null 2>&1 </dev/null")
            }
        }
        return url
    }

    /// Runs `command` with /bin/sh and waits for it (posix_spawn and waitpid: no Foundation
    /// Process, whose termination watching does not suit a cluster left running behind it).
    @discardableResult
    static func shell(_ command: String) -> Int32 {
        var pid = pid_t()
        let args = ["/bin/sh", "-c", command]
        var argv: [UnsafeMutablePointer<CChar>?] = args.map { strdup($0) } + [nil]
        defer { for a in argv { free(a) } }
        guard posix_spawn(&pid, "/bin/sh", nil, nil, &argv, environ) == 0 else { return -1 }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        return (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    }

    static let clusterDirectory = Locked<String?>(nil)

    /// `url` with `search_path` set to `schema`.
    public static func url(_ base: String, schema: String) -> String {
        base + (base.contains("?") ? "&" : "?") + "search_path=\(schema)"
    }

    /// Runs SQL on the server's database with a short-lived client.
    public static func execute(_ base: String, _ statements: [String]) async throws {
        let address = try PostgresURL(base)
        var logger = Logger(label: "kesu.test.admin")
        logger.logLevel = .error
        let client = PostgresClient(configuration: try address.clientConfiguration(poolSize: 1), backgroundLogger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            try await client.withConnection { c in
                for sql in statements { try await c.query(PostgresQuery(unsafeSQL: sql), logger: logger) }
            }
        }
    }

    /// The first column of every row `sql` returns, as text.
    public static func query(_ base: String, _ sql: String) async throws -> [String] {
        let address = try PostgresURL(base)
        var logger = Logger(label: "kesu.test.admin")
        logger.logLevel = .error
        let client = PostgresClient(configuration: try address.clientConfiguration(poolSize: 1), backgroundLogger: logger)
        return try await withThrowingTaskGroup(of: [String].self) { group in
            group.addTask { await client.run(); return [] }
            defer { group.cancelAll() }
            return try await client.withConnection { c in
                try await c.query(PostgresQuery(unsafeSQL: sql), logger: logger).collect().map { try $0.decode(String.self) }
            }
        }
    }
}

/// A fresh, empty schema on the test server, dropped by `drop()`.
public struct TestSchema: Sendable {
    public let base: String
    public let name: String
    public var url: String { PostgresTestServer.url(base, schema: name) }

    public static func make() async throws -> TestSchema {
        let base = try await PostgresTestServer.url()
        let name = "kesu_t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(16)
        try await PostgresTestServer.execute(base, ["CREATE SCHEMA \(name)"])
        return TestSchema(base: base, name: name)
    }

    /// The lookup key every test store on a schema shares (two instances of one deployment do).
    public static let lookupKey = try! LookupKey(bytes: Array("kesu test lookup key, not a secret".utf8))

    public func store(poolSize: Int = 10) throws -> PostgresCaseStore {
        var logger = Logger(label: "kesu.test.postgres")
        logger.logLevel = .critical
        return try PostgresCaseStore(url: url, lookupKey: Self.lookupKey, poolSize: poolSize, logger: logger)
    }

    /// Takes the schema back to an older version, for migration tests: a store migrates it to the
    /// newest, then `statements` run in it (undo the newer migrations, delete their records, add the
    /// rows the older version wrote). The next store opened migrates forward again.
    public func rewind(_ statements: [String]) async throws {
        let store = try store()
        try await store.migrate()
        await store.shutdown()
        try await PostgresTestServer.execute(base, ["SET search_path TO \(name)"] + statements)
    }

    public func drop() async {
        try? await PostgresTestServer.execute(base, ["DROP SCHEMA IF EXISTS \(name) CASCADE"])
    }

    /// `body` with a fresh schema, dropped afterwards whatever happens.
    public static func with(_ body: (TestSchema) async throws -> Void) async throws {
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
