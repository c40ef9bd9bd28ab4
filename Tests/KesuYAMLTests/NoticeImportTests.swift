import Foundation
import KesuKernel
import KesuYAML
import Testing
import Yams

/// The State Council's notices for 2024–2026 (rules/calendars/notices/, written from the shipped calendar)
/// imported and written as a calendar file load back as exactly that year of rules/calendars/cn-2024-2026.yaml.
@Suite struct NoticeImportTests {
    static let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// A calendar file's days as the loader reads them, through a pack's `calendar.include`.
    static func loadedDays(calendar text: String) throws -> (holidays: [String], workdays: [String]) {
        let pack = try RulePackLoader().load(directory: try Fixture.write(calendar: text)).pack
        // The fixture pack adds its own 2026-12-31 year_end day; keep only the calendar file's.
        func rows(_ days: [DatedDay]) -> [String] {
            days.filter { $0.name != "year_end" }.map { "\($0.date) \($0.name) \($0.label)" }.sorted()
        }
        return (rows(pack.calendar.holidays), rows(pack.calendar.workdays))
    }

    @Test(arguments: [2024, 2025, 2026])
    func noticeImportsBackToTheShippedCalendar(year: Int) throws {
        let file = Self.repoRoot.appendingPathComponent("rules/calendars/notices/cn-\(year).txt").path
        let notice = try HolidayNotice.parse(try String(contentsOfFile: file, encoding: .utf8), file: file)
        #expect(notice.year == year)
        let written = CalendarFileWriter.yaml(notice, source: "cn-\(year).txt")
        let imported = try Self.loadedDays(calendar: written)
        let shipped = try Self.loadedDays(calendar: try String(
            contentsOf: Self.repoRoot.appendingPathComponent("rules/calendars/cn-2024-2026.yaml"), encoding: .utf8))
        let prefix = "\(year)-"
        #expect(imported.holidays == shipped.holidays.filter { $0.hasPrefix(prefix) })
        #expect(imported.workdays == shipped.workdays.filter { $0.hasPrefix(prefix) })
        #expect(!imported.holidays.isEmpty && !imported.workdays.isEmpty)
    }

    @Test func writtenFileHasTheShippedShape() throws {
        let text = "国务院办公厅关于2026年部分节假日安排的通知\n七、国庆节：10月1日（周四）至2日（周五）放假，共2天。9月20日（周日）上班。\n"
        let written = CalendarFileWriter.yaml(try HolidayNotice.parse(text, file: "n.txt"), source: "n.txt")
        #expect(written.hasPrefix("# yaml-language-server: $schema=../../docs/calendar.schema.json\n"))
        #expect(written.hasSuffix("""
            region: CN
            holidays:
              - {date: 2026-10-01, name: national_day, zh: 国庆节}
              - {date: 2026-10-02, name: national_day, zh: 国庆节}
            workdays:
              - {date: 2026-09-20, name: national_day, zh: 国庆节}

            """))
        let walker = SchemaWalker(schema: try PackSchemaTests.schema("calendar.schema.json"))
        #expect(walker.check(try #require(try Yams.compose(yaml: written)), file: "n.yaml").isEmpty)
    }
}
