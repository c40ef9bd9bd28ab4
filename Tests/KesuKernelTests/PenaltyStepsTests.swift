import Foundation
import KesuKernel
import KesuTestSupport
import Testing

/// What front ends offer: the steps a person may take on a recommendation now, who sees it, and who
/// has penalties on their menu — the same checks as the commands, which still check again.
@Suite struct PenaltyStepsTests {
    let base = PenaltyTests()
    func at(_ s: String) -> Date { TestPack.at(s) }

    @Test func stepsFollowTheProcedureTheStatusAndTheWindow() async throws {
        let (e, _) = try await base.quarterWithDeductions()
        let ref = PenaltyTests.person
        // Before the quarter ends the decider may not decide yet; nobody else ever.
        var p = try await e.penalty(ref, at: at("2026-12-01T10:00"))
        var chief = e.penaltySteps(p, for: "chief", at: at("2026-12-01T10:00"))
        #expect(!chief.decide && chief.decideAfterPeriod)
        p = try await e.penalty(ref, at: at(PenaltyTests.monday))
        chief = e.penaltySteps(p, for: "chief", at: at(PenaltyTests.monday))
        #expect(chief.decide && !chief.appeal && !chief.decideAppeal)
        #expect(!e.penaltySteps(p, for: "a_head", at: at(PenaltyTests.monday)).any)
        #expect(!e.penaltySteps(p, for: "a_handler", at: at(PenaltyTests.monday)).any)

        // Decided: the person concerned and their unit's head may appeal inside the window, another unit's head not.
        p = try await e.decidePenalty(ref, decision: "verbal_warning", reason: "r", by: "chief", at: at(PenaltyTests.monday))
        let inside = at("2027-01-07T17:59"), outside = at("2027-01-07T18:00:01+08:00")
        #expect(e.penaltySteps(p, for: "a_handler", at: inside).appeal)
        #expect(e.penaltySteps(p, for: "a_head", at: inside).appeal)
        #expect(!e.penaltySteps(p, for: "b_head", at: inside).appeal)
        #expect(!e.penaltySteps(p, for: "a_handler", at: outside).appeal)
        #expect(!e.penaltySteps(p, for: "chief", at: inside).decide)

        // Appealed: the decider reviews it; the one who appealed does not.
        p = try await e.appealPenalty(ref, reason: "r", by: "a_head", at: inside)
        #expect(e.penaltySteps(p, for: "chief", at: inside).decideAppeal)
        #expect(!e.penaltySteps(p, for: "a_head", at: inside).any)
        p = try await e.decidePenaltyAppeal(ref, outcome: .upheld, reason: "r", by: "chief", at: inside)
        #expect(!e.penaltySteps(p, for: "chief", at: inside).any)
    }

    @Test func whoSeesARecommendationAndWhoHasTheMenu() throws {
        let e = try Engine(pack: TestPack.make(), store: MemoryStore())
        let mine = PenaltyID(PenaltyTests.person)!, unit = PenaltyID(PenaltyTests.unit)!
        #expect(e.maySeePenalty(mine, by: "a_handler"))      // the person concerned
        #expect(e.maySeePenalty(mine, by: "a_head"))         // the head of their unit
        #expect(e.maySeePenalty(unit, by: "a_head"))
        #expect(e.maySeePenalty(mine, by: "chief"))          // the decider
        #expect(!e.maySeePenalty(mine, by: "b_head"))        // another unit's head
        #expect(!e.maySeePenalty(mine, by: "a_liaison"))     // a colleague without a part
        #expect(!e.maySeePenalty(mine, by: "audit1"))        // read-only, and no `reports` in this pack
        // People are penalised and may appeal their own: everyone has the menu; nobody without a procedure.
        #expect(e.takesPartInPenalties("a_liaison") && e.takesPartInPenalties("chief"))
        var none = TestPack.make()
        none.scoring.penaltyProcedure = nil
        #expect(!(try Engine(pack: none, store: MemoryStore())).takesPartInPenalties("chief"))
    }
}
