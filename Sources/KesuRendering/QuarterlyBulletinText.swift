import KesuKernel

extension QuarterlyReport {
    /// The bulletin's 基本情况 as plain text (the HTML document's paragraph, unescaped), for front ends
    /// that escape it themselves.
    public var bulletinSummary: String {
        let total = figure("opened"), onTime = figure("on_time_rate"), sat = figure("satisfaction_rate"), sub = figure("substantiated")
        let kinds = figures.filter { $0.key.hasPrefix("kind:") }.map { "\($0.label) \($0.currentText) 件" }
        return "本季度共受理客户意见 \(total?.currentText ?? "0") 件 (上季度 \(total?.previousText ?? "-") 件, 增减 \(total?.changeText ?? "-"))"
            + (kinds.isEmpty ? "" : ", 其中" + kinds.joined(separator: "、"))
            + "。投诉成立 \(sub?.currentText ?? "0") 件; 按时办结率 \(onTime?.currentText ?? "-") (\(onTime?.changeText ?? "-")); "
            + "回访满意率 \(sat?.currentText ?? "-") (\(sat?.changeText ?? "-"))。"
    }

    /// What the bulletin says when it lists no typical case.
    public var typicalCasesNote: String {
        typicalRule ? "本季度无符合条件的典型案例。" : "规则包未定义典型案例规则 (reporting.typical_cases)。"
    }
}
