import Foundation
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
}
