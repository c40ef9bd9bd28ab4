import Foundation
import KesuKernel
import KesuTestSupport
import Testing

/// The procedure engine on the in-memory store with a generic pack built in code.
@Suite struct EngineTests {
    let pack = TestPack.make()
    func at(_ s: String) -> Date { TestPack.at(s) }

    func engine(_ store: MemoryStore = MemoryStore(), notifier: (any Notifier)? = nil) throws -> Engine {
        try Engine(pack: pack, store: store, notifier: notifier)
    }

    func register(_ e: Engine, category: String = "service", at time: String = "2026-09-30T10:00", extra: [String: String] = [:]) async throws -> CaseState {
        try await e.intake(fields: ["channel": "phone", "kind": "complaint", "description": "送货员态度差", "category": category].merging(extra) { $1 },
                           by: "clerk1", at: at(time)).state
    }

    @Test func intakeNumbersRoutesAndStartsClocks() async throws {
        let e = try engine()
        let first = try await register(e)
        let second = try await register(e, category: "delivery")
        #expect(first.number == "T-2026-000001")
        #expect(second.number == "T-2026-000002")
        #expect(first.state == "registered")
        #expect(first.handlingUnit == "unit_a")
        #expect(first.routingRule == "R2")
        #expect(second.handlingUnit == "unit_b")
        // first_look: 4 working hours from Wed 09-30 10:00 → 10:00–12:00 + 14:30–16:30.
        #expect(first.clocks["first_look"]?.dueAt == at("2026-09-30T16:30"))
    }

    @Test func intakeProposesCategoryFromKeywords() async throws {
        let e = try engine()
        let r = try await e.intake(fields: ["channel": "phone", "kind": "complaint", "description": "送货总是迟到"], by: "clerk1", at: at("2026-09-30T10:00"))
        #expect(r.proposedCategory == "delivery")
        #expect(r.state.fields["category"] == nil)
        #expect(r.state.handlingUnit == "center")   // the fallback, until classified
        #expect(r.state.routingRule == "R9")
    }

    @Test(arguments: [
        (["category": "license", "region": "north"], "county", "R1"),
        (["category": "license", "region": "city"], "center", "R9"),   // city names no unit: falls through
        (["category": "license"], "center", "R9"),
        (["category": "service", "region": "north"], "unit_a", "R2"),
        (["category": "other"], "center", "R9"),
    ])
    func routingFirstMatchWins(fields: [String: String], unit: String, rule: String) {
        let d = Router(pack: pack).route(fields)
        #expect(d?.unit == unit)
        #expect(d?.ruleID == rule)
        #expect(d?.skipped.map(\.ruleID) == pack.routing.prefix { $0.id != rule }.map(\.id))
    }

    @Test func refusedCommandsWriteNothing() async throws {
        let store = MemoryStore()
        let e = try engine(store)
        let c = try await register(e)
        let before = try await store.events(caseID: c.id)
        let summaryBefore = try await store.summary(caseID: c.id)
        let attempts: [(String, [String: String], String, KesuError.Code)] = [
            ("answer", ["result": "x"], "a_handler", .wrongState),               // not dispatched yet
            ("dispatch", ["category": "service"], "clerk1", .forbidden),         // clerk may not dispatch
            ("dispatch", [:], "chief", .missingField),                          // category required
            ("dispatch", ["category": "servise"], "chief", .invalidValue),      // not a category
            ("dispatch", ["category": "service", "colour": "red"], "chief", .unknownField),
            ("dispach", [:], "chief", .unknownTransition),
            ("answer_on_spot", ["result": "x"], "clerk1", .wrongState),          // only for inquiries
            ("dispatch", ["category": "service"], "nobody", .unknownUser),
            ("dispatch", ["category": "service"], "audit1", .forbidden),
        ]
        for (t, fields, who, code) in attempts {
            await #expect {
                try await e.act(c.number, transition: t, fields: fields, by: who, at: at("2026-09-30T11:00"))
            } throws: { ($0 as? KesuError)?.code == code }
        }
        #expect(try await store.events(caseID: c.id) == before)
        #expect(try await store.summary(caseID: c.id) == summaryBefore)
    }

    @Test func refusalsSayWhyAndSuggest() async throws {
        let e = try engine()
        let c = try await register(e)
        do {
            try await e.act(c.number, transition: "dispach", by: "chief", at: at("2026-09-30T11:00"))
            Issue.record("expected a refusal")
        } catch let error as KesuError {
            #expect(error.message.contains("did you mean 'dispatch'"))
        }
        do {
            try await e.act(c.number, transition: "answer", fields: ["result": "x"], by: "a_handler", at: at("2026-09-30T11:00"))
            Issue.record("expected a refusal")
        } catch let error as KesuError {
            #expect(error.message.contains("registered"))
            #expect(error.message.contains("dispatch"))
        }
    }

    @Test func unitScopedRolesActOnlyOnTheirUnitsCases() async throws {
        let e = try engine()
        let c = try await register(e)
        try await e.act(c.number, transition: "dispatch", fields: ["category": "service"], by: "chief", at: at("2026-09-30T11:00"))
        await #expect(throws: KesuError.self) {
            try await e.act(c.number, transition: "answer", fields: ["result": "x"], by: "b_liaison", at: at("2026-09-30T12:00"))
        }
        let s = try await e.act(c.number, transition: "answer", fields: ["result": "已处理"], by: "a_handler", at: at("2026-09-30T12:00"))
        #expect(s.state == "answered")
        #expect(s.assignee == "a_handler")
    }

    @Test func wholeLifeWithUnsatisfiedCallbackAndRedispatch() async throws {
        let store = MemoryStore()
        let e = try engine(store)
        let c = try await register(e)
        var s = try await e.act(c.number, transition: "dispatch", fields: ["category": "service", "level": "general"], by: "chief", at: at("2026-09-30T11:00"))
        #expect(s.state == "dispatched")
        #expect(s.clocks["first_look"]?.status == .stopped)
        #expect(s.clocks["answer"]?.dueAt == at("2026-10-10T18:00"))     // across National Day, 调休 Saturday counts
        s = try await e.act(c.number, transition: "answer", fields: ["result": "已道歉"], by: "a_handler", at: at("2026-10-08T09:00"))
        s = try await e.act(c.number, transition: "approve", by: "a_head", at: at("2026-10-08T10:00"))
        #expect(s.state == "callback_pending")
        #expect(s.clocks["answer"]?.status == .stopped)
        #expect(s.clocks["answer"]?.late == false)
        s = try await e.act(c.number, transition: "callback", fields: ["satisfaction": "unsatisfied"], by: "clerk1", at: at("2026-10-09T10:00"))
        #expect(s.state == "redispatch_pending")
        #expect(s.outcomes == ["unsatisfied_callback"])
        s = try await e.act(c.number, transition: "redispatch", fields: ["handling_unit": "unit_b"], by: "clerk1", at: at("2026-10-09T11:00"))
        #expect(s.handlingUnit == "unit_b")
        #expect(s.routingRule == "manual")
        #expect(s.clocks["answer"]?.run.run == 2)
        #expect(s.clocks["answer"]?.dueAt == at("2026-10-13T18:00"))   // Fri 10-09 → Sat 10-10 (调休), Mon 12, Tue 13
        s = try await e.act(c.number, transition: "answer", fields: ["result": "已补送"], by: "b_liaison", at: at("2026-10-12T09:00"))
        s = try await e.act(c.number, transition: "approve", by: "b_head", at: at("2026-10-12T10:00"))
        s = try await e.act(c.number, transition: "callback", fields: ["satisfaction": "satisfied"], by: "clerk1", at: at("2026-10-12T15:00"))
        #expect(s.state == "closed")
        #expect(s.isClosed)
        #expect(s.runningClocks.isEmpty)
        await #expect(throws: KesuError.self) {
            try await e.act(c.number, transition: "redispatch", by: "clerk1", at: at("2026-10-12T16:00"))
        }
        let events = try await store.events(caseID: c.id)
        #expect(events.map(\.seq) == Array(1...events.count))
        #expect(events.allSatisfy { $0.packVersion == pack.version })
        let deductions = events.compactMap { e -> Double? in if case let .deduction(_, _, p, _) = e.body { p } else { nil } }
        #expect(deductions == [0.5])   // the unsatisfied callback, against unit_a
    }

    @Test func sweepFiresEachStepOnceAndRecordsViolations() async throws {
        let store = MemoryStore()
        let notifier = CollectingNotifier()
        let e = try engine(store, notifier: notifier)
        let c = try await register(e)
        try await e.act(c.number, transition: "dispatch", fields: ["category": "service"], by: "chief", at: at("2026-09-30T11:00"))
        // Nothing due yet on 10-08 morning.
        #expect(try await e.sweep(at: at("2026-10-08T08:00")).fired.isEmpty)
        // Half of the business time (3 working days from 09-30 11:00 to 10-10 18:00) has passed by 10-09.
        let half = try await e.sweep(at: at("2026-10-09T12:00"))
        #expect(half.fired.map(\.type) == ["reminder"])
        #expect(half.fired.first?.recipients == ["a_liaison"])
        #expect(try await e.sweep(at: at("2026-10-09T12:00")).fired.isEmpty)
        // Past due (10-10 18:00) and 8 working hours more (Mon 10-12 has 7, so Tue 09:30):
        // the reminder at due, the escalation, late_answer and stalling — once.
        let late = try await e.sweep(at: at("2026-10-13T09:30"))
        #expect(late.fired.map(\.type).sorted() == ["escalation", "reminder", "violation", "violation"])
        #expect(late.fired.compactMap(\.violation).sorted() == ["late_answer", "stalling"])
        let again = try await e.sweep(at: at("2026-10-14T18:00"))
        #expect(again.fired.isEmpty)
        let s = try await e.find(c.number)
        #expect(s.violations.map(\.id).sorted() == ["late_answer", "stalling"])
        #expect(s.violations.first { $0.id == "late_answer" }?.occurredAt == at("2026-10-10T18:00"))
        #expect(s.violations.first { $0.id == "late_answer" }?.person == "a_liaison")   // nobody assigned: the liaison answers
        #expect(s.violations.first { $0.id == "stalling" }?.occurredAt == at("2026-10-13T09:30"))
        #expect(await notifier.delivered.count == 0, "the sweep enqueues in its commits; it delivers nothing")
        #expect(try await store.outbox(status: .pending, limit: 10).count == 5)
        #expect(try await e.deliverOutbox(at: at("2026-10-14T18:00")).delivered == 5)
        #expect(await notifier.delivered.count == 5)
        // Stopping the late clock afterwards does not record late_answer again.
        try await e.act(c.number, transition: "answer", fields: ["result": "x"], by: "a_handler", at: at("2026-10-14T09:00"))
        let closed = try await e.act(c.number, transition: "approve", by: "a_head", at: at("2026-10-14T10:00"))
        #expect(closed.violations.filter { $0.id == "late_answer" }.count == 1)
        #expect(closed.clocks["answer"]?.late == true)
        #expect(try await store.dueForSweep(at: at("2026-12-31T00:00"), limit: 10).isEmpty == false)   // callback clock
    }

    @Test func aStaleWakeupIsRefreshedSoTheSweepStopsComingBack() async throws {
        let store = MemoryStore()
        let c = try await register(try engine(store))
        try await engine(store).act(c.number, transition: "dispatch", fields: ["category": "service"], by: "chief", at: at("2026-09-30T11:00"))
        // New rules: the answer clock no longer reminds or records anything.
        var quiet = pack
        for i in quiet.clocks.indices { quiet.clocks[i].ladder = nil; quiet.clocks[i].violation = nil }
        let later = try Engine(pack: quiet, store: store)
        #expect(try await store.dueForSweep(at: at("2026-10-20T00:00"), limit: 10) == [c.id])
        let report = try await later.sweep(at: at("2026-10-20T00:00"))
        #expect(report.casesExamined == 1)
        #expect(report.fired.isEmpty)
        #expect(try await store.dueForSweep(at: at("2026-10-20T00:00"), limit: 10).isEmpty)
        #expect(try await store.events(caseID: c.id).count == (try await engine(store).find(c.number)).version)
    }

    @Test func lateStopWithoutSweepStillRecordsTheViolation() async throws {
        let e = try engine()
        let c = try await register(e)
        try await e.act(c.number, transition: "dispatch", fields: ["category": "service"], by: "chief", at: at("2026-09-30T11:00"))
        // Answered (and so assigned) before the due time (10-10 18:00), approved after it.
        try await e.act(c.number, transition: "answer", fields: ["result": "x"], by: "a_handler", at: at("2026-10-08T09:00"))
        let s = try await e.act(c.number, transition: "approve", by: "a_head", at: at("2026-10-12T10:00"))
        #expect(s.violations.map(\.id) == ["late_answer"])
        #expect(s.violations.first?.person == "a_handler", "the assignee when the clock fell due")
    }

    @Test func extensionMovesTheDueTimeWithinTheRules() async throws {
        let e = try engine()
        let c = try await register(e)
        try await e.act(c.number, transition: "dispatch", fields: ["category": "service"], by: "chief", at: at("2026-09-30T11:00"))
        await #expect(throws: KesuError.self) {   // needs an approver role
            try await e.extend(c.number, clock: "answer", by: .workingDays(1, .endOfDay), reason: "需调查", approver: "a_head", at: at("2026-10-08T09:00"))
        }
        await #expect(throws: KesuError.self) {   // more than the pack allows
            try await e.extend(c.number, clock: "answer", by: .workingDays(3, .endOfDay), reason: "需调查", approver: "chief", at: at("2026-10-08T09:00"))
        }
        await #expect(throws: KesuError.self) {   // a reason is required
            try await e.extend(c.number, clock: "answer", by: .workingDays(1, .endOfDay), reason: " ", approver: "chief", at: at("2026-10-08T09:00"))
        }
        let s = try await e.extend(c.number, clock: "answer", by: .workingDays(2, .endOfDay), reason: "需现场核实", approver: "chief", at: at("2026-10-08T09:00"))
        #expect(s.clocks["answer"]?.dueAt == at("2026-10-13T18:00"))   // 10-10 (调休) + Mon 12, Tue 13
        #expect(s.clocks["answer"]?.extensions.first?.approver == "chief")
        await #expect(throws: KesuError.self) {   // only one extension
            try await e.extend(c.number, clock: "answer", by: .workingDays(1, .endOfDay), reason: "再延", approver: "chief", at: at("2026-10-08T10:00"))
        }
    }

    @Test func scoresAddUpRecordedDeductionsWithThresholds() async throws {
        let e = try engine()
        for i in 0..<2 {
            let c = try await register(e, extra: ["level": "major", "respondent_person": "a_handler"])
            try await e.act(c.number, transition: "dispatch", fields: ["category": "service"], by: "chief", at: at("2026-09-30T11:00"))
            // Assigned to a_handler before the due time: the late answers are theirs.
            try await e.act(c.number, transition: "answer", fields: ["result": "x", "fault": i == 0 ? "ours" : "none"], by: "a_handler", at: at("2026-10-08T09:00"))
            try await e.act(c.number, transition: "approve", by: "a_head", at: at("2026-10-12T10:00"))
        }
        let calendar = try BusinessCalendar(pack.calendar)
        let q4 = try Period.parse("2026Q4", calendar: calendar)
        let q3 = try Period.parse("2026Q3", calendar: calendar)
        let units = try await e.scores(period: q4, by: .unit)
        let unitA = try #require(units.rows.first { $0.subject.id == "unit_a" })
        // Two late answers (occurred 10-10, Q4) at 1 point, one fault found on a major case at 5.
        #expect(unitA.deducted == 7)
        #expect(unitA.score == 93)
        #expect(unitA.items.map(\.ruleID).sorted() == ["S1", "S1", "S5"])
        #expect(units.rows.first { $0.subject.id == "unit_b" }?.score == 100)
        let people = try await e.scores(period: q4, by: .person)
        let handler = try #require(people.rows.first { $0.subject.id == "a_handler" })
        #expect(handler.deducted == 5)              // 1 + 1 late answers, 3 as the respondent
        #expect(handler.recommendation == "written_warning")
        #expect(try await e.scores(period: q3, by: .unit).rows.allSatisfy { $0.deducted == 0 })
        #expect(try await e.scores(period: q4, by: .unit) == units)   // reruns do not drift
    }

    @Test(arguments: [
        ("2026-10", "2026-10-01T00:00", "2026-11-01T00:00"),
        ("2026-12", "2026-12-01T00:00", "2027-01-01T00:00"),
        ("2026Q3", "2026-07-01T00:00", "2026-10-01T00:00"),
        ("2026q4", "2026-10-01T00:00", "2027-01-01T00:00"),
        ("2026", "2026-01-01T00:00", "2027-01-01T00:00"),
    ])
    func periodsAreWholeMonthsQuartersAndYearsInThePacksZone(_ text: String, start: String, end: String) throws {
        let p = try Period.parse(text, calendar: BusinessCalendar(pack.calendar))
        #expect(p.start == at(start))
        #expect(p.end == at(end))
        #expect(p.label == text.uppercased())
    }

    @Test func badPeriodIsRefused() throws {
        #expect(throws: KesuError.self) { try Period.parse("2026Q5", calendar: BusinessCalendar(pack.calendar)) }
    }

    @Test func aStaleVersionIsRefused() async throws {
        let e = try engine()
        let c = try await register(e)
        await #expect { try await e.act(c.number, transition: "dispatch", fields: ["category": "service"], by: "chief", at: at("2026-09-30T11:00"), expectedVersion: c.version - 1) }
            throws: { ($0 as? KesuError)?.code == .conflict }
    }
}

/// Intake with an idempotency key: a client that got no answer can retry safely.
@Suite struct IdempotentIntakeTests {
    @Test func aRetryReturnsTheFirstCaseAndOtherFieldsAreRefused() async throws {
        let store = MemoryStore()
        let e = try Engine(pack: TestPack.make(), store: store)
        let fields = ["channel": "phone", "kind": "complaint", "description": "送货员态度差", "category": "service"]
        let first = try await e.intake(fields: fields, by: "clerk1", at: TestPack.at("2026-09-30T10:00"), idempotencyKey: "call-42")
        let retry = try await e.intake(fields: fields, by: "clerk1", at: TestPack.at("2026-09-30T10:01"), idempotencyKey: "call-42")
        #expect(!first.replayed && retry.replayed)
        #expect(retry.state.number == first.state.number)
        #expect(retry.state.openedAt == TestPack.at("2026-09-30T10:00"), "the first call's case, as it was written")
        #expect(try await store.count(CaseQuery()) == 1)
        await #expect {
            try await e.intake(fields: fields.merging(["description": "另一件事"]) { $1 }, by: "clerk1",
                               at: TestPack.at("2026-09-30T10:02"), idempotencyKey: "call-42")
        } throws: { ($0 as? KesuError)?.code == .idempotencyMismatch && ($0 as? KesuError)?.message.contains(first.state.number) == true }
        #expect(try await store.count(CaseQuery()) == 1)
    }
}
