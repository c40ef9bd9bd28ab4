import Foundation
import Testing

/// `kesu penalties` end to end on the default pack: a quarter's deductions recommend a penalty,
/// the 主管领导 decides against the recommendation, the notice is written, the unit head appeals,
/// the appeal is decided — each step with --json, and the records read back.
@Suite struct PenaltiesCLITests {
    static let id = "2026Q4-person-yang_fan"

    /// One important complaint against 杨帆, substantiated and our fault: 4 points in 2026Q4.
    func deductions(_ cli: KesuCLI) throws {
        let steps: [([String], String, String)] = [
            (["intake", "--field", "channel=phone", "--field", "kind=complaint", "--field", "complainant_type=retailer",
              "--field", "category=marketing_service", "--field", "description=客户经理态度差", "--field", "respondent_person=yang_fan"],
             "2026-10-12T10:00:00+08:00", "zhao_min"),
            (["act", "YC-2026-000001", "substantiate", "--field", "substantiated=yes", "--field", "category=marketing_service",
              "--field", "level=important"], "2026-10-12T10:10:00+08:00", "zhao_min"),
            (["act", "YC-2026-000001", "approve_dispatch"], "2026-10-12T11:00:00+08:00", "qian_jin"),
            (["act", "YC-2026-000001", "accept", "--field", "assignee=wang_lei"], "2026-10-12T11:30:00+08:00", "li_na"),
            (["act", "YC-2026-000001", "answer", "--field", "handled_by=王磊", "--field", "handled_at=2026-10-13T11:00:00+08:00",
              "--field", "process=约谈", "--field", "result=已致歉", "--field", "fault=ours"], "2026-10-13T11:30:00+08:00", "wang_lei"),
            (["act", "YC-2026-000001", "approve_answer"], "2026-10-13T15:00:00+08:00", "chen_gang"),
            (["act", "YC-2026-000001", "callback", "--field", "satisfaction=satisfied"], "2026-10-14T10:00:00+08:00", "zhao_min"),
        ]
        for (args, now, user) in steps {
            let r = try cli.run(args + ["--json"], now: now, as: user)
            #expect(r.status == 0, "\(args): \(r.stdout)\(r.stderr)")
        }
    }

    @Test func listDecideNoticeAppealDecideAppeal() throws {
        let cli = try KesuCLI()
        try deductions(cli)

        // list: the open recommendation with its evidence.
        let list = try cli.run(["penalties", "list", "--json"], now: "2027-01-05T09:00:00+08:00")
        #expect(list.status == 0, "\(list.stderr)")
        #expect(list.json["periods"] as? [String] == ["2026Q4", "2027Q1"])
        let open = try #require((list.json["penalties"] as? [[String: Any]])?.first { $0["id"] as? String == Self.id })
        #expect(open["status"] as? String == "open")
        let rec = try #require(open["recommendation"] as? [String: Any])
        #expect(rec["penalty"] as? String == "verbal_warning" && rec["threshold"] as? String == "T1-person-verbal")
        #expect(rec["deducted"] as? Double == 4)
        let evidence = rec["evidence"] as? [[String: Any]] ?? []
        #expect(evidence.map { $0["case"] as? String } == ["YC-2026-000001"])
        #expect(evidence.first?["rule_id"] as? String == "S6b-fault-important")

        // A role the pack does not allow is refused, and nothing is written.
        let refused = try cli.run(["penalties", "decide", Self.id, "--decision", "written_warning", "--reason", "x", "--json"],
                                  now: "2027-01-05T10:00:00+08:00", as: "qian_jin")
        #expect(refused.status == 1)
        #expect((refused.json["error"] as? [String: Any])?["code"] as? String == "forbidden")

        // decide: against the recommendation.
        let decide = try cli.run(["penalties", "decide", Self.id, "--decision", "written_warning", "--json",
                                  "--reason", "同一季度内态度问题未整改"], now: "2027-01-05T10:00:00+08:00", as: "feng_jianguo")
        #expect(decide.status == 0, "\(decide.stderr)")
        #expect(decide.json["status"] as? String == "decided")
        let decision = try #require(decide.json["decision"] as? [String: Any])
        #expect(decision["decision"] as? String == "written_warning" && decision["recommended"] as? String == "verbal_warning")
        #expect(decision["decided_by"] as? String == "feng_jianguo")
        #expect(decision["appeal_deadline"] as? String == "2027-01-12T18:00:00+08:00")   // 5 working days
        #expect((decide.json["records"] as? [[String: Any]])?.map { $0["type"] as? String } == ["decided"])

        // notice: an HTML file that prints on A4, with the evidence; and the text on stdout.
        let file = cli.dir.appendingPathComponent("notice.html").path
        let html = try cli.run(["penalties", "notice", Self.id, "--format", "html", "--out", file, "--json"])
        #expect(html.status == 0, "\(html.stderr)")
        #expect(html.json["path"] as? String == file && html.json["title"] as? String == "处罚决定通知书")
        let document = try String(contentsOfFile: file, encoding: .utf8)
        #expect(document.contains("@page"))
        #expect(document.contains("YC-2026-000001"))
        #expect(document.contains("杨帆") && document.contains("书面警告") && document.contains("口头警告"))
        let text = try cli.run(["penalties", "notice", Self.id, "--format", "text"])
        #expect(text.stdout.contains("处罚决定: 书面警告 (written_warning), 与建议不同"))
        #expect(text.stdout.contains("YC-2026-000001"))

        // appeal by the head of 杨帆's unit, inside the window; then the appeal decided.
        let late = try cli.run(["penalties", "appeal", Self.id, "--reason", "x", "--json"], now: "2027-01-13T09:00:00+08:00", as: "yang_fan")
        #expect((late.json["error"] as? [String: Any])?["code"] as? String == "wrong_state")
        let appeal = try cli.run(["penalties", "appeal", Self.id, "--reason", "客户已撤回投诉", "--json"],
                                 now: "2027-01-08T09:00:00+08:00", as: "chen_gang")
        #expect(appeal.status == 0, "\(appeal.stderr)")
        #expect(appeal.json["status"] as? String == "appealed")
        #expect((appeal.json["appeal"] as? [String: Any])?["by"] as? String == "chen_gang")
        let decided = try cli.run(["penalties", "decide-appeal", Self.id, "--outcome", "changed", "--decision", "verbal_warning",
                                   "--reason", "情节较轻, 改为口头警告", "--json"], now: "2027-01-11T09:00:00+08:00", as: "feng_jianguo")
        #expect(decided.status == 0, "\(decided.stderr)")
        #expect(decided.json["status"] as? String == "final")
        #expect(decided.json["penalty_in_force"] as? String == "verbal_warning")
        #expect((decided.json["appeal_decision"] as? [String: Any])?["outcome"] as? String == "changed")

        // show: the whole history, in order; list --status final finds it.
        let show = try cli.run(["penalties", "show", Self.id, "--json"], now: "2027-02-01T09:00:00+08:00")
        let records = show.json["records"] as? [[String: Any]] ?? []
        #expect(records.map { $0["type"] as? String } == ["decided", "appealed", "appeal_decided"])
        #expect(records.map { $0["actor"] as? String } == ["feng_jianguo", "chen_gang", "feng_jianguo"])
        let finals = try cli.run(["penalties", "list", "--status", "final", "--period", "2026Q4", "--json"], now: "2027-02-01T09:00:00+08:00")
        #expect((finals.json["penalties"] as? [[String: Any]])?.map { $0["id"] as? String } == [Self.id])
        let opens = try cli.run(["penalties", "list", "--json"], now: "2027-02-01T09:00:00+08:00")
        #expect((opens.json["penalties"] as? [Any])?.isEmpty == true)

        // The text listing: Chinese labels beside ids.
        let plain = try cli.run(["penalties", "list", "--status", "all"], now: "2027-02-01T09:00:00+08:00")
        #expect(plain.stdout.contains("\(Self.id)  杨帆 (卷烟营销中心)  2026年第四季度  已生效 (final)"))
    }
}
