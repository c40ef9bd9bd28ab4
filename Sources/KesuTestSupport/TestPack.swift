import Foundation
import KesuKernel

/// A small generic pack built in code, for kernel tests that must not depend on YAML or on a
/// shipped pack: a center, two handling units, a region, a three-step answer clock with a
/// ladder, a callback that re-dispatches on "unsatisfied", points, and a penalty procedure with appeals.
public enum TestPack {
    public static let zone = TimeZone(identifier: "Asia/Shanghai")!

    /// 2026 National Day and Spring Festival facts, enough for deadline tests.
    public static let holidays: [DatedDay] =
        (1...7).map { DatedDay(date: LocalDate(year: 2026, month: 10, day: $0), name: "national_day", label: "国庆节") }
        + (15...23).map { DatedDay(date: LocalDate(year: 2026, month: 2, day: $0), name: "spring_festival", label: "春节") }
    public static let workdays: [DatedDay] = [
        DatedDay(date: LocalDate(year: 2026, month: 10, day: 10), name: "national_day", label: "国庆节"),
        DatedDay(date: LocalDate(year: 2026, month: 2, day: 14), name: "spring_festival", label: "春节"),
        DatedDay(date: LocalDate(year: 2026, month: 2, day: 28), name: "spring_festival", label: "春节"),
    ]

    public static func make() -> RulePack {
        func c(_ f: String, _ v: String) -> FieldCondition { FieldCondition(field: f, test: .equals(v)) }
        return RulePack(
            info: PackInfo(id: "test", name: "测试", caseNumberPrefix: "T"),
            calendar: CalendarRules(businessHours: [MinuteRange((8, 30), (12, 0)), MinuteRange((14, 30), (18, 0))],
                                    holidays: holidays, workdays: workdays),
            roles: [
                RoleDef(id: "clerk", name: "受理员"), RoleDef(id: "center_head", name: "负责人"),
                RoleDef(id: "liaison", name: "联络员", scope: .handlingUnit),
                RoleDef(id: "handler", name: "承办人", scope: .handlingUnit),
                RoleDef(id: "unit_head", name: "单位负责人", scope: .handlingUnit),
                RoleDef(id: "auditor", name: "审计", readOnly: true),
            ],
            units: [
                UnitDef(id: "center", name: "中心", isCenter: true, liaison: "clerk1", head: "chief"),
                UnitDef(id: "unit_a", name: "甲部门", liaison: "a_liaison", head: "a_head"),
                UnitDef(id: "unit_b", name: "乙部门", liaison: "b_liaison", head: "b_head"),
                UnitDef(id: "county", name: "县局", liaison: "k_liaison", head: "k_liaison"),
            ],
            people: [
                PersonDef(id: "clerk1", name: "受理员一", unit: "center", roles: ["clerk"]),
                PersonDef(id: "chief", name: "主任", unit: "center", roles: ["center_head"]),
                PersonDef(id: "audit1", name: "审计员", unit: "center", roles: ["auditor"]),
                PersonDef(id: "a_liaison", name: "甲联络", unit: "unit_a", roles: ["liaison"]),
                PersonDef(id: "a_handler", name: "甲承办", unit: "unit_a", roles: ["handler"]),
                PersonDef(id: "a_head", name: "甲负责", unit: "unit_a", roles: ["unit_head"]),
                PersonDef(id: "b_liaison", name: "乙联络", unit: "unit_b", roles: ["liaison", "handler"]),
                PersonDef(id: "b_head", name: "乙负责", unit: "unit_b", roles: ["unit_head"]),
                PersonDef(id: "k_liaison", name: "县联络", unit: "county", roles: ["liaison", "handler", "unit_head"]),
            ],
            kinds: [Choice(id: "complaint", name: "投诉"), Choice(id: "inquiry", name: "咨询")],
            levels: [Choice(id: "general", name: "一般"), Choice(id: "major", name: "重大")],
            categories: [
                CategoryDef(id: "service", name: "服务", keywords: ["态度", "服务"]),
                CategoryDef(id: "delivery", name: "送货", kinds: ["complaint"], keywords: ["送货"]),
                CategoryDef(id: "license", name: "许可证", keywords: ["许可证"]),
                CategoryDef(id: "other", name: "其他"),
            ],
            channels: [Choice(id: "phone", name: "电话")],
            regions: [RegionDef(id: "north", name: "北县", unit: "county"), RegionDef(id: "city", name: "城区")],
            fields: [
                FieldDef(id: "result", name: "处理结果"),
                FieldDef(id: "fault", name: "责任", type: .choice, values: [Choice(id: "ours", name: "我方"), Choice(id: "none", name: "无")]),
                FieldDef(id: "satisfaction", name: "满意度", type: .choice,
                         values: [Choice(id: "satisfied", name: "满意"), Choice(id: "unsatisfied", name: "不满意")]),
            ],
            routing: [
                RouteRule(id: "R1", when: [FieldCondition(field: "category", test: .oneOf(["license"])),
                                           FieldCondition(field: "region", test: .missing(false))], target: .regionUnit),
                RouteRule(id: "R2", when: [c("category", "service")], target: .unit("unit_a")),
                RouteRule(id: "R3", when: [c("category", "delivery")], target: .unit("unit_b")),
                RouteRule(id: "R9", when: [], target: .unit("center")),
            ],
            procedure: ProcedureDef(
                initialState: "registered",
                states: [
                    StateDef(id: "registered", name: "已登记"), StateDef(id: "dispatched", name: "已派单"),
                    StateDef(id: "answered", name: "已答复"), StateDef(id: "callback_pending", name: "待回访"),
                    StateDef(id: "redispatch_pending", name: "待重派"), StateDef(id: "closed", name: "办结", isFinal: true),
                ],
                intake: IntakeDef(roles: ["clerk"], requires: ["channel", "kind", "description"],
                                  accepts: ["category", "level", "region", "subject", "respondent_person"], route: true),
                transitions: [
                    TransitionDef(id: "answer_on_spot", name: "当场答复", from: ["registered"], to: [GuardedTarget(state: "closed")],
                                  roles: ["clerk"], when: [c("kind", "inquiry")], requires: ["result"]),
                    TransitionDef(id: "dispatch", name: "派单", from: ["registered"], to: [GuardedTarget(state: "dispatched")],
                                  roles: ["center_head"], requires: ["category"], accepts: ["handling_unit", "level"], route: true),
                    TransitionDef(id: "answer", name: "答复", from: ["dispatched"], to: [GuardedTarget(state: "answered")],
                                  roles: ["handler"], requires: ["result"], accepts: ["fault"], assignActor: true),
                    TransitionDef(id: "approve", name: "审核", from: ["answered"], to: [
                        GuardedTarget(when: [c("fault", "ours")], state: "callback_pending", outcomes: ["fault_found"]),
                        GuardedTarget(state: "callback_pending"),
                    ], roles: ["unit_head"]),
                    TransitionDef(id: "callback", name: "回访", from: ["callback_pending"], to: [
                        GuardedTarget(when: [c("satisfaction", "unsatisfied")], state: "redispatch_pending", outcomes: ["unsatisfied_callback"]),
                        GuardedTarget(state: "closed"),
                    ], roles: ["clerk"], requires: ["satisfaction"]),
                    TransitionDef(id: "redispatch", name: "重新派单", from: ["redispatch_pending"], to: [GuardedTarget(state: "dispatched")],
                                  roles: ["clerk"], accepts: ["handling_unit"]),
                ]),
            clocks: [
                ClockDef(id: "answer", name: "答复时限", length: .workingDays(3, .endOfDay), start: ["dispatch", "redispatch"],
                         stop: ["approve"], violation: "late_answer", ladder: "answer_ladder",
                         extensionRule: ExtensionRule(approvers: ["center_head"], maxCount: 1, maxLength: .workingDays(2, .endOfDay))),
                ClockDef(id: "callback", name: "回访时限", length: .workingDays(3, .endOfDay), start: ["approve"], stop: ["callback"],
                         owner: .center, responsible: .intakeActor, violation: "late_callback"),
                ClockDef(id: "first_look", name: "首次处理", length: .workingMinutes(240), start: ["intake"], stop: ["dispatch", "answer_on_spot"],
                         owner: .center, responsible: .intakeActor),
            ],
            ladders: [LadderDef(id: "answer_ladder", steps: [
                LadderStep(at: .share(0.5), remind: ["liaison"]),
                LadderStep(at: .share(1.0), remind: ["unit_head"]),
                LadderStep(at: .afterDue(minutes: 8 * 60), escalateTo: ["center_head"], violation: "stalling"),
            ])],
            scoring: ScoringDef(
                baseline: 100,
                violations: [Choice(id: "late_answer", name: "未按时处理"), Choice(id: "late_callback", name: "未及时回访"),
                             Choice(id: "stalling", name: "拖延推诿")],
                outcomes: [Choice(id: "unsatisfied_callback", name: "回访不满意"), Choice(id: "fault_found", name: "投诉成立")],
                rules: [
                    ScoringRule(id: "S1", on: .violation("late_answer"), unitPoints: 1, personPoints: 1),
                    ScoringRule(id: "S2", on: .violation("late_callback"), unitPoints: 1, personPoints: 0.5),
                    ScoringRule(id: "S3", on: .violation("stalling"), unitPoints: 2, personPoints: 2),
                    ScoringRule(id: "S4", on: .outcome("unsatisfied_callback"), unitPoints: 0.5),
                    ScoringRule(id: "S5", on: .outcome("fault_found"), when: [c("level", "major")], unitPoints: 5, personPoints: 3,
                                person: .field("respondent_person")),
                ],
                penalties: [Choice(id: "verbal_warning", name: "口头警告"), Choice(id: "written_warning", name: "书面警告"),
                            Choice(id: "notice_of_criticism", name: "通报批评")],
                thresholds: [
                    PenaltyThreshold(id: "T1", points: 3, penalty: "verbal_warning"),
                    PenaltyThreshold(id: "T2", points: 5, penalty: "written_warning"),
                    PenaltyThreshold(id: "T3", subject: .unit, points: 6, penalty: "notice_of_criticism"),
                ],
                // The center head decides; the person concerned or the unit's head may appeal within
                // three working days; the center head decides the appeal.
                penaltyProcedure: PenaltyProcedure(
                    decidedBy: ["center_head"],
                    appeal: PenaltyAppealRule(by: [PenaltyAppealRule.personConcerned, "unit_head"], withinWorkingDays: 3,
                                              decidedBy: ["center_head"]))),
            reporting: ReportingDef(onTimeClock: "answer", substantiatedOutcome: "fault_found", callbackTransitions: ["callback"],
                                    unsatisfiedOutcome: "unsatisfied_callback", redispatchTransitions: ["redispatch"],
                                    typicalCases: TypicalCasesDef(outcomes: ["fault_found", "unsatisfied_callback"], limit: 3)))
    }

    /// `2026-09-30T10:00` in the pack's zone (+08:00).
    public static func at(_ text: String) -> Date {
        ISO8601.parse(text.count == 16 ? text + ":00+08:00" : text)!
    }
}
