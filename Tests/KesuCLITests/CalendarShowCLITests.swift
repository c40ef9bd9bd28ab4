import Foundation
import Testing

/// `kesu calendar show YYYY-MM`: a month of the pack's calendar, marked, with its year's coverage.
@Suite struct CalendarShowCLITests {
    /// 2026's 国庆: 10-01 … 10-07 off, Saturday 10-10 worked (rules/calendars/cn-2024-2026.yaml).
    @Test func octoberOnTheShippedPackMarksTheHolidayAndThe调休Day() throws {
        let cli = try KesuCLI()
        let r = try cli.run(["calendar", "show", "2026-10"])
        #expect(r.status == 0, "\(r.stderr)")
        let lines = r.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines.first == "2026年10月")
        #expect(lines.contains("  一   二   三   四   五   六   日"), "\(r.stdout)")
        #expect(lines.contains("                1假  2假  3假  4假"), "\(r.stdout)")
        #expect(lines.contains(" 5假  6假  7假  8    9   10班 11休"), "\(r.stdout)")
        for day in 1...7 {
            #expect(r.stdout.contains("2026-10-0\(day) \(["四", "五", "六", "日", "一", "二", "三"][day - 1]) 假 国庆节"), "\(r.stdout)")
        }
        #expect(!r.stdout.contains("2026-10-08"), "10-08 is an ordinary working day")
        #expect(r.stdout.contains("2026-10-10 六 班 国庆节（调休上班）"))
        #expect(r.stdout.contains("图例：休 周末"))
        #expect(r.stdout.contains("2026年日历：正式（国务院办公厅通知）"))
        #expect(!r.stdout.contains("kesu calendar import"), "nothing to do for an official year")
    }

    @Test func jsonGivesEachDaysKind() throws {
        let cli = try KesuCLI()
        let r = try cli.run(["calendar", "show", "2026-10", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.json["month"] as? String == "2026-10")
        #expect(r.json["coverage"] as? String == "official")
        let days = try #require(r.json["days"] as? [[String: Any]])
        #expect(days.count == 31)
        func day(_ n: Int) -> [String: Any] { days[n - 1] }
        #expect(day(1)["date"] as? String == "2026-10-01" && day(1)["weekday"] as? Int == 4)
        #expect(day(1)["kind"] as? String == "holiday" && day(1)["label"] as? String == "国庆节"
            && day(1)["name"] as? String == "national_day" && day(1)["working"] as? Bool == false)
        #expect(day(8)["kind"] as? String == "working" && day(8)["working"] as? Bool == true && day(8)["name"] is NSNull)
        #expect(day(10)["kind"] as? String == "adjusted_workday" && day(10)["working"] as? Bool == true)
        #expect(day(11)["kind"] as? String == "weekend" && day(11)["working"] as? Bool == false)
    }

    @Test func anUncoveredYearSaysSoAndWhatToDo() throws {
        let cli = try KesuCLI()
        let r = try cli.run(["calendar", "show", "2028-01"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("2028年日历：未覆盖（仅跳过周末）"), "\(r.stdout)")
        #expect(r.stdout.contains("kesu calendar import") && r.stdout.contains("kesu calendar draft 2028"))
        #expect(r.stdout.contains(" 1休  2休"), "no holiday is known: New Year's Day is only a Saturday")
        #expect(try cli.run(["calendar", "show", "2028-01", "--json"]).json["coverage"] as? String == "uncovered")
    }

    @Test(arguments: ["2027-13", "2027/01", "abc", "2027-1", "2027-00"])
    func aBadMonthIsAUsageError(_ month: String) throws {
        let cli = try KesuCLI()
        let r = try cli.run(["calendar", "show", month])
        #expect(r.status == 64, "\(r.stdout)\(r.stderr)")
        #expect(r.stderr.contains("'\(month)'") && r.stderr.contains("YYYY-MM"), "\(r.stderr)")
    }

    /// A pack on the national calendar, a 2027 draft and the example regional supplement: the supplement's days
    /// are holidays, and 2027 is provisional (the draft), not official (the supplement covers nothing).
    @Test func aDraftAndARegionalSupplementShow() throws {
        let cli = try KesuCLI()
        let fm = FileManager.default
        let pack = cli.dir.appendingPathComponent("tobacco-prefecture").path
        try fm.copyItem(atPath: KesuCLI.pack("tobacco-prefecture"), toPath: pack)
        try fm.copyItem(atPath: KesuCLI.pack("calendars"), toPath: cli.dir.appendingPathComponent("calendars").path)
        // The shipped packs include the 2027 draft already; the administrator adds the region's supplement.
        let packFile = pack + "/pack.yaml"
        let text = try String(contentsOfFile: packFile, encoding: .utf8).replacingOccurrences(
            of: "include: [../calendars/cn-2024-2026.yaml, ../calendars/cn-2027-draft.yaml]",
            with: "include: [../calendars/cn-2024-2026.yaml, ../calendars/cn-2027-draft.yaml, ../calendars/examples/regional-supplement-example.yaml]")
        #expect(text.contains("regional-supplement-example.yaml"))
        try text.write(toFile: packFile, atomically: true, encoding: .utf8)

        let july = try cli.run(["calendar", "show", "2026-07"], rules: pack)
        #expect(july.status == 0, "\(july.stderr)")
        #expect(july.stdout.contains("2026-07-24 五 假 州庆（示例）") && july.stdout.contains("24假"), "\(july.stdout)")
        #expect(july.stdout.contains("2026年日历：正式"))

        let next = try cli.run(["calendar", "show", "2027-07"], rules: pack)
        #expect(next.stdout.contains("2027-07-23 五 假 州庆（示例）"), "\(next.stdout)")
        #expect(next.stdout.contains("2027年日历：暂定（草案，仅法定节假日，无调休）"), "\(next.stdout)")
        #expect(next.stdout.contains("kesu calendar import"))
        let october = try cli.run(["calendar", "show", "2027-10", "--json"], rules: pack)
        #expect(october.json["coverage"] as? String == "provisional")
        let first = (october.json["days"] as? [[String: Any]])?.first
        #expect(first?["kind"] as? String == "holiday" && first?["label"] as? String == "国庆节")
    }
}
