import Foundation
import Testing

/// `kesu calendar draft YEAR [--out FILE] [--statutory FILE]`.
@Suite struct CalendarCLITests {
    static var statutory: String { KesuCLI.packageRoot.appendingPathComponent("rules/calendars/cn-statutory-holidays.yaml").path }

    @Test func draftWritesTheProvisionalFileToOut() throws {
        let cli = try KesuCLI()
        let out = cli.dir.appendingPathComponent("cn-2027.yaml").path
        let r = try cli.run(["calendar", "draft", "2027", "--out", out])
        #expect(r.status == 0, "\(r.stderr)")
        let text = try String(contentsOfFile: out, encoding: .utf8)
        #expect(text.contains("provisional: true"))
        #expect(text.contains("no 调休 working days are drafted"))
        #expect(text.contains("- {date: 2027-02-05, name: spring_festival, zh: 春节}"))
        #expect(text.contains("- {date: 2027-10-03, name: national_day, zh: 国庆节}"))
        #expect(r.stdout.contains("13 statutory holiday(s) drafted for 2027"))
        // Written again: refused without --force, replaced with it.
        let again = try cli.run(["calendar", "draft", "2027", "--out", out])
        #expect(again.status == 1 && again.stderr.contains("--force"))
        #expect(try cli.run(["calendar", "draft", "2027", "--out", out, "--force"]).status == 0)
    }

    /// The draft replaced by the official notice, through the command line: `kesu calendar import`.
    @Test func importReadsTheNoticeThroughTheCommandLine() throws {
        let cli = try KesuCLI()
        let notice = KesuCLI.packageRoot.appendingPathComponent("rules/calendars/notices/cn-2026.txt").path
        let out = cli.dir.appendingPathComponent("cn-2026.yaml").path
        let r = try cli.run(["calendar", "import", notice, "--out", out])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("33 holiday(s), 6 调休 working day(s)"), "\(r.stdout)")
        let text = try String(contentsOfFile: out, encoding: .utf8)
        #expect(text.contains("- {date: 2026-02-14") && !text.contains("provisional"), "the official calendar is not provisional")
        // A notice with a typo in a weekday is refused where it is, and nothing is written.
        let bad = cli.dir.appendingPathComponent("bad.txt")
        try (try String(contentsOfFile: notice, encoding: .utf8)).replacingOccurrences(of: "（周四）", with: "（周五）")
            .write(to: bad, atomically: true, encoding: .utf8)
        let refused = try cli.run(["calendar", "import", bad.path, "--out", cli.dir.appendingPathComponent("never.yaml").path])
        #expect(refused.status == 1 && refused.stderr.contains("bad.txt:"), "\(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: cli.dir.appendingPathComponent("never.yaml").path))
    }

    @Test func draftWritesBesideTheStatutoryFileByDefault() throws {
        let cli = try KesuCLI()
        let copy = cli.dir.appendingPathComponent("statutory.yaml").path
        try FileManager.default.copyItem(atPath: Self.statutory, toPath: copy)
        let r = try cli.run(["calendar", "draft", "2028", "--statutory", copy, "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let written = cli.dir.appendingPathComponent("cn-2028-draft.yaml").path
        #expect(FileManager.default.fileExists(atPath: written))
        #expect(r.stdout.contains("\"provisional\" : true"))
    }

    @Test func anOverlapIsWarnedAbout() throws {
        let cli = try KesuCLI()
        let r = try cli.run(["calendar", "draft", "2020", "--out", cli.dir.appendingPathComponent("cn-2020.yaml").path])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("warning: 2020-10-01 is both mid_autumn_festival and national_day"), "\(r.stderr)")
    }

    @Test(arguments: ["1999", "2101"])
    func aBadYearIsRefusedAndWritesNothing(_ year: String) throws {
        let cli = try KesuCLI()
        let out = cli.dir.appendingPathComponent("x.yaml").path
        let r = try cli.run(["calendar", "draft", year, "--out", out])
        #expect(r.status == 1)
        #expect(r.stderr.contains("cannot draft \(year)") && r.stderr.contains("2000 to 2100"))
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    @Test func aBadStatutoryFileIsRefusedWithItsLocation() throws {
        let cli = try KesuCLI()
        let bad = cli.dir.appendingPathComponent("bad.yaml").path
        try "holidays:\n  - {name: x, calendar: lunar, month: 1, days: 1}\n".write(toFile: bad, atomically: true, encoding: .utf8)
        let r = try cli.run(["calendar", "draft", "2027", "--statutory", bad, "--out", cli.dir.appendingPathComponent("o.yaml").path])
        #expect(r.status == 1)
        #expect(r.stderr.contains("bad.yaml:2:5") && r.stderr.contains("'month' and 'day'"), "\(r.stderr)")
    }
}
