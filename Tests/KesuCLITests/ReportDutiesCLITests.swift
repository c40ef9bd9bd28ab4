import Foundation
import Testing

/// 第十二条 through the CLI: the sweep reminds the units' 督察考评员 before the 15th, a unit hands
/// its analysis in, and the sweep records the others late.
@Suite struct ReportDutiesCLITests {
    @Test func remindSubmitAndRecordLate() throws {
        let cli = try KesuCLI()
        let remind = try cli.run(["sweep", "--json"], now: "2026-12-10T09:00:00+08:00")
        #expect(remind.status == 0, "\(remind.stderr)")
        let reminders = remind.json["reports"] as? [[String: Any]] ?? []
        #expect(reminders.count == 5, "one per unit with a liaison: \(reminders)")
        #expect(reminders.allSatisfy { $0["type"] as? String == "reminded" && $0["due_at"] as? String == "2026-12-15T18:00:00+08:00" })
        #expect(reminders.contains { $0["unit"] as? String == "county_a" && $0["recipients"] as? [String] == ["ma_lin"] })

        let refused = try cli.run(["report", "submit", "--report", "expectation_analysis", "--unit", "county_a"],
                                  now: "2026-12-14T10:00:00+08:00", as: "liang_yu")
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("is not of county_a"))
        let ok = try cli.run(["report", "submit", "--report", "expectation_analysis", "--note", "已上报", "--json"],
                             now: "2026-12-14T10:00:00+08:00", as: "ma_lin")
        #expect(ok.status == 0, "\(ok.stderr)")
        #expect(ok.json["unit"] as? String == "county_a" && ok.json["status"] as? String == "submitted")

        let late = try cli.run(["sweep", "--json"], now: "2026-12-16T09:00:00+08:00")
        let items = late.json["reports"] as? [[String: Any]] ?? []
        let lateUnits = Set(items.filter { $0["type"] as? String == "late" }.compactMap { $0["unit"] as? String })
        #expect(lateUnits == ["marketing_center", "logistics_center", "finance", "county_b"])

        let due = try cli.run(["report", "due", "--json"], now: "2026-12-16T10:00:00+08:00")
        let rows = due.json["reports"] as? [[String: Any]] ?? []
        func status(_ report: String, _ unit: String) -> String? {
            rows.first { $0["report"] as? String == report && $0["unit"] as? String == unit }?["status"] as? String
        }
        #expect(status("expectation_analysis", "county_a") == "submitted")
        #expect(status("expectation_analysis", "county_b") == "late")
        #expect(status("quarterly_summary", "enterprise_mgmt") == "open")
        let text = try cli.run(["report", "due"], now: "2026-12-16T10:00:00+08:00")
        #expect(text.stdout.contains("逾期未报") && text.stdout.contains("已报"))
    }
}
