import Foundation
import KesuKernel
import KesuYAML
import Testing
import Yams

/// `kesu calendar draft`'s engine over the shipped statutory rules (rules/calendars/cn-statutory-holidays.yaml).
@Suite struct HolidayDraftTests {
    static let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let statutoryPath = repoRoot.appendingPathComponent("rules/calendars/cn-statutory-holidays.yaml").path

    static func statutory() throws -> StatutoryRules { try StatutoryHolidaysLoader().load(path: statutoryPath) }

    /// The shipped official calendar's holidays, date → name.
    static func shippedHolidays() throws -> [String: String] {
        let text = try String(contentsOfFile: repoRoot.appendingPathComponent("rules/calendars/cn-2024-2026.yaml").path, encoding: .utf8)
        let root = try #require(try Yams.load(yaml: text) as? [String: Any])
        let days = try #require(root["holidays"] as? [[String: Any]])
        var byDate: [String: String] = [:]
        for d in days {
            // Yams reads an unquoted date as a Date; the shipped file writes them YYYY-MM-DD.
            let key = (d["date"] as? String) ?? (d["date"] as? Date).map { Self.ymd($0) } ?? ""
            byDate[key] = d["name"] as? String
        }
        return byDate
    }

    static func ymd(_ date: Date) -> String {
        var c = Calendar(identifier: .gregorian)
        c.timeZone = TimeZone(identifier: "UTC")!
        let p = c.dateComponents([.year, .month, .day], from: date)
        return LocalDate(year: p.year!, month: p.month!, day: p.day!).description
    }

    @Test(arguments: [2024, 2025, 2026])
    func everyDraftedDayIsAHolidayOfTheShippedCalendarWithTheSameName(_ year: Int) throws {
        let shipped = try Self.shippedHolidays()
        let drafted = try HolidayDraft.draft(try Self.statutory(), year: year)
        #expect(drafted.count >= 11)
        for day in drafted {
            #expect(shipped[day.date.description] == day.name, "\(day.date) drafted as \(day.name), shipped as \(shipped[day.date.description] ?? "a working day")")
        }
    }

    @Test func draft2027HasTheStatutoryDays() throws {
        let drafted = try HolidayDraft.draft(try Self.statutory(), year: 2027)
        let expected: [(String, String, String)] = [
            ("2027-01-01", "new_years_day", "元旦"),
            ("2027-02-05", "spring_festival", "春节"), ("2027-02-06", "spring_festival", "春节"),
            ("2027-02-07", "spring_festival", "春节"), ("2027-02-08", "spring_festival", "春节"),
            ("2027-04-05", "tomb_sweeping_day", "清明节"),
            ("2027-05-01", "labour_day", "劳动节"), ("2027-05-02", "labour_day", "劳动节"),
            ("2027-06-09", "dragon_boat_festival", "端午节"),
            ("2027-09-15", "mid_autumn_festival", "中秋节"),
            ("2027-10-01", "national_day", "国庆节"), ("2027-10-02", "national_day", "国庆节"), ("2027-10-03", "national_day", "国庆节"),
        ]
        #expect(drafted.map { "\($0.date) \($0.name) \($0.label)" } == expected.map { "\($0.0) \($0.1) \($0.2)" })
        // 除夕 is the day before lunar 1/1 in Foundation's Chinese calendar.
        var chinese = Calendar(identifier: .chinese)
        chinese.timeZone = TimeZone(identifier: "Asia/Shanghai")!
        let newYear = try #require(ISO8601DateFormatter().date(from: "2027-02-06T12:00:00+08:00"))
        let c = chinese.dateComponents([.month, .day], from: newYear)
        #expect(c.month == 1 && c.day == 1)
    }

    /// 清明 from the sun's longitude reaching 15°, in China Standard Time, against published dates.
    @Test(arguments: [
        (2000, 4), (2008, 4), (2015, 5), (2016, 4), (2017, 4), (2018, 5), (2019, 5), (2020, 4), (2021, 4),
        (2022, 5), (2023, 5), (2024, 4), (2025, 4), (2026, 5), (2027, 5),
    ])
    func qingmingFallsOnThePublishedDay(_ year: Int, _ day: Int) throws {
        let rules = StatutoryRules(holidays: [StatutoryHoliday(name: "q", label: "", anchor: .solarTerm(longitude: 15), days: 1)])
        #expect(try HolidayDraft.draft(rules, year: year).map(\.date) == [LocalDate(year: year, month: 4, day: day)])
    }

    /// 2020: 中秋 (lunar 8/15) fell on 10-01; the draft lists the day once and names the overlap in the file.
    @Test func anOverlapIsListedOnceAndNamedInTheFile() throws {
        let (days, overlaps) = try HolidayDraft.draftWithOverlaps(try Self.statutory(), year: 2020)
        #expect(overlaps == [HolidayDraft.Overlap(date: LocalDate(year: 2020, month: 10, day: 1), kept: "mid_autumn_festival",
                                                  dropped: "national_day")])
        #expect(days.filter { $0.date == LocalDate(year: 2020, month: 10, day: 1) }.map(\.name) == ["mid_autumn_festival"])
        let text = HolidayDraft.calendarFileText(year: 2020, region: "CN", days: days, overlaps: overlaps, statutorySource: "s.yaml")
        #expect(text.contains("# 2020-10-01 is both mid_autumn_festival and national_day"))
    }

    @Test(arguments: [1999, 2101, -5])
    func yearsOutOfRangeAreRefused(_ year: Int) throws {
        #expect(throws: CalendarError.self) { try HolidayDraft.draft(try Self.statutory(), year: year) }
    }

    /// docs/statutory-holidays.schema.json has exactly the loader's keys and accepts the shipped rules.
    @Test func statutorySchemaMatchesTheLoaderAndTheShippedFile() throws {
        let defs = PackSchemaTests.defs(try PackSchemaTests.schema("statutory-holidays.schema.json"))
        let keys = { (name: String) in Set((defs[name]?["properties"] as? [String: Any] ?? [:]).keys) }
        #expect(keys("statutory_file") == Set(StatutoryHolidaysLoader.fileKeys))
        #expect(keys("statutory_holiday") == Set(StatutoryHolidaysLoader.holidayKeys))
        let walker = SchemaWalker(schema: try PackSchemaTests.schema("statutory-holidays.schema.json"))
        let text = try String(contentsOfFile: Self.statutoryPath, encoding: .utf8)
        #expect(text.hasPrefix("# yaml-language-server: $schema=../../docs/statutory-holidays.schema.json\n"))
        let problems = walker.check(try #require(try Yams.compose(yaml: text)), file: "cn-statutory-holidays.yaml")
        #expect(problems.isEmpty, "\(problems)")
    }

    @Test func badStatutoryRulesGetLocatedErrors() throws {
        let (_, diagnostics) = StatutoryHolidaysLoader().read(text: """
            holidays:
              - {name: a, calendar: lunar, month: 13, day: 1, days: 1}
              - {name: b, calendar: solar_term, term: qinming, days: 1}
              - {name: c, calendar: julian, month: 1, day: 1, days: 1}
              - {name: d, calendar: gregorian, month: 1, day: 1, dayz: 1}
            """, file: "s.yaml")
        let text = diagnostics.map(\.description)
        #expect(text.contains { $0.hasPrefix("s.yaml:2:") && $0.contains("13/1") }, "\(text)")
        #expect(text.contains { $0.hasPrefix("s.yaml:3:") && $0.contains("qinming") && $0.contains("qingming") }, "\(text)")
        #expect(text.contains { $0.hasPrefix("s.yaml:4:") && $0.contains("julian") }, "\(text)")
        #expect(text.contains { $0.hasPrefix("s.yaml:5:") && $0.contains("dayz") }, "\(text)")
    }

    /// A pack including the drafted 2027 file loads, knows 2027 is provisional, and its clocks skip 国庆.
    @Test func packOnTheDraftedCalendarSkipsTheDraftedDays() throws {
        let days = try HolidayDraft.draft(try Self.statutory(), year: 2027)
        let text = HolidayDraft.calendarFileText(year: 2027, region: "CN", days: days, statutorySource: "cn-statutory-holidays.yaml")
        #expect(text.contains("provisional: true"))
        #expect(text.contains("调休"))
        let walker = SchemaWalker(schema: try PackSchemaTests.schema("calendar.schema.json"))
        let problems = walker.check(try #require(try Yams.compose(yaml: text)), file: "cn-2027-draft.yaml")
        #expect(problems.isEmpty, "\(problems)")
        let dir = try Fixture.write(calendar: text)
        let pack = try RulePackLoader().load(directory: dir).pack
        #expect(pack.calendar.provisionalYears == [2027])
        let calendar = try BusinessCalendar(pack.calendar)
        let start = try #require(ISO8601DateFormatter().date(from: "2027-09-30T09:00:00+08:00"))
        let due = try calendar.due(from: start, length: .workingDays(3, .endOfDay))
        // Thu 09-30; Fri 10-01 … Sun 10-03 off; Mon 10-04, Tue 10-05, Wed 10-06.
        #expect(calendar.localDate(of: due) == LocalDate(year: 2027, month: 10, day: 6))
        // The official (non-provisional) fixture calendar marks no year provisional.
        #expect(try RulePackLoader().load(directory: try Fixture.write()).pack.calendar.provisionalYears.isEmpty)
    }

    /// The shipped packs count 2027 on the shipped draft (rules/calendars/cn-2027-draft.yaml): one working day from
    /// the working day before each statutory holiday lands after it, and every such due time is provisional.
    @Test(arguments: [
        // (start: the working day before, statutory day(s), due: the next working day after)
        ("2026-12-31", "元旦", "2027-01-04"),
        ("2027-02-04", "春节", "2027-02-09"),
        ("2027-04-02", "清明节", "2027-04-06"),
        ("2027-04-30", "劳动节", "2027-05-03"),
        ("2027-06-08", "端午节", "2027-06-10"),
        ("2027-09-14", "中秋节", "2027-09-16"),
        ("2027-09-30", "国庆节", "2027-10-04"),
    ])
    func shippedPacksSkip2027sStatutoryHolidays(start: String, holiday: String, due: String) throws {
        let pack = try RulePackLoader().load(directory: Self.repoRoot.appendingPathComponent("rules/tobacco-prefecture").path).pack
        #expect(pack.calendar.provisionalYears == [2027] && pack.calendar.coveredYears == [2024, 2025, 2026])
        let calendar = try BusinessCalendar(pack.calendar)
        let from = try #require(ISO8601DateFormatter().date(from: "\(start)T10:00:00+08:00"))
        let at = try calendar.due(from: from, length: .workingDays(1, .endOfDay))
        #expect(calendar.localDate(of: at).description == due, "\(holiday)")
        let skipped = calendar.days(from: from, to: at).filter { if case .holiday = $0.kind { true } else { false } }
        #expect(skipped.contains { if case let .holiday(_, label) = $0.kind { label == holiday } else { false } }, "\(holiday)")
        #expect(calendar.coverage(from: from, to: at) == .provisional)
    }
}
