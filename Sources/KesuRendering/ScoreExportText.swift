import Foundation
import KesuKernel

extension ScoreExport {
    /// The language of headers, sheet and file names.
    public enum Language: String, Sendable, CaseIterable { case zh, en }

    /// Sheet and file names.
    public static func summaryName(_ lang: Language) -> String { lang == .zh ? "汇总" : "Summary" }
    public static func itemsName(_ lang: Language) -> String { lang == .zh ? "明细" : "Line items" }
    /// The suffix of the line-items CSV beside the summary (`scores.csv` → `scores-明细.csv`).
    public static func itemsFileSuffix(_ lang: Language) -> String { lang == .zh ? "明细" : "items" }

    /// Headers by column key, Chinese and English.
    static let headers: [String: (zh: String, en: String)] = [
        "unit": ("所属单位编号", "Unit ID"), "unit_name": ("所属单位", "Unit"),
        "baseline": ("基础分", "Baseline"), "deducted": ("扣分合计", "Deducted"), "score": ("得分", "Score"),
        "item_count": ("扣分明细条数", "Line items"), "received": ("受理件数", "Received"),
        "substantiated": ("投诉成立件数", "Substantiated"), "answered": ("办结件数", "Answered"),
        "answered_on_time": ("按时办结件数", "Answered on time"), "on_time_rate": ("按时办结率", "On-time rate"),
        "overdue": ("逾期件数", "Overdue"), "callbacks": ("回访件数", "Callbacks"), "unsatisfied": ("回访不满意件数", "Unsatisfied"),
        "satisfaction_rate": ("回访满意率", "Satisfaction rate"), "redispatched": ("不满意重新派单件数", "Re-dispatched"),
        "redispatch_rate": ("重新派单率", "Re-dispatch rate"), "extensions": ("延期次数", "Extensions"),
        "recommendation_name": ("建议处理", "Recommendation"), "recommendation": ("建议处理编号", "Recommendation ID"),
        "threshold": ("触发阈值", "Threshold"),
        "case": ("案件编号", "Case"), "cause_kind": ("扣分原因类型", "Cause type"), "cause": ("扣分原因编号", "Cause ID"),
        "cause_name": ("扣分原因", "Cause"), "rule_id": ("考评规则", "Scoring rule"), "points": ("扣分", "Points"),
        "occurred_at": ("发生时间", "Occurred at"), "pack_version": ("规则包版本", "Pack version"),
    ]

    // MARK: - CSV

    /// A table as CSV text (RFC 4180: CRLF line ends, fields with a comma, quote, CR or LF
    /// quoted, quotes doubled). Rates are fractions rounded to four places (0.6667), empty when
    /// there is no denominator; times are `yyyy-MM-dd HH:mm:ss` in the pack's zone.
    public func csv(_ table: Table, lang: Language) -> String {
        var out = CSV.line(table.columns.map { $0.title(lang) })
        for row in table.rows { out += CSV.line(row.map(csvText)) }
        return out
    }

    /// Summary and line items as two CSV files' bytes, each starting with the byte-order mark.
    public func csvFiles(lang: Language) -> (summary: Data, items: Data) {
        (Self.byteOrderMark + Data(csv(summaryTable, lang: lang).utf8), Self.byteOrderMark + Data(csv(itemsTable, lang: lang).utf8))
    }

    /// Both tables in one stream (stdout): the mark, the summary, an empty line, the line items.
    public func csvCombined(lang: Language) -> Data {
        Self.byteOrderMark + Data((csv(summaryTable, lang: lang) + "\r\n" + csv(itemsTable, lang: lang)).utf8)
    }
}

extension ScoreExport.Column {
    /// The header people read; the key itself for a column this version has no words for.
    public func title(_ lang: ScoreExport.Language) -> String {
        let unit = subject == .unit
        switch (key, lang) {
        case ("id", .zh): return unit ? "单位编号" : "人员编号"
        case ("id", .en): return unit ? "Unit ID" : "Person ID"
        case ("name", .zh): return unit ? "单位名称" : "姓名"
        case ("name", .en): return "Name"
        default:
            guard let h = ScoreExport.headers[key] else { return key }
            return lang == .zh ? h.zh : h.en
        }
    }
}
