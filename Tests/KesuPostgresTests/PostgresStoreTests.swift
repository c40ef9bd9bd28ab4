import Foundation
import KesuKernel
import KesuPostgresTestSupport
import KesuTestSupport
import Testing
@testable import KesuPostgres

/// The store conformance kit against PostgreSQL, each check in a fresh schema.
@Test("store conformance (postgres)", arguments: StoreConformance.checks)
func postgresConformance(check: StoreConformance.Check) async throws {
    try await TestSchema.with { schema in
        let store = try schema.store()
        do {
            try await check.run(store)
        } catch let failure as ConformanceFailure {
            Issue.record("postgres — \(check.name): \(failure)")
        } catch {
            await store.shutdown()
            throw error
        }
        await store.shutdown()
    }
}

private let t0 = Date(timeIntervalSinceReferenceDate: 757_382_400.123_456_7)

private func summary(state: String = "open", wakeup: Date? = nil) -> CaseSummary {
    CaseSummary(id: 0, number: "", state: state, handlingUnit: "north", kind: "complaint", text: "Pothole",
                openedAt: t0, updatedAt: t0, nextWakeup: wakeup, version: 0, packVersion: "2025.1")
}

private func intake() -> Event {
    Event(at: t0, actor: "clerk", packVersion: "2025.1", body: .intake(number: "", state: "open", fields: ["subject": "x"]))
}

private func newCase() -> NewCase { NewCase(events: [intake()], summary: summary()) }

private struct Refused: Error {}

@Suite("PostgreSQL store")
struct PostgresStoreTests {
    @Test("data survives shutdown and reopening; migrations are recorded once")
    func survivesReopening() async throws {
        try await TestSchema.with { schema in
            let first = try schema.store()
            let created = try await first.create(numberPrefix: "KS", year: 2025) { _, _ in
                NewCase(events: [intake()], summary: summary(wakeup: t0 + 60),
                        outbox: [OutboxEntry(channel: "console", notification: Notification(kind: .reminder, caseNumber: "KS", recipients: ["a"], text: "登记", at: t0))])
            }
            try await first.appendRecords(stream: "penalty:a", expectedVersion: 0,
                                          events: [RecordEvent(at: t0, actor: "boss", type: "decided", packVersion: "2025.1", body: "{\"x\": 1}")])
            #expect(try await first.acquireLease("sweep", holder: "one", until: t0 + 60, now: t0))
            let events = try await first.events(caseID: created.id)
            let outbox = try await first.outbox(status: nil, limit: 10)
            await first.shutdown()

            let again = try schema.store()
            #expect(try await again.summary(caseID: created.id) == created)
            #expect(try await again.events(caseID: created.id) == events)
            #expect(try await again.outbox(status: nil, limit: 10) == outbox)
            #expect(try await again.records(stream: "penalty:a").map(\.body) == ["{\"x\": 1}"])
            #expect(try await again.dueForSweep(at: t0 + 60, limit: 10) == [created.id])
            #expect(try await !again.acquireLease("sweep", holder: "two", until: t0 + 120, now: t0 + 30), "the lease outlives the process")
            #expect(try await again.appliedMigrations() == PostgresCaseStore.migrationIDs)
            let next = try await again.create(numberPrefix: "KS", year: 2025) { _, _ in newCase() }
            #expect(next.number == "KS-2025-000002")
            #expect(next.id == created.id + 1)
            await again.shutdown()
        }
    }

    @Test("instances starting together migrate once")
    func concurrentMigrations() async throws {
        try await TestSchema.with { schema in
            let stores = try (0..<4).map { _ in try schema.store(poolSize: 2) }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for store in stores { group.addTask { try await store.migrate() } }
                try await group.waitForAll()
            }
            for store in stores {
                #expect(try await store.appliedMigrations() == PostgresCaseStore.migrationIDs)
                await store.shutdown()
            }
        }
    }

    @Test("two instances on one database: distinct numbers, one winner per version, one case per key, one lease holder")
    func twoInstances() async throws {
        try await TestSchema.with { schema in
            let a = try schema.store(), b = try schema.store()
            let stores = [a, b]
            // Forty intakes through both instances at once: forty numbers, no gap, no repeat.
            let numbers = try await withThrowingTaskGroup(of: String.self) { group in
                for i in 0..<40 {
                    group.addTask { try await stores[i % 2].create(numberPrefix: "KS", year: 2025) { _, _ in newCase() }.number }
                }
                return try await group.reduce(into: [String]()) { $0.append($1) }
            }
            #expect(Set(numbers) == Set((1...40).map { String(format: "KS-2025-%06d", $0) }))

            // Both instances append to one case at the same versions, ten rounds: one winner each round.
            let target = try #require(try await a.caseID(number: "KS-2025-000001"))
            for round in 1...10 {
                let wins = await withTaskGroup(of: Bool.self) { group in
                    for i in 0..<6 {
                        group.addTask {
                            do {
                                let e = Event(at: t0 + Double(round), actor: "p\(i)", packVersion: "2025.1", body: .assigned(person: "p\(i)"))
                                try await stores[i % 2].append(caseID: target, expectedVersion: round, events: [e], summary: summary())
                                return true
                            } catch StoreError.conflict { return false } catch {
                                Issue.record("unexpected error: \(error)")
                                return false
                            }
                        }
                    }
                    return await group.reduce(into: 0) { $0 += $1 ? 1 : 0 }
                }
                #expect(wins == 1, "round \(round)")
            }
            #expect(try await b.events(caseID: target).map(\.seq) == Array(1...11))
            #expect(try await a.summary(caseID: target)?.version == 11)

            // Retries of one intake through both instances: one case.
            let ids = try await withThrowingTaskGroup(of: Int64.self) { group in
                for i in 0..<12 {
                    group.addTask {
                        try await stores[i % 2].create(numberPrefix: "KI", year: 2025, idempotencyKey: "retry-1", fingerprint: "f") { _, _ in
                            newCase()
                        }.summary.id
                    }
                }
                return try await group.reduce(into: Set<Int64>()) { $0.insert($1) }
            }
            #expect(ids.count == 1)
            #expect(try await a.count(CaseQuery()) == 41)

            // Record streams: one winner per version across instances.
            let recordWins = await withTaskGroup(of: Bool.self) { group in
                for i in 0..<6 {
                    group.addTask {
                        let r = RecordEvent(at: t0, actor: "p\(i)", type: "decided", packVersion: "2025.1", body: "{}")
                        do { try await stores[i % 2].appendRecords(stream: "penalty:x", expectedVersion: 0, events: [r]); return true }
                        catch { return false }
                    }
                }
                return await group.reduce(into: 0) { $0 += $1 ? 1 : 0 }
            }
            #expect(recordWins == 1)

            // The sweep lease: held by one instance at a time, taken over after it expires.
            #expect(try await a.acquireLease("sweep", holder: "a", until: t0 + 10, now: t0))
            #expect(try await !b.acquireLease("sweep", holder: "b", until: t0 + 20, now: t0 + 5))
            #expect(try await a.acquireLease("sweep", holder: "a", until: t0 + 20, now: t0 + 5))
            #expect(try await b.acquireLease("sweep", holder: "b", until: t0 + 40, now: t0 + 20))
            #expect(try await !a.acquireLease("sweep", holder: "a", until: t0 + 50, now: t0 + 21))
            let holders = try await withThrowingTaskGroup(of: Bool.self) { group in
                for i in 0..<10 {
                    group.addTask { try await stores[i % 2].acquireLease("tick", holder: "h\(i)", until: t0 + 60, now: t0) }
                }
                return try await group.reduce(into: 0) { $0 += $1 ? 1 : 0 }
            }
            #expect(holders == 1)
            await a.shutdown()
            await b.shutdown()
        }
    }

    @Test("the sweep's query uses the partial index, before and after ANALYZE, over 20,000 closed cases")
    func sweepUsesThePartialIndex() async throws {
        try await TestSchema.with { schema in
            let store = try schema.store()
            try await store.create(numberPrefix: "KS", year: 2025) { _, _ in newCase() }  // migrates
            // Many closed cases and a few open ones: the shape of a store after some years.
            try await PostgresTestServer.execute(schema.base, ["""
                INSERT INTO \(schema.name).cases (id, number, state, opened_at, updated_at, closed_at, next_wakeup, version, pack_version)
                SELECT g, 'KS-2024-' || g, CASE WHEN g % 100 = 0 THEN 'open' ELSE 'closed' END, g, g,
                       CASE WHEN g % 100 = 0 THEN NULL ELSE g + 10 END, g + 3600, 1, '2025.1'
                FROM generate_series(2, 20001) AS g
                """])
            let now = Date(timeIntervalSinceReferenceDate: 10_000)
            for phase in ["before ANALYZE", "after ANALYZE"] {
                if phase == "after ANALYZE" { try await store.analyze() }
                let plan = try await store.dueForSweepQueryPlan(at: now, limit: 500)
                #expect(plan.contains("cases_sweep"), "sweep plan \(phase):\n\(plan)")
                #expect(!plan.contains("Seq Scan"), "sweep plan \(phase):\n\(plan)")
            }
            // Open cases 100, 200, … wake at id + 3600 seconds: those up to 6,400 are due.
            #expect(try await store.dueForSweep(at: now, limit: 500) == Array(stride(from: Int64(100), through: 6_400, by: 100)))
        }
    }

    @Test("v8 fills the assignee and the phone of older cases from their events")
    func v8FillsAssigneeAndPhone() async throws {
        try await TestSchema.with { schema in
            // Back to v7: without the columns, the indexes and the records of v8 and v12 (which digests
            // what v8 fills); then older rows.
            try await schema.rewind([
                "DROP INDEX cases_unit_state_due",
                "ALTER TABLE cases DROP COLUMN assignee, DROP COLUMN phone_digest",
                "DROP TABLE lookup_key",
                "CREATE INDEX cases_unit_state ON cases (handling_unit, state)",
                "DELETE FROM kesu_migrations WHERE id IN ('v8-assignee-phone', 'v12-phone-digest')",
            ] + PreV8Cases.insertSQL() + ["SELECT setval('case_id_seq', \(PreV8Cases.cases.count))"])
            let again = try schema.store()
            do {
                try await again.migrate()
                #expect(try await again.appliedMigrations() == PostgresCaseStore.migrationIDs)
                try await PreV8Cases.check(again)
            } catch let f as ConformanceFailure {
                Issue.record("\(f)")
            } catch {
                await again.shutdown()
                throw error
            }
            await again.shutdown()
        }
    }

    @Test("work queues and the repeat-caller search use their indexes over 20,000 cases")
    func queuesUseTheirIndexes() async throws {
        try await TestSchema.with { schema in
            let store = try schema.store()
            try await store.migrate()
            try await PostgresTestServer.execute(schema.base, ["""
                INSERT INTO \(schema.name).cases (id, number, state, handling_unit, opened_at, updated_at, closed_at, earliest_due,
                                                  version, pack_version, assignee, phone_digest)
                SELECT g, 'KS-2024-' || g, CASE WHEN g % 50 = 0 THEN 'dispatched' ELSE 'closed' END, 'u' || (g % 20), g, g,
                       CASE WHEN g % 50 = 0 THEN NULL ELSE g + 10 END, CASE WHEN g % 50 = 0 THEN g + 3600 END, 1, '2025.1',
                       'p' || (g % 300), md5('138' || lpad((g % 5000)::text, 8, '0'))
                FROM generate_series(1, 20000) AS g
                """])
            try await store.analyze()
            let queue = try await store.listQueryPlan(CaseQuery(states: ["dispatched", "answered"], unit: "u3", order: .dueFirst, limit: 50))
            #expect(queue.contains("cases_unit_state_due"), "unit queue plan:\n\(queue)")
            let mine = try await store.listQueryPlan(CaseQuery(assignee: "p7", openOnly: true, order: .dueFirst, limit: 50))
            #expect(mine.contains("cases_assignee"), "personal queue plan:\n\(mine)")
            let caller = try await store.listQueryPlan(CaseQuery(phone: "13800000042", openedFrom: Date(timeIntervalSinceReferenceDate: 100)))
            #expect(caller.contains("cases_phone_digest"), "repeat-caller plan:\n\(caller)")
            for plan in [queue, mine, caller] { #expect(!plan.contains("Seq Scan"), "\(plan)") }
            await store.shutdown()
        }
    }

    @Test("gaps allowed: a failed intake leaves its number unused; gapless: it gives the number back")
    func gapPolicies() async throws {
        try await TestSchema.with { schema in
            let store = try schema.store()
            for (gaps, expected) in [(CaseNumbering.Gaps.gapless, "GL-2025-000002"), (.allowed, "GA-2025-000003")] {
                let numbering = CaseNumbering(prefix: gaps == .gapless ? "GL" : "GA", gaps: gaps)
                _ = try await store.create(numbering: numbering, year: 2025) { _, _ in newCase() }
                await #expect(throws: Refused.self) {
                    _ = try await store.create(numbering: numbering, year: 2025) { _, _ in throw Refused() }
                }
                let next = try await store.create(numbering: numbering, year: 2025) { _, _ in newCase() }
                #expect(next.number == expected, "\(gaps)")
            }
            await store.shutdown()
        }
    }

    @Test("v11 carries the last case id into the sequence")
    func v11CarriesTheLastID() async throws {
        try await TestSchema.with { schema in
            // Back to v10: the one-row table of the last id, at 41, and no sequence.
            try await schema.rewind([
                "DROP SEQUENCE case_id_seq",
                "CREATE TABLE case_ids (one BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (one), last BIGINT NOT NULL)",
                "INSERT INTO case_ids (one, last) VALUES (TRUE, 41)",
                "DELETE FROM kesu_migrations WHERE id = 'v11-case-id-sequence'",
            ])
            let again = try schema.store()
            let c = try await again.create(numberPrefix: "KS", year: 2025) { _, _ in newCase() }
            #expect(c.id == 42)
            #expect(c.number == "KS-2025-000001")
            #expect(try await again.appliedMigrations() == PostgresCaseStore.migrationIDs)
            await again.shutdown()
        }
    }

    @Test("the phone index is a keyed digest: no phone in cases, another key refused with what to do")
    func phonesByDigestOnly() async throws {
        try await TestSchema.with { schema in
            let store = try schema.store()
            var withPhone = summary()
            withPhone.phoneDigest = store.lookupKey.phoneDigest("138 1234 5678")
            let s = withPhone
            let c = try await store.create(numberPrefix: "KS", year: 2025) { _, _ in NewCase(events: [intake()], summary: s) }
            #expect(try await store.list(CaseQuery(phone: "+8613812345678")).map(\.id) == [c.id])
            await store.shutdown()
            let columns = try await PostgresTestServer.query(schema.base, """
                SELECT column_name FROM information_schema.columns WHERE table_schema = '\(schema.name)' AND table_name = 'cases'
                """)
            #expect(columns.contains("phone_digest") && !columns.contains("phone"), "\(columns)")
            let other = try PostgresCaseStore(url: schema.url, lookupKey: try LookupKey(bytes: Array("someone else's lookup key".utf8)))
            do {
                _ = try await other.count(CaseQuery())
                Issue.record("expected the other key to be refused")
            } catch let StoreError.failure(_, detail) {
                #expect(detail.contains("another lookup key") && detail.contains(TestSchema.lookupKey.fingerprint), "\(detail)")
            }
            await other.shutdown()
        }
    }

    @Test("v12 digests the phones v8 kept, then drops them")
    func v12DigestsThePhones() async throws {
        try await TestSchema.with { schema in
            let store = try schema.store()
            let c = try await store.create(numberPrefix: "KS", year: 2025) { _, _ in newCase() }
            await store.shutdown()
            // Back to v11: the phone column with a phone, no digest, no key recorded.
            try await PostgresTestServer.execute(schema.base, [
                "SET search_path TO \(schema.name)",
                "DROP INDEX cases_phone_digest",
                "ALTER TABLE cases DROP COLUMN phone_digest",
                "DROP TABLE lookup_key",
                "ALTER TABLE cases ADD COLUMN phone TEXT",
                "CREATE INDEX cases_phone ON cases (phone, opened_at)",
                "UPDATE cases SET phone = '13812345678'",
                "DELETE FROM kesu_migrations WHERE id = 'v12-phone-digest'",
            ])
            let again = try schema.store()
            #expect(try await again.summary(caseID: c.id)?.phoneDigest == TestSchema.lookupKey.phoneDigest("13812345678"))
            #expect(try await again.list(CaseQuery(phone: "138-1234-5678")).map(\.id) == [c.id])
            #expect(try await again.appliedMigrations() == PostgresCaseStore.migrationIDs)
            await again.shutdown()
        }
    }

    @Test("database errors name the operation")
    func errorsNameTheOperation() async throws {
        try await TestSchema.with { schema in
            let store = try schema.store()
            try await store.migrate()
            try await PostgresTestServer.execute(schema.base, ["DROP TABLE \(schema.name).leases"])
            do {
                _ = try await store.acquireLease("sweep", holder: "a", until: t0, now: t0)
                Issue.record("expected a failure")
            } catch let StoreError.failure(operation, detail) {
                #expect(operation == "acquire lease 'sweep' for a")
                #expect(detail.contains("leases"), "PostgreSQL's message: \(detail)")
            }
            // The connection is usable afterwards (the failed transaction was rolled back).
            #expect(try await store.count(CaseQuery()) == 0)
            await store.shutdown()
        }
    }
}

@Suite("PostgreSQL URLs")
struct PostgresURLTests {
    @Test("full and minimal URLs")
    func parses() throws {
        let full = try PostgresURL("postgresql://kesu:s%40cret@db.example:6543/complaints?sslmode=require&search_path=tenant_a")
        #expect(full == PostgresURL(host: "db.example", port: 6543, username: "kesu", password: "s@cret", database: "complaints",
                                    sslMode: .require, searchPath: "tenant_a"))
        let minimal = try PostgresURL("postgres://kesu@localhost/kesu")
        #expect(minimal == PostgresURL(host: "localhost", username: "kesu", database: "kesu"))
        #expect(minimal.sslMode == .disable)
    }

    @Test("bad URLs are refused, quoted with the password masked",
          arguments: [
              ("mysql://u@h/db", "scheme"), ("postgres:///db", "no host"), ("postgres://h/db", "no user"),
              ("postgres://u:pw@h:5432", "no database"), ("postgres://u:pw@h/db?sslmode=maybe", "sslmode 'maybe'"),
              ("postgres://u:pw@h/db?timeout=3", "unknown parameter 'timeout'"), ("not a url at all", "scheme"),
          ])
    func refuses(url: String, reason: String) throws {
        do {
            _ = try PostgresURL(url)
            Issue.record("accepted \(url)")
        } catch let e as PostgresURLError {
            #expect(e.description.hasPrefix("bad PostgreSQL URL '"))
            #expect(e.description.contains(reason), "\(e)")
            #expect(!e.description.contains(":pw@"), "password masked: \(e)")
        }
    }

    @Test("a store with a bad URL is refused at once")
    func storeRefusesBadURL() {
        #expect(throws: PostgresURLError.self) { try PostgresCaseStore(url: "postgres://nobody@/", lookupKey: .random()) }
    }
}
