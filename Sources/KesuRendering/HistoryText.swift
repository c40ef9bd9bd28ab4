import Foundation
import KesuKernel

/// A case's history as lines people read (`kesu show`, the console's timeline): what happened,
/// with the pack's names beside ids and times in the pack's zone.
public struct HistoryText: Sendable {
    public let pack: RulePack
    public let zone: TimeZone

    public init(pack: RulePack, zone: TimeZone) { self.pack = pack; self.zone = zone }

    func time(_ d: Date) -> String { ISO8601.format(d, in: zone) }

    /// `物流中心(logistics_center)`: the pack's name with the id, or the id alone.
    public func label(_ field: String, _ value: String) -> String {
        pack.label(field: field, value: value).map { "\($0)(\(value))" } ?? value
    }

    public func line(_ e: Event) -> String {
        switch e.body {
        case let .intake(number, state, _): return "登记 \(number) → \(pack.state(state)?.name ?? state)"
        case let .transition(id, from, to, fields):
            let f = fields.keys.sorted().map { "\($0)=\(fields[$0]!)" }.joined(separator: " ")
            return "\(pack.transition(id)?.name ?? id)(\(id)): \(from) → \(to)\(f.isEmpty ? "" : "  [\(f)]")"
        case let .routed(unit, reason): return "承办单位 → \(label("handling_unit", unit)) (\(reason == "manual" ? "人工转派" : "规则 \(e.ruleID ?? "")"))"
        case let .assigned(p): return "指派 → \(label("assignee", p))"
        case let .clockStarted(run, _, due): return "时限 \(pack.clock(run.clock)?.name ?? run.clock) #\(run.run) 开始, 到期 \(time(due))"
        case let .clockStopped(run, late): return "时限 \(pack.clock(run.clock)?.name ?? run.clock) #\(run.run) 停止\(late ? " (已逾期)" : "")"
        case let .clockPaused(run, left): return "时限 \(run) 暂停, 剩余 \(Int(left / 60)) 分钟"
        case let .clockResumed(run, due): return "时限 \(run) 恢复, 到期 \(time(due))"
        case let .clockExtended(run, due, reason, approver, _): return "时限 \(run) 延期至 \(time(due)), 理由: \(reason), 批准: \(approver)"
        case let .clockReplanned(run, due, previous, _):
            return "时限 \(pack.clock(run.clock)?.name ?? run.clock) #\(run.run) 按新的节假日日历重算, 到期 \(time(previous)) → \(time(due))"
        case let .reminder(run, step, _, to): return "提醒 \(run) 第\(step + 1)级 → \(to.joined(separator: ", "))"
        case let .escalation(run, step, _, to): return "升级 \(run) 第\(step + 1)级 → \(to.joined(separator: ", "))"
        case let .violation(id, _, unit, person, at):
            return "违规 \(pack.scoring.violations.first { $0.id == id }?.name ?? id)(\(id)): \(unit)\(person.map { "/\($0)" } ?? "") 于 \(time(at))"
        case let .outcome(id, unit, _): return "结果 \(pack.scoring.outcomes.first { $0.id == id }?.name ?? id)(\(id))\(unit.map { " @\($0)" } ?? "")"
        case let .deduction(cause, subject, points, _): return "扣分 \(subject.kind.rawValue) \(subject.id) −\(PenaltyNotice.points(points)) (\(cause), 规则 \(e.ruleID ?? ""))"
        case let .closed(state): return "办结 (\(pack.state(state)?.name ?? state))"
        case let .attachmentAdded(name, type, size, _): return "上传附件 \(name)（\(type)，\(AttachmentLimits.sizeText(size))）"
        case let .extensionRequested(run, length, reason):
            return "申请延期 时限 \(run) \(Self.lengthText(length)), 理由: \(reason), 申请人: \(e.actor)"
        case let .extensionDeclined(run, reason, by): return "不批准延期 时限 \(run), 理由: \(reason), 审批: \(by)"
        }
    }

    /// `3个工作日`, `4个工作小时`, `90个工作分钟`: an extension's length as people say it.
    public static func lengthText(_ length: ClockLength) -> String {
        switch length {
        case let .workingDays(n, _): "\(n)个工作日"
        case let .workingMinutes(m): m % 60 == 0 ? "\(m / 60)个工作小时" : "\(m)个工作分钟"
        }
    }

}
