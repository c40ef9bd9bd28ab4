import Foundation
import KesuTestSupport
import Testing

/// Issue 16: a due time counted through a provisional (drafted) or uncovered year is flagged wherever the CLI shows
/// it — `kesu show`, `kesu list`, `kesu rules explain`, text and JSON. The shipped pack: 2024-2026 official, 2027
/// drafted (rules/calendars/cn-2027-draft.yaml), 2028 not known at all. The provincial feedback clock (5 working days, from intake) runs on every case here.
@Suite struct DueCalendarCLITests {
    struct Opened {
        let number: String
        let clock: [String: Any]
    }

    static func intake(_ cli: KesuCLI, pack: String, at now: String) throws -> Opened {
        let r = try cli.run(["intake", "--json", "--field", "channel=provincial", "--field", "kind=complaint", "--field", "complainant_type=retailer",
                             "--field", "category=logistics_service", "--field", "description=送货不及时"],
                            rules: pack, now: now, as: "zhao_min")
        #expect(r.status == 0, "\(r.stderr)")
        let number = try #require(r.json["number"] as? String, "\(r.stdout)\(r.stderr)")
        let show = try cli.run(["show", number, "--json"], rules: pack, now: now)
        let clocks = show.json["clocks"] as? [[String: Any]] ?? []
        return Opened(number: number, clock: try #require(clocks.first { $0["id"] as? String == "provincial_feedback" }, "\(show.stdout)"))
    }

    @Test func aDueTimeInTheDraftedYearIsFlaggedProvisional() throws {
        let cli = try KesuCLI()
        let pack = KesuCLI.pack("tobacco-prefecture")
        let now = "2026-12-28T10:00:00+08:00"
        let c = try Self.intake(cli, pack: pack, at: now)
        // 12-29, 12-30, 12-31; 2027-01-01 元旦 (from the draft) and the weekend skipped; 01-04, 01-05.
        #expect(c.clock["due_at"] as? String == "2027-01-05T18:00:00+08:00")
        #expect(c.clock["due_calendar"] as? String == "provisional")

        let show = try cli.run(["show", c.number], rules: pack, now: now)
        #expect(show.stdout.contains("provincial_feedback 省局派单反馈时限 #1 running due 2027-01-05T18:00:00+08:00（暂定日历）"), "\(show.stdout)")

        let list = try cli.run(["list"], rules: pack, now: now)
        #expect(list.stdout.contains("due 2027-01-05T18:00:00+08:00（暂定日历）"), "\(list.stdout)")
        let listed = try cli.run(["list", "--json"], rules: pack, now: now).json["cases"] as? [[String: Any]] ?? []
        #expect(listed.first?["earliest_due_calendar"] as? String == "provisional", "\(listed)")

        let explain = try cli.run(["rules", "explain", "--case", c.number], rules: pack, now: now)
        #expect(explain.status == 0, "\(explain.stderr)")
        #expect(explain.stdout.contains("due 2027-01-05T18:00:00+08:00（暂定日历）"), "\(explain.stdout)")
        #expect(explain.stdout.contains("calendar: 暂定日历：2027年只有法定节假日，调休上班日尚未公布"), "\(explain.stdout)")
        #expect(!explain.stdout.contains("2026年"), "2026 is official: nothing to say about it")
        let json = try cli.run(["rules", "explain", "--case", c.number, "--json"], rules: pack, now: now).json
        let clock = (json["clocks"] as? [[String: Any]] ?? []).first { $0["clock"] as? String == "provincial_feedback" }
        #expect(clock?["due_calendar"] as? String == "provisional")
        #expect(jsonText(clock?["calendar_years"]) == #"[{"calendar":"official","year":2026},{"calendar":"provisional","year":2027}]"#)
    }

    @Test func aDueTimeInAnOfficialYearIsNotFlagged() throws {
        let cli = try KesuCLI()
        let pack = KesuCLI.pack("tobacco-prefecture")
        let now = "2026-10-12T10:00:00+08:00"
        let c = try Self.intake(cli, pack: pack, at: now)
        #expect(c.clock["due_at"] as? String == "2026-10-19T18:00:00+08:00")
        #expect(c.clock["due_calendar"] as? String == "official")
        let show = try cli.run(["show", c.number], rules: pack, now: now)
        #expect(show.stdout.contains("running due 2026-10-19T18:00:00+08:00\n"), "\(show.stdout)")
        #expect(!show.stdout.contains("日历"))
        let explain = try cli.run(["rules", "explain", "--case", c.number], rules: pack, now: now)
        #expect(!explain.stdout.contains("日历") && !explain.stdout.contains("calendar:"), "\(explain.stdout)")
        let listed = try cli.run(["list", "--json"], rules: pack, now: now).json["cases"] as? [[String: Any]] ?? []
        #expect(listed.first?["earliest_due_calendar"] as? String == "official")
    }

    @Test func aDueTimeInAYearWithNoHolidaysIsFlaggedUncovered() throws {
        let cli = try KesuCLI()
        let pack = KesuCLI.pack("tobacco-prefecture")
        let now = "2028-03-01T10:00:00+08:00"
        let c = try Self.intake(cli, pack: pack, at: now)
        #expect(c.clock["due_at"] as? String == "2028-03-08T18:00:00+08:00")
        #expect(c.clock["due_calendar"] as? String == "uncovered")
        let show = try cli.run(["show", c.number], rules: pack, now: now)
        #expect(show.stdout.contains("due 2028-03-08T18:00:00+08:00（日历未覆盖）"), "\(show.stdout)")
        let list = try cli.run(["list"], rules: pack, now: now)
        #expect(list.stdout.contains("（日历未覆盖）"), "\(list.stdout)")
        let explain = try cli.run(["rules", "explain", "--case", c.number], rules: pack, now: now)
        #expect(explain.stdout.contains("calendar: 日历未覆盖：2028年的节假日尚未录入，只跳过周末"), "\(explain.stdout)")
    }
}
