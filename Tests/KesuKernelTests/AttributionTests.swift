import Foundation
import KesuKernel
import KesuTestSupport
import Testing

/// Who answers for a late run when the case changes hands, and extensions granted late: a
/// violation goes to whoever held the case at the due time, and a run is on time or late, never both.
@Suite struct AttributionTests {
    func at(_ s: String) -> Date { TestPack.at(s) }

    /// TestPack with a 转派 (`transfer`: a new unit, stops the answer clock and starts a new run)
    /// and a re-assignment that does not touch the clock (`reassign`).
    static func transferPack(allowLate: Bool = false) -> RulePack {
        var p = TestPack.make()
        p.procedure.transitions += [
            TransitionDef(id: "transfer", name: "转派", from: ["dispatched"], to: [GuardedTarget(state: "dispatched")],
                          roles: ["center_head"], requires: ["handling_unit"]),
            TransitionDef(id: "reassign", name: "改派", from: ["dispatched"], to: [GuardedTarget(state: "dispatched")],
                          roles: ["center_head"], requires: ["handling_unit"]),
        ]
        let answer = p.clocks.firstIndex { $0.id == "answer" }!
        p.clocks[answer].stop.append("transfer")
        p.clocks[answer].start.append("transfer")
        p.clocks[answer].extensionRule?.allowLate = allowLate
        return p
    }

    /// A service complaint routed to unit_a and dispatched on 2026-10-08 09:00; its answer clock.
    func dispatched(_ e: Engine) async throws -> (number: String, answer: ClockState) {
        let c = try await e.intake(fields: ["channel": "phone", "kind": "complaint", "description": "态度差", "category": "service"],
                                   by: "clerk1", at: at("2026-10-08T08:40")).state
        let s = try await e.act(c.number, transition: "dispatch", fields: ["category": "service"], by: "chief", at: at("2026-10-08T09:00"))
        #expect(s.handlingUnit == "unit_a")
        return (c.number, s.clocks["answer"]!)
    }

    func deductions(_ e: Engine, _ number: String) async throws -> [String] {
        try await e.history(number).1.compactMap { ev in
            guard case let .deduction(cause, subject, points, occurredAt) = ev.body else { return nil }
            return "\(cause) \(subject.kind.rawValue):\(subject.id) \(points) \(ISO8601.format(occurredAt, in: TestPack.zone))"
        }
    }

    @Test func aLateTransferChargesTheUnitThatHeldTheClockAtItsDueTime() async throws {
        let e = try Engine(pack: Self.transferPack(), store: MemoryStore())
        let (number, answer) = try await dispatched(e)
        let s = try await e.act(number, transition: "transfer", fields: ["handling_unit": "unit_b"], by: "chief",
                                at: answer.dueAt.addingTimeInterval(3600))
        #expect(s.handlingUnit == "unit_b")
        let late = try #require(s.violations.first { $0.id == "late_answer" })
        #expect(late.unit == "unit_a")
        #expect(late.person == "a_liaison", "nobody was assigned: unit_a's liaison answers for it")
        #expect(late.occurredAt == answer.dueAt)
        let due = ISO8601.format(answer.dueAt, in: TestPack.zone)
        #expect(try await deductions(e, number) == ["violation:late_answer unit:unit_a 1.0 \(due)",
                                                    "violation:late_answer person:a_liaison 1.0 \(due)"])
        #expect(s.clocks["answer"]?.run.run == 2, "the transfer starts unit_b's own run")
    }

    @Test func aLateTransferRecordsWhatASweepAtTheDueTimeWouldHave() async throws {
        let swept = try Engine(pack: Self.transferPack(), store: MemoryStore())
        let unswept = try Engine(pack: Self.transferPack(), store: MemoryStore())
        let (a, answer) = try await dispatched(swept)
        let (b, _) = try await dispatched(unswept)
        let transferAt = answer.dueAt.addingTimeInterval(3600)
        _ = try await swept.sweep(at: answer.dueAt)
        let x = try await swept.act(a, transition: "transfer", fields: ["handling_unit": "unit_b"], by: "chief", at: transferAt)
        let y = try await unswept.act(b, transition: "transfer", fields: ["handling_unit": "unit_b"], by: "chief", at: transferAt)
        #expect(x.violations == y.violations)
        #expect(try await deductions(swept, a) == deductions(unswept, b))
    }

    @Test func aLateStopAfterAnEarlierReRouteChargesTheUnitAtTheDueTime() async throws {
        let e = try Engine(pack: Self.transferPack(), store: MemoryStore())
        let (number, answer) = try await dispatched(e)
        // Sent to unit_b after the due time without stopping the clock; unit_b answers, later still.
        try await e.act(number, transition: "reassign", fields: ["handling_unit": "unit_b"], by: "chief", at: answer.dueAt.addingTimeInterval(600))
        try await e.act(number, transition: "answer", fields: ["result": "已处理"], by: "b_liaison", at: answer.dueAt.addingTimeInterval(1200))
        let s = try await e.act(number, transition: "approve", by: "b_head", at: answer.dueAt.addingTimeInterval(1800))
        let late = try #require(s.violations.first { $0.id == "late_answer" })
        #expect((late.unit, late.person) == ("unit_a", "a_liaison"))
    }

    @Test func anOnTimeTransferCreditsTheUnitThatHeldTheRun() async throws {
        let e = try Engine(pack: Self.transferPack(), store: MemoryStore())
        let (number, _) = try await dispatched(e)
        try await e.act(number, transition: "transfer", fields: ["handling_unit": "unit_b"], by: "chief", at: at("2026-10-08T10:00"))
        let october = try Period.parse("2026-10", calendar: try BusinessCalendar(e.pack.calendar))
        let m = try await e.measures(period: october, by: .unit)
        #expect((m["unit_a"].answered, m["unit_a"].answeredOnTime) == (1, 1))
        #expect((m["unit_b"].answered, m["unit_b"].answeredOnTime) == (0, 0))
    }

    // MARK: extensions after the due time

    @Test func anExtensionAfterTheDueTimeIsRefusedAndChangesNothing() async throws {
        let store = MemoryStore()
        let e = try Engine(pack: Self.transferPack(), store: store)
        let (number, answer) = try await dispatched(e)
        let id = try await e.find(number).id
        let before = try await store.events(caseID: id)
        for late in [answer.dueAt, answer.dueAt.addingTimeInterval(3600)] {
            await #expect {
                try await e.extend(number, clock: "answer", by: .workingDays(1, .endOfDay), reason: "需调查", approver: "chief", at: late)
            } throws: { error in
                guard let k = error as? KesuError else { return false }
                return k.code == .forbidden && k.message.contains("was due at \(ISO8601.format(answer.dueAt, in: TestPack.zone))")
                    && k.message.contains("extensions must be granted before that")
            }
        }
        #expect(try await store.events(caseID: id) == before)
    }

    @Test(arguments: [true, false])
    func aLateExtensionTheRulesAllowLeavesTheRunLateOnce(sweptFirst: Bool) async throws {
        let e = try Engine(pack: Self.transferPack(allowLate: true), store: MemoryStore())
        let (number, answer) = try await dispatched(e)
        if sweptFirst { _ = try await e.sweep(at: answer.dueAt.addingTimeInterval(60)) }
        let extended = try await e.extend(number, clock: "answer", by: .workingDays(2, .endOfDay), reason: "需现场核实", approver: "chief",
                                          at: answer.dueAt.addingTimeInterval(3600))
        #expect(extended.violations.map(\.id) == ["late_answer"], "recorded once, by the sweep or by the late extension")
        #expect(extended.violations.first?.occurredAt == answer.dueAt)
        _ = try await e.sweep(at: answer.dueAt.addingTimeInterval(7200))
        try await e.act(number, transition: "answer", fields: ["result": "已处理"], by: "a_handler", at: answer.dueAt.addingTimeInterval(7300))
        let s = try await e.act(number, transition: "approve", by: "a_head", at: answer.dueAt.addingTimeInterval(7400))
        #expect(s.violations.map(\.id) == ["late_answer"])
        #expect(s.clocks["answer"]?.late == true, "stopped before the extended due time, but it was late")
        let october = try Period.parse("2026-10", calendar: try BusinessCalendar(e.pack.calendar))
        let m = try await e.measures(period: october, by: .unit)["unit_a"]
        #expect((m.answered, m.answeredOnTime, m.overdue, m.extensions) == (1, 0, 1, 1))
        #expect(m.onTimeRate == 0)
    }
}
