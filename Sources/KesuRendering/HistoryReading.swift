import Foundation
import KesuKernel
import KesuViews

extension HistoryText {
    /// A history line in the words of the console's timeline: names instead of ids, times as
    /// `2026年10月13日 18:00`, field values with their labels. Events without their own wording
    /// here read as in `line(_:)`.
    /// A field's value as people read it: the pack's label, a person's name, 是/否, a Chinese time.
    public func value(field k: String, _ v: String) -> String {
        let type = pack.fields.first { $0.id == k }?.type
        if type == .boolean { return v == "yes" ? "是" : v == "no" ? "否" : v }
        if CaseField.kind(of: k) == .person || type == .person, let p = pack.person(v) { return p.name }
        if CaseField.kind(of: k) == .datetime || type == .datetime, let d = ISO8601.parse(v) { return ChineseTime.format(d, in: zone) }
        return pack.label(field: k, value: v) ?? v
    }

    public func reading(_ e: Event) -> String {
        func t(_ d: Date) -> String { ChineseTime.format(d, in: zone) }
        func state(_ id: String) -> String { pack.state(id)?.name ?? id }
        func clock(_ id: String) -> String { "「\(pack.clock(id)?.name ?? id)」" }
        func person(_ id: String) -> String { pack.person(id)?.name ?? id }
        func field(_ k: String, _ v: String) -> String { "\(CaseViewBuilder.fieldName(k, pack: pack))：\(value(field: k, v))" }
        switch e.body {
        case let .intake(number, s, _): return "登记案件 \(number)，状态：\(state(s))"
        case let .transition(id, from, to, fields):
            let detail = fields.keys.sorted().map { field($0, fields[$0]!) }.joined(separator: "；")
            return "\(pack.transition(id)?.name ?? id)：\(state(from)) → \(state(to))\(detail.isEmpty ? "" : "（\(detail)）")"
        case let .routed(unit, reason):
            return "派至 \(pack.unit(unit)?.name ?? unit)（\(reason == "manual" ? "人工指定" : "按派单规则 \(e.ruleID ?? "")")）"
        case let .assigned(p): return "指派承办人：\(person(p))"
        case let .clockStarted(run, _, due): return "开始计时\(clock(run.clock))，到期 \(t(due))"
        case let .clockStopped(run, late): return "停止计时\(clock(run.clock))\(late ? "（已逾期）" : "")"
        case let .clockPaused(run, _): return "暂停计时\(clock(run.clock))"
        case let .clockResumed(run, due): return "恢复计时\(clock(run.clock))，到期 \(t(due))"
        case let .clockExtended(run, due, reason, approver, _): return "延期\(clock(run.clock))至 \(t(due))，理由：\(reason)，批准：\(person(approver))"
        case let .clockReplanned(run, due, previous, _): return "节假日日历变更，\(clock(run.clock))到期时间 \(t(previous)) → \(t(due))"
        case let .reminder(run, step, _, to): return "催办提醒\(clock(run.clock))第\(step + 1)级 → \(to.map(person).joined(separator: "、"))"
        case let .escalation(run, step, _, to): return "升级\(clock(run.clock))第\(step + 1)级 → \(to.map(person).joined(separator: "、"))"
        case let .closed(s): return "办结（\(state(s))）"
        case let .extensionRequested(run, length, reason):
            return "\(person(e.actor))申请延期\(clock(run.clock))\(Self.lengthText(length))，理由：\(reason)"
        case let .extensionDeclined(run, reason, by): return "不批准延期\(clock(run.clock))，理由：\(reason)，审批：\(person(by))"
        default: return line(e)
        }
    }
}
