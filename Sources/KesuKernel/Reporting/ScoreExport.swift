import Foundation

/// Scores and appraisal measures for a period as two tables — a summary (one row per unit or
/// person) and the line items behind every point — ready for JSON, CSV or Excel. Everything is
/// ordered deterministically (the pack's order of units and people, then line items by time,
/// case and rule) and nothing depends on the wall clock, so the same data and period export to
/// the same bytes every time.
public struct ScoreExport: Sendable, Equatable {
    /// One summary row: the points and the measures of one unit or person.
    public struct Row: Sendable, Equatable {
        public var subject: ScoreSubject
        public var name: String
        /// For a person: the unit they belong to, and its name.
        public var unit: String?
        public var unitName: String?
        public var baseline: Double
        public var deducted: Double
        public var score: Double
        public var itemCount: Int
        public var measures: Measures
        public var recommendation: String?
        public var recommendationName: String?
        public var thresholdID: String?

        public init(subject: ScoreSubject, name: String, unit: String?, unitName: String?, baseline: Double, deducted: Double,
                    score: Double, itemCount: Int, measures: Measures, recommendation: String?, recommendationName: String?,
                    thresholdID: String?) {
            self.subject = subject; self.name = name; self.unit = unit; self.unitName = unitName; self.baseline = baseline
            self.deducted = deducted; self.score = score; self.itemCount = itemCount; self.measures = measures
            self.recommendation = recommendation; self.recommendationName = recommendationName; self.thresholdID = thresholdID
        }
    }

    /// One deduction, traceable to its case (`kesu show CASE` lists the event that recorded it).
    public struct Item: Sendable, Equatable {
        public var subject: ScoreSubject
        public var subjectName: String
        public var caseNumber: String
        /// `violation:late_answer` or `outcome:substantiated_fault`.
        public var cause: String
        /// `violation` or `outcome`.
        public var causeKind: String
        /// The id after the colon, and the pack's Chinese name for it.
        public var causeID: String
        public var causeName: String
        public var ruleID: String
        public var points: Double
        public var occurredAt: Date
        public var packVersion: String

        public init(subject: ScoreSubject, subjectName: String, caseNumber: String, cause: String, causeKind: String,
                    causeID: String, causeName: String, ruleID: String, points: Double, occurredAt: Date, packVersion: String) {
            self.subject = subject; self.subjectName = subjectName; self.caseNumber = caseNumber; self.cause = cause
            self.causeKind = causeKind; self.causeID = causeID; self.causeName = causeName; self.ruleID = ruleID
            self.points = points; self.occurredAt = occurredAt; self.packVersion = packVersion
        }
    }

    public var period: Period
    public var by: ScoreSubject.Kind
    /// The pack's time zone: times are shown as wall-clock time there.
    public var timeZone: TimeZone
    public var rows: [Row]
    public var items: [Item]

    public init(period: Period, by: ScoreSubject.Kind, timeZone: TimeZone, rows: [Row], items: [Item]) {
        self.period = period; self.by = by; self.timeZone = timeZone; self.rows = rows; self.items = items
    }

    /// Joins a score report with the measures of the same period: every row of the report (every
    /// unit or person of the pack), then any subject that only has measures, in id order.
    public init(report: ScoreReport, measures: MeasuresReport, pack: RulePack, timeZone: TimeZone) {
        let unitNames = Dictionary(pack.units.map { ($0.id, $0.name) }, uniquingKeysWith: { a, _ in a })
        let personNames = Dictionary(pack.people.map { ($0.id, $0.name) }, uniquingKeysWith: { a, _ in a })
        var causeNames: [String: String] = [:]
        for v in pack.scoring.violations { causeNames["violation:\(v.id)"] = v.name }
        for o in pack.scoring.outcomes { causeNames["outcome:\(o.id)"] = o.name }

        var rows: [Row] = []
        var items: [Item] = []
        for r in report.rows {
            rows.append(Row(
                subject: r.subject, name: r.name, unit: r.unit, unitName: r.unit.flatMap { unitNames[$0] },
                baseline: r.baseline, deducted: r.deducted, score: r.score, itemCount: r.items.count,
                measures: measures.rows[r.subject] ?? Measures(), recommendation: r.recommendation,
                recommendationName: r.recommendationName, thresholdID: r.thresholdID))
            for i in r.items {
                let parts = i.cause.split(separator: ":", maxSplits: 1).map(String.init)
                items.append(Item(
                    subject: r.subject, subjectName: r.name, caseNumber: i.caseNumber, cause: i.cause,
                    causeKind: parts.count == 2 ? parts[0] : "", causeID: parts.last ?? i.cause,
                    causeName: causeNames[i.cause] ?? (parts.last ?? i.cause), ruleID: i.ruleID, points: i.points,
                    occurredAt: i.occurredAt, packVersion: i.packVersion))
            }
        }
        let known = Set(rows.map(\.subject))
        for s in measures.rows.keys.filter({ !known.contains($0) }).sorted(by: { $0.id < $1.id }) {
            let person = s.kind == .person ? pack.people.first { $0.id == s.id } : nil
            rows.append(Row(
                subject: s, name: (s.kind == .unit ? unitNames[s.id] : personNames[s.id]) ?? s.id,
                unit: person?.unit, unitName: person.flatMap { unitNames[$0.unit] },
                baseline: pack.scoring.baseline, deducted: 0, score: pack.scoring.baseline, itemCount: 0,
                measures: measures.rows[s]!, recommendation: nil, recommendationName: nil, thresholdID: nil))
        }
        // Line items: in the summary's order of subjects, each subject's by time, case and rule.
        let order = Dictionary(rows.enumerated().map { ($1.subject, $0) }, uniquingKeysWith: { a, _ in a })
        items = items.enumerated().sorted { a, b in
            let (oa, ob) = (order[a.element.subject] ?? 0, order[b.element.subject] ?? 0)
            return oa != ob ? oa < ob : a.offset < b.offset
        }.map(\.element)
        self.init(period: report.period, by: report.by, timeZone: timeZone, rows: rows, items: items)
    }

    // MARK: - Tables

    /// What a cell holds, so each format writes it properly (numbers as numbers, rates as
    /// fractions with none when there is no denominator, times in the pack's zone).
    public enum Value: Sendable, Equatable {
        case text(String)
        case integer(Int)
        case decimal(Double)
        /// A fraction (0.75 is 75%); nil when nothing was counted to divide by.
        case rate(Double?)
        case dateTime(Date)
        case none
    }

    /// A column by its stable key; its header in each language is KesuRendering's `title(_:)`.
    public struct Column: Sendable, Equatable {
        public enum Kind: Sendable, Equatable { case text, integer, decimal, percent, dateTime }
        public var key: String
        public var kind: Kind
        /// Width in characters, for spreadsheets.
        public var width: Double
        /// Whose table it is: `id` and `name` are a unit's or a person's.
        public var subject: ScoreSubject.Kind

        public init(key: String, kind: Kind, width: Double, subject: ScoreSubject.Kind) {
            self.key = key; self.kind = kind; self.width = width; self.subject = subject
        }
    }

    public struct Table: Sendable, Equatable {
        public var columns: [Column]
        public var rows: [[Value]]
    }

    public static func summaryColumns(by kind: ScoreSubject.Kind) -> [Column] {
        func C(_ key: String, _ k: Column.Kind, _ width: Double) -> Column { Column(key: key, kind: k, width: width, subject: kind) }
        var c: [Column] = [
            C("id", .text, 18),
            C("name", .text, 22),
        ]
        if kind == .person {
            c += [C("unit", .text, 18),
                  C("unit_name", .text, 22)]
        }
        c += [
            C("baseline", .decimal, 9),
            C("deducted", .decimal, 10),
            C("score", .decimal, 9),
            C("item_count", .integer, 12),
            C("received", .integer, 10),
            C("substantiated", .integer, 12),
            C("answered", .integer, 10),
            C("answered_on_time", .integer, 12),
            C("on_time_rate", .percent, 11),
            C("overdue", .integer, 10),
            C("callbacks", .integer, 10),
            C("unsatisfied", .integer, 14),
            C("satisfaction_rate", .percent, 11),
            C("redispatched", .integer, 16),
            C("redispatch_rate", .percent, 11),
            C("extensions", .integer, 10),
            C("recommendation_name", .text, 14),
            C("recommendation", .text, 16),
            C("threshold", .text, 16),
        ]
        return c
    }

    public static func itemColumns(by kind: ScoreSubject.Kind) -> [Column] {
        func C(_ key: String, _ k: Column.Kind, _ width: Double) -> Column { Column(key: key, kind: k, width: width, subject: kind) }
        return [
            C("id", .text, 18),
            C("name", .text, 22),
            C("case", .text, 16),
            C("cause_kind", .text, 12),
            C("cause", .text, 22),
            C("cause_name", .text, 22),
            C("rule_id", .text, 22),
            C("points", .decimal, 8),
            C("occurred_at", .dateTime, 18),
            C("pack_version", .text, 16),
        ]
    }

    public var summaryTable: Table {
        Table(columns: Self.summaryColumns(by: by), rows: rows.map { r in
            let m = r.measures
            var v: [Value] = [.text(r.subject.id), .text(r.name)]
            if by == .person { v += [r.unit.map(Value.text) ?? .none, r.unitName.map(Value.text) ?? .none] }
            v += [
                .decimal(r.baseline), .decimal(r.deducted), .decimal(r.score), .integer(r.itemCount),
                .integer(m.received), .integer(m.substantiated), .integer(m.answered), .integer(m.answeredOnTime),
                .rate(m.onTimeRate), .integer(m.overdue), .integer(m.callbacks), .integer(m.unsatisfied),
                .rate(m.satisfactionRate), .integer(m.redispatched), .rate(m.redispatchRate), .integer(m.extensions),
                r.recommendationName.map(Value.text) ?? .none, r.recommendation.map(Value.text) ?? .none,
                r.thresholdID.map(Value.text) ?? .none,
            ]
            return v
        })
    }

    public var itemsTable: Table {
        Table(columns: Self.itemColumns(by: by), rows: items.map(Self.itemValues))
    }

    public static func itemValues(_ i: Item) -> [Value] {
        [.text(i.subject.id), .text(i.subjectName), .text(i.caseNumber), .text(i.causeKind), .text(i.causeID),
         .text(i.causeName), .text(i.ruleID), .decimal(i.points), .dateTime(i.occurredAt), .text(i.packVersion)]
    }

    // MARK: - CSV

    /// The UTF-8 byte-order mark, so Excel in a Chinese locale reads the file as UTF-8.
    public static let byteOrderMark = Data([0xEF, 0xBB, 0xBF])

    public func csvText(_ v: Value) -> String {
        switch v {
        case let .text(s): s
        case let .integer(n): String(n)
        case let .decimal(x): Self.number(x)
        case let .rate(r): r.map { Self.number(($0 * 10000).rounded() / 10000) } ?? ""
        case let .dateTime(d): Self.localTime(d, in: timeZone)
        case .none: ""
        }
    }

    /// `3`, `0.5`, `2.25`: whole numbers without a decimal point, others in their shortest form.
    public static func number(_ x: Double) -> String {
        if x == x.rounded(), abs(x) < 1e15 { return String(Int(x)) }
        return "\(x)"
    }

    /// `2026-10-10 18:00:00` in `zone` (the zone's offset at that instant, then plain
    /// proleptic Gregorian arithmetic: fast enough for hundreds of thousands of rows).
    public static func localTime(_ d: Date, in zone: TimeZone) -> String {
        let local = Int((d.timeIntervalSince1970).rounded(.down)) + zone.secondsFromGMT(for: d)
        var days = local / 86_400, secs = local % 86_400
        if secs < 0 { secs += 86_400; days -= 1 }
        // Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm).
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : String(n) }
        return "\(year)-\(two(month))-\(two(day)) \(two(secs / 3600)):\(two(secs / 60 % 60)):\(two(secs % 60))"
    }
}

/// RFC 4180 fields and records.
public enum CSV {
    public static func field(_ s: String) -> String {
        guard s.utf8.contains(where: { $0 == 0x2C || $0 == 0x22 || $0 == 0x0D || $0 == 0x0A }) else { return s }
        return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    public static func line(_ fields: [String]) -> String {
        fields.map(field).joined(separator: ",") + "\r\n"
    }
}

extension Engine {
    /// Scores and measures of the period, joined for export.
    public func scoreExport(period: Period, by kind: ScoreSubject.Kind, source: ReportSource = .automatic) async throws -> ScoreExport {
        // Decided once, so both halves read the same source (and the store is asked once).
        let source: ReportSource = try await readsFacts(source) ? .readModel : .histories
        let report = try await scores(period: period, by: kind, source: source)
        let measures = try await measures(period: period, by: kind, source: source)
        return ScoreExport(report: report, measures: measures, pack: pack, timeZone: planner.calendar.timeZone)
    }
}
