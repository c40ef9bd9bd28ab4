import Foundation
import Testing
import KesuKernel

// MARK: Fixtures

/// An instant from an ISO-8601 string with offset, e.g. `2026-10-10T18:00:00+08:00`.
private func at(_ text: String) -> Date {
    let f = ISO8601DateFormatter()
    f.formatOptions = [.withInternetDateTime]
    guard let d = f.date(from: text) else { fatalError("bad ISO-8601 instant in test: \(text)") }
    return d
}

private func day(_ text: String) -> LocalDate {
    guard let d = LocalDate(text) else { fatalError("bad date in test: \(text)") }
    return d
}

/// 08:30–12:00 and 14:30–18:00.
private let splitShift = [MinuteRange((8, 30), (12, 0)), MinuteRange((14, 30), (18, 0))]

/// Mainland China 2026 (from /work/shared/data/cn-holidays-2024-2026.yaml).
private func cn2026Rules(timeZone: String = "Asia/Shanghai", hours: [MinuteRange] = splitShift) -> CalendarRules {
    let blocks: [(String, String, [String])] = [
        ("new_years_day", "元旦", ["2026-01-01", "2026-01-02", "2026-01-03"]),
        ("spring_festival", "春节", (15...23).map { String(format: "2026-02-%02d", $0) }),
        ("tomb_sweeping_day", "清明节", ["2026-04-04", "2026-04-05", "2026-04-06"]),
        ("labour_day", "劳动节", (1...5).map { String(format: "2026-05-%02d", $0) }),
        ("dragon_boat_festival", "端午节", ["2026-06-19", "2026-06-20", "2026-06-21"]),
        ("mid_autumn_festival", "中秋节", ["2026-09-25", "2026-09-26", "2026-09-27"]),
        ("national_day", "国庆节", (1...7).map { String(format: "2026-10-%02d", $0) }),
    ]
    let holidays = blocks.flatMap { name, label, dates in dates.map { DatedDay(date: day($0), name: name, label: label) } }
    let workdays: [DatedDay] = [
        DatedDay(date: day("2026-01-04"), name: "new_years_day", label: "元旦"),
        DatedDay(date: day("2026-02-14"), name: "spring_festival", label: "春节"),
        DatedDay(date: day("2026-02-28"), name: "spring_festival", label: "春节"),
        DatedDay(date: day("2026-05-09"), name: "labour_day", label: "劳动节"),
        DatedDay(date: day("2026-09-20"), name: "national_day", label: "国庆节"),
        DatedDay(date: day("2026-10-10"), name: "national_day", label: "国庆节"),
    ]
    return CalendarRules(timeZone: timeZone, businessHours: hours, weekend: [6, 7], holidays: holidays, workdays: workdays)
}

private func cn2026() throws -> BusinessCalendar { try BusinessCalendar(cn2026Rules()) }

// MARK: Day kinds

@Suite struct BusinessCalendarDayTests {
    @Test func dayKinds() throws {
        let cal = try cn2026()
        #expect(cal.dayKind(day("2026-10-01")) == .holiday(name: "national_day", label: "国庆节"))
        #expect(cal.dayKind(day("2026-02-15")) == .holiday(name: "spring_festival", label: "春节"))  // a Sunday inside the block
        #expect(cal.dayKind(day("2026-10-10")) == .adjustedWorkday(name: "national_day", label: "国庆节"))  // Saturday 调休
        #expect(cal.dayKind(day("2026-02-14")) == .adjustedWorkday(name: "spring_festival", label: "春节"))
        #expect(cal.dayKind(day("2026-03-14")) == .weekend)  // plain Saturday
        #expect(cal.dayKind(day("2026-03-15")) == .weekend)  // plain Sunday
        #expect(cal.dayKind(day("2026-03-10")) == .working)  // plain Tuesday
        #expect(cal.isWorkingDay(day("2026-10-10")))
        #expect(!cal.isWorkingDay(day("2026-10-01")))
        #expect(!cal.isWorkingDay(day("2026-03-14")))
        #expect(cal.isWorkingDay(day("2026-03-10")))
    }

    @Test func workdayListWinsOverHolidayList() throws {
        let d = day("2026-03-10")
        let rules = CalendarRules(
            businessHours: splitShift,
            holidays: [DatedDay(date: d, name: "h", label: "H")],
            workdays: [DatedDay(date: d, name: "w", label: "W")])
        let cal = try BusinessCalendar(rules)
        #expect(cal.dayKind(d) == .adjustedWorkday(name: "w", label: "W"))
        #expect(cal.isWorkingDay(d))
    }

    /// The weekday arithmetic agrees with Foundation's calendar over four years.
    @Test func weekendsMatchFoundation() throws {
        let cal = try BusinessCalendar(CalendarRules(businessHours: splitShift, weekend: [6, 7]))
        var greg = Calendar(identifier: .gregorian)
        greg.timeZone = cal.timeZone
        var d = day("2024-01-01")
        var count = 0
        while d < day("2028-01-01") {
            let weekday = greg.component(.weekday, from: cal.instant(d, minute: 12 * 60))  // 1 = Sunday, 7 = Saturday
            #expect(cal.isWorkingDay(d) == !(weekday == 1 || weekday == 7), "\(d)")
            #expect(cal.localDate(of: cal.instant(d, minute: 0)) == d)
            #expect(cal.localDate(of: cal.instant(d, minute: 1439)) == d)
            d = cal.nextDay(d)
            count += 1
        }
        #expect(count == 1461)
    }

    @Test(arguments: [
        ("2026-01-31", "2026-02-01"), ("2026-02-28", "2026-03-01"), ("2024-02-28", "2024-02-29"),
        ("2024-02-29", "2024-03-01"), ("2026-12-31", "2027-01-01"), ("2026-04-30", "2026-05-01"),
    ])
    func nextDay(from: String, to: String) throws {
        #expect(try cn2026().nextDay(day(from)) == day(to))
    }

    @Test func localDatesAndInstants() throws {
        let cal = try cn2026()
        #expect(cal.localDate(of: at("2026-03-10T23:30:00+08:00")) == day("2026-03-10"))
        #expect(cal.localDate(of: at("2026-03-10T16:30:00Z")) == day("2026-03-11"))  // 00:30 in Shanghai
        #expect(cal.localDate(of: at("2026-03-10T00:00:00+08:00")) == day("2026-03-10"))
        #expect(cal.instant(day("2026-03-10"), minute: 510) == at("2026-03-10T08:30:00+08:00"))
        #expect(cal.instant(day("2026-03-10"), minute: 1440) == at("2026-03-11T00:00:00+08:00"))
    }

    @Test func daysForExplanations() throws {
        let cal = try cn2026()
        let days = cal.days(from: at("2026-09-30T10:00:00+08:00"), to: at("2026-10-10T18:00:00+08:00"))
        #expect(days.map(\.date.description) == [
            "2026-09-30", "2026-10-01", "2026-10-02", "2026-10-03", "2026-10-04", "2026-10-05",
            "2026-10-06", "2026-10-07", "2026-10-08", "2026-10-09", "2026-10-10",
        ])
        #expect(days.first?.kind == .working)
        #expect(days[1].kind == .holiday(name: "national_day", label: "国庆节"))
        #expect(days.last?.kind == .adjustedWorkday(name: "national_day", label: "国庆节"))
        #expect(cal.days(from: at("2026-03-11T10:00:00+08:00"), to: at("2026-03-10T10:00:00+08:00")).isEmpty)
        #expect(cal.days(from: at("2026-03-10T01:00:00+08:00"), to: at("2026-03-10T23:00:00+08:00")).count == 1)
    }
}

// MARK: Opening hours

@Suite struct BusinessCalendarOpeningTests {
    @Test(arguments: [
        ("2026-03-10T08:30:00+08:00", true),   // opening instant is inside
        ("2026-03-10T08:29:59+08:00", false),
        ("2026-03-10T11:59:59+08:00", true),
        ("2026-03-10T12:00:00+08:00", false),  // interval end is outside
        ("2026-03-10T13:00:00+08:00", false),  // lunch
        ("2026-03-10T14:30:00+08:00", true),
        ("2026-03-10T18:00:00+08:00", false),
        ("2026-03-14T10:00:00+08:00", false),  // Saturday
        ("2026-10-02T10:00:00+08:00", false),  // National Day
        ("2026-10-10T10:00:00+08:00", true),   // adjusted working Saturday
    ])
    func isOpen(instant: String, open: Bool) throws {
        #expect(try cn2026().isOpen(at: at(instant)) == open)
    }

    @Test(arguments: [
        ("2026-03-10T10:00:00+08:00", "2026-03-10T10:00:00+08:00"),  // open: itself
        ("2026-03-10T07:00:00+08:00", "2026-03-10T08:30:00+08:00"),
        ("2026-03-10T12:00:00+08:00", "2026-03-10T14:30:00+08:00"),  // lunch
        ("2026-03-10T18:00:00+08:00", "2026-03-11T08:30:00+08:00"),
        ("2026-03-13T18:30:00+08:00", "2026-03-16T08:30:00+08:00"),  // Friday evening → Monday
        ("2026-09-30T18:30:00+08:00", "2026-10-08T08:30:00+08:00"),  // over National Day
        ("2026-10-09T20:00:00+08:00", "2026-10-10T08:30:00+08:00"),  // → adjusted working Saturday
        ("2026-03-10T02:00:00Z", "2026-03-10T10:00:00+08:00"),       // same instant, other notation
    ])
    func nextOpening(from: String, expected: String) throws {
        #expect(try cn2026().nextOpening(atOrAfter: at(from)) == at(expected))
    }
}

// MARK: Deadlines

@Suite struct BusinessCalendarDueTests {
    /// docs/rule-packs.md: received Wed 2026-09-30 10:00, 3 working days end_of_day →
    /// Thu 10-08, Fri 10-09, Sat 10-10 (调休) → 2026-10-10 18:00.
    @Test func nationalDay2026EndOfDay() throws {
        let due = try cn2026().due(from: at("2026-09-30T10:00:00+08:00"), length: .workingDays(3, .endOfDay))
        #expect(due == at("2026-10-10T18:00:00+08:00"))
    }

    /// Fri 2026-02-13 16:00; Sat 02-14 is a 调休 working day, 02-15..02-23 are the Spring Festival,
    /// Sat 02-28 is another 调休 working day.
    @Test(arguments: [
        (1, "2026-02-14T18:00:00+08:00"),  // Sat 调休
        (2, "2026-02-24T18:00:00+08:00"),  // Tue, first day after the block
        (3, "2026-02-25T18:00:00+08:00"),
        (4, "2026-02-26T18:00:00+08:00"),
        (5, "2026-02-27T18:00:00+08:00"),
        (6, "2026-02-28T18:00:00+08:00"),  // Sat 调休
        (7, "2026-03-02T18:00:00+08:00"),  // Sun 03-01 is a rest day
    ])
    func springFestival2026EndOfDay(n: Int, expected: String) throws {
        let due = try cn2026().due(from: at("2026-02-13T16:00:00+08:00"), length: .workingDays(n, .endOfDay))
        #expect(due == at(expected))
    }

    @Test(arguments: [
        // A start at night counts on its own local date.
        ("2026-03-10T22:00:00+08:00", 1, "2026-03-11T18:00:00+08:00"),
        // Just after midnight is the next local date.
        ("2026-03-11T01:00:00+08:00", 1, "2026-03-12T18:00:00+08:00"),
        // Before opening still counts as that date.
        ("2026-03-10T06:00:00+08:00", 2, "2026-03-12T18:00:00+08:00"),
        // A start on a holiday: the next working day is day 1.
        ("2026-10-03T10:00:00+08:00", 1, "2026-10-08T18:00:00+08:00"),
        ("2026-10-03T10:00:00+08:00", 3, "2026-10-10T18:00:00+08:00"),
        // A start on a plain Sunday.
        ("2026-03-15T10:00:00+08:00", 1, "2026-03-16T18:00:00+08:00"),
        // A start on an adjusted working Saturday is not counted either.
        ("2026-10-10T09:00:00+08:00", 1, "2026-10-12T18:00:00+08:00"),
        // Friday → skips the weekend.
        ("2026-03-13T09:00:00+08:00", 1, "2026-03-16T18:00:00+08:00"),
    ])
    func endOfDay(start: String, n: Int, expected: String) throws {
        #expect(try cn2026().due(from: at(start), length: .workingDays(n, .endOfDay)) == at(expected))
    }

    @Test(arguments: [
        // Inside hours: same clock time, seconds kept.
        ("2026-03-10T10:15:30+08:00", 3, "2026-03-13T10:15:30+08:00"),
        // In the lunch break: moved to 14:30 first.
        ("2026-03-10T13:00:00+08:00", 2, "2026-03-12T14:30:00+08:00"),
        // At 22:00: moved to next morning 08:30 (Wed), then 1 working day → Thu.
        ("2026-03-10T22:00:00+08:00", 1, "2026-03-12T08:30:00+08:00"),
        // At 18:00 exactly (closed): next opening Wed 08:30.
        ("2026-03-10T18:00:00+08:00", 1, "2026-03-12T08:30:00+08:00"),
        // On a holiday: moved to Thu 10-08 08:30, then 1 working day → Fri 10-09.
        ("2026-10-03T10:00:00+08:00", 1, "2026-10-09T08:30:00+08:00"),
        // On a plain Saturday afternoon: Mon 08:30 → Tue 08:30.
        ("2026-03-14T15:00:00+08:00", 1, "2026-03-17T08:30:00+08:00"),
        // Before the Spring Festival: Sat 02-14 (调休), then Tue 02-24.
        ("2026-02-13T10:00:00+08:00", 2, "2026-02-24T10:00:00+08:00"),
        // Wed 09-30 after closing → Thu 10-08 08:30 → +2 working days → Sat 10-10 (调休).
        ("2026-09-30T18:30:00+08:00", 2, "2026-10-10T08:30:00+08:00"),
    ])
    func sameTime(start: String, n: Int, expected: String) throws {
        #expect(try cn2026().due(from: at(start), length: .workingDays(n, .sameTime)) == at(expected))
    }

    @Test(arguments: [
        // 11:00 + 4 h: 11:00–12:00 is 1 h, 14:30–17:30 is 3 h.
        ("2026-03-10T11:00:00+08:00", 240, "2026-03-10T17:30:00+08:00"),
        // Ends exactly at the morning's end: 12:00, not 14:30.
        ("2026-03-10T08:30:00+08:00", 210, "2026-03-10T12:00:00+08:00"),
        ("2026-03-10T11:00:00+08:00", 60, "2026-03-10T12:00:00+08:00"),
        // One minute more starts after lunch.
        ("2026-03-10T11:00:00+08:00", 61, "2026-03-10T14:31:00+08:00"),
        // Ends exactly at closing: 18:00 that day, not next morning.
        ("2026-03-10T08:30:00+08:00", 420, "2026-03-10T18:00:00+08:00"),
        // Crosses a night: 1 h + 3.5 h on Tue, 2.5 h on Wed morning.
        ("2026-03-10T11:00:00+08:00", 420, "2026-03-11T11:00:00+08:00"),
        // Crosses a night and a weekend: Fri 17:00–18:00 1 h, Mon 08:30–12:00 3.5 h, 14:30–18:00 3.5 h.
        ("2026-03-13T17:00:00+08:00", 480, "2026-03-16T18:00:00+08:00"),
        ("2026-03-13T17:00:00+08:00", 240, "2026-03-16T11:30:00+08:00"),
        // Starting in the lunch break, at night and on a holiday: counted from the next opening.
        ("2026-03-10T12:30:00+08:00", 30, "2026-03-10T15:00:00+08:00"),
        ("2026-03-10T22:00:00+08:00", 30, "2026-03-11T09:00:00+08:00"),
        ("2026-10-01T09:00:00+08:00", 60, "2026-10-08T09:30:00+08:00"),
        // Over the Spring Festival: Fri 16:00–18:00 2 h, Sat 02-14 7 h, then Tue 02-24 1 h.
        ("2026-02-13T16:00:00+08:00", 600, "2026-02-24T09:30:00+08:00"),
    ])
    func workingMinutes(start: String, minutes: Int, expected: String) throws {
        let cal = try cn2026()
        let due = try cal.due(from: at(start), length: .workingMinutes(minutes))
        #expect(due == at(expected))
        #expect(cal.businessSeconds(from: at(start), to: due) == Double(minutes) * 60)
    }

    @Test func addingZeroIsNextOpening() throws {
        let cal = try cn2026()
        #expect(try cal.adding(businessSeconds: 0, to: at("2026-03-10T12:30:00+08:00")) == at("2026-03-10T14:30:00+08:00"))
        #expect(try cal.adding(businessSeconds: 0, to: at("2026-03-10T10:00:00+08:00")) == at("2026-03-10T10:00:00+08:00"))
        #expect(try cal.adding(businessSeconds: 90.5, to: at("2026-03-10T11:58:30+08:00"))
            == at("2026-03-10T14:30:00+08:00").addingTimeInterval(0.5))
        #expect(throws: CalendarError.self) { try cal.adding(businessSeconds: -1, to: at("2026-03-10T10:00:00+08:00")) }
    }

    @Test(arguments: [ClockLength.workingDays(0, .endOfDay), .workingDays(-1, .sameTime), .workingMinutes(0), .workingMinutes(-5)])
    func nonPositiveLengthsThrow(length: ClockLength) throws {
        let cal = try cn2026()
        #expect(throws: CalendarError.self) { try cal.due(from: at("2026-03-10T10:00:00+08:00"), length: length) }
    }

    /// A calendar where every day is a rest day must throw, not loop.
    @Test(arguments: [ClockLength.workingDays(1, .endOfDay), .workingDays(1, .sameTime), .workingMinutes(60)])
    func noWorkingDaysThrows(length: ClockLength) throws {
        let cal = try BusinessCalendar(CalendarRules(businessHours: splitShift, weekend: Set(1...7)))
        let start = at("2026-03-10T10:00:00+08:00")
        #expect(throws: CalendarError.self) { try cal.due(from: start, length: length) }
        #expect(throws: CalendarError.self) { try cal.adding(businessSeconds: 0, to: start) }
        #expect(cal.nextOpening(atOrAfter: start) == .distantFuture)
        #expect(!cal.isOpen(at: start))
        #expect(cal.businessSeconds(from: start, to: at("2026-04-10T10:00:00+08:00")) == 0)
    }

    /// Far-away adjusted workdays keep an all-weekend calendar working, within the 3,660-day search.
    @Test func sparseWorkdays() throws {
        let rules = CalendarRules(
            businessHours: splitShift, weekend: Set(1...7),
            workdays: [DatedDay(date: day("2030-06-03"), name: "only", label: "唯一")])
        let cal = try BusinessCalendar(rules)
        #expect(try cal.due(from: at("2026-03-10T10:00:00+08:00"), length: .workingDays(1, .endOfDay))
            == at("2030-06-03T18:00:00+08:00"))
        #expect(throws: CalendarError.self) {
            try cal.due(from: at("2026-03-10T10:00:00+08:00"), length: .workingDays(2, .endOfDay))
        }
    }

    @Test func roundTheClockHoursCrossMidnight() throws {
        let cal = try BusinessCalendar(CalendarRules(businessHours: [MinuteRange(start: 0, end: 1440)], weekend: []))
        #expect(try cal.due(from: at("2026-03-10T23:00:00+08:00"), length: .workingMinutes(120)) == at("2026-03-11T01:00:00+08:00"))
        #expect(try cal.due(from: at("2026-03-10T10:00:00+08:00"), length: .workingMinutes(840)) == at("2026-03-11T00:00:00+08:00"))
        #expect(try cal.due(from: at("2026-03-10T10:00:00+08:00"), length: .workingDays(1, .endOfDay)) == at("2026-03-12T00:00:00+08:00"))
        #expect(cal.isOpen(at: at("2026-03-11T00:00:00+08:00")))
    }

    /// Europe/Berlin switches to summer time on Sun 2026-03-29: business hours stay wall-clock times.
    @Test func daylightSavingTime() throws {
        let cal = try BusinessCalendar(CalendarRules(timeZone: "Europe/Berlin", businessHours: splitShift))
        #expect(try cal.due(from: at("2026-03-27T17:00:00+01:00"), length: .workingMinutes(120)) == at("2026-03-30T09:30:00+02:00"))
        #expect(try cal.due(from: at("2026-03-27T10:00:00+01:00"), length: .workingDays(1, .sameTime)) == at("2026-03-30T10:00:00+02:00"))
        #expect(try cal.due(from: at("2026-03-27T10:00:00+01:00"), length: .workingDays(1, .endOfDay)) == at("2026-03-30T18:00:00+02:00"))
        #expect(cal.businessSeconds(from: at("2026-03-27T17:00:00+01:00"), to: at("2026-03-30T09:30:00+02:00")) == 7200)
        #expect(cal.localDate(of: at("2026-03-29T23:30:00+02:00")) == day("2026-03-29"))
        #expect(cal.localDate(of: at("2026-03-28T23:30:00+01:00")) == day("2026-03-28"))
    }
}

// MARK: Business seconds

@Suite struct BusinessCalendarSecondsTests {
    @Test(arguments: [
        // Across the lunch break: 11:00–12:00 and 14:30–15:00.
        ("2026-03-10T11:00:00+08:00", "2026-03-10T15:00:00+08:00", 5_400.0),
        // Inside the lunch break only.
        ("2026-03-10T12:10:00+08:00", "2026-03-10T14:20:00+08:00", 0.0),
        // Across a weekend: Fri 17:00–18:00 and Mon 08:30–09:30.
        ("2026-03-13T17:00:00+08:00", "2026-03-16T09:30:00+08:00", 7_200.0),
        // A plain week, Mon 00:00 to Mon 00:00: 5 × 7 h.
        ("2026-03-09T00:00:00+08:00", "2026-03-16T00:00:00+08:00", 126_000.0),
        // Around National Day: Wed 09-30, then Thu 10-08, Fri 10-09, Sat 10-10 (调休): 4 × 7 h.
        ("2026-09-30T00:00:00+08:00", "2026-10-11T00:00:00+08:00", 100_800.0),
        // Empty and reversed ranges.
        ("2026-03-10T11:00:00+08:00", "2026-03-10T11:00:00+08:00", 0.0),
        ("2026-03-10T15:00:00+08:00", "2026-03-10T11:00:00+08:00", 0.0),
        // Seconds count.
        ("2026-03-10T11:59:30+08:00", "2026-03-10T14:30:15+08:00", 45.0),
    ])
    func businessSeconds(from: String, to: String, expected: Double) throws {
        #expect(try cn2026().businessSeconds(from: at(from), to: at(to)) == expected)
    }
}

// MARK: Validation

@Suite struct BusinessCalendarValidationTests {
    @Test func unknownTimeZoneThrows() {
        #expect(throws: CalendarError.self) { try BusinessCalendar(cn2026Rules(timeZone: "Mars/Olympus_Mons")) }
    }

    @Test(arguments: [
        [MinuteRange((8, 30), (12, 0)), MinuteRange((11, 0), (18, 0))],   // overlapping
        [MinuteRange((14, 30), (18, 0)), MinuteRange((8, 30), (12, 0))],  // unsorted
        [MinuteRange((8, 30), (12, 0)), MinuteRange((8, 30), (12, 0))],   // duplicated
        [MinuteRange((12, 0), (8, 30))],                                  // backwards
        [MinuteRange((9, 0), (9, 0))],                                    // empty interval
        [MinuteRange(start: -10, end: 600)],                              // before midnight
        [MinuteRange(start: 600, end: 1500)],                             // past the day
        [],                                                               // no hours at all
    ])
    func badHoursThrow(hours: [MinuteRange]) {
        #expect(throws: CalendarError.self) { try BusinessCalendar(cn2026Rules(hours: hours)) }
    }

    @Test func touchingIntervalsAreAllowed() throws {
        let cal = try BusinessCalendar(cn2026Rules(hours: [MinuteRange((8, 0), (12, 0)), MinuteRange((12, 0), (16, 0))]))
        #expect(try cal.due(from: at("2026-03-10T11:00:00+08:00"), length: .workingMinutes(120)) == at("2026-03-10T13:00:00+08:00"))
        #expect(cal.timeZone.identifier == "Asia/Shanghai")
    }
}
