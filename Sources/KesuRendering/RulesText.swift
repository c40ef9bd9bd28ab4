import Foundation
import KesuKernel
import KesuViews

/// The rules of a pack in Chinese for the administrator who reads them (the console's rules desk):
/// conditions, routing targets, why a row did not match, clock lengths, ladder steps, permissions.
/// Names come from the pack; ids only where the pack gives no name.
public struct RulesText: Sendable {
    public let pack: RulePack

    public init(pack: RulePack) { self.pack = pack }

    // MARK: Fields and values

    public func field(_ id: String) -> String { CaseViewBuilder.fieldName(id, pack: pack) }

    /// `“送货员服务、送货不及时、卷烟质量”`: a value with the pack's label, or the raw value.
    public func value(_ field: String, _ value: String) -> String { "“\(pack.label(field: field, value: value) ?? value)”" }

    func values(_ field: String, _ vs: [String]) -> String { vs.map { value(field, $0) }.joined(separator: "、") }

    /// `分类为“电子结算”`, `区域为“甲县”、“乙县”之一`, `区域已填写`.
    public func condition(_ c: FieldCondition) -> String {
        let f = field(c.field)
        switch c.test {
        case let .equals(v): return "\(f)为\(value(c.field, v))"
        case let .oneOf(vs): return vs.count == 1 ? "\(f)为\(value(c.field, vs[0]))" : "\(f)为\(values(c.field, vs))之一"
        case let .notOneOf(vs): return vs.count == 1 ? "\(f)不是\(value(c.field, vs[0]))" : "\(f)不是\(values(c.field, vs))中的任何一个"
        case let .missing(m): return m ? "\(f)未填写" : "\(f)已填写"
        }
    }

    /// All conditions joined with “且”; `always` when there are none.
    public func conditions(_ cs: [FieldCondition], always: String = "任何情况") -> String {
        cs.isEmpty ? always : cs.map(condition).joined(separator: "，且")
    }

    /// Where a row sends a case: a unit's name, or the region's unit with each region's unit named.
    public func target(_ t: RouteRule.Target) -> String {
        switch t {
        case let .unit(u): return pack.unit(u)?.name ?? u
        case .regionUnit:
            let pairs = pack.regions.compactMap { r in r.unit.map { "\(r.name)→\(pack.unit($0)?.name ?? $0)" } }
            return "案件所在区域的单位" + (pairs.isEmpty ? "" : "（\(pairs.joined(separator: "，"))）")
        }
    }

    /// Why a row did not match: `分类是“电子结算”，不是“送货员服务…”`, `区域未填写，无法按区域确定单位`.
    public func miss(_ m: RouteMiss) -> String {
        switch m {
        case let .condition(c, actual):
            let f = field(c.field)
            let now = actual.map { "\(f)是\(value(c.field, $0))" } ?? "\(f)未填写"
            switch c.test {
            case let .equals(v): return actual == nil ? "\(now)（要求为\(value(c.field, v))）" : "\(now)，不是\(value(c.field, v))"
            case let .oneOf(vs): return actual == nil ? "\(now)（要求为\(values(c.field, vs))之一）" : "\(now)，不在\(values(c.field, vs))之中"
            case .notOneOf: return "\(now)，正是本规则排除的值"
            case let .missing(m): return m ? "\(now)（本规则要求未填写）" : "\(f)未填写"
            }
        case .regionMissing:
            return "区域未填写，无法按区域确定承办单位"
        case let .regionHasNoUnit(r):
            return "区域\(value("region", r))没有所属单位"
        }
    }

    // MARK: Organisation

    public static func permission(_ p: Permission) -> String {
        switch p {
        case .personalData: "查看客户个人信息（姓名、电话不打码）"
        case .reports: "查看考核、处罚与报告"
        case .rulesAdmin: "管理规则与账号"
        }
    }

    public static func scope(_ s: RoleDef.Scope) -> String {
        switch s {
        case .all: "全部案件"
        case .handlingUnit: "本单位承办的案件"
        }
    }

    public func role(_ id: String) -> String { pack.role(id)?.name ?? id }

    public func roles(_ ids: [String]) -> String { ids.map(role).joined(separator: "、") }

    /// A step's name, the registration included (`intake` is the pseudo-step clocks start on).
    public func step(_ id: String) -> String {
        id == IntakeDef.transitionID ? "受理登记" : pack.transition(id)?.name ?? id
    }

    public func steps(_ ids: [String]) -> String { ids.isEmpty ? "无" : ids.map(step).joined(separator: "、") }

    // MARK: Clocks

    /// `3个工作日，当日下班时（18:00）到期`, `4个工作小时`.
    public func length(_ l: ClockLength) -> String {
        switch l {
        case let .workingDays(n, .endOfDay):
            let closing = pack.calendar.businessHours.last.map { String(format: "%02d:%02d", $0.end / 60, $0.end % 60) }
            return "\(n)个工作日，第\(n)个工作日下班时" + (closing.map { "（\($0)）" } ?? "") + "到期"
        case let .workingDays(n, .sameTime):
            return "\(n)个工作日，到期为同一时刻"
        case let .workingMinutes(m):
            return HistoryText.lengthText(.workingMinutes(m))
        }
    }

    public static func owner(_ o: ClockOwner) -> String {
        switch o {
        case .handlingUnit: "承办单位"
        case .center: "归口管理部门（投诉中心）"
        }
    }

    public static func responsible(_ r: Responsible) -> String {
        switch r {
        case .assignee: "承办人（未指派时为承办单位督察考评员）"
        case .intakeActor: "登记人"
        case .liaison: "承办单位督察考评员"
        case .head: "承办单位负责人"
        }
    }

    /// `时限过半时`, `到期时`, `逾期后8个工作小时`.
    public static func when(_ at: LadderStep.At) -> String {
        switch at {
        case let .share(s):
            if s == 1 { return "到期时" }
            if s == 0.5 { return "时限过半时" }
            return "时限过去\(Int((s * 100).rounded()))%时"
        case let .afterDue(minutes):
            return "逾期后" + HistoryText.lengthText(.workingMinutes(minutes))
        }
    }

    /// `提醒 督察考评员、承办人`; `升级至 企业管理科负责人，记违规“拖延推诿”`.
    public func ladderStep(_ s: LadderStep) -> String {
        var parts: [String] = []
        if !s.remind.isEmpty { parts.append("提醒\(roles(s.remind))") }
        if !s.escalateTo.isEmpty { parts.append("升级至\(roles(s.escalateTo))") }
        if let v = s.violation { parts.append("记违规\(violation(v))") }
        return parts.isEmpty ? "（无动作）" : parts.joined(separator: "，")
    }

    public func violation(_ id: String) -> String { "“\(pack.scoring.violations.first { $0.id == id }?.name ?? id)”" }

    public func outcome(_ id: String) -> String { "“\(pack.scoring.outcomes.first { $0.id == id }?.name ?? id)”" }

    /// `扣分：单位 1 分，个人 2 分`.
    public static func points(_ n: Double) -> String {
        n == n.rounded() ? String(Int(n)) : String(n)
    }
}
