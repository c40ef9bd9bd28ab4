import KesuKernel

/// The words of the quarterly report for the kernel's keys: its own figures, the fields it
/// counts by, and the unset value. Values of the pack (kinds, categories, units…) keep the pack's labels.
public enum QuarterlyLabels {
    public static let figures: [String: String] = [
        "opened": "受理总数", "substantiated": "投诉成立", "answered": "办结(答复)", "overdue": "超时",
        "on_time_rate": "按时办结率", "callbacks": "回访", "satisfaction_rate": "回访满意率",
        "redispatched": "重新派单", "extensions": "延期",
    ]
    public static let fields: [String: String] = [
        "kind": "类型", "category": "分类", "handling_unit": "承办单位", "channel": "渠道", "complainant_type": "客户类型",
    ]
    /// A field the case left empty.
    public static let unset = "(未填)"
}

extension QuarterlyReport.Figure {
    public var label: String { name ?? QuarterlyLabels.figures[key] ?? key }
}

extension QuarterlyReport.Breakdown {
    public var label: String { name ?? QuarterlyLabels.fields[field] ?? field }
}

extension QuarterlyReport.Line {
    public var label: String { name ?? (id.isEmpty ? QuarterlyLabels.unset : id) }
}

extension QuarterlyReport {
    /// The report with every `name` filled from its label: what the JSON of the report shows.
    public var labelled: QuarterlyReport {
        var r = self
        for i in r.figures.indices { r.figures[i].name = r.figures[i].label }
        for b in r.breakdowns.indices {
            r.breakdowns[b].name = r.breakdowns[b].label
            for l in r.breakdowns[b].lines.indices { r.breakdowns[b].lines[l].name = r.breakdowns[b].lines[l].label }
        }
        return r
    }
}
