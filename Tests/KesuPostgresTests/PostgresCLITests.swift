import Foundation
import KesuKernel
import KesuPostgresTestSupport
import KesuTestSupport
import Testing
@testable import KesuPostgres

/// The `kesu` program on a PostgreSQL database chosen by kesu.yaml (`storage: {driver: postgres}`).
@Suite("kesu on PostgreSQL")
struct PostgresCLITests {
    static var packageRoot: URL { KesuProcess.packageRoot }
    static var binary: URL { KesuProcess.binary }
    static func run(_ args: [String], in dir: URL) throws -> KesuProcess.Result { try KesuProcess.run(args, in: dir) }

    static func folder(yaml: String) throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kesu-pg-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try yaml.write(to: dir.appendingPathComponent("kesu.yaml"), atomically: true, encoding: .utf8)
        return dir
    }

    @Test("intake, list and config check through kesu.yaml on PostgreSQL; the case is in the database")
    func intakeThroughTheCLI() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.binary.path), "build kesu first (swift build): \(Self.binary.path)")
        try await TestSchema.with { schema in
            let rules = Self.packageRoot.appendingPathComponent("rules/tobacco-prefecture").path
            let dir = try Self.folder(yaml: """
                rules: \(rules)
                storage:
                  driver: postgres
                  url: "\(schema.url)"
                  pool_size: 4
                  lookup_key_file: test.lookup-key
                notifiers: []
                """)
            defer { try? FileManager.default.removeItem(at: dir) }
            // The key the test's own store opens the schema with: every instance on a database shares one.
            try "kesu test lookup key, not a secret\n".write(to: dir.appendingPathComponent("test.lookup-key"), atomically: true, encoding: .utf8)

            let check = try Self.run(["config", "check"], in: dir)
            #expect(check.status == 0, "\(check.stderr)")
            let intake = try Self.run([
                "intake", "--json", "--field", "channel=phone", "--field", "kind=complaint", "--field", "complainant_type=retailer",
                "--field", "category=logistics_service", "--field", "description=送货员送货不及时",
                "--now", "2026-09-30T10:00:00+08:00", "--as", "zhao_min",
            ], in: dir)
            #expect(intake.status == 0, "\(intake.stderr)")
            #expect(intake.json["number"] as? String == "YC-2026-000001")
            let list = try Self.run(["list", "--json", "--now", "2026-09-30T11:00:00+08:00", "--as", "zhao_min"], in: dir)
            #expect(list.status == 0, "\(list.stderr)")
            #expect(list.stdout.contains("YC-2026-000001"))

            let store = try schema.store()
            let id = try await store.caseID(number: "YC-2026-000001")
            #expect(id != nil, "the case is in PostgreSQL")
            if let id { #expect(try await store.events(caseID: id).first?.type == "intake") }
            await store.shutdown()
        }
    }

    @Test("config check reports a bad PostgreSQL URL where it is written")
    func badURL() throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.binary.path), "build kesu first (swift build): \(Self.binary.path)")
        let dir = try Self.folder(yaml: """
            storage:
              driver: postgres
              url: "mysql://kesu:secret@db/kesu"
            """)
        defer { try? FileManager.default.removeItem(at: dir) }
        let check = try Self.run(["config", "check"], in: dir)
        #expect(check.status == 1)
        #expect(check.stderr.contains("kesu.yaml:3:8: error: 'url' of storage"), "\(check.stderr)")
        #expect(check.stderr.contains("bad PostgreSQL URL 'mysql://kesu:***@db/kesu'"), "\(check.stderr)")
        #expect(!check.stderr.contains("secret"))
        let show = try Self.run(["config", "show"], in: dir)
        #expect(!show.stdout.contains("secret"), "config show masks the password")
    }
}
