import Foundation

/// Scores and appraisal measures for a period as two tables — a summary (one row per unit or
/// person) and the line items behind every point — ready for JSON, CSV or Excel. Everything is
/// ordered deterministically (the pack's order of units and people, then line items by time,
/// case and rule) and nothing depends on the wall clock, so the same data and period export to
/// the same bytes every time.
public struct ScoreExport: Sendable, Equatable {
    public enum Language: String, Sendable, CaseIterable { case zh, en }

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

    public struct Column: Sendable, Equatable {
        public enum Kind: Sendable, Equatable { case text, integer, decimal, percent, dateTime }
        public var key: String
        public var zh: String
        public var en: String
        public var kind: Kind
        /// Width in characters, for spreadsheets.
        public var width: Double
        public func title(_ lang: Language) -> String { lang == .zh ? zh : en }
    }

    public struct Table: Sendable, Equatable {
        public var columns: [Column]
        public var rows: [[Value]]
    }

    /// Sheet and file names.
    public static func summaryName(_ lang: Language) -> String { lang == .zh ? "汇总" : "Summary" }
    public static func itemsName(_ lang: Language) -> String { lang == .zh ? "明细" : "Line items" }
    /// The suffix of the line-items CSV beside the summary (`scores.csv` → `scores-明细.csv`).
    public static func itemsFileSuffix(_ lang: Language) -> String { lang == .zh ? "明细" : "items" }

    public static func summaryColumns(by kind: ScoreSubject.Kind) -> [Column] {
        var c: [Column] = [
            Column(key: "id", zh: kind == .unit ? "单位编号" : "人员编号", en: kind == .unit ? "Unit ID" : "Person ID", kind: .text, width: 18),
            Column(key: "name", zh: kind == .unit ? "单位名称" : "姓名", en: "Name", kind: .text, width: 22),
        ]
        if kind == .person {
            c += [Column(key: "unit", zh: "所属单位编号", en: "Unit ID", kind: .text, width: 18),
                  Column(key: "unit_name", zh: "所属单位", en: "Unit", kind: .text, width: 22)]
        }
        c += [
            Column(key: "baseline", zh: "基础分", en: "Baseline", kind: .decimal, width: 9),
            Column(key: "deducted", zh: "扣分合计", en: "Deducted", kind: .decimal, width: 10),
            Column(key: "score", zh: "得分", en: "Score", kind: .decimal, width: 9),
            Column(key: "item_count", zh: "扣分明细条数", en: "Line items", kind: .integer, width: 12),
            Column(key: "received", zh: "受理件数", en: "Received", kind: .integer, width: 10),
            Column(key: "substantiated", zh: "投诉成立件数", en: "Substantiated", kind: .integer, width: 12),
            Column(key: "answered", zh: "办结件数", en: "Answered", kind: .integer, width: 10),
            Column(key: "answered_on_time", zh: "按时办结件数", en: "Answered on time", kind: .integer, width: 12),
            Column(key: "on_time_rate", zh: "按时办结率", en: "On-time rate", kind: .percent, width: 11),
            Column(key: "overdue", zh: "逾期件数", en: "Overdue", kind: .integer, width: 10),
            Column(key: "callbacks", zh: "回访件数", en: "Callbacks", kind: .integer, width: 10),
            Column(key: "unsatisfied", zh: "回访不满意件数", en: "Unsatisfied", kind: .integer, width: 14),
            Column(key: "satisfaction_rate", zh: "回访满意率", en: "Satisfaction rate", kind: .percent, width: 11),
            Column(key: "redispatched", zh: "不满意重新派单件数", en: "Re-dispatched", kind: .integer, width: 16),
            Column(key: "redispatch_rate", zh: "重新派单率", en: "Re-dispatch rate", kind: .percent, width: 11),
            Column(key: "extensions", zh: "延期次数", en: "Extensions", kind: .integer, width: 10),
            Column(key: "recommendation_name", zh: "建议处理", en: "Recommendation", kind: .text, width: 14),
            Column(key: "recommendation", zh: "建议处理编号", en: "Recommendation ID", kind: .text, width: 16),
            Column(key: "threshold", zh: "触发阈值", en: "Threshold", kind: .text, width: 16),
        ]
        return c
    }

    public static func itemColumns(by kind: ScoreSubject.Kind) -> [Column] {
        [
            Column(key: "id", zh: kind == .unit ? "单位编号" : "人员编号", en: kind == .unit ? "Unit ID" : "Person ID", kind: .text, width: 18),
            Column(key: "name", zh: kind == .unit ? "单位名称" : "姓名", en: "Name", kind: .text, width: 22),
            Column(key: "case", zh: "案件编号", en: "Case", kind: .text, width: 16),
            Column(key: "cause_kind", zh: "扣分原因类型", en: "Cause type", kind: .text, width: 12),
            Column(key: "cause", zh: "扣分原因编号", en: "Cause ID", kind: .text, width: 22),
            Column(key: "cause_name", zh: "扣分原因", en: "Cause", kind: .text, width: 22),
            Column(key: "rule_id", zh: "考评规则", en: "Scoring rule", kind: .text, width: 22),
            Column(key: "points", zh: "扣分", en: "Points", kind: .decimal, width: 8),
            Column(key: "occurred_at", zh: "发生时间", en: "Occurred at", kind: .dateTime, width: 18),
            Column(key: "pack_version", zh: "规则包版本", en: "Pack version", kind: .text, width: 16),
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

    /// A table as CSV text (RFC 4180: CRLF line ends, fields with a comma, quote, CR or LF
    /// quoted, quotes doubled). Rates are fractions rounded to four places (0.6667), empty when
    /// there is no denominator; times are `yyyy-MM-dd HH:mm:ss` in the pack's zone.
    public func csv(_ table: Table, lang: Language) -> String {
        var out = CSV.line(table.columns.map { $0.title(lang) })
        for row in table.rows { out += CSV.line(row.map(csvText)) }
        return out
    }

    /// The UTF-8 byte-order mark, so Excel in a Chinese locale reads the file as UTF-8.
    public static let byteOrderMark = Data([0xEF, 0xBB, 0xBF])

    /// Summary and line items as two CSV files' bytes, each starting with the byte-order mark.
    public func csvFiles(lang: Language) -> (summary: Data, items: Data) {
        (Self.byteOrderMark + Data(csv(summaryTable, lang: lang).utf8), Self.byteOrderMark + Data(csv(itemsTable, lang: lang).utf8))
    }

    /// Both tables in one stream (stdout): the mark, the summary, an empty line, the line items.
    public func csvCombined(lang: Language) -> Data {
        Self.byteOrderMark + Data((csv(summaryTable, lang: lang) + "\r\n" + csv(itemsTable, lang: lang)).utf8)
    }

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
    public func scoreExport(period: Period, by kind: ScoreSubject.Kind) async throws -> ScoreExport {
        let report = try await scores(period: period, by: kind)
        let measures = try await measures(period: period, by: kind)
        return ScoreExport(report: report, measures: measures, pack: pack, timeZone: planner.calendar.timeZone)
    }
}
