import Foundation
import KesuKernel
import KesuTestSupport
import Testing

@Suite struct PackDiffTests {
    func at(_ s: String) -> Date { TestPack.at(s) }

    @Test func routesAddedRemovedChangedAndMoved() {
        let old = TestPack.make()
        var new = old
        new.routing.removeAll { $0.id == "R3" }                               // removed
        new.routing.swapAt(0, 1)                                               // R2 now before R1
        new.routing.insert(RouteRule(id: "R4", when: [FieldCondition(field: "category", test: .equals("other"))],
                                     target: .unit("unit_b")), at: 2)          // added
        new.routing[new.routing.count - 1].target = .unit("unit_a")            // R9 changed
        new.routing[0].location = SourceLocation(file: "elsewhere.yaml", line: 9, column: 3)   // moving text is no change
        let diff = PackDiff(old: old, new: new)
        let routing = diff.changes.filter { $0.section == "routing" }
        #expect(routing.contains { $0.id == "R3" && $0.kind == .removed })
        #expect(routing.contains { $0.id == "R4" && $0.kind == .added })
        #expect(routing.contains { $0.id == "R9" && $0.kind == .changed && $0.details == ["target: unit(center) → unit(unit_a)"] })
        #expect(routing.filter { $0.kind == .moved }.map(\.id) == ["R2", "R1"])
        #expect(diff.changes.allSatisfy { $0.section == "routing" }, "\(diff.changes)")
    }

    @Test func clocksLaddersAndScoringRules() {
        let old = TestPack.make()
        var new = old
        new.clocks[0].length = .workingDays(2, .endOfDay)
        new.ladders[0].steps[2] = LadderStep(at: .afterDue(minutes: 240), escalateTo: ["center_head"], violation: "stalling")
        new.scoring.rules[0].unitPoints = 2
        let diff = PackDiff(old: old, new: new)
        #expect(diff.changes.map { "\($0.section) \($0.id)" } == ["clocks answer", "ladders answer_ladder", "scoring.rules S1"])
        #expect(diff.changes[0].details == ["length: 3 working day(s), end_of_day → 2 working day(s), end_of_day"])
        #expect(diff.changes[2].details == ["unitPoints: 1.0 → 2.0"])
        #expect(PackDiff(old: old, new: old).isEmpty)
    }

    @Test func whereAKeyWasWrittenIsNoChange() {
        let old = TestPack.make()
        var new = old
        new.ladders[0].steps[2].violationLocation = SourceLocation(file: "elsewhere.yaml", line: 4, column: 9)
        new.scoring.rules[4].personLocation = SourceLocation(file: "elsewhere.yaml", line: 7, column: 7)
        #expect(PackDiff(old: old, new: new).isEmpty)
    }

    @Test func commandsAreRecoveredFromEventsWithExtensionLengths() async throws {
        let pack = TestPack.make()
        let store = MemoryStore()
        let e = try Engine(pack: pack, store: store)
        let c = try await e.intake(fields: ["channel": "phone", "kind": "complaint", "description": "x", "category": "service"],
                                   by: "clerk1", at: at("2026-10-12T09:00")).state
        try await e.act(c.number, transition: "dispatch", fields: ["category": "service"], by: "chief", at: at("2026-10-12T10:00"))
        try await e.extend(c.number, clock: "answer", by: .workingDays(2, .endOfDay), reason: "需现场核实", approver: "chief", at: at("2026-10-13T10:00"))
        let events = try await store.events(caseID: c.id)
        let commands = CaseCommand.recover(from: events, calendar: try BusinessCalendar(pack.calendar))
        #expect(commands.count == 3)
        #expect(commands.last == .extend(clock: "answer", length: .workingDays(2, .endOfDay), reason: "需现场核实", approver: "chief", at: at("2026-10-13T10:00")))

        // Replayed under the same pack, the case comes out as it was stored.
        let outcome = try await CaseReplayer(pack: pack).replay(commands, until: at("2026-10-13T11:00"))
        let stored = CaseState(events: events)
        #expect(outcome.refused.isEmpty)
        #expect(outcome.handlingUnit == stored.handlingUnit)
        #expect(outcome.due["answer#1"] == stored.clocks["answer"]?.dueAt)
        #expect(outcome.state == stored.state)
    }
}
