import Foundation
import KesuKernel
import KesuYAML
import Testing
import Yams

/// A region's extra days (`supplement: true`, rules/calendars/examples/regional-supplement-example.yaml) included
/// beside the national calendar: deadlines skip them, but they do not make a year covered.
@Suite struct RegionalSupplementTests {
    static let example = NoticeImportTests.repoRoot
        .appendingPathComponent("rules/calendars/examples/regional-supplement-example.yaml").path

    /// The fixture pack (national calendar: 2026's 国庆) including the shipped example supplement too.
    static func pack(supplement: String? = nil) throws -> String {
        let packYAML = try #require(Fixture.good["pack.yaml"]).replacingOccurrences(
            of: "include: [../calendars/cal.yaml]", with: "include: [../calendars/cal.yaml, ../calendars/regional.yaml]")
        let dir = try Fixture.write(["pack.yaml": packYAML])
        let text = try supplement ?? String(contentsOfFile: Self.example, encoding: .utf8)
        try text.write(toFile: dir + "/../calendars/regional.yaml", atomically: true, encoding: .utf8)
        return dir
    }

    @Test func theSupplementsDaysAreHolidaysButCoverNoYear() throws {
        let calendar = try BusinessCalendar(try RulePackLoader().load(directory: try Self.pack()).pack.calendar)
        let founding = LocalDate(year: 2026, month: 7, day: 24)
        #expect(calendar.dayKind(founding) == .holiday(name: "prefecture_founding_day", label: "州庆（示例）"))
        #expect(!calendar.isWorkingDay(founding))
        // The national file's days are still there.
        #expect(calendar.dayKind(LocalDate(year: 2026, month: 10, day: 10)) == .adjustedWorkday(name: "national_day", label: "国庆节"))
        // Thu 07-23 + 1 working day: Fri 07-24 is the prefecture's day off, then the weekend → Mon 07-27.
        let start = try #require(ISO8601.parse("2026-07-23T09:00:00+08:00"))
        let due = try calendar.due(from: start, length: .workingDays(1, .endOfDay))
        #expect(ISO8601.format(due, in: calendar.timeZone) == "2026-07-27T18:00:00+08:00")
        // 2026 is covered by the national file; 2027 is listed only by the supplement, so it is not covered.
        #expect(calendar.coverage(ofYear: 2026) == .official)
        #expect(calendar.coverage(ofYear: 2027) == .uncovered)
        #expect(!calendar.isWorkingDay(LocalDate(year: 2027, month: 7, day: 23)), "its days still count in an uncovered year")
    }

    /// Without the supplement the same clock falls due on the Friday: the supplement is what moved it.
    @Test func withoutTheSupplementTheDayIsWorked() throws {
        let calendar = try BusinessCalendar(try RulePackLoader().load(directory: try Fixture.write()).pack.calendar)
        let start = try #require(ISO8601.parse("2026-07-23T09:00:00+08:00"))
        let due = try calendar.due(from: start, length: .workingDays(1, .endOfDay))
        #expect(ISO8601.format(due, in: calendar.timeZone) == "2026-07-24T18:00:00+08:00")
    }

    /// The example follows docs/calendar.schema.json and points the editor at it from its folder.
    @Test func theExampleFollowsTheCalendarSchema() throws {
        let text = try String(contentsOfFile: Self.example, encoding: .utf8)
        #expect(text.hasPrefix("# yaml-language-server: $schema=../../../docs/calendar.schema.json\n"))
        #expect(text.contains("supplement: true"))
        let walker = SchemaWalker(schema: try PackSchemaTests.schema("calendar.schema.json"))
        let problems = walker.check(try #require(try Yams.compose(yaml: text)), file: "regional-supplement-example.yaml")
        #expect(problems.isEmpty, "\(problems)")
    }

    @Test func anUnknownKeyInACalendarFileIsLocated() throws {
        let dir = try Self.pack(supplement: """
            region: CN-EXAMPLE
            suplement: true
            holidays:
              - {date: 2026-07-24, name: prefecture_founding_day, zh: 州庆}

            """)
        let diagnostics = Fixture.failures(dir)
        let file = URL(fileURLWithPath: dir + "/../calendars/regional.yaml").standardizedFileURL.path
        expectError(diagnostics, at: "\(file):2:1", ["unknown key 'suplement'", "supplement"])
    }
}
