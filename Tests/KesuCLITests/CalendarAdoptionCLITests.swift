import Foundation
import Testing

/// Issue 16's "done when", as an administrator does it: a pack counting 2027 on the shipped draft, the State
/// Council's notice imported, `rules diff --replay` listing beforehand which running clocks move, and the next
/// sweep re-planning them with an event in each case's history.
@Suite struct CalendarAdoptionCLITests {
    /// A notice for 2027 in the official format. The dates are an example for this test, not the published
    /// arrangement: 春节 here runs 2月5日–13日 with 2月14日 and 2月20日 as 调休 working days.
    static let notice = """
        国务院办公厅关于2027年部分节假日安排的通知

        各省、自治区、直辖市人民政府，国务院各部委、各直属机构：
        经国务院批准，现将2027年元旦、春节放假调休日期的具体安排通知如下。
        一、元旦：1月1日（周五）至3日（周日）放假，共3天。
        二、春节：2月5日（周五）至13日（周六）放假调休，共9天。2月14日（周日）、2月20日（周六）上班。

        国务院办公厅
        """

    @Test func importingTheNoticeReplansRunningClocksWithEvents() throws {
        let cli = try KesuCLI()
        let live = try RulesDiffCLITests.copyOfRules(into: cli.dir.appendingPathComponent("live"))
        let intake = try cli.run(["intake", "--json", "--field", "channel=phone", "--field", "kind=complaint", "--field", "complainant_type=retailer",
                                  "--field", "category=logistics_service", "--field", "description=送货慢"],
                                 rules: live, now: "2027-02-01T09:00:00+08:00", as: "zhao_min")
        let number = try #require(intake.json["number"] as? String, "\(intake.stderr)")
        let sub = try cli.run(["act", number, "substantiate", "--field", "substantiated=yes", "--field", "category=logistics_service",
                               "--field", "level=general"], rules: live, now: "2027-02-01T10:00:00+08:00", as: "zhao_min")
        #expect(sub.status == 0, "\(sub.stderr)")
        let dispatched = try cli.run(["act", number, "approve_dispatch", "--json"], rules: live, now: "2027-02-03T11:00:00+08:00", as: "qian_jin")
        // On the draft: Thu 02-04 is day 1; 02-05 (除夕) to 02-08 are off; 02-09 and 02-10 are days 2 and 3.
        #expect(Self.answerDue(dispatched.json) == "2027-02-10T18:00:00+08:00", "\(dispatched.stderr)")
        let first = try cli.run(["sweep", "--json"], rules: live, now: "2027-02-03T12:00:00+08:00")
        #expect(first.status == 0, "\(first.stderr)")
        #expect((first.json["calendar"] as? [String: Any])?["adopted"] as? Bool == true)

        // The notice is published: import it beside a copy of the pack that includes it instead of the draft.
        let next = try RulesDiffCLITests.copyOfRules(into: cli.dir.appendingPathComponent("next"), edit: [
            "pack.yaml": { $0.replacingOccurrences(of: "../calendars/cn-2027-draft.yaml", with: "../calendars/cn-2027.yaml") },
        ])
        let noticeFile = cli.dir.appendingPathComponent("notice-2027.txt").path
        try Self.notice.write(toFile: noticeFile, atomically: true, encoding: .utf8)
        let calendarFile = URL(fileURLWithPath: next).deletingLastPathComponent().appendingPathComponent("calendars/cn-2027.yaml").path
        let imported = try cli.run(["calendar", "import", noticeFile, "--out", calendarFile], rules: next)
        #expect(imported.status == 0, "\(imported.stderr)")

        // Beforehand: which running clocks' due times move. The store is only read.
        let historyBefore = try #require((try cli.run(["show", number, "--json"], rules: live).json["events"] as? [Any])?.count)
        let diff = try cli.run(["rules", "diff", live, next, "--replay", "--json"], rules: live, now: "2027-02-04T08:30:00+08:00")
        #expect(diff.status == 0, "\(diff.stderr)")
        let moves = diff.json["calendar_moves"] as? [[String: Any]] ?? []
        #expect(moves.count == 1)
        #expect(moves.first?["case"] as? String == number && moves.first?["run"] as? String == "answer#1")
        #expect(moves.first?["from"] as? String == "2027-02-10T18:00:00+08:00")
        // Officially 02-05 to 02-13 are off and Sunday 02-14 is a working day: 02-04, 02-14, 02-15.
        #expect(moves.first?["to"] as? String == "2027-02-15T18:00:00+08:00")
        let text = try cli.run(["rules", "diff", live, next, "--replay"], rules: live, now: "2027-02-04T08:30:00+08:00")
        #expect(text.stdout.contains("new holiday calendar: 1 running clock(s) would be re-planned"))
        #expect(text.stdout.contains("\(number)  answer#1  due 2027-02-10T18:00:00+08:00 → 2027-02-15T18:00:00+08:00"))
        #expect((try cli.run(["show", number, "--json"], rules: live).json["events"] as? [Any])?.count == historyBefore)

        // Put in force: the next sweep re-plans and records it — the next morning, when the case's acceptance clock
        // (4 working hours) is already overdue: a case late on one clock still has its other clock moved.
        let sweep = try cli.run(["sweep"], rules: next, now: "2027-02-04T09:00:00+08:00")
        #expect(sweep.status == 0, "\(sweep.stderr)")
        #expect(sweep.stdout.contains("\(number)  clock_replanned  answer#1  due 2027-02-10T18:00:00+08:00 → 2027-02-15T18:00:00+08:00"))
        let shown = try cli.run(["show", number, "--json"], rules: next, now: "2027-02-04T09:05:00+08:00")
        #expect(Self.answerDue(shown.json) == "2027-02-15T18:00:00+08:00")
        let history = shown.json["events"] as? [[String: Any]] ?? []
        let replanned = try #require(history.last { $0["type"] as? String == "clock_replanned" })
        #expect(jsonText(replanned).contains("2027-02-10T18:00:00+08:00") && jsonText(replanned).contains("2027-02-15T18:00:00+08:00"))
        let textShow = try cli.run(["show", number], rules: next, now: "2027-02-04T09:05:00+08:00")
        #expect(textShow.stdout.contains("按新的节假日日历重算, 到期 2027-02-10T18:00:00+08:00 → 2027-02-15T18:00:00+08:00"))

        // Once only.
        let again = try cli.run(["sweep", "--json"], rules: next, now: "2027-02-04T09:10:00+08:00")
        #expect(((again.json["calendar"] as? [String: Any])?["moved"] as? [Any])?.isEmpty == true)
    }

    static func answerDue(_ json: [String: Any]) -> String? {
        (json["clocks"] as? [[String: Any]] ?? []).first { $0["id"] as? String == "answer" && $0["status"] as? String == "running" }?["due_at"] as? String
    }
}
