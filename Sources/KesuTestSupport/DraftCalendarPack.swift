import Foundation
import KesuKernel

/// The shipped packs copied to a temporary folder, with tobacco-prefecture also including a drafted (provisional)
/// 2027 calendar as `kesu calendar draft 2027` writes it: 2024-2026 official, 2027 provisional, 2028 uncovered.
public enum DraftCalendarPack {
    /// Some of 2027's statutory days (what the draft lists for them): enough to reach January and February.
    public static let days2027: [DatedDay] =
        [DatedDay(date: LocalDate(year: 2027, month: 1, day: 1), name: "new_years_day", label: "元旦")]
        + (5...8).map { DatedDay(date: LocalDate(year: 2027, month: 2, day: $0), name: "spring_festival", label: "春节") }

    /// Copies `rules/` into `dir` and returns the path of the copied tobacco-prefecture pack.
    public static func make(in dir: URL) throws -> String {
        let rules = dir.appendingPathComponent("rules")
        try FileManager.default.copyItem(at: KesuProcess.packageRoot.appendingPathComponent("rules"), to: rules)
        let draft = HolidayDraft.calendarFileText(year: 2027, region: "CN", days: days2027, statutorySource: "cn-statutory-holidays.yaml")
        try draft.write(to: rules.appendingPathComponent("calendars/cn-2027-draft.yaml"), atomically: true, encoding: .utf8)
        let pack = rules.appendingPathComponent("tobacco-prefecture")
        let file = pack.appendingPathComponent("pack.yaml")
        let text = try String(contentsOf: file, encoding: .utf8)
        let included = text.replacingOccurrences(
            of: "include: [../calendars/cn-2024-2026.yaml]", with: "include: [../calendars/cn-2024-2026.yaml, ../calendars/cn-2027-draft.yaml]")
        guard included != text else { throw CocoaError(.fileReadCorruptFile) }
        try included.write(to: file, atomically: true, encoding: .utf8)
        return pack.path
    }
}
