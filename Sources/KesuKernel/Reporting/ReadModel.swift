import Foundation

// Reports from the read model: grouped counts of the report facts the stores write with the
// events (`ReportFact`), instead of every case's history folded at read time. Until a store
// upgraded with events in it has built its read model (`buildReportFacts`), reports fold.

/// Where a report's figures come from.
public enum ReportSource: String, Sendable, CaseIterable {
    /// The read model when the store's is built, else the histories.
    case automatic
    /// The report facts (whether or not the store has built them all).
    case readModel = "read_model"
    /// Every case's history, folded now under the engine's current pack: slow, and the oracle the
    /// read model is tested against.
    case histories
}

extension Engine {
    /// Whether reports read the store's report facts (else they fold histories).
    public func reportFactsReady() async throws -> Bool { try await store.reportFactsReady() }

    func readsFacts(_ source: ReportSource) async throws -> Bool {
        switch source {
        case .automatic: try await reportFactsReady()
        case .readModel: true
        case .histories: false
        }
    }

    /// The facts `Measures` counts row by row (the received ones count cases).
    public static let measureFactKinds: [ReportFact.Kind] = [
        .substantiated, .answered, .answeredOnTime, .overdue, .callback, .unsatisfied, .redispatched, .extended,
    ]

    /// `measures` from the read model: three grouped counts, whatever the number of cases. The
    /// totals are the sums of the groups (facts with no unit or person included), but for the cases
    /// received, which are counted once however many units received them.
    func measuresFromFacts(period: Period, by kind: ScoreSubject.Kind) async throws -> MeasuresReport {
        let received: ReportFact.Kind = kind == .unit ? .routed : .assigned
        let (from, to) = (period.start, period.end)
        let grouped = try await store.reportFactCounts(kinds: Self.measureFactKinds, from: from, to: to, by: kind, distinctCases: false)
        let receivedBy = try await store.reportFactCounts(kinds: [received], from: from, to: to, by: kind, distinctCases: true)
        let receivedTotal = try await store.reportFactCounts(kinds: [received], from: from, to: to, by: nil, distinctCases: true)

        func add(_ c: ReportFactCount, to m: inout Measures) {
            switch c.kind {
            case .routed, .assigned: m.received += c.count
            case .substantiated: m.substantiated += c.count
            case .answered: m.answered += c.count
            case .answeredOnTime: m.answeredOnTime += c.count
            case .overdue: m.overdue += c.count
            case .callback: m.callbacks += c.count
            case .unsatisfied: m.unsatisfied += c.count
            case .redispatched: m.redispatched += c.count
            case .extended: m.extensions += c.count
            case .opened, .outcome, .deduction: break
            }
        }
        var rows: [ScoreSubject: Measures] = [:]
        for c in grouped + receivedBy {
            guard let s = c.subject else { continue }
            add(c, to: &rows[ScoreSubject(kind, s), default: Measures()])
        }
        var total = Measures()
        for c in grouped + receivedTotal { add(c, to: &total) }
        return MeasuresReport(period: period, by: kind, rows: rows, total: total)
    }

    /// The quarter's figures from the read model.
    func quarterFromFacts(_ period: Period, _ previous: Period) async throws -> QuarterFigures {
        func cases(_ p: Period) async throws -> QuarterCases {
            var q = QuarterCases()
            for c in try await store.caseDimensionCounts(openedFrom: p.start, openedBefore: p.end, asOf: p.end) {
                q.add(c.dimensions, c.count)
            }
            return q
        }
        return QuarterFigures(
            current: try await cases(period), before: try await cases(previous),
            measures: try await measuresFromFacts(period: period, by: .unit),
            previousMeasures: try await measuresFromFacts(period: previous, by: .unit),
            typical: try await typicalCasesFromFacts(period))
    }

    /// `reporting.typical_cases` from the read model: the cases are ranked by their outcome and
    /// re-dispatch facts, then folded (up to the quarter's end) in that order only until `limit`
    /// of them match `when`.
    func typicalCasesFromFacts(_ p: Period) async throws -> [QuarterlyReport.TypicalCase] {
        guard let rule = pack.reporting.typicalCases, rule.limit > 0 else { return [] }
        struct Rank { var id: Int64; var openedAt: Date; var flagged = false; var redispatched = 0 }
        var ranks: [Int64: Rank] = [:]
        let wanted = Set(rule.outcomes)
        for c in try await store.caseFactCounts(kinds: [.outcome, .redispatched], openedFrom: p.start, openedBefore: p.end,
                                                occurredBefore: p.end) {
            var r = ranks[c.caseID] ?? Rank(id: c.caseID, openedAt: c.openedAt)
            if c.kind == .outcome, let v = c.value, wanted.contains(v) { r.flagged = true }
            if c.kind == .redispatched { r.redispatched += c.count }
            ranks[c.caseID] = r
        }
        let ranked = ranks.values.filter { $0.flagged || $0.redispatched > 0 }.sorted { a, b in
            if a.flagged != b.flagged { return a.flagged }
            if a.redispatched != b.redispatched { return a.redispatched > b.redispatched }
            return (a.openedAt, a.id) < (b.openedAt, b.id)
        }
        var picked: [OpenedCase] = []
        func consider(_ ids: [Int64]) async throws {
            let events = try await store.events(caseIDs: ids)
            var byCase: [Int64: CaseState] = [:]
            for e in events where e.occurredAt < p.end { byCase[e.caseID, default: CaseState()].apply(e) }
            for id in ids where picked.count < rule.limit {
                guard let state = byCase[id], rule.when.allHold(on: state.fields) else { continue }
                picked.append(OpenedCase(state: state, redispatched: ranks[id]?.redispatched ?? 0))
            }
        }
        let batch = max(50, rule.limit * 4)
        var k = 0
        while picked.count < rule.limit, k < ranked.count {
            try await consider(ranked[k..<min(ranked.count, k + batch)].map(\.id))
            k += batch
        }
        // Then the others, earliest opened first.
        let rankedIDs = Set(ranked.map(\.id))
        var after: CasePosition?
        while picked.count < rule.limit {
            let page = try await store.list(CaseQuery(openedFrom: p.start, openedBefore: p.end, after: after, order: .oldest, limit: batch))
            guard let last = page.last else { break }
            try await consider(page.map(\.id).filter { !rankedIDs.contains($0) })
            after = CasePosition(last)
        }
        return typicalCases(picked)
    }

    /// Builds the read model of a store that holds events without their report facts (one
    /// upgraded from before the read model): every case's history is folded once, under the
    /// rules the case runs under (the current pack's when its version is not at hand), and its
    /// facts replace whatever facts its events had. Safe while the store is in use: each batch
    /// replaces only the facts of the events it read. Marks the store ready at the end and
    /// returns how many cases it read.
    @discardableResult
    public func buildReportFacts(batch: Int = 500, progress: (Int) -> Void = { _ in }) async throws -> Int {
        var after: CasePosition?
        var done = 0
        while true {
            let page = try await store.list(CaseQuery(after: after, order: .oldest, limit: batch))
            guard let last = page.last else { break }
            let events = try await store.events(caseIDs: page.map(\.id))
            var through: [Int64: Int] = [:]
            var facts: [ReportFact] = []
            var i = 0
            while i < events.count {
                let id = events[i].caseID
                var j = i
                while j < events.count, events[j].caseID == id { j += 1 }
                let history = Array(events[i..<j])
                let state = CaseState(events: history)
                let rules = (try? await planner(for: state).pack) ?? pack
                facts += ReportFact.derive(history, after: CaseState(), pack: rules)
                through[id] = history.last?.seq ?? 0
                i = j
            }
            try await store.replaceReportFacts(through: through, with: facts)
            done += page.count
            progress(done)
            after = CasePosition(last)
        }
        try await store.markReportFactsReady()
        return done
    }
}
