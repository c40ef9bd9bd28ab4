import Foundation
import KesuKernel

/// Cases as a store held them before migration v8 (no `assignee` or `phone` column), for the
/// tests that the migration fills both from the events exactly as `CaseState` folds them.
public enum PreV8Cases {
    static let t0 = Date(timeIntervalSinceReferenceDate: 757_382_400.5)

    private static func intake(_ fields: [String: String]) -> EventBody {
        .intake(number: "", state: "registered", fields: ["channel": "phone"].merging(fields) { $1 })
    }

    /// The histories of cases 1…, and the assignee and phone each must end up with.
    public static let cases: [(history: [EventBody], assignee: String?, phone: String?)] = [
        // Assigned in its unit; a NUL in the description must not stop the migration.
        ([intake(["complainant_phone": "+86 138-1234-5678", "description": "a\u{0}b"]), .routed(unit: "unit_a", reason: "R2"),
          .assigned(person: "a1")], "a1", "13812345678"),
        // The phone changed by a transition; sent to another unit after the assignment.
        ([intake(["complainant_phone": "13900000000"]), .routed(unit: "unit_a", reason: "R2"), .assigned(person: "a1"),
          .transition(id: "fix", from: "registered", to: "dispatched", fields: ["complainant_phone": "0871-65123456"]),
          .routed(unit: "unit_b", reason: "manual")], nil, "087165123456"),
        // Assigned before the first routing, then routed twice to one unit: nothing moved it.
        ([intake(["complainant_phone": "１３９００００００００"]), .assigned(person: "k"), .routed(unit: "unit_a", reason: "R2"),
          .routed(unit: "unit_a", reason: "again")], "k", "13900000000"),
        // The phone removed by a transition's empty value; moved, then assigned again in the new unit.
        ([intake(["complainant_phone": "13812345678"]), .routed(unit: "unit_a", reason: "R2"), .assigned(person: "x"),
          .transition(id: "fix", from: "registered", to: "dispatched", fields: ["complainant_phone": ""]),
          .routed(unit: "unit_b", reason: "manual"), .assigned(person: "y"), .routed(unit: "unit_b", reason: "again")], "y", nil),
        // Moved away and back: the assignee was cleared on the way. A repeat caller.
        ([intake(["complainant_phone": "0086 138 1234 5678"]), .routed(unit: "unit_a", reason: "R2"), .assigned(person: "x"),
          .routed(unit: "unit_b", reason: "manual"), .routed(unit: "unit_a", reason: "manual")], nil, "13812345678"),
        // No phone, never assigned; a description that spells a NUL escape.
        ([intake(["description": #"a\u0000b"#]), .routed(unit: "unit_a", reason: "R2")], nil, nil),
    ]

    /// Case `id`'s events (ids count from 1).
    public static func events(of id: Int64) -> [Event] {
        cases[Int(id) - 1].history.enumerated().map { i, body in
            Event(caseID: id, seq: i + 1, at: t0 + Double(i) * 60, actor: "clerk1", packVersion: "2025.1", body: body)
        }
    }

    /// INSERTs of the cases and their events into the v7 tables, `prefix` before each table name
    /// (a schema and a dot, or nothing). Bodies are encoded as the stores encode them.
    public static func insertSQL(prefix: String = "") -> [String] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        func quoted(_ s: String?) -> String { s.map { "'" + $0.replacingOccurrences(of: "'", with: "''") + "'" } ?? "NULL" }
        var out: [String] = []
        for id in Int64(1)...Int64(cases.count) {
            let events = events(of: id)
            let state = CaseState(events: events)
            let number = String(format: "KS-2025-%06d", id)
            out.append("""
                INSERT INTO \(prefix)cases (id, number, state, handling_unit, text, opened_at, updated_at, version, pack_version)
                VALUES (\(id), '\(number)', \(quoted(state.state)), \(quoted(state.handlingUnit)), '', \(state.openedAt.timeIntervalSinceReferenceDate),
                    \(state.updatedAt.timeIntervalSinceReferenceDate), \(state.version), '2025.1')
                """)
            for e in events {
                let body = String(decoding: try! encoder.encode(e.body), as: UTF8.self)
                let at = e.at.timeIntervalSinceReferenceDate
                out.append("""
                    INSERT INTO \(prefix)events (case_id, seq, at, occurred_at, actor, type, pack_version, body)
                    VALUES (\(id), \(e.seq), \(at), \(at), 'clerk1', '\(e.type)', '2025.1', \(quoted(body)))
                    """)
            }
        }
        return out
    }

    /// Checks the migrated store: each case's assignee and phone as listed above and as the fold
    /// of its events gives them, and the phone search over the filled column.
    public static func check(_ store: any CaseStore) async throws {
        for id in Int64(1)...Int64(cases.count) {
            let expected = cases[Int(id) - 1]
            let state = CaseState(events: events(of: id))
            guard let s = try await store.summary(caseID: id) else { throw ConformanceFailure("case \(id) is missing") }
            try expectEqual(s.assignee, expected.assignee, "assignee of case \(id)")
            try expectEqual(s.assignee, state.assignee, "assignee of case \(id) as the fold gives it")
            try expectEqual(s.phoneDigest, expected.phone.flatMap(store.lookupKey.phoneDigest), "phone digest of case \(id)")
            try expectEqual(s.phoneDigest, state.fields["complainant_phone"].flatMap(store.lookupKey.phoneDigest),
                            "phone digest of case \(id) as the kernel gives it")
        }
        try expectEqual(try await store.list(CaseQuery(phone: "138 1234 5678")).map(\.id), [5, 1], "phone search after the migration")
        try expectEqual(try await store.list(CaseQuery(assignee: "a1")).map(\.id), [1], "assignee filter after the migration")
    }
}
