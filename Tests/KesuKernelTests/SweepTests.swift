import Foundation
import KesuKernel
import KesuTestSupport
import Testing

/// One bad case never stops the sweep: more than a batch of cases it cannot handle ahead of a
/// good one, on the in-memory store (KesuSQLiteTests runs the same on SQLite).
@Suite struct SweepTests {
    @Test(arguments: SweepFixture.Bad.allCases)
    func badCasesAreSkippedAndTheGoodCaseStillFires(kind: SweepFixture.Bad) async throws {
        let run = try await SweepFixture.run(kind, store: MemoryStore())
        SweepExpectations.check(run, kind)
    }
}

enum SweepExpectations {
    static func check(_ run: SweepFixture.Run, _ kind: SweepFixture.Bad, sourceLocation: Testing.SourceLocation = #_sourceLocation) {
        let code: Engine.SweepReport.Skipped.Code = switch kind {
        case .failingScorer: .failed
        case .rulesUnavailable: .rulesUnavailable
        case .conflict, .conflictEverywhere: .conflict
        }
        let first = run.first
        #expect(first.fired.contains { $0.caseNumber == run.good && $0.type == "reminder" },
                "the good case's reminder fires behind \(run.bad.count) bad cases", sourceLocation: sourceLocation)
        #expect(!first.fired.contains { run.bad.contains($0.caseNumber) }, sourceLocation: sourceLocation)
        #expect(Set(first.skipped.map(\.caseNumber)) == run.bad, sourceLocation: sourceLocation)
        #expect(first.skipped.allSatisfy { $0.code == code && !$0.reason.isEmpty }, "\(first.skipped)", sourceLocation: sourceLocation)
        #expect(first.problems.count == run.bad.count, sourceLocation: sourceLocation)
        #expect(first.casesExamined == run.bad.count + 1, sourceLocation: sourceLocation)
        if kind == .failingScorer {
            #expect(first.skipped.allSatisfy { $0.reason.contains("scorer plugin is not running") }, sourceLocation: sourceLocation)
        }
        if kind == .conflictEverywhere {
            // Its wake-up cannot be moved: said so, and the next sweep looks at it again.
            #expect(first.skipped.allSatisfy { $0.retryAt == nil }, sourceLocation: sourceLocation)
            #expect(Set(run.again.skipped.map(\.caseNumber)) == run.bad, sourceLocation: sourceLocation)
            #expect(run.again.fired.isEmpty, sourceLocation: sourceLocation)
            return
        }
        let retryAt = SweepFixture.now.addingTimeInterval(run.retryInterval)
        #expect(first.skipped.allSatisfy { $0.retryAt == retryAt }, sourceLocation: sourceLocation)
        // Their wake-up moved on: a second sweep at the same time examines nothing.
        #expect(run.again.casesExamined == 0, "\(run.again)", sourceLocation: sourceLocation)
        // After the retry time they are looked at (and skipped) again; the good case stays done.
        #expect(Set(run.afterRetry.skipped.map(\.caseNumber)) == run.bad, sourceLocation: sourceLocation)
        #expect(!run.afterRetry.fired.contains { $0.caseNumber == run.good }, sourceLocation: sourceLocation)
    }
}
