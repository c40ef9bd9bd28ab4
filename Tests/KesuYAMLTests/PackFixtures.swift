import Foundation
import KesuKernel
import KesuYAML
import Testing

/// A complete small pack exercising every section of docs/rule-packs.md, one file per concern.
enum Fixture {
    static let calendar = """
        region: CN
        holidays:
          - {date: 2026-10-01, name: national_day, zh: 国庆节}
          - {date: 2026-10-02, name: national_day, zh: 国庆节}
        workdays:
          - {date: 2026-10-10, name: national_day, zh: 国庆节}

        """

    static let good: [String: String] = [
        "pack.yaml": """
            pack:
              id: test-pack
              name: 测试局投诉管理办法
              label: "2026.1"
              case_number_prefix: YC
            calendar:
              time_zone: Asia/Shanghai
              business_hours: ["08:30-12:00", "14:30-18:00"]
              weekend: [saturday, sun]
              include: [../calendars/cal.yaml]
              holidays:
                - {date: 2026-12-31, name: year_end, zh: 年终盘点}
              workdays: []

            """,
        "org.yaml": """
            roles:
              - {id: clerk, name: 投诉受理员}
              - {id: liaison, name: 督察考评员, scope: handling_unit}
              - {id: unit_head, name: 负责人, scope: handling_unit}
              - {id: leader, name: 分管领导}
              - {id: auditor, name: 审计, read_only: true}
            units:
              - {id: enterprise_mgmt, name: 企业管理科, center: true, liaison: zhao, head: qian}
              - {id: county_a_bureau, name: 甲县局, liaison: sun, head: li}
            people:
              - {id: zhao, name: 赵敏, unit: enterprise_mgmt, roles: [clerk, liaison]}
              - {id: qian, name: 钱进, unit: enterprise_mgmt, roles: [unit_head, leader]}
              - {id: sun, name: 孙丽, unit: county_a_bureau, roles: [liaison]}
              - {id: li, name: 李强, unit: county_a_bureau, roles: [unit_head]}
              - {id: wu, name: 吴审, unit: enterprise_mgmt, roles: [auditor]}

            """,
        "classify.yaml": """
            kinds:
              - {id: complaint, name: 投诉}
              - {id: inquiry, name: 咨询}
            levels:
              - {id: general, name: 一般}
              - {id: major, name: 重大}
            categories:
              - id: license
                name: 许可证
                kinds: [complaint, inquiry]
                keywords: [许可证, 办证]
              - {id: service, name: 服务}
            complainant_types:
              - {id: retailer, name: 卷烟零售客户}
            channels:
              - {id: phone, name: 电话}
            regions:
              - {id: county_a, name: 甲县, unit: county_a_bureau}
            fields:
              - {id: substantiated, name: 投诉是否成立, type: boolean}
              - {id: fault, name: 责任归属, type: choice, values: [{id: ours, name: 我方责任}, {id: customer, name: 客户原因}]}
              - {id: satisfaction, name: 满意度, type: choice, values: [{id: satisfied, name: 满意}, {id: unsatisfied, name: 不满意}]}
              - {id: answer_text, name: 答复, type: text}

            """,
        "routing.yaml": """
            routing:
              - id: R1-license
                name: 许可证 → 所在县局
                when: {category: {one_of: [license]}, region: {missing: false}}
                unit_from: region
              - id: R9-fallback
                name: 其他
                unit: enterprise_mgmt

            """,
        "procedure.yaml": """
            procedure:
              initial: registered
              states:
                - {id: registered, name: 已登记}
                - {id: handling, name: 办理中}
                - {id: callback_pending, name: 待回访}
                - {id: closed, name: 已办结, final: true}
              intake:
                roles: [clerk]
                requires: [channel, kind, description]
                accepts: [category, level, region, subject]
                route: true
              transitions:
                - id: dispatch
                  name: 派发
                  from: [registered]
                  roles: [clerk]
                  route: true
                  to: handling
                - id: answer
                  name: 答复
                  from: [handling]
                  roles: [liaison]
                  requires: [answer_text]
                  assign_actor: true
                  to: callback_pending
                - id: callback
                  name: 回访
                  from: [callback_pending]
                  roles: [clerk]
                  when: {kind: complaint}
                  requires: [satisfaction]
                  accepts: [substantiated, fault]
                  to:
                    - when: {satisfaction: unsatisfied}
                      state: handling
                      outcomes: [unsatisfied_callback]
                    - state: closed
                - id: close_inquiry
                  name: 咨询办结
                  from: [callback_pending]
                  roles: [clerk]
                  when: {kind: {equals: inquiry}, level: {not_one_of: [major]}}
                  to: closed

            """,
        "clocks.yaml": """
            clocks:
              - id: answer_clock
                name: 承办答复时限
                working_days: 3
                start: [dispatch]
                stop: [answer]
                owner: handling_unit
                responsible: assignee
                violation: late_answer
                ladder: answer_ladder
                extension:
                  approvers: [unit_head]
                  max_working_days: 2
              - id: callback_clock
                name: 回访时限
                working_days: 2
                ends: same_time
                start: [answer]
                stop: [callback, close_inquiry]
                pause: []
                resume: []
                when: {kind: complaint}
                owner: center
                responsible: intake_actor
              - id: dispatch_clock
                working_hours: 2
                start: [intake]
                stop: [dispatch]
                extension: {approvers: [leader], max_count: 2, max_working_hours: 3}
              - id: quick_clock
                working_minutes: 90
                start: [intake]
                stop: [dispatch]
            ladders:
              - id: answer_ladder
                steps:
                  - {at: {share: 0.5}, remind: [liaison]}
                  - {at: {share: 1.0}, remind: [unit_head, liaison]}
                  - {at: {working_hours_after_due: 8}, escalate_to: [leader], violation: stalling}
                  - {at: {working_minutes_after_due: 600}, remind: [leader]}

            """,
        "scoring.yaml": """
            scoring:
              baseline: 100
              violations:
                - {id: late_answer, name: 未按时处理}
                - {id: stalling, name: 推诿拖延}
              outcomes:
                - {id: unsatisfied_callback, name: 回访不满意}
              rules:
                - {id: S1, on: {violation: late_answer}, unit: 1, person: 1}
                - id: S5
                  on: {outcome: unsatisfied_callback}
                  when: {level: major, fault: ours}
                  unit: 10
                  person: 5
                  person_from: respondent_person
                - {id: S6, on: {violation: stalling}, unit: 2.5}
              penalties:
                - {id: verbal_warning, name: 口头警告}
                - {id: written_warning, name: 书面警告}
              thresholds:
                - {id: T1, subject: person, period: quarter, points: 3, penalty: verbal_warning}
                - {id: T2, subject: unit, period: year, points: 10, penalty: written_warning}
              penalty_procedure:
                decided_by: [leader]
                appeal:
                  by: [person_concerned, unit_head]
                  within_working_days: 5
                  decided_by: [leader]

            """,
    ]

    /// Writes the pack (with `overrides`; nil deletes a file) and its calendar under a fresh temp folder.
    /// Returns the pack folder path.
    static func write(_ overrides: [String: String?] = [:], calendar: String? = Fixture.calendar) throws -> String {
        let root = FileManager.default.temporaryDirectory.path + "/kesu-yaml-\(UUID().uuidString)"
        let dir = root + "/pack"
        try FileManager.default.createDirectory(atPath: dir + "/tests", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: root + "/calendars", withIntermediateDirectories: true)
        var files = good
        for (name, text) in overrides { files[name] = text }
        for (name, text) in files {
            try text.write(toFile: dir + "/" + name, atomically: true, encoding: .utf8)
        }
        if let calendar {
            try calendar.write(toFile: root + "/calendars/cal.yaml", atomically: true, encoding: .utf8)
        }
        // Not sections: a sub-folder and a non-YAML file.
        try "rouls: [nonsense".write(toFile: dir + "/tests/case.yaml", atomically: true, encoding: .utf8)
        try "notes".write(toFile: dir + "/README.txt", atomically: true, encoding: .utf8)
        return dir
    }

    /// Loads a pack expected to fail and returns every diagnostic.
    static func failures(_ dir: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) -> [Diagnostic] {
        do {
            let loaded = try RulePackLoader().load(directory: dir)
            Issue.record("expected the pack to be refused; warnings: \(loaded.warnings)", sourceLocation: sourceLocation)
            return []
        } catch let error as RulePackError {
            return error.diagnostics
        } catch {
            Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
            return []
        }
    }
}

/// Asserts one error at exactly `where` (a path and line:column) whose message holds every word of `words`.
func expectError(
    _ diagnostics: [Diagnostic], at place: String, _ words: [String],
    sourceLocation: Testing.SourceLocation = #_sourceLocation
) {
    let hit = diagnostics.contains { d in
        d.severity == .error && d.location.description == place && words.allSatisfy { d.message.contains($0) }
    }
    #expect(hit, "no error at \(place) containing \(words); got:\n\(diagnostics.map(\.description).joined(separator: "\n"))",
            sourceLocation: sourceLocation)
}
