import Foundation
import GRDB
import KesuKernel
import KesuTestSupport
import Testing
@testable import KesuSQLite

@Suite("SQLite migrations")
struct SQLiteMigrationTests {
    @Test("v8 fills the assignee and the phone of older cases from their events")
    func v8FillsAssigneeAndPhone() async throws {
        let temp = try TempDatabase()
        defer { temp.remove() }
        try SQLiteStore.makeOldDatabase(path: temp.path, upTo: "v7-leases", sql: PreV8Cases.insertSQL().joined(separator: ";\n"))
        let store = try SQLiteStore(path: temp.path)   // migrates
        defer { try? store.close() }
        #expect(try await store.appliedMigrations() == SQLiteStore.migrationIDs)
        do { try await PreV8Cases.check(store) } catch let f as ConformanceFailure { Issue.record("\(f)") }
    }

    @Test("v11 replaces the phone column by the keyed digest; the file then holds no phone in its cases")
    func v11DigestsThePhones() async throws {
        let temp = try TempDatabase()
        defer { temp.remove() }
        // A v10 file: the phone column and its index, as v8 filled them.
        try SQLiteStore.makeOldDatabase(path: temp.path, upTo: "v10-event-feed", sql: """
            INSERT INTO cases (id, number, state, text, opened_at, updated_at, version, pack_version, phone)
                VALUES (1, 'KS-2025-000001', 'open', '', 0, 0, 1, 'p', '13812345678'),
                       (2, 'KS-2025-000002', 'open', '', 1, 1, 1, 'p', NULL),
                       (3, 'KS-2025-000003', 'open', '', 2, 2, 1, 'p', '13812345678');
            """)
        let key = try LookupKey(bytes: Array("the deployment's lookup key".utf8))
        let store = try SQLiteStore(path: temp.path, lookupKey: key)
        #expect(try await store.appliedMigrations() == SQLiteStore.migrationIDs)
        #expect(try await store.summary(caseID: 1)?.phoneDigest == key.phoneDigest("13812345678"))
        #expect(try await store.summary(caseID: 2)?.phoneDigest == nil)
        #expect(try await store.list(CaseQuery(phone: "+86 138 1234 5678")).map(\.id) == [3, 1])
        try store.close()
        // No column, no index and no row of `cases` holds the phone any more.
        let queue = try DatabaseQueue(path: temp.path)
        defer { try? queue.close() }
        let (columns, indexes, rows) = try await queue.read { db in
            (try db.columns(in: "cases").map(\.name),
             try String.fetchAll(db, sql: "SELECT sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"),
             try Row.fetchAll(db, sql: "SELECT * FROM cases"))
        }
        #expect(!columns.contains("phone") && columns.contains("phone_digest"))
        #expect(!indexes.contains { $0.contains("(phone,") }, "\(indexes)")
        #expect(!rows.contains { row in row.databaseValues.contains { "\($0)".contains("13812345678") } })
    }

    @Test("v12 on a file with cases: the read model is not ready, reports fold until it is built, then read it and agree")
    func v12ReadModelOfAnUpgradedFile() async throws {
        let temp = try TempDatabase()
        defer { temp.remove() }
        let first = try SQLiteStore(path: temp.path)
        let (written, _) = try await ReadModelCheck.generate(into: first, cases: 60)
        let quarter = try Period.parse("2026Q4", calendar: written.planner.calendar)
        let expected = try await written.quarterlyReport(period: quarter, source: .histories)
        try first.close()
        // The file as v11 left it: cases and events, no read model.
        let queue = try DatabaseQueue(path: temp.path)
        try await queue.write { db in
            try db.execute(sql: """
                DROP TABLE report_facts; DROP TABLE report_facts_status;
                DELETE FROM grdb_migrations WHERE identifier = 'v12-report-facts';
                """)
        }
        try queue.close()

        let store = try SQLiteStore(path: temp.path)   // migrates
        defer { try? store.close() }
        #expect(try await store.appliedMigrations() == SQLiteStore.migrationIDs)
        let engine = try Engine(pack: TestPack.make(), store: store)
        #expect(try await !engine.reportFactsReady(), "an upgraded file with cases has no read model yet")
        #expect(try await engine.quarterlyReport(period: quarter) == expected, "meanwhile reports fold the histories")
        #expect(try await engine.buildReportFacts() == (try await store.count(CaseQuery())))
        #expect(try await engine.reportFactsReady())
        #expect(try await engine.quarterlyReport(period: quarter, source: .readModel) == expected)
        do { try await ReadModelCheck.compare(engine, label: "upgraded file") } catch let m as ReadModelCheck.Mismatch {
            Issue.record("\(m)")
        }
    }

    @Test("a key other than the database's is refused, with what to do, and changes nothing")
    func anotherKeyIsRefused() async throws {
        let temp = try TempDatabase()
        defer { temp.remove() }
        let first = try SQLiteStore(path: temp.path)   // makes the key file beside it
        let made = first.lookupKey
        #expect(FileManager.default.fileExists(atPath: SQLiteStore.defaultKeyFile(for: temp.path)))
        try first.close()
        let other = try LookupKey(bytes: Array("someone else's lookup key".utf8))
        do {
            _ = try SQLiteStore(path: temp.path, lookupKey: other)
            Issue.record("expected the other key to be refused")
        } catch let StoreError.failure(operation, detail) {
            #expect(operation == "open the database at \(temp.path)")
            #expect(detail.contains("another lookup key") && detail.contains(made.fingerprint) && detail.contains("lookup_key_file"), "\(detail)")
        }
        let again = try SQLiteStore(path: temp.path)   // the key file beside it: the same key
        #expect(again.lookupKey == made)
        try again.close()
    }
}
