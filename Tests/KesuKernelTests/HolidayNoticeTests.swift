import Foundation
import KesuKernel
import Testing

/// Reading the State Council's holiday notice (docs/rule-packs.md, "Importing the State Council's notice"):
/// what it reads, and every refusal located at the sentence with the sentence quoted.
@Suite struct HolidayNoticeTests {
    static let title = "国务院办公厅关于2026年部分节假日安排的通知\n"

    static func days(_ list: [DatedDay]) -> [String] { list.map { "\($0.date) \($0.name) \($0.label)" } }

    static func refusal(_ text: String, year: Int? = nil) throws -> HolidayNoticeError {
        do {
            let notice = try HolidayNotice.parse(text, file: "notice.txt", year: year)
            Issue.record("expected a refusal, read \(days(notice.holidays))")
            throw CancellationError()
        } catch let e as HolidayNoticeError {
            return e
        }
    }

    @Test func readsItemsRunTogetherOnOneLine() throws {
        let text = Self.title + "一、元旦：1月1日（周四）至3日（周六）放假调休，共3天。1月4日（周日）上班。二、春节：2月15日至23日放假调休，共9天。2月14日（周六）、2月28日（周六）上班。三、清明节：4月4日至6日放假，共3天。\n"
        let notice = try HolidayNotice.parse(text, file: "notice.txt")
        #expect(notice.year == 2026)
        #expect(notice.holidays.count == 15)
        #expect(Self.days(notice.holidays).prefix(4) == [
            "2026-01-01 new_years_day 元旦", "2026-01-02 new_years_day 元旦", "2026-01-03 new_years_day 元旦",
            "2026-02-15 spring_festival 春节",
        ])
        #expect(Self.days(notice.workdays) == [
            "2026-01-04 new_years_day 元旦", "2026-02-14 spring_festival 春节", "2026-02-28 spring_festival 春节",
        ])
        #expect(notice.workdays[1].location.line == 2)
    }

    /// 中秋节、国庆节 as one item: the lunar 15th of the 8th month is 中秋节, every other day and the workdays 国庆节.
    @Test func combinedItemGivesTheMidAutumnDayItsOwnName() throws {
        let text = "国务院办公厅关于2025年部分节假日安排的通知\n六、国庆节、中秋节：10月1日（周三）至8日（周三）放假调休，共8天。9月28日（周日）、10月11日（周六）上班。\n"
        let notice = try HolidayNotice.parse(text, file: "notice.txt")
        #expect(notice.holidays.count == 8)
        #expect(notice.holidays.filter { $0.name == "mid_autumn_festival" }.map(\.date.description) == ["2025-10-06"])
        #expect(notice.holidays.filter { $0.name == "national_day" }.count == 7)
        #expect(notice.workdays.allSatisfy { $0.name == "national_day" && $0.label == "国庆节" })
    }

    @Test func rangesCrossMonthsAndYears() throws {
        let text = Self.title + "一、元旦：12月31日至1月1日放假，共2天。\n二、国庆节：9月29日（周二）至10月6日（周二）放假调休，共8天。\n三、春节：2026年2月15日至2026年2月16日放假，共2天。\n"
        let notice = try HolidayNotice.parse(text, file: "notice.txt")
        #expect(notice.holidays.map(\.date.description) == [
            "2026-12-31", "2027-01-01",
            "2026-09-29", "2026-09-30", "2026-10-01", "2026-10-02", "2026-10-03", "2026-10-04", "2026-10-05", "2026-10-06",
            "2026-02-15", "2026-02-16",
        ])
    }

    @Test func anUnreadableSentenceIsRefusedAtItsPlaceAndQuoted() throws {
        let text = Self.title + "一、元旦：1月1日（周四）至3日（周六）放假调休，共3天。1月4日（周日）照常上课。\n"
        let e = try Self.refusal(text)
        #expect(e.location == SourceLocation(file: "notice.txt", line: 2, column: 30))
        #expect(e.message.contains("cannot read this sentence"))
        #expect(e.sentence == "1月4日（周日）照常上课")
        #expect(e.description.hasPrefix("notice.txt:2:30: "))
        #expect(e.description.contains("「1月4日（周日）照常上课」"))
    }

    @Test func aDayCountThatDoesNotMatchTheRangeIsRefused() throws {
        let e = try Self.refusal(Self.title + "二、春节：2月15日至23日放假调休，共8天。\n")
        #expect(e.location.line == 2 && e.location.column == 6)
        #expect(e.message.contains("共8天") && e.message.contains("9 days"))
        #expect(e.sentence == "2月15日至23日放假调休，共8天")
    }

    @Test func aWeekdayNoteThatDoesNotMatchTheDateIsRefused() throws {
        let e = try Self.refusal(Self.title + "一、元旦：1月1日（周五）至3日（周六）放假调休，共3天。\n")
        #expect(e.message.contains("2026-01-01 is a 周四, not the 周五"))
        #expect(e.location.line == 2)
        let workday = try Self.refusal(Self.title + "一、元旦：1月1日至3日放假调休，共3天。1月4日（星期六）上班。\n")
        #expect(workday.message.contains("2026-01-04 is a 周日"))
        #expect(workday.sentence == "1月4日（星期六）上班")
    }

    @Test func aNoticeWithoutAYearIsRefusedUnlessOneIsGiven() throws {
        let body = "一、元旦：1月1日（周四）至3日（周六）放假调休，共3天。\n"
        let e = try Self.refusal(body)
        #expect(e.message.contains("no year") && e.message.contains("--year"))
        #expect(try HolidayNotice.parse(body, file: "notice.txt", year: 2026).holidays.count == 3)
        let disagreeing = try Self.refusal(Self.title + body, year: 2027)
        #expect(disagreeing.message.contains("title says 2026") && disagreeing.location.line == 1)
    }

    @Test func anUnknownHolidayOrAMistypedItemIsRefusedNotSkipped() throws {
        let unknown = try Self.refusal(Self.title + "一、元旦：1月1日放假，共1天。\n二、春分：3月20日放假，共1天。\n")
        #expect(unknown.location.line == 3 && unknown.message.contains("unknown holiday \"春分\""))
        let mistyped = try Self.refusal(Self.title + "一、元旦：1月1日放假，共1天。\n二春节：2月15日至23日放假调休，共9天。\n")
        #expect(mistyped.location.line == 3 && mistyped.sentence.hasPrefix("二春节"))
    }

    @Test func anAdvisorySentenceIsListedNotImported() throws {
        let notice = try HolidayNotice.parse(
            Self.title + "二、春节：2月15日至23日放假调休，共9天。鼓励各单位安排职工在2月14日休息。\n", file: "notice.txt")
        #expect(notice.holidays.count == 9 && notice.workdays.isEmpty)
        #expect(notice.advisories.map(\.text) == ["鼓励各单位安排职工在2月14日休息"])
    }
}
