import Foundation
import KesuKernel

/// The Chinese text of reminders, escalations and violation notices, written from the
/// notification's facts: names instead of ids, the clock's real due time, and whether it has
/// passed when the message is made.
///
///     【催办】案件 YC-2026-000001「答复时限」将于2026年10月13日 18:00到期，承办单位：物流中心，请及时办理。
public struct ChineseNotificationWording: NotificationWording {
    public init() {}

    public func text(for n: KesuKernel.Notification, pack: RulePack, zone: TimeZone) -> String {
        if n.kind == .calendar { return Self.calendarText(n, pack: pack, zone: zone) }
        // A due time in a year the calendar only drafts (or does not know) carries the same mark as everywhere else.
        let due = n.dueAt.map { d -> String in
            var gregorian = Calendar(identifier: .gregorian)
            gregorian.timeZone = zone
            return ChineseTime.format(d, in: zone) + CoverageText.mark(pack.calendar.coverage(ofYear: gregorian.component(.year, from: d)))
        }
        let unit = n.unit.map { pack.unit($0)?.name ?? $0 }
        if let reportID = n.report {
            let name = pack.reporting.reports.first { $0.id == reportID }?.name ?? reportID
            let period = n.period.map(Self.quarter) ?? ""
            let owner = unit.map { "（\($0)）" } ?? ""
            switch n.kind {
            case .reminder:
                return "【报表提醒】《\(name)》\(period)将于\(due ?? "")到期\(owner)，请按时上报。"
            case .escalation, .violation, .calendar, .extensionRequest, .event:
                return "【报表逾期】《\(name)》\(period)已于\(due ?? "")到期未报\(owner)。"
            }
        }
        let clock = n.clock.map { "「\(pack.clock($0)?.name ?? $0)」" } ?? ""
        let subject = "案件 \(n.caseNumber)\(clock)"
        let when = due.map { n.isPastDue ? "已于\($0)到期（已逾期）" : "将于\($0)到期" } ?? ""
        switch n.kind {
        case .reminder:
            let owner = unit.map { "，承办单位：\($0)" } ?? ""
            return "【催办】\(subject)\(when)\(owner)，请\(n.isPastDue ? "尽快" : "及时")办理。"
        case .escalation:
            let owner = unit.map { "，承办单位\($0)尚未办结" } ?? "，尚未办结"
            return "【督办】\(subject)\(when)\(owner)，现升级督办。"
        case .calendar:
            return Self.calendarText(n, pack: pack, zone: zone)
        case .event:
            return "【事件推送】案件 \(n.caseNumber)：\(n.rule ?? "")"
        case .extensionRequest:
            let who = n.person.map { pack.person($0)?.name ?? $0 } ?? "承办人"
            let owner = unit.map { "（承办单位：\($0)）" } ?? ""
            return "【延期申请】\(who)申请延长\(subject)\(owner)，当前\(when.isEmpty ? "时限未定" : when)，请审批。"
        case .violation:
            let name = n.violation.map { id in pack.scoring.violations.first { $0.id == id }?.name ?? id } ?? ""
            let who = [unit, n.person.map { pack.person($0)?.name ?? $0 }].compactMap { $0 }.joined(separator: "·")
            let deadline = due.map { "（时限\($0)）" } ?? ""
            return "【违规记录】案件 \(n.caseNumber)：\(who)「\(name)」\(deadline)，已记录违规。"
        }
    }

    /// The coverage notice to the administrators: until when the official calendar counts, and what to do.
    ///
    ///     【日历提醒】节假日日历（国务院办公厅通知）只覆盖到2026年12月31日，还剩25天。国务院办公厅发布2027年…的通知后，…
    ///
    /// What to do, and how deadlines count meanwhile, is `CoverageText.advice`, as `kesu calendar show` says it.
    static func calendarText(_ n: KesuKernel.Notification, pack: RulePack, zone: TimeZone) -> String {
        let year = n.period.flatMap(Int.init) ?? 0
        let todo = CoverageText.advice(pack.calendar.coverage(ofYear: year), year: year) ?? ""
        guard let end = n.dueAt else {
            return "【日历提醒】节假日日历（国务院办公厅通知）不覆盖今天（\(year)年）。\(todo)"
        }
        // `dueAt` is the first instant not covered; the last covered day is the one before it.
        let lastDay = ChineseTime.date(end.addingTimeInterval(-1), in: zone)
        let left = max(0, Int((end.timeIntervalSince(n.at) / 86_400).rounded(.up)))
        return "【日历提醒】节假日日历（国务院办公厅通知）只覆盖到\(lastDay)，还剩\(left)天。\(todo)"
    }

    /// `2026Q4` → `（2026年第四季度）`.
    static func quarter(_ label: String) -> String {
        let parts = label.split(separator: "Q")
        guard parts.count == 2, let q = Int(parts[1]), (1...4).contains(q) else { return "（\(label)）" }
        return "（\(parts[0])年第\(["一", "二", "三", "四"][q - 1])季度）"
    }
}
