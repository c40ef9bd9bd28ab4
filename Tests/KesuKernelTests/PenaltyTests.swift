import Foundation
import KesuKernel
import KesuRendering
import KesuTestSupport
import Testing

/// The penalty procedure on the in-memory store: recommendations from a quarter's deductions,
/// decisions (with or against the recommendation, or dismissing it), the written notice, appeals
/// inside and outside the window, refusals that write nothing, and the records as an audit trail.
@Suite struct PenaltyTests {
    let pack = TestPack.make()
    func at(_ s: String) -> Date { TestPack.at(s) }

    static let person = "2026Q4-person-a_handler"
    static let unit = "2026Q4-unit-unit_a"
    /// Monday after the quarter: 2027-01-01 is a Friday.
    static let monday = "2027-01-04T10:00"

    func engine(_ store: MemoryStore, pack: RulePack? = nil) throws -> Engine {
        try Engine(pack: pack ?? self.pack, store: store)
    }

    /// Two major complaints against a_handler, assigned to them before the due time (10-10 18:00)
    /// and approved late in October 2026, one found our fault:
    /// a_handler loses 1 + 1 + 3 = 5 points (written warning), unit_a 1 + 1 + 5 = 7 (notice of criticism).
    func quarterWithDeductions() async throws -> (Engine, MemoryStore) {
        let store = MemoryStore()
        let e = try engine(store)
        for i in 0..<2 {
            let c = try await e.intake(fields: ["channel": "phone", "kind": "complaint", "description": "态度差", "category": "service",
                                                "level": "major", "respondent_person": "a_handler"],
                                       by: "clerk1", at: at("2026-09-30T10:00")).state
            try await e.act(c.number, transition: "dispatch", fields: ["category": "service"], by: "chief", at: at("2026-09-30T11:00"))
            try await e.act(c.number, transition: "answer", fields: ["result": "x", "fault": i == 0 ? "ours" : "none"], by: "a_handler",
                            at: at("2026-10-08T09:00"))
            try await e.act(c.number, transition: "approve", by: "a_head", at: at("2026-10-12T10:00"))
        }
        return (e, store)
    }

    func penaltyRecords(_ store: MemoryStore) async throws -> [RecordEvent] {
        try await store.records(streamPrefix: PenaltyID.streamPrefix)
    }

    /// Expects `body` to be refused with `code` (and a message holding `words`) and to write no record.
    func expectRefused(
        _ code: KesuError.Code, _ words: [String] = [], store: MemoryStore, sourceLocation: Testing.SourceLocation = #_sourceLocation,
        _ body: () async throws -> Void
    ) async throws {
        let before = try await penaltyRecords(store)
        do {
            try await body()
            Issue.record("expected a refusal \(code)", sourceLocation: sourceLocation)
        } catch let e as KesuError {
            #expect(e.code == code, "\(e.message)", sourceLocation: sourceLocation)
            for w in words { #expect(e.message.contains(w), "'\(w)' not in: \(e.message)", sourceLocation: sourceLocation) }
        }
        #expect(try await penaltyRecords(store) == before, "a refusal wrote records", sourceLocation: sourceLocation)
    }

    // MARK: Recommendations

    @Test func aDecisionReachesTheChannelsSubscribedToIt() async throws {
        let (_, store) = try await quarterWithDeductions()
        let hook = CollectingNotifier()
        var e = try Engine(pack: pack, store: store, notifiers: ["hook": hook, "ops": CollectingNotifier()])
        e.subscriptions = [Subscription(channel: "hook", events: [.type("penalty.decided")]),
                           Subscription(channel: "ops", events: [.type("penalty.decided")], conditions: [FieldCondition(field: "kind", test: .equals("complaint"))])]
        try await e.decidePenalty(Self.person, decision: "verbal_warning", reason: "初犯", by: "chief", at: at(Self.monday))
        _ = try await e.deliverOutbox(at: at(Self.monday))
        let got = await hook.delivered.compactMap(\.event)
        #expect(got.map { $0["id"]?.string } == ["penalty:\(Self.person):1"])
        #expect(got.first?["type"]?.string == "penalty.decided" && got.first?["penalty"]?["id"]?.string == Self.person)
        #expect(got.first?["data"]?["decision"]?.string == "verbal_warning", "the record as the penalty pages read it")
        let items = try await store.outbox(status: nil, limit: 10)
        #expect(items.map(\.channel) == ["hook"], "a subscription with where (case fields) takes no penalty events")
    }

    @Test func recommendationsCarryStableIdsAndTheirEvidence() async throws {
        let (e, _) = try await quarterWithDeductions()
        let q4 = try Period.parse("2026Q4", calendar: e.planner.calendar)
        let recs = try await e.penaltyRecommendations(for: q4)
        #expect(recs.map(\.id.description) == [Self.person, Self.unit])
        let person = recs[0]
        #expect(person.penalty == "written_warning" && person.penaltyName == "书面警告")
        #expect(person.threshold == "T2" && person.thresholdPoints == 5)
        #expect(person.deducted == 5 && person.baseline == 100 && person.unit == "unit_a" && person.subjectName == "甲承办")
        #expect(person.evidence.map(\.rule) == ["S1", "S1", "S5"])
        #expect(Set(person.evidence.map(\.caseNumber)) == ["T-2026-000001", "T-2026-000002"])
        #expect(person.evidence.first?.causeName == "未按时处理")
        #expect(person.evidence.last?.causeName == "投诉成立" && person.evidence.last?.cause == "outcome:fault_found")
        #expect(recs[1].penalty == "notice_of_criticism" && recs[1].deducted == 7 && recs[1].unit == nil)

        // The default listing: the quarter running and the one before.
        let periods = try await e.penaltyPeriods(at: at(Self.monday))
        #expect(periods.map(\.label) == ["2026Q4", "2027Q1"])
        let listed = try await e.penalties(periods: periods)
        #expect(listed.map(\.id.description) == [Self.person, Self.unit])
        #expect(listed.allSatisfy { $0.status(at: at(Self.monday)) == .open && $0.history.isEmpty })
        // Nothing recommended in Q3, and a quarter that is not one of the thresholds' periods gives nothing.
        #expect(try await e.penaltyRecommendations(for: Period.parse("2026Q3", calendar: e.planner.calendar)).isEmpty)
        #expect(try await e.penaltyRecommendations(for: Period.parse("2026-10", calendar: e.planner.calendar)).isEmpty)
        // Ids are typed in either case.
        #expect(try await e.penalty("2026q4-person-a_handler", at: at(Self.monday)).id.description == Self.person)
    }

    @Test(arguments: [
        ("2026Q3-person-yang_fan", "2026Q3", ScoreSubject(.person, "yang_fan")),
        ("2026q3-person-yang_fan", "2026Q3", ScoreSubject(.person, "yang_fan")),
        ("2026-10-unit-logistics_center", "2026-10", ScoreSubject(.unit, "logistics_center")),
        ("2026-person-a-unit-b", "2026", ScoreSubject(.person, "a-unit-b")),
    ])
    func idsParse(_ text: String, period: String, subject: ScoreSubject) throws {
        let id = try #require(PenaltyID(text))
        #expect(id.period == period && id.subject == subject)
        #expect(PenaltyID(id.description) == id)
        #expect(id.stream == "penalty:" + id.description)
    }

    @Test(arguments: ["", "yang_fan", "2026Q5-person-x", "2026-13-person-x", "26Q3-person-x", "2026Q3-person-", "2026Q3-staff-x", "2026Q3person-x"])
    func badIdsDoNotParse(_ text: String) {
        #expect(PenaltyID(text) == nil)
    }

    // MARK: Decisions and the notice

    @Test func aDecisionAgainstTheRecommendationAndItsNotice() async throws {
        let (e, store) = try await quarterWithDeductions()
        let reason = "首次违规, 已主动整改 <script>alert('x')</script> & 道歉"
        let p = try await e.decidePenalty(Self.person, decision: "verbal_warning", reason: reason, by: "chief", at: at(Self.monday))
        #expect(p.status(at: at(Self.monday)) == .decided)
        let d = try #require(p.decision)
        #expect(d.decision == "verbal_warning" && d.decisionName == "口头警告")
        #expect(d.recommended == "written_warning" && d.recommendedName == "书面警告")
        #expect(d.reason == reason.trimmingCharacters(in: .whitespaces))
        #expect(d.decidedBy == "chief" && d.decidedAs == "center_head" && d.points == 5)
        #expect(d.evidence.count == 3 && d.evidence.map(\.points) == [1, 1, 3])
        // 3 working days after Monday 2027-01-04: Thursday, end of the working day.
        #expect(d.appealDeadline == at("2027-01-07T18:00"))
        #expect(p.penaltyInForce == "verbal_warning")
        #expect(try await store.records(stream: "penalty:" + Self.person).map(\.type) == ["decided"])

        let notice = try PenaltyNotice(try await e.penalty(Self.person, at: at(Self.monday)), pack: pack)
        let text = notice.text()
        #expect(notice.title == "处罚决定通知书")
        for line in ["T-2026-000001", "T-2026-000002"] { #expect(text.contains(line)) }
        // Each evidence line: case number, cause, rule, points, when.
        let faultLine = try #require(text.split(separator: "\n").first { $0.contains("投诉成立 (outcome:fault_found)") })
        for part in ["T-2026-000001", "S5", " 3 ", "2026-10-12 10:00"] { #expect(faultLine.contains(part), "\(faultLine)") }
        #expect(text.components(separatedBy: "未按时处理 (violation:late_answer)").count == 3)
        #expect(text.contains("建议处罚: 书面警告 (written_warning)"))
        #expect(text.contains("处罚决定: 口头警告 (verbal_warning), 与建议不同"))
        #expect(text.contains("当事人:   甲承办 (a_handler)"))
        #expect(text.contains("所在单位: 甲部门 (unit_a)"))
        #expect(text.contains("2026年第四季度 (2026-10-01 至 2026-12-31)"))
        #expect(text.contains("扣分合计: 5 分 (基准分 100, 得分 95)"))
        #expect(text.contains("决定人:   主任 (chief), 负责人"))
        #expect(text.contains("决定时间: 2027-01-04 10:00"))
        #expect(text.contains("2027-01-07 18:00 前 (决定后 3 个工作日内)"))
        #expect(text.contains(reason))

        let html = notice.html()
        #expect(html.hasPrefix("<!DOCTYPE html>"))
        #expect(html.contains("@page { size: A4; margin: 20mm }"))
        #expect(html.contains("<td>T-2026-000001</td>") && html.contains("<td>T-2026-000002</td>"))
        #expect(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; 道歉"))
        #expect(!html.contains("<script"))
        // Self-contained: nothing fetched from elsewhere.
        for external in ["<link", "src=", "url(", "http://", "https://", "@import"] { #expect(!html.contains(external), "\(external)") }
    }

    @Test func aDismissalIsFinalAndHasNothingToAppeal() async throws {
        let (e, store) = try await quarterWithDeductions()
        let p = try await e.decidePenalty(Self.unit, decision: "no_penalty", reason: "超时系系统故障所致", by: "chief", at: at(Self.monday))
        #expect(p.status(at: at(Self.monday)) == .final)
        #expect(p.penaltyInForce == "no_penalty" && p.penaltyInForceName == "不予处罚")
        // The kernel records no label for no_penalty (the pack has none); KesuRendering names it.
        #expect(p.decision?.decisionName == nil && p.decision?.decisionLabel == "不予处罚")
        #expect(p.decision?.labelled.decisionName == "不予处罚")
        #expect(!(p.history.last?.body.contains("不予处罚") ?? true))
        #expect(p.decision?.appealDeadline == nil)
        try await expectRefused(.wrongState, ["dismissed", "nothing to appeal"], store: store) {
            try await e.appealPenalty(Self.unit, reason: "x", by: "a_head", at: at(Self.monday))
        }
        let notice = try PenaltyNotice(p, pack: pack)
        #expect(notice.title == "不予处罚决定通知书")
        let text = notice.text()
        #expect(text.contains("当事单位: 甲部门 (unit_a)"))
        #expect(text.contains("处罚决定: 不予处罚 (no_penalty), 不采纳处罚建议"))
        #expect(text.contains("建议处罚: 通报批评 (notice_of_criticism)"))
        #expect(text.contains("本决定为最终决定。"))
    }

    @Test func refusalsWriteNothing() async throws {
        let (e, store) = try await quarterWithDeductions()
        let now = at(Self.monday)
        try await expectRefused(.notFound, ["did you mean '\(Self.person)'"], store: store) {
            try await e.decidePenalty("2026Q4-person-a_handlr", decision: "verbal_warning", reason: "r", by: "chief", at: now)
        }
        try await expectRefused(.notFound, ["not a penalty id", "known: \(Self.person)"], store: store) {
            try await e.decidePenalty("a_handler", decision: "verbal_warning", reason: "r", by: "chief", at: now)
        }
        try await expectRefused(.notFound, ["did not reach a threshold"], store: store) {   // b_head lost no points
            try await e.decidePenalty("2026Q4-person-b_head", decision: "verbal_warning", reason: "r", by: "chief", at: now)
        }
        try await expectRefused(.unknownUser, ["did you mean 'chief'"], store: store) {
            try await e.decidePenalty(Self.person, decision: "verbal_warning", reason: "r", by: "chef", at: now)
        }
        try await expectRefused(.forbidden, ["center_head (负责人)"], store: store) {
            try await e.decidePenalty(Self.person, decision: "verbal_warning", reason: "r", by: "a_head", at: now)
        }
        try await expectRefused(.forbidden, [], store: store) {   // a read-only role
            try await e.decidePenalty(Self.person, decision: "verbal_warning", reason: "r", by: "audit1", at: now)
        }
        try await expectRefused(.invalidValue, ["did you mean 'written_warning'"], store: store) {
            try await e.decidePenalty(Self.person, decision: "writen_warning", reason: "r", by: "chief", at: now)
        }
        try await expectRefused(.invalidValue, ["did you mean 'no_penalty'"], store: store) {
            try await e.decidePenalty(Self.person, decision: "no_penalti", reason: "r", by: "chief", at: now)
        }
        try await expectRefused(.missingField, ["reason"], store: store) {
            try await e.decidePenalty(Self.person, decision: "verbal_warning", reason: " \n ", by: "chief", at: now)
        }
        try await expectRefused(.wrongState, ["runs until", "not final"], store: store) {
            try await e.decidePenalty(Self.person, decision: "verbal_warning", reason: "r", by: "chief", at: at("2026-12-31T17:00"))
        }
        try await expectRefused(.wrongState, ["not decided yet"], store: store) {
            try await e.appealPenalty(Self.person, reason: "r", by: "a_handler", at: now)
        }
        try await expectRefused(.wrongState, ["no appeal awaiting"], store: store) {
            try await e.decidePenaltyAppeal(Self.person, outcome: .upheld, reason: "r", by: "chief", at: now)
        }
        let undecided = try PenaltyProceeding(id: try #require(PenaltyID(Self.person)), recommendation: nil, history: [])
        #expect(throws: KesuError.self) { try PenaltyNotice(undecided, pack: pack) }

        // Deciding twice.
        try await e.decidePenalty(Self.person, decision: "written_warning", reason: "r", by: "chief", at: now)
        try await expectRefused(.wrongState, ["already decided", "only by an appeal"], store: store) {
            try await e.decidePenalty(Self.person, decision: "verbal_warning", reason: "again", by: "chief", at: now + 60)
        }
        #expect(try await penaltyRecords(store).count == 1)
    }

    @Test func whoMayDecideFollowsThePackAndItsScopes() async throws {
        let (_, store) = try await quarterWithDeductions()
        var noProcedure = pack
        noProcedure.scoring.penaltyProcedure = nil
        try await expectRefused(.forbidden, ["declares no penalty procedure"], store: store) {
            try await engine(store, pack: noProcedure).decidePenalty(Self.person, decision: "verbal_warning", reason: "r", by: "chief", at: at(Self.monday))
        }
        // Unit heads decide, each only for their own unit; nobody decides their own penalty.
        var byHeads = pack
        byHeads.scoring.penaltyProcedure = PenaltyProcedure(decidedBy: ["unit_head", "handler"])
        let e = try engine(store, pack: byHeads)
        try await expectRefused(.forbidden, ["acts only for its own unit (unit_b)", "unit_a"], store: store) {
            try await e.decidePenalty(Self.person, decision: "verbal_warning", reason: "r", by: "b_head", at: at(Self.monday))
        }
        try await expectRefused(.forbidden, ["personally"], store: store) {
            try await e.decidePenalty(Self.person, decision: "verbal_warning", reason: "r", by: "a_handler", at: at(Self.monday))
        }
        let p = try await e.decidePenalty(Self.person, decision: "verbal_warning", reason: "r", by: "a_head", at: at(Self.monday))
        #expect(p.decision?.decidedAs == "unit_head")
        // No appeal declared: the decision is final at once, and an appeal is refused.
        #expect(p.decision?.appealDeadline == nil && p.status(at: at(Self.monday)) == .final)
        try await expectRefused(.wrongState, ["declares no appeal"], store: store) {
            try await e.appealPenalty(Self.person, reason: "r", by: "a_handler", at: at(Self.monday))
        }
    }

    // MARK: Appeals

    @Test func appealInsideAndOutsideTheWindow() async throws {
        let (e, store) = try await quarterWithDeductions()
        try await e.decidePenalty(Self.person, decision: "verbal_warning", reason: "首次", by: "chief", at: at(Self.monday))
        let inside = at("2027-01-07T17:59"), outside = at("2027-01-07T18:00:01+08:00")
        try await expectRefused(.forbidden, ["person concerned (a_handler)", "unit_head (单位负责人) of unit_a"], store: store) {
            try await e.appealPenalty(Self.person, reason: "r", by: "b_head", at: inside)   // another unit's head
        }
        try await expectRefused(.forbidden, [], store: store) {
            try await e.appealPenalty(Self.person, reason: "r", by: "clerk1", at: inside)
        }
        try await expectRefused(.wrongState, ["closed at 2027-01-07T18:00:00+08:00", "3 working day(s)"], store: store) {
            try await e.appealPenalty(Self.person, reason: "r", by: "a_handler", at: outside)
        }
        try await expectRefused(.missingField, [], store: store) {
            try await e.appealPenalty(Self.person, reason: "", by: "a_handler", at: inside)
        }
        let appealed = try await e.appealPenalty(Self.person, reason: "第二件投诉不属我方责任", by: "a_handler", at: inside)
        #expect(appealed.status(at: outside) == .appealed)   // an appeal made in time waits for its decision
        try await expectRefused(.wrongState, ["already appealed"], store: store) {
            try await e.appealPenalty(Self.person, reason: "again", by: "a_head", at: inside)
        }
        try await expectRefused(.forbidden, ["center_head"], store: store) {
            try await e.decidePenaltyAppeal(Self.person, outcome: .upheld, reason: "r", by: "a_head", at: outside)
        }
        try await expectRefused(.invalidInput, ["needs a decision"], store: store) {
            try await e.decidePenaltyAppeal(Self.person, outcome: .changed, reason: "r", by: "chief", at: outside)
        }
        try await expectRefused(.invalidInput, ["only with the outcome 'changed'"], store: store) {
            try await e.decidePenaltyAppeal(Self.person, outcome: .upheld, decision: "written_warning", reason: "r", by: "chief", at: outside)
        }
        try await expectRefused(.invalidValue, ["decided already"], store: store) {
            try await e.decidePenaltyAppeal(Self.person, outcome: .changed, decision: "verbal_warning", reason: "r", by: "chief", at: outside)
        }
        try await expectRefused(.invalidValue, ["not a penalty of the pack's ladder"], store: store) {
            try await e.decidePenaltyAppeal(Self.person, outcome: .changed, decision: "no_penalty", reason: "r", by: "chief", at: outside)
        }
        let final = try await e.decidePenaltyAppeal(Self.person, outcome: .changed, decision: "written_warning",
                                                    reason: "复核: 两件均属拖延", by: "chief", at: at("2027-01-11T09:00"))
        #expect(final.status(at: at("2027-01-11T09:00")) == .final)
        #expect(final.penaltyInForce == "written_warning" && final.decision?.decision == "verbal_warning")
        try await expectRefused(.wrongState, ["already decided"], store: store) {
            try await e.decidePenaltyAppeal(Self.person, outcome: .revoked, reason: "r", by: "chief", at: at("2027-01-11T10:00"))
        }
        let text = try PenaltyNotice(final, pack: pack).text()
        #expect(text.contains("申诉人:   甲承办 (a_handler)"))
        #expect(text.contains("复核结果: 变更为 书面警告 (written_warning) (changed)"))
        #expect(text.contains("现行处罚: 书面警告 (written_warning)"))
        #expect(text.contains("本复核决定为最终决定。"))
    }

    @Test func aUnitsHeadAppealsForTheUnitAndTheWindowCountsWorkingDays() async throws {
        let (e, _) = try await quarterWithDeductions()
        // The window counts working days after the decision: Thursday → Friday, Monday, Tuesday.
        let p = try await e.decidePenalty(Self.unit, decision: "written_warning", reason: "r", by: "chief", at: at("2027-01-07T16:00"))
        #expect(p.decision?.appealDeadline == at("2027-01-12T18:00"))
        #expect(p.status(at: at("2027-01-12T18:00")) == .decided)
        #expect(p.status(at: at("2027-01-12T18:01")) == .final)
        let appealed = try await e.appealPenalty(Self.unit, reason: "整改已完成", by: "a_head", at: at("2027-01-11T09:00"))   // person concerned: the unit's head
        #expect(appealed.appeal?.by == "a_head")
        let upheld = try await e.decidePenaltyAppeal(Self.unit, outcome: .revoked, reason: "整改到位", by: "chief", at: at("2027-01-12T09:00"))
        #expect(upheld.penaltyInForce == "no_penalty")
        #expect(try PenaltyNotice(upheld, pack: pack).text().contains("复核结果: 撤销处罚 (revoked)"))
    }

    // MARK: The audit trail

    @Test func theRecordsAreTheHistoryAndKeepTheEvidenceAsItStood() async throws {
        let (e, store) = try await quarterWithDeductions()
        try await e.decidePenalty(Self.person, decision: "verbal_warning", reason: "首次", by: "chief", at: at(Self.monday))
        try await e.appealPenalty(Self.person, reason: "申诉", by: "a_handler", at: at("2027-01-05T09:00"))
        try await e.decidePenaltyAppeal(Self.person, outcome: .upheld, reason: "维持", by: "chief", at: at("2027-01-06T09:00"))

        let records = try await store.records(stream: "penalty:" + Self.person)
        #expect(records.map(\.type) == ["decided", "appealed", "appeal_decided"])
        #expect(records.map(\.seq) == [1, 2, 3])
        #expect(records.map(\.actor) == ["chief", "a_handler", "chief"])
        #expect(records.map(\.at) == [at(Self.monday), at("2027-01-05T09:00"), at("2027-01-06T09:00")])
        #expect(records.allSatisfy { $0.packVersion == pack.version })
        // The bodies are plain JSON a later reader (or auditor) can read without Kesu.
        let decided = try #require(try JSONSerialization.jsonObject(with: Data(records[0].body.utf8)) as? [String: Any])
        #expect(decided["decision"] as? String == "verbal_warning" && decided["recommended"] as? String == "written_warning")
        #expect(decided["decided_by"] as? String == "chief" && decided["points"] as? Double == 5)
        let evidence = try #require(decided["evidence"] as? [[String: Any]])
        #expect(evidence.compactMap { $0["case_number"] as? String } == ["T-2026-000001", "T-2026-000002", "T-2026-000001"])
        #expect(evidence.compactMap { $0["rule"] as? String } == ["S1", "S1", "S5"])
        #expect(Set(evidence.map { $0.keys.sorted() }) == [["case_number", "cause", "cause_name", "occurred_at", "pack_version", "points", "rule"]])

        // The pack changes afterwards (no more T2): the recommendation read now differs, the record does not.
        var later = pack
        later.scoring.thresholds.removeAll { $0.id == "T2" }
        later.scoring.penalties = later.scoring.penalties.map { c in
            var c = c
            if c.id == "verbal_warning" { c.name = "口头提醒" }
            return c
        }
        let after = try await engine(store, pack: later).penalty(Self.person, at: at("2027-02-01T09:00"))
        #expect(after.recommendation?.penalty == "verbal_warning")
        #expect(after.decision?.recommended == "written_warning" && after.decision?.decisionName == "口头警告")
        #expect(try PenaltyNotice(after, pack: later).text().contains("建议处罚: 书面警告 (written_warning)"))
        #expect(after.status(at: at("2027-02-01T09:00")) == .final)

        // The listing knows the period by its records, whatever the thresholds say.
        let periods = try await engine(store).penaltyPeriods(at: at("2027-07-01T09:00"))
        #expect(periods.map(\.label) == ["2026Q4", "2027Q2", "2027Q3"])
        var noThresholds = pack
        noThresholds.scoring.thresholds = []
        let listed = try await engine(store, pack: noThresholds).penalties(periods: periods)
        #expect(listed.map(\.id.description) == [Self.person])
        #expect(listed.first?.recommendation == nil && listed.first?.penaltyInForce == "verbal_warning")
    }
}
