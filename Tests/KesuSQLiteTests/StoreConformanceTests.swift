import Foundation
import KesuKernel
import KesuSQLite
import KesuTestSupport
import Testing

/// Every store implementation, run through the same conformance checks.
enum StoreKind: String, CaseIterable, Sendable, CustomStringConvertible {
    case memory, sqliteFile = "sqlite-file", sqliteInMemory = "sqlite-in-memory"
    var description: String { rawValue }
}

/// A fresh database file in a fresh temporary directory, removed afterwards.
struct TempDatabase: Sendable {
    let directory: URL
    var path: String { directory.appendingPathComponent("kesu.sqlite").path }

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("kesu-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    func remove() { try? FileManager.default.removeItem(at: directory) }
}

func withStore(_ kind: StoreKind, _ body: (any CaseStore) async throws -> Void) async throws {
    switch kind {
    case .memory:
        try await body(MemoryStore())
    case .sqliteInMemory:
        try await body(try SQLiteStore.inMemory())
    case .sqliteFile:
        let temp = try TempDatabase()
        defer { temp.remove() }
        let store = try SQLiteStore(path: temp.path)
        do { try await body(store) } catch { try? store.close(); throw error }
        try store.close()
    }
}

@Test("store conformance", arguments: StoreKind.allCases, StoreConformance.checks)
func conformance(kind: StoreKind, check: StoreConformance.Check) async throws {
    try await withStore(kind) { store in
        do {
            try await check.run(store)
        } catch let failure as ConformanceFailure {
            Issue.record("\(kind) — \(check.name): \(failure)")
        }
    }
}
