import Foundation
import KesuKernel
import KesuSQLite
import KesuTestSupport
import Testing

private let t0 = Date(timeIntervalSinceReferenceDate: 757_382_400.25)

private func intake(_ at: Date = t0, pack: String = "2025.1") -> Event {
    Event(at: at, actor: "clerk", packVersion: pack, body: .intake(number: "", state: "open", fields: [:]))
}

private func summary(state: String = "open", closed: Date? = nil, due: Date? = nil, wakeup: Date? = nil) -> CaseSummary {
    CaseSummary(id: 0, number: "", state: state, openedAt: t0, updatedAt: t0, closedAt: closed,
                earliestDue: due, nextWakeup: wakeup, version: 0, packVersion: "2025.1")
}

@discardableResult
private func make(_ store: SQLiteStore, _ s: CaseSummary = summary(), events: [Event] = [intake()]) async throws -> CaseSummary {
    try await store.create(numberPrefix: "KS", year: 2025) { _, _ in NewCase(events: events, summary: s) }
}

@Suite("SQLiteStore")
struct SQLiteStoreTests {
    @Test func pragmasOnAFile() async throws {
        let temp = try TempDatabase()
        defer { temp.remove() }
        let store = try SQLiteStore(path: temp.path)
        defer { try? store.close() }
        #expect(try await store.pragma("journal_mode") == "wal")
        #expect(try await store.pragma("synchronous") == "2")      // FULL
        #expect(try await store.pragma("foreign_keys") == "1")
        #expect(try await store.pragma("busy_timeout") == "5000")
    }

    @Test func dataSurvivesClosingAndReopening() async throws {
        let temp = try TempDatabase()
        defer { temp.remove() }
        let first = try SQLiteStore(path: temp.path)
        let a = try await make(first, summary(wakeup: t0 + 60))
        let b = try await make(first)
        var closed = summary(state: "closed", closed: t0 + 120)
        closed.id = b.id; closed.number = b.number
        try await first.append(caseID: b.id, expectedVersion: 1,
                               events: [Event(at: t0 + 120, actor: "clerk", packVersion: "2025.2", body: .closed(state: "closed"))],
                               summary: closed)
        let eventsA = try await first.events(caseID: a.id)
        let eventsB = try await first.events(caseID: b.id)
        let summaryB = try await first.summary(caseID: b.id)
        try first.close()

        let again = try SQLiteStore(path: temp.path)
        defer { try? again.close() }
        #expect(try await again.summary(caseID: a.id) == a)
        #expect(try await again.summary(caseID: b.id) == summaryB)
        #expect(try await again.events(caseID: a.id) == eventsA)
        #expect(try await again.events(caseID: b.id) == eventsB)
        #expect(try await again.dueForSweep(at: t0 + 3600, limit: 10) == [a.id])
        #expect(try await again.packVersions().map(\.version) == ["2025.1", "2025.2"])
        let c = try await make(again)
        #expect(c.number == "KS-2025-000003", "the counter continues after reopening")
        #expect(c.id == b.id + 1)
    }

    @Test func migrationsAreRecordedAndIdempotent() async throws {
        #expect(SQLiteStore.migrationIDs == ["v1-cases-events", "v2-query-indexes", "v3-packs", "v4-records", "v5-outbox", "v6-idempotency-keys", "v7-leases",
                                          "v8-assignee-phone", "v9-open-queues", "v10-event-feed", "v11-phone-digest", "v12-report-facts"])
        let temp = try TempDatabase()
        defer { temp.remove() }
        let store = try SQLiteStore(path: temp.path)
        #expect(try await store.appliedMigrations() == SQLiteStore.migrationIDs)
        let a = try await make(store)
        try store.migrate()                                            // no-op
        #expect(try await store.appliedMigrations() == SQLiteStore.migrationIDs)
        try store.close()

        let again = try SQLiteStore(path: temp.path)                   // migrates on open: no-op
        defer { try? again.close() }
        try again.migrate()
        #expect(try await again.appliedMigrations() == SQLiteStore.migrationIDs)
        #expect(try await again.summary(caseID: a.id) == a)
        #expect(try await again.events(caseID: a.id).count == 1)
    }

    @Test func inMemoryStoreIsMigrated() async throws {
        let store = try SQLiteStore.inMemory()
        #expect(try await store.appliedMigrations() == SQLiteStore.migrationIDs)
        #expect(store.path == nil)
    }

    /// Many closed cases and a few open ones, as in a live deployment.
    private func populate(_ store: SQLiteStore, count: Int) async throws {
        for i in 0..<count {
            let at = t0 + Double(i) * 60
            let s = i % 10 == 0
                ? summary(state: "open", due: at + 3600, wakeup: at + 1800)
                : summary(state: "closed", closed: at + 7200, due: nil, wakeup: nil)
            let violation = Event(at: at + 60, actor: Event.systemActor, packVersion: "2025.1",
                                  body: .violation(id: "late", run: nil, unit: "u\(i % 7)", person: nil, occurredAt: at))
            try await make(store, s, events: [intake(at), violation])
        }
    }

    @Test func sweepUsesThePartialIndex() async throws {
        let temp = try TempDatabase()
        defer { temp.remove() }
        let store = try SQLiteStore(path: temp.path)
        defer { try? store.close() }
        try await populate(store, count: 300)

        for phase in ["before ANALYZE", "after ANALYZE"] {
            if phase == "after ANALYZE" { try await store.analyze() }
            let sweep = try await store.dueForSweepQueryPlan(at: t0 + 86400, limit: 500)
            #expect(sweep.contains(SQLiteStore.sweepIndexName), "sweep plan \(phase): \(sweep)")
            #expect(!sweep.contains("TEMP B-TREE"), "the index gives the order, \(phase): \(sweep)")
            let overdue = try await store.listQueryPlan(CaseQuery(overdueAt: t0 + 86400))
            #expect(overdue.contains(SQLiteStore.overdueIndexName), "overdue plan \(phase): \(overdue)")
            let byUnit = try await store.listQueryPlan(CaseQuery(state: "open", unit: "u1"))
            #expect(byUnit.contains("cases_unit_state"), "unit listing plan \(phase): \(byUnit)")
            let queue = try await store.listQueryPlan(CaseQuery(states: ["open", "answered"], unit: "u1", order: .dueFirst))
            #expect(queue.contains("cases_unit_state_due"), "unit queue plan \(phase): \(queue)")
            let mine = try await store.listQueryPlan(CaseQuery(assignee: "p1", openOnly: true, order: .dueFirst))
            #expect(mine.contains("cases_assignee"), "personal queue plan \(phase): \(mine)")
            // The console's queues: open cases only, on the partial indexes (not every closed case of a unit).
            let unitQueue = try await store.listQueryPlan(CaseQuery(unit: "u1", openOnly: true, order: .dueFirst))
            #expect(unitQueue.contains("cases_open_unit"), "open unit queue plan \(phase): \(unitQueue)")
            let clerkQueue = try await store.listQueryPlan(CaseQuery(states: ["open", "answered"], openOnly: true, order: .dueFirst))
            #expect(clerkQueue.contains("cases_open_state"), "open state queue plan \(phase): \(clerkQueue)")
            let caller = try await store.listQueryPlan(CaseQuery(phone: "13812345678", openedFrom: t0))
            #expect(caller.contains("cases_phone_digest"), "repeat-caller plan \(phase): \(caller)")
            let byType = try await store.eventsByTypeQueryPlan(types: ["violation"], occurredFrom: t0, to: t0 + 3600)
            #expect(byType.contains("events_type_occurred_at"), "events-by-type plan \(phase): \(byType)")
        }
        let due = try await store.dueForSweep(at: t0 + 86400, limit: 500)
        #expect(due.count == 30)
    }

    @Test func oneWinnerPerVersionAcrossConnections() async throws {
        let temp = try TempDatabase()
        defer { temp.remove() }
        // Two stores on one file: two pools, two writer connections, contending for the lock.
        let stores = [try SQLiteStore(path: temp.path), try SQLiteStore(path: temp.path)]
        defer { for s in stores { try? s.close() } }
        let c = try await make(stores[0])
        let rounds = 12, contenders = 6
        for round in 0..<rounds {
            let version = 1 + round
            let results = try await withThrowingTaskGroup(of: StoreError?.self) { group in
                for i in 0..<contenders {
                    group.addTask {
                        let store = stores[i % stores.count]
                        var s = summary(state: "r\(round)-t\(i)")
                        s.id = c.id; s.number = c.number
                        let e = Event(at: t0 + Double(version), actor: "t\(i)", packVersion: "2025.1", body: .assigned(person: "t\(i)"))
                        do {
                            try await store.append(caseID: c.id, expectedVersion: version, events: [e], summary: s)
                            return nil
                        } catch let error as StoreError {
                            return error
                        }
                    }
                }
                var all: [StoreError?] = []
                for try await r in group { all.append(r) }
                return all
            }
            #expect(results.filter { $0 == nil }.count == 1, "round \(round): one winner")
            #expect(results.compactMap { $0 } == Array(repeating: .conflict(caseID: c.id, expected: version, actual: version + 1),
                                                       count: contenders - 1), "round \(round): the others conflict")
        }
        let events = try await stores[1].events(caseID: c.id)
        #expect(events.map(\.seq) == Array(1...(rounds + 1)))
        #expect(try await stores[0].summary(caseID: c.id)?.version == rounds + 1)
    }

    @Test func retryingWritersLeaveNoGaps() async throws {
        let temp = try TempDatabase()
        defer { temp.remove() }
        let store = try SQLiteStore(path: temp.path)
        defer { try? store.close() }
        let c = try await make(store)
        let writers = 5, each = 8
        let conflicts = try await withThrowingTaskGroup(of: Int.self) { group in
            for w in 0..<writers {
                group.addTask {
                    var done = 0, conflicts = 0
                    while done < each {
                        let current = try await store.summary(caseID: c.id)!
                        let e = Event(at: t0, actor: "w\(w)", packVersion: "2025.1", body: .assigned(person: "w\(w)-\(done)"))
                        do {
                            try await store.append(caseID: c.id, expectedVersion: current.version, events: [e], summary: current)
                            done += 1
                        } catch StoreError.conflict {
                            conflicts += 1
                        }
                    }
                    return conflicts
                }
            }
            return try await group.reduce(0, +)
        }
        let events = try await store.events(caseID: c.id)
        #expect(events.map(\.seq) == Array(1...(1 + writers * each)), "no gaps or repeats (\(conflicts) conflicts retried)")
        #expect(Set(events.dropFirst().map { "\($0.body)" }).count == writers * each, "every write landed exactly once")
        #expect(try await store.summary(caseID: c.id)?.version == 1 + writers * each)
    }

    @Test func databaseErrorsSayWhatFailed() async throws {
        let path = "/nonexistent-\(UUID().uuidString)/kesu.sqlite"
        do {
            _ = try SQLiteStore(path: path)
            Issue.record("opening \(path) should fail")
        } catch let StoreError.failure(operation, detail) {
            #expect(operation.contains(path))
            #expect(!detail.isEmpty)
        }
    }

    @Test func datesRoundTripExactly() async throws {
        let store = try SQLiteStore.inMemory()
        var dates: [Date] = [Date(), Date(timeIntervalSince1970: 1_700_000_000.123),
                             Date(timeIntervalSinceReferenceDate: 722_000_000.123)]
        for _ in 0..<50 { dates.append(Date(timeIntervalSinceReferenceDate: .random(in: 0..<2_000_000_000))) }
        for d in dates {
            var s = summary(due: d, wakeup: d)
            s.openedAt = d; s.updatedAt = d
            let c = try await make(store, s, events: [intake(d)])
            let back = try #require(try await store.summary(caseID: c.id))
            #expect(back.openedAt == d && back.earliestDue == d && back.nextWakeup == d)
            #expect(try await store.events(caseID: c.id).first?.at == d)
        }
    }
}

/// The outbox survives a crash: what the sweep enqueued is in the file, whatever happened after.
@Suite struct SQLiteOutboxTests {
    actor Down: Notifier {
        struct Refused: Error {}
        func deliver(_ notification: KesuKernel.Notification) async throws { throw Refused() }
    }

    @Test func itemsWrittenBeforeACrashAreStillThere() async throws {
        let temp = try TempDatabase()
        defer { temp.remove() }
        let pack = TestPack.make()
        let now = TestPack.at("2026-10-09T12:00")
        do {
            // No close: the process "dies" after the sweep and one failed delivery.
            let store = try SQLiteStore(path: temp.path)
            let e = try Engine(pack: pack, store: store, notifiers: ["webhook": Down()])
            let c = try await e.intake(fields: ["channel": "phone", "kind": "complaint", "description": "态度差", "category": "service"],
                                       by: "clerk1", at: TestPack.at("2026-09-30T10:00")).state
            try await e.act(c.number, transition: "dispatch", fields: ["category": "service"], by: "chief", at: TestPack.at("2026-09-30T11:00"))
            #expect(try await e.sweep(at: now).fired.count == 1)
            #expect(try await e.deliverOutbox(at: now).retrying == 1)
        }
        let reopened = try SQLiteStore(path: temp.path)
        defer { try? reopened.close() }
        let items = try await reopened.outbox(status: nil, limit: 10)
        #expect(items.count == 1)
        #expect(items.first?.status == .pending && items.first?.attempts == 1 && items.first?.channel == "webhook")
        #expect(items.first?.notification.caseNumber == "T-2026-000001")
        let plan = try await reopened.dueOutboxQueryPlan(at: now, limit: 10)
        #expect(plan.contains(SQLiteStore.indexNames.last!), "the due query uses its index: \(plan)")
        let notifier = CollectingNotifier()
        let e = try Engine(pack: pack, store: reopened, notifiers: ["webhook": notifier])
        #expect(try await e.deliverOutbox(at: now.addingTimeInterval(60)).delivered == 1)
        #expect(await notifier.delivered.count == 1)
    }
}
