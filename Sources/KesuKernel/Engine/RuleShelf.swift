import Foundation

/// Finds the rules of a pack version that is no longer the one loaded (the CLI and server
/// read the sources the store kept and load them again).
public protocol PackResolver: Sendable {
    func pack(version: String) async throws -> RulePack?
}

/// The engine's rules: the pack in force, older versions that cases are pinned to (loaded on
/// first use and kept, counting on the current pack's holidays), and whether the store already
/// holds the current pack's sources.
actor RuleShelf {
    let current: Planner
    let snapshot: PackSnapshot?
    let resolver: (any PackResolver)?
    private var pinned: [String: Planner] = [:]
    private var saved = false

    init(current: Planner, snapshot: PackSnapshot?, resolver: (any PackResolver)?) {
        self.current = current; self.snapshot = snapshot; self.resolver = resolver
    }

    /// The planner for a case's own rules.
    func planner(version: String, caseNumber: String) async throws -> Planner {
        if version.isEmpty || version == current.pack.version { return current }
        if let p = pinned[version] { return p }
        guard let resolver, let pack = try await resolver.pack(version: version) else {
            throw KesuError(.rulesUnavailable,
                            "case \(caseNumber) runs under pack version \(version.prefix(12)), which this store does not hold; "
                            + "load the rules of that version, or see which versions the store holds",
                            value: version, suggestion: .rulesHistory)
        }
        guard pack.version == version else {
            throw KesuError(.rulesUnavailable,
                            "the sources kept for pack version \(version.prefix(12)) now load as \(pack.version.prefix(12)); "
                            + "the case's rules cannot be rebuilt exactly")
        }
        // A calendar is a fact, not a rule: the case keeps its pack's clocks and hours, counted on today's holidays.
        var adopted = pack
        adopted.calendar = pack.calendar.adoptingDays(of: current.pack.calendar)
        let planner = try Planner(pack: adopted, scorer: current.scorer)
        pinned[version] = planner
        return planner
    }

    /// Saves the current pack's sources before the first write under it (once per engine).
    func ensureSaved(in store: any CaseStore, at now: Date) async throws {
        guard !saved, let snapshot else { return }
        if try await store.pack(version: snapshot.version) == nil {
            try await store.savePack(snapshot, at: now)
        }
        saved = true
    }
}
