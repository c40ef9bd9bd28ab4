import Foundation
import KesuKernel
import KesuRendering
import KesuViews
import Testing

/// The month grid `kesu calendar show` prints, built from a calendar in code.
@Suite struct MonthTextTests {
    static func calendar(provisional: Bool = false) throws -> BusinessCalendar {
        let day = { (d: Int) in DatedDay(date: LocalDate(year: 2027, month: 2, day: d), name: "spring_festival", label: "春节") }
        return try BusinessCalendar(CalendarRules(
            businessHours: [MinuteRange(start: 510, end: 1080)], holidays: (6...12).map(day), workdays: [day(20)],
            provisionalYears: provisional ? [2027] : []))
    }

    /// February 2027 starts on a Monday and has 28 days: four full weeks.
    @Test func weeksStartOnMonday() throws {
        let view = MonthView(year: 2027, month: 2, calendar: try Self.calendar())
        #expect(view.weeks.count == 4 && view.weeks.allSatisfy { $0.count == 7 && !$0.contains(nil) })
        #expect(view.days[0].weekday == 1 && view.days[5].kind == .holiday && view.days[19].kind == .adjustedWorkday)
        let lines = MonthText.lines(view)
        #expect(lines[2] == " 1    2    3    4    5    6假  7假", "\(lines)")
        #expect(lines[4] == "15   16   17   18   19   20班 21休", "\(lines)")
        #expect(lines.contains("  2027-02-20 六 班 春节（调休上班）"))
        #expect(lines.contains("2027年日历：正式（国务院办公厅通知）"))
    }

    @Test func aProvisionalYearTellsTheAdministratorToImport() throws {
        let lines = MonthText.lines(MonthView(year: 2027, month: 2, calendar: try Self.calendar(provisional: true)))
        #expect(lines.contains("2027年日历：暂定（草案，仅法定节假日，无调休）"))
        #expect(lines.last?.contains("kesu calendar import") == true)
    }

    @Test func theMonthArgumentIsYYYYMM() {
        #expect(MonthView.parseMonth("2027-01")! == (2027, 1))
        for bad in ["2027-13", "2027/01", "abc", "2027-1", "27-01", "2027-01-01", "２０２７-01", ""] {
            #expect(MonthView.parseMonth(bad) == nil, "\(bad)")
        }
    }
}
