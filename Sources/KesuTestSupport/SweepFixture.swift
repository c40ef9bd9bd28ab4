import Foundation
import KesuKernel

/// A store holding more than a batch of cases the sweep cannot handle, ahead of one good case
/// whose reminder is due: the sweep must fire the good one, report the bad ones skipped and move
/// their wake-up on. Runs on any `CaseStore`, so the memory and SQLite tests share it.
public enum SweepFixture {
    public enum Bad: String, Sendable, CaseIterable, CustomStringConvertible {
        /// The scorer throws (an exec scorer plugin that is down) when their violations are due.
        case failingScorer = "failing-scorer"
        /// They run under a pack version the engine cannot provide.
        case rulesUnavailable = "rules-unavailable"
        /// Every write of events to them conflicts (another writer always got there first).
        case conflict
        /// Every write to them conflicts, even the sweep's move of their wake-up.
        case conflictEverywhere = "conflict-everywhere"
        public var description: String { rawValue }
    }

    /// The bad cases fell due on 2026-10-12 18:00; the good case's half-time reminder on 10-14 08:45.
    public static let now = TestPack.at("2026-10-14T12:00")

    public struct Run: Sendable {
        public var good: String
        public var bad: Set<String>
        /// The sweep at `now`, again at `now`, and after the bad cases' retry time.
        public var first: Engine.SweepReport
        public var again: Engine.SweepReport
        public var afterRetry: Engine.SweepReport
        public var retryInterval: TimeInterval
    }

    /// Fills `base` with `count` bad cases and the good one, and sweeps three times with `batch`.
    public static func run(_ kind: Bad, count: Int = 12, batch: Int = 5, store base: any CaseStore) async throws -> Run {
        let conflicting = ConflictingStore(base, summaryWritesConflict: kind == .conflictEverywhere)
        let store: any CaseStore = conflicting
        var retired = TestPack.make()
        retired.version = "retired-version"
        let makeBad = try Engine(pack: kind == .rulesUnavailable ? retired : TestPack.make(), store: store, scorer: FailingScorer())
        var bad = Set<String>()
        for _ in 0..<count {
            let c = try await makeBad.intake(fields: ["channel": "phone", "kind": "complaint", "description": "态度差", "category": "service",
                                                     "subject": kind == .failingScorer ? FailingScorer.down : "态度差"], by: "clerk1", at: TestPack.at("2026-10-08T08:40")).state
            try await makeBad.act(c.number, transition: "dispatch", fields: ["category": "service"], by: "chief", at: TestPack.at("2026-10-08T09:00"))
            bad.insert(c.number)
            if kind == .conflict || kind == .conflictEverywhere { await conflicting.conflict(on: c.id) }
        }
        // The sweeping engine: the current rules (not the retired ones), no resolver, the failing scorer.
        let engine = try Engine(pack: TestPack.make(), store: store, scorer: FailingScorer())
        let good = try await engine.intake(fields: ["channel": "phone", "kind": "complaint", "description": "送货慢", "category": "service"],
                                           by: "clerk1", at: TestPack.at("2026-10-12T08:40")).state.number
        try await engine.act(good, transition: "dispatch", fields: ["category": "service"], by: "chief", at: TestPack.at("2026-10-12T09:00"))
        let first = try await engine.sweep(at: now, batch: batch)
        let again = try await engine.sweep(at: now, batch: batch)
        let afterRetry = try await engine.sweep(at: now.addingTimeInterval(engine.sweepRetryInterval + 1), batch: batch)
        return Run(good: good, bad: bad, first: first, again: again, afterRetry: afterRetry, retryInterval: engine.sweepRetryInterval)
    }
}

/// A scorer that fails for cases whose subject says so, as an exec scorer plugin that is down would.
public struct FailingScorer: Scorer {
    public static let down = "scorer down"
    public struct Down: Error, CustomStringConvertible {
        public var description: String { "scorer plugin is not running" }
    }
    public init() {}
    public func deductions(for fact: ScoringFact, pack: RulePack) throws -> [Deduction] {
        if fact.fields["subject"] == Self.down { throw Down() }
        return try PointsScorer().deductions(for: fact, pack: pack)
    }
}

/// A store that reports a version conflict on every write of events to some cases (and, when
/// `summaryWritesConflict`, on every write to them): a case some other writer always changes first.
public actor ConflictingStore: ForwardingCaseStore {
    public nonisolated let base: any CaseStore
    let summaryWritesConflict: Bool
    var conflicting = Set<Int64>()

    public init(_ base: any CaseStore, summaryWritesConflict: Bool = false) {
        self.base = base
        self.summaryWritesConflict = summaryWritesConflict
    }

    public func conflict(on id: Int64) { conflicting.insert(id) }

    public func append(caseID: Int64, expectedVersion: Int, events: [Event], summary: CaseSummary, outbox: [OutboxEntry],
                       facts: [ReportFact]) async throws {
        if conflicting.contains(caseID), !events.isEmpty || summaryWritesConflict {
            throw StoreError.conflict(caseID: caseID, expected: expectedVersion, actual: expectedVersion + 1)
        }
        try await base.append(caseID: caseID, expectedVersion: expectedVersion, events: events, summary: summary, outbox: outbox, facts: facts)
    }
}
