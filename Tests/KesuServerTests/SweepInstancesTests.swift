import Foundation
import KesuKernel
import KesuServer
import KesuPostgres
import KesuPostgresTestSupport
import KesuSQLite
import Testing

/// Where the instances' shared database lives: one SQLite file (two connections), or one
/// PostgreSQL schema (two clients) on the test server.
enum SharedDatabase: String, CaseIterable, Sendable, CustomStringConvertible {
    case sqlite, postgres
    var description: String { rawValue }

    /// Two stores on one database: what two `kesu serve` processes would open.
    func pair(in dir: URL) async throws -> (any CaseStore, any CaseStore) {
        switch self {
        case .sqlite:
            let path = dir.appendingPathComponent("kesu.db").path
            return (try SQLiteStore(path: path), try SQLiteStore(path: path))
        case .postgres:
            let schema = try await TestSchema.make()
            return (try schema.store(poolSize: 4), try schema.store(poolSize: 4))
        }
    }
}

/// Several `kesu serve` instances on one database: the sweep lease lets one of them sweep per
/// tick, and however the ticks interleave, no reminder, escalation or violation is written twice.
@Suite("Sweep service: instances sharing a database")
struct SweepInstancesTests {
    static let fields = SafeWriteTests.fields

    /// Registers and dispatches `n` cases at 2026-09-30 10:00 (clocks start running).
    static func seed(_ f: ServerFixture, cases n: Int) async throws {
        try await f.test { client in
            for i in 0..<n {
                f.clock.set("2026-09-30T10:\(String(format: "%02d", i % 60)):00+08:00")
                var fields = Self.fields
                fields["region"] = i % 2 == 0 ? "county_a" : "county_b"
                let r = try await client.call(.post, "/v1/cases", as: "zhao_min", json: ["fields": fields])
                let number = try #require(r.case["number"] as? String, "\(r.text)")
                try await client.act(number, "substantiate", as: "zhao_min", fields: ["substantiated": "yes", "category": "marketing_service", "level": "general"])
                let d = try await client.act(number, "approve_dispatch", as: "qian_jin")
                #expect(d.status == 200, "\(d.text)")
            }
        }
    }

    /// What the sweep wrote, per case: reminders and escalations by clock run and step, violations by id and run.
    static func fired(_ store: any CaseStore) async throws -> [String: [String]] {
        var out: [String: [String]] = [:]
        for s in try await store.list(CaseQuery(limit: 1000)) {
            out[s.number] = try await store.events(caseID: s.id).compactMap { e in
                switch e.body {
                case let .reminder(run, step, _, _): "reminder \(run) #\(step)"
                case let .escalation(run, step, _, _): "escalation \(run) #\(step)"
                case let .violation(id, run, _, _, _): "violation \(id) \(run)"
                default: nil
                }
            }
        }
        return out
    }

    @Test("two instances, ticking together every two simulated hours for three weeks, fire each item once", arguments: SharedDatabase.allCases)
    func twoInstances(_ database: SharedDatabase) async throws {
        let dir = try Paths.temp("kesu-two")
        let (storeA, storeB) = try await database.pair(in: dir)
        let a = try await ServerFixture.make(store: storeA, instance: "a")
        let b = try await ServerFixture.make(store: storeB, instance: "b")
        try await Self.seed(a, cases: 12)
        // The same cases on a single instance, for reference.
        let refStore = try SQLiteStore(path: dir.appendingPathComponent("ref.db").path)
        let ref = try await ServerFixture.make(store: refStore, instance: "ref")
        try await Self.seed(ref, cases: 12)

        var t = ISO8601.parse("2026-09-30T11:00:00+08:00")!
        let end = ISO8601.parse("2026-10-21T11:00:00+08:00")!
        while t < end {
            a.clock.set(t); b.clock.set(t); ref.clock.set(t)
            async let ta = a.api.sweeper.tick()
            async let tb = b.api.sweeper.tick()
            let (ra, rb) = try await (ta, tb)
            #expect((ra == nil) != (rb == nil), "exactly one instance sweeps at \(t)")
            _ = try await ref.api.sweeper.tick()
            t = t.addingTimeInterval(2 * 3600)
        }
        let shared = try await Self.fired(a.store)
        let single = try await Self.fired(refStore)
        #expect(shared.values.map(\.count).reduce(0, +) > 12, "the timeline reaches reminders, escalations and violations")
        for (number, items) in shared {
            #expect(items.count == Set(items).count, "\(number) has an item written twice: \(items)")
            #expect(items == single[number], "\(number): two instances fired what one instance fires")
        }
    }

    @Test("when the instance holding the lease stops, another takes over after the lease runs out", arguments: SharedDatabase.allCases)
    func failover(_ database: SharedDatabase) async throws {
        let (storeA, storeB) = try await database.pair(in: try Paths.temp("kesu-failover"))
        let a = try await ServerFixture.make(store: storeA, instance: "a")
        let b = try await ServerFixture.make(store: storeB, instance: "b")
        let t0 = ISO8601.parse("2026-10-09T12:00:00+08:00")!
        a.clock.set(t0); b.clock.set(t0)
        #expect(try await a.api.sweeper.tick() != nil)
        #expect(try await b.api.sweeper.tick() == nil)
        // a stops; one interval later its lease (two intervals) still holds.
        b.clock.set(t0.addingTimeInterval(60))
        #expect(try await b.api.sweeper.tick() == nil)
        b.clock.set(t0.addingTimeInterval(121))
        #expect(try await b.api.sweeper.tick() != nil)
        a.clock.set(t0.addingTimeInterval(122))
        #expect(try await a.api.sweeper.tick() == nil)
    }
}
