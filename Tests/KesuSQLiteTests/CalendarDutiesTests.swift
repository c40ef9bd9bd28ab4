import Foundation
import KesuKernel
import KesuTestSupport
import Testing

/// A changed holiday calendar re-plans running clocks (each move an event with the old and the new due time,
/// cases pinned to older packs included), and the administrators hear about a calendar running out — on every store.
@Suite struct CalendarDutiesTests {
    func at(_ s: String) -> Date { TestPack.at(s) }

    /// The calendar before: TestPack's 2026 holidays.
    var before: RulePack { TestPack.make() }
    /// The calendar after: the same pack with 2026-10-14 and 10-15 (Wed, Thu) as holidays too — a region's days or
    /// the official notice replacing a draft.
    var after: RulePack {
        var p = TestPack.make()
        p.version = "code-after"
        p.calendar.holidays += [14, 15].map { DatedDay(date: LocalDate(year: 2026, month: 10, day: $0), name: "regional", label: "地方节日") }
        return p
    }

    /// Intake Mon 2026-10-12 09:00, dispatched 10:00: the answer clock (3 working days, end of day) is due Thu 10-15
    /// 18:00 on the old calendar, Mon 10-19 18:00 on the new one.
    func dispatchedCase(_ e: Engine) async throws -> CaseState {
        let s = try await e.intake(fields: ["channel": "phone", "kind": "complaint", "description": "态度差", "category": "service"],
                                   by: "clerk1", at: at("2026-10-12T09:00")).state
        return try await e.act(s.number, transition: "dispatch", fields: ["category": "service"], by: "chief", at: at("2026-10-12T10:00"))
    }

    @Test("a changed calendar moves running clocks, recorded as events", arguments: StoreKind.allCases)
    func replan(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            let old = try Engine(pack: before, store: store)
            let c = try await dispatchedCase(old)
            #expect(c.clocks["answer"]?.dueAt == at("2026-10-15T18:00"))

            // The first pass adopts the calendar in force: counted again on the same days, nothing moves.
            let first = try await old.calendarDuties(at: at("2026-10-12T11:00"))
            #expect(first.adopted && first.adoptedFrom == nil && first.moved.isEmpty && first.casesExamined == 1)
            #expect(try await store.events(caseID: c.id).allSatisfy { $0.type != "clock_replanned" })

            // A changed calendar file is a new pack version: the case stays pinned to the old one.
            let new = try Engine(pack: after, store: store, resolver: PinningResolver(packs: [before.version: before]))
            let second = try await new.calendarDuties(at: at("2026-10-13T09:00"))
            #expect(second.adopted && second.adoptedFrom == before.calendar.daysFingerprint)
            #expect(second.moved == [.init(caseNumber: c.number, run: "answer#1", from: at("2026-10-15T18:00"), to: at("2026-10-19T18:00"))])
            let events = try await store.events(caseID: c.id)
            let replanned = try #require(events.last)
            #expect(replanned.type == "clock_replanned" && replanned.actor == Event.systemActor && replanned.ruleID == "answer")
            #expect(replanned.body == .clockReplanned(ClockRun(clock: "answer", run: 1), dueAt: at("2026-10-19T18:00"),
                                                      previousDueAt: at("2026-10-15T18:00"), calendar: after.calendar.daysFingerprint))
            let state = try await new.state(of: c.id)
            #expect(state.clocks["answer"]?.dueAt == at("2026-10-19T18:00"))
            #expect(try await store.summary(caseID: c.id)?.earliestDue == at("2026-10-19T18:00"), "listings see the new due time")

            // Idempotent: the next pass has nothing to do.
            let third = try await new.calendarDuties(at: at("2026-10-13T09:05"))
            #expect(!third.adopted && third.moved.isEmpty)
            #expect(try await store.events(caseID: c.id).count == events.count)
            // The sweep does not record the old due time as missed.
            let sweep = try await new.sweep(at: at("2026-10-16T09:00"))
            #expect(sweep.fired.allSatisfy { $0.type != "violation" })
        }
    }

    @Test("instances on different calendars sharing a store do not re-plan back and forth", arguments: [StoreKind.memory, .sqliteFile])
    func rollingDeploy(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            let old = try Engine(pack: before, store: store)
            let c = try await dispatchedCase(old)
            _ = try await old.calendarDuties(at: at("2026-10-12T11:00"))
            let new = try Engine(pack: after, store: store, resolver: PinningResolver(packs: [before.version: before]))
            #expect(try await new.calendarDuties(at: at("2026-10-12T11:30")).moved.count == 1)
            // An instance still on the old rules sweeps next: it waits instead of moving the clock back.
            let stale = try await old.calendarDuties(at: at("2026-10-12T11:40"))
            #expect(stale.deferred && !stale.adopted && stale.moved.isEmpty)
            #expect(try await old.state(of: c.id).clocks["answer"]?.dueAt == at("2026-10-19T18:00"))
            // An hour on, it is still running the old calendar: that is a rollback, and it is adopted.
            let rollback = try await old.calendarDuties(at: at("2026-10-12T12:31"))
            #expect(rollback.adopted && rollback.moved.map(\.to) == [at("2026-10-15T18:00")])
        }
    }

    @Test("an extension is counted again from its granted length", arguments: StoreKind.allCases)
    func extensionIsRecounted(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            let old = try Engine(pack: before, store: store)
            let c = try await dispatchedCase(old)
            let extended = try await old.extend(c.number, clock: "answer", by: .workingDays(2, .endOfDay), reason: "需现场核实",
                                                approver: "chief", at: at("2026-10-13T10:00"))
            #expect(extended.clocks["answer"]?.dueAt == at("2026-10-19T18:00"))
            _ = try await old.calendarDuties(at: at("2026-10-13T10:30"))
            let moved = try await Engine(pack: after, store: store, resolver: PinningResolver(packs: [before.version: before]))
                .calendarDuties(at: at("2026-10-13T11:00")).moved
            // 10-19 on the new calendar, then 2 more working days.
            #expect(moved.map(\.to) == [at("2026-10-21T18:00")])
        }
    }

    @Test("a due time already passed stays: what happened at it is settled", arguments: [StoreKind.memory])
    func pastDueIsKept(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            let old = try Engine(pack: before, store: store)
            let c = try await dispatchedCase(old)
            _ = try await old.calendarDuties(at: at("2026-10-12T11:00"))
            let report = try await Engine(pack: after, store: store, resolver: PinningResolver(packs: [before.version: before]))
                .calendarDuties(at: at("2026-10-16T09:00"))
            #expect(report.adopted && report.moved.isEmpty)
            #expect(try await store.events(caseID: c.id).allSatisfy { $0.type != "clock_replanned" })
        }
    }

    @Test("a case pinned to an older pack is counted on the new calendar with its own clock lengths", arguments: StoreKind.allCases)
    func pinnedCaseIsReplanned(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            var pinnedPack = before
            pinnedPack.version = "v-old"
            let old = try Engine(pack: pinnedPack, store: store)
            let c = try await dispatchedCase(old)
            _ = try await old.calendarDuties(at: at("2026-10-12T11:00"))

            // The new pack answers in 1 working day and has the new holidays; the case keeps its 3 days.
            var current = after
            current.clocks[current.clocks.firstIndex { $0.id == "answer" }!].length = .workingDays(1, .endOfDay)
            let new = try Engine(pack: current, store: store, resolver: PinningResolver(packs: ["v-old": pinnedPack]))
            let report = try await new.calendarDuties(at: at("2026-10-13T09:00"))
            #expect(report.moved.map(\.to) == [at("2026-10-19T18:00")])
            #expect(try await new.state(of: c.id).packVersion == "v-old")
        }
    }

    @Test("calendarMoves lists the moves without writing", arguments: StoreKind.allCases)
    func movesBeforehand(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            let old = try Engine(pack: before, store: store)
            let c = try await dispatchedCase(old)
            let count = try await store.events(caseID: c.id).count
            let moves = try await old.calendarMoves(to: after.calendar, at: at("2026-10-13T09:00"))
            #expect(moves == [.init(caseNumber: c.number, run: "answer#1", from: at("2026-10-15T18:00"), to: at("2026-10-19T18:00"))])
            #expect(try await store.events(caseID: c.id).count == count)
            #expect(try await store.records(stream: Engine.calendarStream).isEmpty)
        }
    }

    /// TestPack with an administrator (a role holding `rules_admin`).
    var administered: RulePack {
        var p = TestPack.make()
        p.roles.append(RoleDef(id: "admin", name: "规则管理员", permissions: [.rulesAdmin]))
        p.people.append(PersonDef(id: "admin1", name: "管理员", unit: "center", roles: ["admin"]))
        return p
    }

    @Test("the administrators are told 60 days before the calendar runs out, then weekly until it is extended",
          arguments: StoreKind.allCases)
    func coverageNotice(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            let e = try Engine(pack: administered, store: store, notifier: CollectingNotifier())
            // TestPack's holidays cover 2026 only: coverage ends 2026-12-31.
            let early = try await e.calendarDuties(at: at("2026-11-01T09:00"))
            #expect(early.coverageDaysLeft == 61 && early.coverageEnd == LocalDate(year: 2026, month: 12, day: 31) && !early.noticeSent)
            let due = try await e.calendarDuties(at: at("2026-11-02T09:00"))
            #expect(due.coverageDaysLeft == 60 && due.noticeSent)
            let items = try await store.outbox(status: nil, limit: 10)
            #expect(items.count == 1)
            let n = try #require(items.first?.notification)
            #expect(n.kind == .calendar && n.recipients == ["admin1"] && n.period == "2027" && n.caseNumber == Engine.calendarStream)
            #expect(n.dueAt == at("2027-01-01T00:00"), "the first instant the calendar does not cover")
            guard case let .object(payload) = n.payload else { Issue.record("the payload is an object"); return }
            #expect(payload["kind"] == .string("calendar") && payload["period"] == .string("2027"))

            #expect(try await !e.calendarDuties(at: at("2026-11-05T09:00")).noticeSent, "not again within the week")
            #expect(try await e.calendarDuties(at: at("2026-11-09T09:00")).noticeSent, "again a week later")
            #expect(try await store.outbox(status: nil, limit: 10).count == 2)
            #expect(try await store.records(stream: Engine.calendarStream).filter { $0.type == "coverage_notice" }.count == 2)

            // The 2027 notice arrives: covered to 2027-12-31, nothing more is sent.
            var extended = administered
            extended.calendar.holidays.append(DatedDay(date: LocalDate(year: 2027, month: 1, day: 1), name: "new_years_day", label: "元旦"))
            let later = try await Engine(pack: extended, store: store, notifier: CollectingNotifier()).calendarDuties(at: at("2026-11-16T09:00"))
            #expect(later.coverageDaysLeft == 411 && !later.noticeSent)
            #expect(try await store.outbox(status: nil, limit: 10).count == 2)
        }
    }

    @Test func aDraftYearIsNotCoverage() throws {
        var rules = before.calendar
        rules.officialYears = [2026]
        rules.provisionalYears = [2027]
        let calendar = try BusinessCalendar(rules)
        let dec = LocalDate(year: 2026, month: 12, day: 7)
        #expect(calendar.coverageDaysLeft(from: dec) == 25)
        #expect(calendar.coverageDaysLeft(from: dec, includingProvisional: true) == 25 + 365)
        #expect(calendar.coverageDaysLeft(from: LocalDate(year: 2027, month: 1, day: 1)) == 0)
        #expect(calendar.coverage(from: at("2026-12-30T10:00"), to: at("2027-01-05T18:00")) == .provisional)
        #expect(calendar.coverage(from: at("2026-12-30T10:00"), to: at("2028-01-05T18:00")) == .uncovered)
        #expect(calendar.coverage(from: at("2026-10-12T10:00"), to: at("2026-10-15T18:00")) == .official)
    }

    @Test func recountReproducesPausedAndResumedClocks() throws {
        let planner = try Planner(pack: before)
        let run = ClockRun(clock: "answer", run: 1)
        let start = at("2026-10-12T10:00"), pause = at("2026-10-13T10:00"), resume = at("2026-10-16T09:00")
        let due = try planner.calendar.due(from: start, length: .workingDays(3, .endOfDay))
        let left = planner.calendar.businessSeconds(from: pause, to: due)
        let resumedDue = try planner.calendar.adding(businessSeconds: left, to: resume)
        func e(_ t: Date, _ b: EventBody) -> Event { Event(at: t, actor: "x", packVersion: "code", body: b) }
        let history = [e(start, .clockStarted(run, startedAt: start, dueAt: due)), e(pause, .clockPaused(run, remaining: left)),
                       e(resume, .clockResumed(run, dueAt: resumedDue))]
        #expect(try planner.recount(run, length: .workingDays(3, .endOfDay), in: history) == resumedDue)
        // On the new calendar the time left at the pause shrinks by the two new holidays' hours.
        let newPlanner = try Planner(pack: after)
        let newLeft = newPlanner.calendar.businessSeconds(from: pause, to: try newPlanner.calendar.due(from: start, length: .workingDays(3, .endOfDay)))
        #expect(try newPlanner.recount(run, length: .workingDays(3, .endOfDay), in: history)
            == (try newPlanner.calendar.adding(businessSeconds: newLeft, to: resume)))
        // An extension recorded without its length cannot be counted again: left alone.
        let old = history + [e(resume, .clockExtended(run, dueAt: resumedDue.addingTimeInterval(86_400), reason: "r", approver: "chief"))]
        #expect(try newPlanner.recount(run, length: .workingDays(3, .endOfDay), in: old) == nil)
    }
}

struct PinningResolver: PackResolver {
    var packs: [String: RulePack]
    func pack(version: String) async throws -> RulePack? { packs[version] }
}
