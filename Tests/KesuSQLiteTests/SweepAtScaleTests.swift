import Foundation
import KesuKernel
import KesuTestSupport
import Testing

/// The sweep on each store, with more than a batch of cases it cannot handle ahead of a good one
/// (a failing scorer, rules not held, endless conflicts): the good case fires, the bad ones are
/// reported skipped and their wake-up moved on, so the next sweep does not look at them again early.
@Test("sweep skips bad cases and reaches the rest", arguments: StoreKind.allCases, SweepFixture.Bad.allCases)
func sweepAtScale(kind: StoreKind, bad: SweepFixture.Bad) async throws {
    try await withStore(kind) { store in
        let run = try await SweepFixture.run(bad, store: store)
        let code: Engine.SweepReport.Skipped.Code = switch bad {
        case .failingScorer: .failed
        case .rulesUnavailable: .rulesUnavailable
        case .conflict, .conflictEverywhere: .conflict
        }
        #expect(run.first.fired.contains { $0.caseNumber == run.good && $0.type == "reminder" })
        #expect(Set(run.first.skipped.map(\.caseNumber)) == run.bad)
        #expect(run.first.skipped.allSatisfy { $0.code == code })
        if bad == .conflictEverywhere {
            #expect(Set(run.again.skipped.map(\.caseNumber)) == run.bad)
        } else {
            #expect(run.first.skipped.allSatisfy { $0.retryAt == SweepFixture.now.addingTimeInterval(run.retryInterval) })
            #expect(run.again.casesExamined == 0)
            #expect(Set(run.afterRetry.skipped.map(\.caseNumber)) == run.bad)
        }
    }
}
