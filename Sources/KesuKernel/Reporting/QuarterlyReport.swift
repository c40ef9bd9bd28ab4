import Foundation

/// The quarterly feedback summary (季度客户意见汇总表) and what the complaint bulletin
/// (客户投诉情况通报) shows beside it, for one quarter with the previous quarter for comparison.
///
/// Counts are of cases opened in the quarter, by their fields as they stood at the end of the
/// quarter (each case's events folded up to the quarter's end); rates and the substantiated
/// count are `Engine.measures` for the quarter. Neither moves once the quarter is over.
public struct QuarterlyReport: Sendable, Codable, Equatable {
    /// One headline figure with the previous quarter's. Counts change by the difference; rates
    /// (fractions 0…1) change in percentage points.
    public struct Figure: Sendable, Codable, Equatable {
        /// Stable: `opened`, `kind:complaint`, `substantiated`, `answered`, `overdue`, `on_time_rate`,
        /// `callbacks`, `satisfaction_rate`, `redispatched`, `extensions`.
        public var key: String
        /// The pack's label of what a `kind:` figure counts; nil for the report's own figures, which
        /// front ends label by `key` (KesuRendering's `label`, and `labelled` for the JSON).
        public var name: String?
        public var isRate: Bool
        public var current: Double?
        public var previous: Double?
        /// Difference; for rates in percentage points. Nil when either side is missing.
        public var change: Double?

        public init(key: String, name: String? = nil, isRate: Bool, current: Double?, previous: Double?) {
            self.key = key; self.name = name; self.isRate = isRate; self.current = current; self.previous = previous
            if let c = current, let p = previous {
                change = isRate ? ((c - p) * 1000).rounded() / 10 : c - p
            }
        }

        /// `12`, `85.0%`, or `-` when there is nothing to show.
        public static func text(_ v: Double?, rate: Bool) -> String {
            guard let v else { return "-" }
            return rate ? String(format: "%.1f%%", v * 100) : String(Int(v.rounded()))
        }

        /// `+3`, `-2`, `0`, `+12.5 pp`, `-12.5 pp`, `-`.
        public static func changeText(_ c: Double?, rate: Bool) -> String {
            guard let c else { return "-" }
            if rate {
                let s = String(format: "%.1f", abs(c))
                return (c > 0 ? "+" : c < 0 ? "-" : "±") + s + " pp"
            }
            let n = Int(c.rounded())
            return n > 0 ? "+\(n)" : String(n)
        }

        public var currentText: String { Self.text(current, rate: isRate) }
        public var previousText: String { Self.text(previous, rate: isRate) }
        public var changeText: String { Self.changeText(change, rate: isRate) }
    }

    /// One value of a field (a category, a unit…) with its count this quarter and the previous one.
    public struct Line: Sendable, Codable, Equatable {
        /// The value; empty for cases that leave the field unset.
        public var id: String
        /// The pack's label for the value; nil for a value the pack does not know and for the unset one.
        public var name: String?
        public var count: Int
        public var previous: Int
        public var change: Int
    }

    /// Counts by one field: `kind`, `category`, `handling_unit`, `channel`, `complainant_type`.
    public struct Breakdown: Sendable, Codable, Equatable {
        public var field: String
        /// Nil from the kernel: front ends label the field (KesuRendering's `label`, `labelled`).
        public var name: String?
        public var lines: [Line]
        public func line(_ id: String) -> Line? { lines.first { $0.id == id } }
    }

    /// A unit's appraisal rates for the quarter (`Engine.measures(period:by: .unit)`).
    public struct UnitRates: Sendable, Codable, Equatable {
        public var id: String
        public var name: String
        public var received: Int
        public var answered: Int
        public var answeredOnTime: Int
        public var overdue: Int
        public var callbacks: Int
        public var satisfied: Int
        public var substantiated: Int
        public var redispatched: Int
        public var onTimeRate: Double?
        public var satisfactionRate: Double?
        public var previousOnTimeRate: Double?
        public var previousSatisfactionRate: Double?
    }

    /// Cases opened in one month.
    public struct Month: Sendable, Codable, Equatable {
        public var label: String
        public var count: Int
        /// False for the previous quarter's months.
        public var inQuarter: Bool
    }

    /// A case the pack's `reporting.typical_cases` rule picks for the bulletin (典型案例).
    public struct TypicalCase: Sendable, Codable, Equatable {
        public var number: String
        public var openedAt: Date
        public var kind: String?
        public var kindName: String?
        public var category: String?
        public var categoryName: String?
        public var unit: String?
        public var unitName: String?
        /// The subject, else the description, cut to 80 characters.
        public var excerpt: String
        public var outcomes: [String]
        public var outcomeNames: [String]
        public var state: String
        public var stateName: String
        public var redispatched: Int
    }

    /// A report the pack says is due in this quarter (`reporting.reports`).
    public struct Deadline: Sendable, Codable, Equatable {
        public var id: String
        public var name: String
        /// `unit` (each handling unit) or `center`.
        public var by: String
        /// `2026-12-15`.
        public var due: String
    }

    public var period: Period
    public var previousPeriod: Period
    public var packID: String
    public var packName: String
    /// Cases opened in the quarter, and in the previous quarter.
    public var opened: Int
    public var previousOpened: Int
    public var figures: [Figure]
    public var breakdowns: [Breakdown]
    public var units: [UnitRates]
    /// The previous quarter's three months, then this quarter's.
    public var months: [Month]
    public var typicalCases: [TypicalCase]
    /// Whether the pack has a `reporting.typical_cases` rule.
    public var typicalRule: Bool
    public var deadlines: [Deadline]

    public func breakdown(_ field: String) -> Breakdown? { breakdowns.first { $0.field == field } }
    public func figure(_ key: String) -> Figure? { figures.first { $0.key == key } }
    public func unit(_ id: String) -> UnitRates? { units.first { $0.id == id } }
}

extension Period {
    /// The quarter before this one (`2026Q1` → `2025Q4`).
    public func previousQuarter(calendar: BusinessCalendar) throws -> Period {
        guard kind == .quarter, let y = Int(label.prefix(4)), let q = Int(label.suffix(1)) else {
            throw KesuError(.invalidInput, "period '\(label)' is not a quarter")
        }
        return try Period.parse(q == 1 ? "\(y - 1)Q4" : "\(y)Q\(q - 1)", calendar: calendar)
    }

    /// The three months of a quarter.
    public func months(calendar: BusinessCalendar) throws -> [Period] {
        guard kind == .quarter, let y = Int(label.prefix(4)), let q = Int(label.suffix(1)) else {
            throw KesuError(.invalidInput, "period '\(label)' is not a quarter")
        }
        return try (1...3).map { try Period.parse(String(format: "%04d-%02d", y, (q - 1) * 3 + $0), calendar: calendar) }
    }
}

extension Engine {
    /// The quarterly summary for `period`, which must be a quarter (`2026Q3`).
    public func quarterlyReport(period: Period, source: ReportSource = .automatic) async throws -> QuarterlyReport {
        guard period.kind == .quarter else {
            throw KesuError(.invalidInput,
                            "the quarterly report needs a quarter such as 2026Q3, not '\(period.label)' (a \(period.kind.rawValue))")
        }
        let calendar = planner.calendar
        let previous = try period.previousQuarter(calendar: calendar)
        let q = try await readsFacts(source) ? try await quarterFromFacts(period, previous) : try await foldedQuarter(period, previous)
        let m = q.measures, pm = q.previousMeasures

        // Counts by field, every value the pack knows in pack order, then any other value seen.
        let fields: [(String, [(String, String)])] = [
            ("kind", pack.kinds.map { ($0.id, $0.name) }),
            ("category", pack.categories.map { ($0.id, $0.name) }),
            ("handling_unit", pack.units.map { ($0.id, $0.name) }),
            ("channel", pack.channels.map { ($0.id, $0.name) }),
            ("complainant_type", pack.complainantTypes.map { ($0.id, $0.name) }),
        ]
        var breakdowns: [QuarterlyReport.Breakdown] = []
        for (field, known) in fields {
            let now = q.current.counts(field), then = q.before.counts(field)
            var ids = known.map(\.0)
            let extra = Set(now.keys).union(then.keys).subtracting(ids).subtracting([""]).sorted()
            ids += extra
            if now[""] != nil || then[""] != nil { ids.append("") }
            let lines = ids.map { id -> QuarterlyReport.Line in
                let n = now[id] ?? 0, p = then[id] ?? 0
                return QuarterlyReport.Line(id: id, name: known.first { $0.0 == id }?.1, count: n, previous: p, change: n - p)
            }
            breakdowns.append(QuarterlyReport.Breakdown(field: field, name: nil, lines: lines))
        }

        var unitIDs = pack.units.map(\.id)
        unitIDs += Set(m.rows.keys.map(\.id)).subtracting(unitIDs).sorted()
        let units = unitIDs.map { id -> QuarterlyReport.UnitRates in
            let x = m[id], p = pm[id]
            return QuarterlyReport.UnitRates(
                id: id, name: pack.unit(id)?.name ?? id, received: x.received, answered: x.answered,
                answeredOnTime: x.answeredOnTime, overdue: x.overdue, callbacks: x.callbacks, satisfied: x.satisfied,
                substantiated: x.substantiated, redispatched: x.redispatched, onTimeRate: x.onTimeRate,
                satisfactionRate: x.satisfactionRate, previousOnTimeRate: p.onTimeRate,
                previousSatisfactionRate: p.satisfactionRate)
        }
        var figures: [QuarterlyReport.Figure] = [
            .init(key: "opened", isRate: false, current: Double(q.current.opened), previous: Double(q.before.opened)),
        ]
        for k in pack.kinds {
            figures.append(.init(key: "kind:\(k.id)", name: k.name, isRate: false,
                                 current: Double(q.current.counts("kind")[k.id] ?? 0), previous: Double(q.before.counts("kind")[k.id] ?? 0)))
        }
        figures += [
            .init(key: "substantiated", isRate: false,
                  current: Double(m.total.substantiated), previous: Double(pm.total.substantiated)),
            .init(key: "answered", isRate: false, current: Double(m.total.answered), previous: Double(pm.total.answered)),
            .init(key: "overdue", isRate: false, current: Double(m.total.overdue), previous: Double(pm.total.overdue)),
            .init(key: "on_time_rate", isRate: true, current: m.total.onTimeRate, previous: pm.total.onTimeRate),
            .init(key: "callbacks", isRate: false, current: Double(m.total.callbacks), previous: Double(pm.total.callbacks)),
            .init(key: "satisfaction_rate", isRate: true,
                  current: m.total.satisfactionRate, previous: pm.total.satisfactionRate),
            .init(key: "redispatched", isRate: false,
                  current: Double(m.total.redispatched), previous: Double(pm.total.redispatched)),
            .init(key: "extensions", isRate: false, current: Double(m.total.extensions), previous: Double(pm.total.extensions)),
        ]

        var months: [QuarterlyReport.Month] = []
        for (quarter, inQuarter) in [(previous, false), (period, true)] {
            for month in try quarter.months(calendar: calendar) {
                let n = try await store.count(CaseQuery(openedFrom: month.start, openedBefore: month.end))
                months.append(.init(label: month.label, count: n, inQuarter: inQuarter))
            }
        }

        return QuarterlyReport(
            period: period, previousPeriod: previous, packID: pack.info.id, packName: pack.info.name,
            opened: q.current.opened, previousOpened: q.before.opened, figures: figures, breakdowns: breakdowns,
            units: units, months: months, typicalCases: q.typical, typicalRule: pack.reporting.typicalCases != nil,
            deadlines: try reportDeadlines(period))
    }

    /// The pack's periodic reports due in a quarter, earliest first.
    public func reportDeadlines(_ quarter: Period) throws -> [QuarterlyReport.Deadline] {
        guard quarter.kind == .quarter, let y = Int(quarter.label.prefix(4)), let q = Int(quarter.label.suffix(1)) else {
            throw KesuError(.invalidInput, "period '\(quarter.label)' is not a quarter")
        }
        return pack.reporting.reports
            .map { ($0, $0.due(year: y, quarter: q)) }
            .sorted { ($0.1, $0.0.id) < ($1.1, $1.0.id) }
            .map { .init(id: $0.0.id, name: $0.0.name, by: $0.0.by.rawValue, due: $0.1.description) }
    }

    struct OpenedCase {
        var state: CaseState
        var redispatched: Int
    }

    /// What the summary counts of a quarter's cases: how many were opened, and how many by each
    /// value of each breakdown field as they stood at the quarter's end.
    struct QuarterCases {
        var opened = 0
        var byField: [String: [String: Int]] = [:]
        func counts(_ field: String) -> [String: Int] { byField[field] ?? [:] }

        static let fields = ["kind", "category", "handling_unit", "channel", "complainant_type"]

        mutating func add(_ d: CaseDimensions, _ n: Int) {
            opened += n
            for f in Self.fields { byField[f, default: [:]][d.value(f) ?? "", default: 0] += n }
        }
    }

    /// The figures a quarterly summary is made of, from the read model or from folded histories.
    struct QuarterFigures {
        var current: QuarterCases
        var before: QuarterCases
        var measures: MeasuresReport
        var previousMeasures: MeasuresReport
        var typical: [QuarterlyReport.TypicalCase]
    }

    /// The quarter's figures from folded histories: every event of every case the report reads.
    /// The read model's answers must equal these (a test compares them); stores upgraded before
    /// their read model is built are reported this way.
    func foldedQuarter(_ period: Period, _ previous: Period) async throws -> QuarterFigures {
        let (current, before, m, pm) = try await foldQuarters(period, previous)
        var now = QuarterCases(), then = QuarterCases()
        for c in current { now.add(CaseDimensions(c.state), 1) }
        for c in before { then.add(CaseDimensions(c.state), 1) }
        return QuarterFigures(current: now, before: then, measures: m, previousMeasures: pm, typical: typicalCases(current))
    }

    /// One pass over every case the report reads (opened in either quarter, or with a counted
    /// event in either): the cases opened in each quarter, each as it stood at that quarter's
    /// end, and each quarter's measures by unit.
    func foldQuarters(_ period: Period, _ previous: Period) async throws
        -> (current: [OpenedCase], before: [OpenedCase], measures: MeasuresReport, previousMeasures: MeasuresReport) {
        let r = pack.reporting
        var openedIn: [Int64: Period] = [:]
        for p in [previous, period] {
            for id in try await openedCaseIDs(in: p) { openedIn[id] = p }
        }
        let touched = try await store.caseIDs(eventTypes: Self.countedEventTypes, occurredFrom: previous.start, to: period.end)
        let ids = Set(touched).union(openedIn.keys).sorted()
        var tallies = [MeasuresTally(period: period, kind: .unit, pack: pack), MeasuresTally(period: previous, kind: .unit, pack: pack)]
        var current: [OpenedCase] = [], before: [OpenedCase] = []
        try await foldHistories(ids) { id, e, unitBefore, assigneeBefore, state, became in
            for k in tallies.indices {
                tallies[k].count(e, caseID: id, unitBefore: unitBefore, assigneeBefore: assigneeBefore, after: state, becameSubstantiated: became)
            }
        } done: { id, events, final in
            guard let p = openedIn[id] else { return }
            // The case as it stood at the quarter's end: its final state unless something happened since.
            var state = final
            if events.contains(where: { $0.occurredAt >= p.end }) {
                state = CaseState()
                for e in events where e.occurredAt < p.end { state.apply(e) }
            }
            let redispatched = events.filter { $0.occurredAt < p.end && r.isRedispatch($0.body) }.count
            let c = OpenedCase(state: state, redispatched: redispatched)
            if p == period { current.append(c) } else { before.append(c) }
        }
        return (current, before, tallies[0].report, tallies[1].report)
    }

    /// Ids of the cases opened in the period, ascending.
    func openedCaseIDs(in period: Period) async throws -> [Int64] {
        var ids: [Int64] = []
        let page = 5_000
        while true {
            let batch = try await store.list(CaseQuery(openedFrom: period.start, openedBefore: period.end, limit: page, offset: ids.count))
            ids += batch.map(\.id)
            if batch.count < page { return ids }
        }
    }

    /// `reporting.typical_cases`: cases matching `when`, those with any of `outcomes` first, then
    /// the most re-dispatched, then the earliest opened; at most `limit`.
    func typicalCases(_ cases: [OpenedCase]) -> [QuarterlyReport.TypicalCase] {
        guard let rule = pack.reporting.typicalCases else { return [] }
        let picked = cases
            .filter { rule.when.allHold(on: $0.state.fields) }
            .map { c in (c, !Set(c.state.outcomes).isDisjoint(with: rule.outcomes)) }
            .sorted { a, b in
                if a.1 != b.1 { return a.1 }
                if a.0.redispatched != b.0.redispatched { return a.0.redispatched > b.0.redispatched }
                if a.0.state.openedAt != b.0.state.openedAt { return a.0.state.openedAt < b.0.state.openedAt }
                return a.0.state.id < b.0.state.id
            }
            .prefix(max(0, rule.limit))
        return picked.map { c, _ in
            let s = c.state
            let text = [s.fields["subject"], s.fields["description"]].compactMap { $0 }.first { !$0.isEmpty } ?? ""
            let flat = text.replacingOccurrences(of: "\n", with: " ")
            let excerpt = flat.count > 80 ? String(flat.prefix(80)) + "…" : flat
            var outcomes: [String] = []
            for o in s.outcomes where !outcomes.contains(o) { outcomes.append(o) }
            return QuarterlyReport.TypicalCase(
                number: s.number, openedAt: s.openedAt,
                kind: s.fields["kind"], kindName: s.fields["kind"].flatMap { pack.label(field: "kind", value: $0) },
                category: s.fields["category"], categoryName: s.fields["category"].flatMap { pack.label(field: "category", value: $0) },
                unit: s.handlingUnit, unitName: s.handlingUnit.flatMap { pack.unit($0)?.name },
                excerpt: excerpt, outcomes: outcomes,
                outcomeNames: outcomes.map { o in pack.scoring.outcomes.first { $0.id == o }?.name ?? o },
                state: s.state, stateName: pack.state(s.state)?.name ?? s.state, redispatched: c.redispatched)
        }
    }
}
