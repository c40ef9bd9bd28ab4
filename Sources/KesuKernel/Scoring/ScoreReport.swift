import Foundation

/// A month (`2026-10`), a quarter (`2026Q3`) or a year (`2026`) in the pack's time zone.
public struct Period: Sendable, Equatable, Codable, CustomStringConvertible {
    public var kind: PenaltyThreshold.Period
    public var label: String
    public var start: Date
    public var end: Date

    public var description: String { label }

    public static func parse(_ text: String, calendar: BusinessCalendar) throws -> Period {
        let t = text.trimmingCharacters(in: .whitespaces).uppercased()
        func date(_ y: Int, _ m: Int) -> Date { calendar.instant(LocalDate(year: y, month: m, day: 1), minute: 0) }
        let bad = KesuError(.invalidInput, "period '\(text)' is not a month (2026-10), a quarter (2026Q3) or a year (2026)")
        if t.count == 4, let y = Int(t) {
            return Period(kind: .year, label: t, start: date(y, 1), end: date(y + 1, 1))
        }
        if t.count == 6, t.dropFirst(4).first == "Q", let y = Int(t.prefix(4)), let q = Int(t.suffix(1)), (1...4).contains(q) {
            let m = (q - 1) * 3 + 1
            return Period(kind: .quarter, label: t, start: date(y, m), end: q == 4 ? date(y + 1, 1) : date(y, m + 3))
        }
        if t.count == 7, t.dropFirst(4).first == "-", let y = Int(t.prefix(4)), let m = Int(t.suffix(2)), (1...12).contains(m) {
            return Period(kind: .month, label: t, start: date(y, m), end: m == 12 ? date(y + 1, 1) : date(y, m + 1))
        }
        throw bad
    }
}

/// Each unit's or person's points for a period, with the line items behind every point.
public struct ScoreReport: Sendable, Codable, Equatable {
    public struct LineItem: Sendable, Codable, Equatable {
        public var caseNumber: String
        /// `violation:late_answer` or `outcome:substantiated_fault`.
        public var cause: String
        public var ruleID: String
        public var points: Double
        public var occurredAt: Date
        public var packVersion: String

        public init(caseNumber: String, cause: String, ruleID: String, points: Double, occurredAt: Date, packVersion: String) {
            self.caseNumber = caseNumber; self.cause = cause; self.ruleID = ruleID; self.points = points
            self.occurredAt = occurredAt; self.packVersion = packVersion
        }

        /// The order line items are listed in: when, then case, rule, cause, points, pack version —
        /// a total order, so every rerun lists them the same way.
        public static func precedes(_ a: LineItem, _ b: LineItem) -> Bool {
            if a.occurredAt != b.occurredAt { return a.occurredAt < b.occurredAt }
            if a.caseNumber != b.caseNumber { return a.caseNumber < b.caseNumber }
            if a.ruleID != b.ruleID { return a.ruleID < b.ruleID }
            if a.cause != b.cause { return a.cause < b.cause }
            if a.points != b.points { return a.points < b.points }
            return a.packVersion < b.packVersion
        }
    }
    public struct Row: Sendable, Codable, Equatable {
        public var subject: ScoreSubject
        public var name: String
        public var unit: String?
        public var baseline: Double
        public var deducted: Double
        public var score: Double
        public var items: [LineItem]
        /// A penalty the pack's thresholds recommend; a superior decides.
        public var recommendation: String?
        public var recommendationName: String?
        public var thresholdID: String?

        public init(subject: ScoreSubject, name: String, unit: String?, baseline: Double, deducted: Double, score: Double,
                    items: [LineItem], recommendation: String? = nil, recommendationName: String? = nil, thresholdID: String? = nil) {
            self.subject = subject; self.name = name; self.unit = unit; self.baseline = baseline; self.deducted = deducted
            self.score = score; self.items = items; self.recommendation = recommendation
            self.recommendationName = recommendationName; self.thresholdID = thresholdID
        }
    }
    public var period: Period
    public var by: ScoreSubject.Kind
    public var rows: [Row]

    public init(period: Period, by: ScoreSubject.Kind, rows: [Row]) {
        self.period = period; self.by = by; self.rows = rows
    }
}

extension Engine {
    /// Adds up the deductions recorded in the period. Deductions are events written when the
    /// violation or outcome happened, so rerunning a closed period gives the same figures.
    public func scores(period: Period, by kind: ScoreSubject.Kind, source: ReportSource = .automatic) async throws -> ScoreReport {
        var items: [ScoreSubject: [ScoreReport.LineItem]] = [:]
        if try await readsFacts(source) {
            let facts = try await store.deductionFacts(from: period.start, to: period.end, by: kind)
            let numbers = try await store.numbers(caseIDs: facts.map(\.caseID))
            for f in facts {
                guard let id = kind == .unit ? f.unit : f.person else { continue }
                items[ScoreSubject(kind, id), default: []].append(.init(
                    caseNumber: numbers[f.caseID] ?? "#\(f.caseID)", cause: f.value ?? "", ruleID: f.ruleID ?? "",
                    points: f.points ?? 0, occurredAt: f.occurredAt, packVersion: f.packVersion ?? ""))
            }
        } else {
            let events = try await store.events(types: ["deduction"], occurredFrom: period.start, to: period.end)
            let numbers = try await store.numbers(caseIDs: events.map(\.caseID))
            for e in events {
                guard case let .deduction(cause, subject, points, occurredAt) = e.body, subject.kind == kind else { continue }
                items[subject, default: []].append(.init(
                    caseNumber: numbers[e.caseID] ?? "#\(e.caseID)", cause: cause, ruleID: e.ruleID ?? "", points: points,
                    occurredAt: occurredAt, packVersion: e.packVersion))
            }
        }
        // Everyone the pack knows appears, with a full score if nothing was deducted.
        var subjects: [(ScoreSubject, String, String?)] = kind == .unit
            ? pack.units.map { (ScoreSubject(.unit, $0.id), $0.name, nil) }
            : pack.people.map { (ScoreSubject(.person, $0.id), $0.name, $0.unit) }
        // A subject the pack no longer names (an older version's) still shows, in id order.
        for s in items.keys.sorted(by: { $0.id < $1.id }) where !subjects.contains(where: { $0.0 == s }) {
            subjects.append((s, s.id, nil))
        }
        let thresholds = pack.scoring.thresholds
            .filter { $0.subject.rawValue == kind.rawValue && $0.period == period.kind }
            .sorted { $0.points > $1.points }
        let rows = subjects.map { subject, name, unit -> ScoreReport.Row in
            let lines = (items[subject] ?? []).sorted(by: ScoreReport.LineItem.precedes)
            let deducted = lines.reduce(0) { $0 + $1.points }
            let hit = thresholds.first { deducted >= $0.points }
            return .init(
                subject: subject, name: name, unit: unit, baseline: pack.scoring.baseline, deducted: deducted,
                score: pack.scoring.baseline - deducted, items: lines, recommendation: hit?.penalty,
                recommendationName: hit.flatMap { h in pack.scoring.penalties.first { $0.id == h.penalty }?.name },
                thresholdID: hit?.id)
        }
        return ScoreReport(period: period, by: kind, rows: rows)
    }
}
