import Foundation
import KesuKernel
import KesuRendering
import KesuServer
import Testing

/// 处罚 in the console: a quarter's deductions recommend a penalty, the 主管领导 decides it, the notice
/// shows the decision, the unit head appeals, the leader decides the appeal; refusals change nothing.
@Suite("web console: penalties")
struct ConsolePenaltyTests {
    static let ref = "2026Q4-person-yang_fan"
    static let people = ["feng_jianguo", "qian_jin", "chen_gang", "yang_fan", "li_na", "deng_qing"]

    func t(_ s: String) -> Date { ISO8601.parse(s)! }

    /// One important complaint against 杨帆, substantiated and our fault: 4 points in 2026Q4 (口头警告 at 3).
    func deductions(_ f: ServerFixture) async throws {
        let e = f.api.rules.engine
        let made = try await e.intake(fields: ["channel": "phone", "kind": "complaint", "complainant_type": "retailer",
                                               "category": "marketing_service", "description": "客户经理态度差", "respondent_person": "yang_fan"],
                                      by: "zhao_min", at: t("2026-10-12T10:00:00+08:00"))
        let n = made.state.number
        try await e.act(n, transition: "substantiate", fields: ["substantiated": "yes", "category": "marketing_service", "level": "important"],
                        by: "zhao_min", at: t("2026-10-12T10:10:00+08:00"))
        try await e.act(n, transition: "approve_dispatch", by: "qian_jin", at: t("2026-10-12T11:00:00+08:00"))
        try await e.act(n, transition: "accept", fields: ["assignee": "wang_lei"], by: "li_na", at: t("2026-10-12T11:30:00+08:00"))
        try await e.act(n, transition: "answer", fields: ["handled_by": "王磊", "handled_at": "2026-10-13T11:00:00+08:00", "process": "约谈",
                                                          "result": "已致歉", "fault": "ours"], by: "wang_lei", at: t("2026-10-13T11:30:00+08:00"))
        try await e.act(n, transition: "approve_answer", by: "chen_gang", at: t("2026-10-13T15:00:00+08:00"))
        try await e.act(n, transition: "callback", fields: ["satisfaction": "satisfied"], by: "zhao_min", at: t("2026-10-14T10:00:00+08:00"))
    }

    func records(_ f: ServerFixture) async throws -> [RecordEvent] {
        try await f.store.records(stream: PenaltyID(Self.ref)!.stream)
    }

    func signedIn(_ browser: @Sendable () -> Browser, _ who: String) async throws -> Browser {
        let b = browser()
        #expect(try await b.signIn(who, ConsoleTests.password).status == 303)
        return b
    }

    @Test("a recommendation appears after the deductions; the leader decides it; the store keeps the decision and the notice shows it")
    func decide() async throws {
        let f = try await ConsoleTests.fixture(people: Self.people)
        try await ConsoleTests().run(f) { browser in
            let leader = try await signedIn(browser, "feng_jianguo")
            let before = try await leader.get("/console/penalties")
            #expect(before.status == 200 && before.has(#"id="penalties""#) && before.has(#"aria-current="page">处罚"#))
            #expect(!before.has(#"data-ref="\#(Self.ref)""#))

            try await deductions(f)
            // Sessions end after 30 idle minutes: each jump of the clock signs in again.
            f.clock.set("2026-12-01T09:00:00+08:00")
            var leader2 = try await signedIn(browser, "feng_jianguo")
            let running = try await leader2.get("/console/penalties")
            #expect(running.has(#"<tr data-ref="\#(Self.ref)" data-status="open">"#))
            #expect(running.has("杨帆") && running.has("口头警告") && running.has("待决定") && running.has("2026年第四季度"))
            let early = try await leader2.get("/console/penalties/\(Self.ref)")
            #expect(early.status == 200 && !early.has(#"id="decide""#) && early.has("结束后方可决定"))

            f.clock.set("2027-01-05T09:00:00+08:00")
            leader2 = try await signedIn(browser, "feng_jianguo")
            let page = try await leader2.get("/console/penalties/\(Self.ref)")
            #expect(page.has(#"<form id="decide""#))
            #expect(page.has(#"<a href="/console/cases/YC-2026-000001">YC-2026-000001</a>"#))
            #expect(page.has("投诉成立且属我方责任") && page.has("S6b-fault-important"))
            #expect(page.has(#"<option value="verbal_warning" selected>口头警告（建议）</option>"#))
            #expect(page.has(#"<option value="no_penalty">不予处罚</option>"#))

            // 企业管理科负责人 reads penalties (reports) but the pack lets only the 主管领导 decide: no form, a forged post refused.
            let head = try await signedIn(browser, "qian_jin")
            let seen = try await head.get("/console/penalties/\(Self.ref)")
            #expect(seen.status == 200 && !seen.has(#"id="decide""#) && seen.has("待主管领导决定"))
            let forged = try await head.post("/console/penalties/\(Self.ref)/decide",
                                              ["csrf": seen.csrf!, "decision": "dismissal", "reason": "x"])
            #expect(forged.status == 403 && forged.has(#"<div class="error" role="alert">您无权办理这一步"#))
            // The auditor reads it too and is refused as read-only.
            let auditor = try await signedIn(browser, "deng_qing")
            let a = try await auditor.get("/console/penalties/\(Self.ref)")
            #expect(try await auditor.post("/console/penalties/\(Self.ref)/decide", ["csrf": a.csrf!, "decision": "dismissal", "reason": "x"]).status == 403)
            // A reason is required: refused, nothing written, what was chosen kept.
            let noReason = try await leader2.post("/console/penalties/\(Self.ref)/decide", ["csrf": page.csrf!, "decision": "written_warning", "reason": " "])
            #expect(noReason.status == 400 || noReason.status == 422)
            #expect(noReason.has("请填写理由") && noReason.has(#"<option value="written_warning" selected>"#))
            #expect(try await records(f).isEmpty)

            let done = try await leader2.post("/console/penalties/\(Self.ref)/decide",
                                             ["csrf": page.csrf!, "decision": "written_warning", "reason": "同一季度内态度问题未整改"])
            #expect(done.status == 303 && done.location == "/console/penalties/\(Self.ref)?done=decide")
            let stored = try await f.api.rules.engine.penalty(Self.ref, at: f.clock.now)
            #expect(stored.decision?.decision == "written_warning" && stored.decision?.decidedBy == "feng_jianguo")
            #expect(stored.decision?.reason == "同一季度内态度问题未整改")
            let decided = try await leader2.get("/console/penalties/\(Self.ref)?done=decide")
            #expect(decided.has("已记录处罚决定") && decided.has("书面警告（与建议不同）") && !decided.has(#"id="decide""#))
            #expect(decided.has(#"href="/console/penalties/\#(Self.ref)/notice""#))
            #expect(decided.has("2027年1月12日 18:00"), "the appeal deadline, five working days on")

            // Deciding again is refused and changes nothing.
            let again = try await leader2.post("/console/penalties/\(Self.ref)/decide", ["csrf": page.csrf!, "decision": "dismissal", "reason": "x"])
            #expect(again.status == 409 && again.has("这项处罚当前不能办理这一步"))
            #expect(try await records(f).count == 1)

            let notice = try await leader2.get("/console/penalties/\(Self.ref)/notice")
            #expect(notice.status == 200 && notice.has("<h1>处罚决定通知书</h1>"))
            #expect(notice.has("杨帆") && notice.has("书面警告 (written_warning), 与建议不同") && notice.has("YC-2026-000001"))
            #expect(notice.has("同一季度内态度问题未整改") && notice.has("冯建国"))
            #expect(!notice.has("<style"), "no inline style: the CSP allows only the stylesheet")
            let css = try await leader2.get("/console/assets/console.css")
            #expect(css.has("@page { size: A4") && css.has("@media print"))
        }
    }

    @Test("the unit head appeals inside the window (not after it), the leader decides the appeal; others see only their own")
    func appeal() async throws {
        let f = try await ConsoleTests.fixture(people: Self.people)
        try await deductions(f)
        f.clock.set("2027-01-05T10:00:00+08:00")
        try await f.api.rules.engine.decidePenalty(Self.ref, decision: "written_warning", reason: "未整改", by: "feng_jianguo", at: f.clock.now)
        try await ConsoleTests().run(f) { browser in
            // 承办部门负责人 has no `reports`, but the pack lets him appeal for his unit: 处罚 is on his menu.
            let unitHead = try await signedIn(browser, "chen_gang")
            let list = try await unitHead.get("/console/penalties")
            #expect(list.status == 200 && list.has(#"href="/console/penalties" aria-current="page">处罚"#) && list.has(#"data-ref="\#(Self.ref)""#))
            #expect(!list.has(#"href="/console/quarterly""#))
            // Another unit's liaison: nothing of 杨帆's, and the page refuses.
            let other = try await signedIn(browser, "li_na")
            #expect(!(try await other.get("/console/penalties")).has(#"data-ref="\#(Self.ref)""#))
            #expect(try await other.get("/console/penalties/\(Self.ref)").status == 403)

            // After the window: no form, and a post is refused and writes nothing.
            f.clock.set("2027-01-13T09:00:00+08:00")
            let concerned = try await signedIn(browser, "yang_fan")
            let late = try await concerned.get("/console/penalties/\(Self.ref)")
            #expect(!late.has(#"id="appeal""#) && late.has("届满，决定已生效"))
            let refused = try await concerned.post("/console/penalties/\(Self.ref)/appeal", ["csrf": late.csrf!, "reason": "不服"])
            #expect(refused.status == 409 && refused.has(#"class="error""#))
            #expect(try await records(f).count == 1)

            f.clock.set("2027-01-08T09:00:00+08:00")
            let unitHead2 = try await signedIn(browser, "chen_gang")
            let open = try await unitHead2.get("/console/penalties/\(Self.ref)")
            #expect(open.has(#"<form id="appeal""#))
            #expect(try await unitHead2.post("/console/penalties/\(Self.ref)/appeal", ["csrf": open.csrf!, "reason": "客户已撤回投诉<script>alert(1)</script>"]).status == 303)
            let appealed = try await unitHead2.get("/console/penalties/\(Self.ref)")
            #expect(appealed.has("申诉中") && appealed.has("客户已撤回投诉&lt;script&gt;") && !appealed.has(#"id="decide-appeal""#))
            #expect(!appealed.has("<script>alert"))

            let leader = try await signedIn(browser, "feng_jianguo")
            let review = try await leader.get("/console/penalties/\(Self.ref)")
            #expect(review.has(#"<form id="decide-appeal""#))
            let missing = try await leader.post("/console/penalties/\(Self.ref)/decide-appeal",
                                                ["csrf": review.csrf!, "outcome": "changed", "new_decision": "", "reason": "x"])
            #expect(missing.status == 422 && missing.has("请选择新的处罚"))
            #expect(try await records(f).count == 2)
            let decided = try await leader.post("/console/penalties/\(Self.ref)/decide-appeal",
                                                ["csrf": review.csrf!, "outcome": "changed", "new_decision": "verbal_warning", "reason": "情节较轻"])
            #expect(decided.status == 303)
            let final = try await f.api.rules.engine.penalty(Self.ref, at: f.clock.now)
            #expect(final.status(at: f.clock.now) == .final && final.penaltyInForce == "verbal_warning")
            let shown = try await leader.get("/console/penalties/\(Self.ref)")
            #expect(shown.has("已生效") && shown.has("变更处罚，现行处罚：口头警告"))
            let notice = try await leader.get("/console/penalties/\(Self.ref)/notice")
            #expect(notice.has("申诉与复核") && notice.has("变更为 口头警告 (verbal_warning)") && notice.has("本复核决定为最终决定"))
        }
    }
}
