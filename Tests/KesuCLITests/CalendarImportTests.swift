import Foundation
import KesuKernel
import Testing
@testable import kesu

/// `kesu calendar import` (CalendarImport), called directly: the command is registered under the
/// `kesu calendar` group when that group lands, so these tests do not go through the binary.
@Suite struct CalendarImportTests {
    static let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func temp(_ name: String) throws -> String {
        let dir = FileManager.default.temporaryDirectory.path + "/kesu-import-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir + "/" + name
    }

    @Test func writesTheYearsCalendarFileToOut() async throws {
        let notice = Self.repoRoot.appendingPathComponent("rules/calendars/notices/cn-2026.txt").path
        let out = try Self.temp("cn-2026.yaml")
        let command = try CalendarImport.parse([notice, "--out", out])
        try await command.run()
        let written = try String(contentsOfFile: out, encoding: .utf8)
        #expect(written.contains("  - {date: 2026-02-23, name: spring_festival, zh: 春节}\n"))
        #expect(written.contains("workdays:\n  - {date: 2026-01-04, name: new_years_day, zh: 元旦}\n"))
        #expect(written.components(separatedBy: "{date: ").count - 1 == 33 + 6)
    }

    /// A notice with a typo is refused with the place and the sentence, and the existing file is left as it was.
    @Test func aRefusedNoticeChangesNothing() async throws {
        let notice = try Self.temp("notice.txt")
        try "国务院办公厅关于2027年部分节假日安排的通知\n一、元旦：1月1日（周四）放假，共1天。\n"
            .write(toFile: notice, atomically: true, encoding: .utf8)
        let out = try Self.temp("cal.yaml")
        try "region: CN\n".write(toFile: out, atomically: true, encoding: .utf8)
        do {
            _ = try CalendarImport.calendarFile(notice: try CalendarImport.readNotice(notice), file: notice, year: nil)
            Issue.record("2027-01-01 is a Friday: the notice must be refused")
        } catch let e as CalendarError {
            #expect(e.message.hasPrefix("\(notice):2:6: 2027-01-01 is a 周五, not the 周四"))
            #expect(e.message.contains("「1月1日（周四）放假，共1天」"))
            #expect(e.message.contains("nothing written"))
        }
        await #expect(throws: (any Error).self) { try await CalendarImport.parse([notice, "--out", out]).run() }
        #expect(try String(contentsOfFile: out, encoding: .utf8) == "region: CN\n")
    }
}
