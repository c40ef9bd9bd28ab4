import Foundation
import KesuKernel
import KesuRendering
import KesuTestSupport
import Testing

/// The words after a due time counted on a draft or an unknown calendar, and `rules explain`'s walk over such years.
@Suite struct CoverageTextTests {
    @Test func marksAndMeanings() {
        #expect(CoverageText.mark(YearCoverage.official) == "")
        #expect(CoverageText.mark(YearCoverage.provisional) == "（暂定日历）")
        #expect(CoverageText.mark(YearCoverage.uncovered) == "（日历未覆盖）")
        #expect(CoverageText.mark("provisional") == "（暂定日历）" && CoverageText.mark(nil as String?) == "")
        #expect(CoverageText.meaning(.official, year: 2026) == nil)
        #expect(CoverageText.meaning(.provisional, year: 2027)?.hasPrefix("暂定日历：2027年只有法定节假日，调休上班日尚未公布") == true)
        #expect(CoverageText.meaning(.uncovered, year: 2028)?.hasPrefix("日历未覆盖：2028年的节假日尚未录入") == true)
        // What to do: import the notice; a missing year may be drafted meanwhile, a drafted one is flagged.
        #expect(CoverageText.advice(.official, year: 2026) == nil)
        #expect(CoverageText.advice(.provisional, year: 2027)?.contains("kesu calendar import") == true)
        #expect(CoverageText.advice(.provisional, year: 2027)?.contains("按暂定日历计算") == true)
        #expect(CoverageText.advice(.uncovered, year: 2028)?.contains("kesu calendar draft 2028") == true)
    }

    /// The test pack lists 2026 only; 2027 from a draft: a walk from 2026-12-30 into 2027 is provisional, one in 2028 uncovered.
    @Test func aWalkIsAsSureAsItsWeakestYear() throws {
        var pack = TestPack.make()
        pack.calendar.holidays.append(DatedDay(date: LocalDate(year: 2027, month: 1, day: 1), name: "new_years_day", label: "元旦"))
        pack.calendar.provisionalYears = [2027]
        let calendar = try BusinessCalendar(pack.calendar)
        let text = ExplanationText(pack: pack, zone: TestPack.zone)
        let crossing = try calendar.explainDue(from: TestPack.at("2026-12-30T10:00:00+08:00"), length: .workingDays(3, .endOfDay))
        #expect(calendar.years(of: crossing) == [2026, 2027])
        #expect(text.coverage(crossing) == .provisional)
        let inside = try calendar.explainDue(from: TestPack.at("2026-10-12T10:00:00+08:00"), length: .workingDays(3, .endOfDay))
        #expect(text.coverage(inside) == .official)
        #expect(text.coverage(from: TestPack.at("2028-03-01T10:00:00+08:00"), to: TestPack.at("2028-03-08T18:00:00+08:00")) == .uncovered)
    }
}
