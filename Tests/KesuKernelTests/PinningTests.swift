import Foundation
import KesuKernel
import KesuTestSupport
import Testing

/// A case keeps the rules it started under; only a transition the pack marks
/// `adopt_current_rules` moves it onto the pack in force.
@Suite struct PinningTests {
    func at(_ s: String) -> Date { TestPack.at(s) }

    struct Shelf: PackResolver {
        var packs: [String: RulePack]
        func pack(version: String) async throws -> RulePack? { packs[version] }
    }

    /// The old rules: answers due in 3 working days.
    var old: RulePack { var p = TestPack.make(); p.version = "v-old"; return p }
    /// The new rules: answers due in 1 working day, and re-dispatch adopts them.
    var new: RulePack {
        var p = TestPack.make()
        p.version = "v-new"
        p.clocks[p.clocks.firstIndex { $0.id == "answer" }!].length = .workingDays(1, .endOfDay)
        p.procedure.transitions[p.procedure.transitions.firstIndex { $0.id == "redispatch" }!].adoptCurrentRules = true
        return p
    }
    let snapshot = PackSnapshot(version: "v-old", packID: "test", name: "测试", root: "rules/test", files: ["rules/test/pack.yaml": "pack: {}\n"])

    func intake(_ e: Engine, at time: String) async throws -> CaseState {
        try await e.intake(fields: ["channel": "phone", "kind": "complaint", "description": "态度差", "category": "service"],
                           by: "clerk1", at: at(time)).state
    }

    @Test func aCaseKeepsItsRulesAfterThePackChanges() async throws {
        let store = MemoryStore()
        let before = try Engine(pack: old, store: store, snapshot: snapshot)
        let pinned = try await intake(before, at: "2026-10-12T09:00")
        #expect(try await store.pack(version: "v-old") == snapshot, "the sources are kept before the first write")

        let after = try Engine(pack: new, store: store, resolver: Shelf(packs: ["v-old": old]))
        // Dispatched Mon 10-12: under the old rules 3 working days → Thu 10-15 at close; under the new, Tue 10-13.
        let s = try await after.act(pinned.number, transition: "dispatch", fields: ["category": "service"], by: "chief", at: at("2026-10-12T10:00"))
        #expect(s.packVersion == "v-old")
        #expect(s.clocks["answer"]?.dueAt == at("2026-10-15T18:00"))
        let fresh = try await intake(after, at: "2026-10-12T09:30")
        let f = try await after.act(fresh.number, transition: "dispatch", fields: ["category": "service"], by: "chief", at: at("2026-10-12T10:00"))
        #expect(f.packVersion == "v-new")
        #expect(f.clocks["answer"]?.dueAt == at("2026-10-13T18:00"))
        #expect(try await store.events(caseID: pinned.id).allSatisfy { $0.packVersion == "v-old" })

        let uses = try await store.packVersions()
        #expect(uses.map(\.version) == ["v-old", "v-new"])
        #expect(uses.map(\.cases) == [1, 1])
    }

    @Test func aTransitionMarkedAdoptCurrentRulesMovesTheCase() async throws {
        let store = MemoryStore()
        let c = try await intake(try Engine(pack: old, store: store), at: "2026-10-12T09:00")
        let e = try Engine(pack: new, store: store, resolver: Shelf(packs: ["v-old": old]))
        try await e.act(c.number, transition: "dispatch", fields: ["category": "service"], by: "chief", at: at("2026-10-12T10:00"))
        try await e.act(c.number, transition: "answer", fields: ["result": "已处理"], by: "a_handler", at: at("2026-10-12T11:00"))
        try await e.act(c.number, transition: "approve", by: "a_head", at: at("2026-10-12T14:30"))
        var s = try await e.act(c.number, transition: "callback", fields: ["satisfaction": "unsatisfied"], by: "clerk1", at: at("2026-10-12T15:00"))
        #expect(s.packVersion == "v-old")
        s = try await e.act(c.number, transition: "redispatch", by: "clerk1", at: at("2026-10-13T09:00"))
        #expect(s.packVersion == "v-new")
        // The new run of the answer clock follows the new rules: 1 working day.
        #expect(s.clocks["answer"]?.run.run == 2)
        #expect(s.clocks["answer"]?.dueAt == at("2026-10-14T18:00"))
        #expect(try await store.summary(caseID: c.id)?.packVersion == "v-new")
        let folded = CaseState(events: try await store.events(caseID: c.id))
        #expect(folded.packVersion == "v-new", "the fold agrees with what the command returned")
    }

    @Test func rulesTheStoreDoesNotHoldAreARefusalThatWritesNothing() async throws {
        let store = MemoryStore()
        let c = try await intake(try Engine(pack: old, store: store), at: "2026-10-12T09:00")
        let e = try Engine(pack: new, store: store)
        let before = try await store.events(caseID: c.id)
        await #expect {
            try await e.act(c.number, transition: "dispatch", fields: ["category": "service"], by: "chief", at: at("2026-10-12T10:00"))
        } throws: { error in
            guard let k = error as? KesuError else { return false }
            return k.code == .rulesUnavailable && k.message.contains("v-old") && k.suggestion == .rulesHistory && !k.message.contains("kesu")
        }
        #expect(try await store.events(caseID: c.id) == before)
    }

    @Test func theSweepFiresEachCaseUnderItsOwnRules() async throws {
        let store = MemoryStore()
        let o = try Engine(pack: old, store: store)
        let c = try await intake(o, at: "2026-10-12T09:00")
        try await o.act(c.number, transition: "dispatch", fields: ["category": "service"], by: "chief", at: at("2026-10-12T10:00"))
        let e = try Engine(pack: new, store: store, resolver: Shelf(packs: ["v-old": old]))
        // Under the new rules the answer would be late since Tue 10-13 18:00; under its own (Thu 10-15) it is not.
        let report = try await e.sweep(at: at("2026-10-14T12:00"))
        #expect(try await store.events(caseID: c.id).contains { $0.type == "violation" } == false)
        #expect(report.fired.allSatisfy { $0.violation == nil })
        let late = try await e.sweep(at: at("2026-10-16T09:00"))
        #expect(late.fired.contains { $0.caseNumber == c.number && $0.violation == "late_answer" })
        #expect(try await store.events(caseID: c.id).filter { $0.type == "violation" }.allSatisfy { $0.packVersion == "v-old" })
    }
}
