import Foundation

// The business calendar: working days, business hours, deadline arithmetic (docs/rule-packs.md, "Deadline arithmetic").

/// Why a day is or isn't a working day, for explanations.
public enum DayKind: Sendable, Equatable {
    case working
    case weekend
    case holiday(name: String, label: String)
    case adjustedWorkday(name: String, label: String)

    public var isWorking: Bool {
        switch self {
        case .working, .adjustedWorkday: true
        case .weekend, .holiday: false
        }
    }
}

public struct CalendarError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Working days, business hours and deadline arithmetic for one rule pack's calendar.
///
/// All local times are wall-clock times in `timeZone`; instants are built from a `LocalDate` and a
/// time of day through a Gregorian `Calendar` in that zone, so business time is real elapsed time.
public struct BusinessCalendar: Sendable {
    public let rules: CalendarRules
    public let timeZone: TimeZone

    /// A named occasion (holiday or adjusted working day) of a date.
    private struct Occasion: Sendable {
        var name: String
        var label: String
    }

    /// Longest run of consecutive non-working days searched before giving up.
    private static let maxDaysWithoutWork = 3_660

    private let calendar: Calendar
    private let hours: [MinuteRange]
    private let weekend: Set<Int>
    private let holidayInfo: [LocalDate: Occasion]
    private let workdayInfo: [LocalDate: Occasion]
    private let holidaySet: Set<LocalDate>
    private let workdaySet: Set<LocalDate>

    /// Throws CalendarError for an unknown time zone or empty/overlapping/unsorted business hours.
    public init(_ rules: CalendarRules) throws {
        guard let zone = TimeZone(identifier: rules.timeZone) else {
            throw CalendarError("unknown time zone \"\(rules.timeZone)\"")
        }
        guard !rules.businessHours.isEmpty else {
            throw CalendarError("business hours are empty: a working day needs at least one opening interval")
        }
        var previousEnd: Int?
        for range in rules.businessHours {
            guard range.start >= 0, range.end <= 24 * 60, range.start < range.end else {
                throw CalendarError(
                    "business hours \(Self.clock(range.start))–\(Self.clock(range.end)) are not a valid interval within a day")
            }
            if let previousEnd, range.start < previousEnd {
                throw CalendarError(
                    "business hours overlap or are not in ascending order at \(Self.clock(range.start))–\(Self.clock(range.end))")
            }
            previousEnd = range.end
        }
        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = zone
        self.rules = rules
        self.timeZone = zone
        self.calendar = cal
        self.hours = rules.businessHours
        self.weekend = rules.weekend
        var holidays: [LocalDate: Occasion] = [:]
        for day in rules.holidays where holidays[day.date] == nil {
            holidays[day.date] = Occasion(name: day.name, label: day.label)
        }
        var workdays: [LocalDate: Occasion] = [:]
        for day in rules.workdays where workdays[day.date] == nil {
            workdays[day.date] = Occasion(name: day.name, label: day.label)
        }
        self.holidayInfo = holidays
        self.workdayInfo = workdays
        self.holidaySet = Set(holidays.keys)
        self.workdaySet = Set(workdays.keys)
    }

    // MARK: Days

    /// Adjusted working days win over the weekend; listed holidays win over weekdays (and weekends).
    public func dayKind(_ date: LocalDate) -> DayKind {
        if let o = workdayInfo[date] { return .adjustedWorkday(name: o.name, label: o.label) }
        if let o = holidayInfo[date] { return .holiday(name: o.name, label: o.label) }
        if weekend.contains(Self.isoWeekday(date)) { return .weekend }
        return .working
    }

    public func isWorkingDay(_ date: LocalDate) -> Bool {
        if workdaySet.contains(date) { return true }
        if holidaySet.contains(date) { return false }
        return !weekend.contains(Self.isoWeekday(date))
    }

    /// The local date of an instant in the calendar's time zone.
    public func localDate(of instant: Date) -> LocalDate {
        Self.civil(fromDays: localDayNumber(of: instant).days)
    }

    /// The instant `minute` minutes (wall clock) after local midnight of `date`.
    public func instant(_ date: LocalDate, minute: Int) -> Date {
        instant(date, second: Double(minute) * 60)
    }

    public func nextDay(_ d: LocalDate) -> LocalDate {
        if d.day < LocalDate.daysIn(month: d.month, year: d.year) {
            return LocalDate(year: d.year, month: d.month, day: d.day + 1)
        }
        if d.month < 12 { return LocalDate(year: d.year, month: d.month + 1, day: 1) }
        return LocalDate(year: d.year + 1, month: 1, day: 1)
    }

    /// Each day from the local date of `from` to that of `to`, inclusive, with its kind; empty if `to` is earlier.
    public func days(from: Date, to: Date) -> [(date: LocalDate, kind: DayKind)] {
        let last = localDate(of: to)
        var d = localDate(of: from)
        var result: [(date: LocalDate, kind: DayKind)] = []
        while d <= last {
            result.append((date: d, kind: dayKind(d)))
            d = nextDay(d)
        }
        return result
    }

    // MARK: Opening hours

    /// Inside business hours (start inclusive, end exclusive) of a working day.
    public func isOpen(at instant: Date) -> Bool {
        let d = localDate(of: instant)
        guard isWorkingDay(d) else { return false }
        for range in hours {
            let (s, e) = bounds(d, range)
            if instant >= s && instant < e { return true }
        }
        return false
    }

    /// The instant itself if open, else the next opening time (next interval start on a working day).
    /// `Date.distantFuture` if the calendar has no working day within 3,660 days.
    public func nextOpening(atOrAfter instant: Date) -> Date {
        (try? opening(atOrAfter: instant)) ?? .distantFuture
    }

    // MARK: Deadlines

    /// Due time of a clock of this length started at `start`.
    ///
    /// - `workingDays(N, .endOfDay)`: closing time of the Nth working day strictly after the local start date.
    /// - `workingDays(N, .sameTime)`: start moved to the next opening; the same local time on the Nth
    ///   working day after that date.
    /// - `workingMinutes(M)`: M minutes of business time.
    public func due(from start: Date, length: ClockLength) throws -> Date {
        switch length {
        case .workingDays(let n, .endOfDay):
            guard n > 0 else { throw CalendarError("a clock of \(n) working days is not allowed: give at least 1") }
            let day = try workingDay(n, after: localDate(of: start))
            return instant(day, minute: hours[hours.count - 1].end)
        case .workingDays(let n, .sameTime):
            guard n > 0 else { throw CalendarError("a clock of \(n) working days is not allowed: give at least 1") }
            let normalized = try opening(atOrAfter: start)
            let (days, second) = localDayNumber(of: normalized)
            let day = try workingDay(n, after: Self.civil(fromDays: days))
            return instant(day, second: second)
        case .workingMinutes(let m):
            guard m > 0 else { throw CalendarError("a clock of \(m) working minutes is not allowed: give at least 1") }
            return try adding(businessSeconds: Double(m) * 60, to: start)
        }
    }

    /// Business seconds (inside business hours on working days) in [from, to); 0 if to <= from.
    public func businessSeconds(from: Date, to: Date) -> Double {
        guard to > from else { return 0 }
        let last = localDate(of: to)
        var d = localDate(of: from)
        var total = 0.0
        while d <= last {
            if isWorkingDay(d) {
                for range in hours {
                    let (s, e) = bounds(d, range)
                    let lo = max(s, from), hi = min(e, to)
                    if hi > lo { total += hi.timeIntervalSince(lo) }
                }
            }
            d = nextDay(d)
        }
        return total
    }

    /// The instant reached after `seconds` of business time from `start` (start first moved to the next
    /// opening). Time running out exactly at an interval's end gives that end (e.g. 18:00), not the next
    /// opening; `seconds == 0` gives `nextOpening(atOrAfter: start)`. Throws for negative or non-finite
    /// seconds, or when no working day follows within 3,660 days.
    public func adding(businessSeconds seconds: Double, to start: Date) throws -> Date {
        guard seconds >= 0, seconds.isFinite else {
            throw CalendarError("cannot add \(seconds) business seconds: need a finite, non-negative amount")
        }
        let t = try opening(atOrAfter: start)
        var remaining = seconds
        return try firstWorkingDay(from: localDate(of: t)) { d in
            for range in hours {
                let (s, e) = bounds(d, range)
                guard e > t else { continue }
                let from = max(s, t)
                let available = e.timeIntervalSince(from)
                if remaining <= available { return from.addingTimeInterval(remaining) }
                remaining -= available
            }
            return nil
        }
    }

    // MARK: Coverage

    /// How well a year's holidays and 调休 days are known (official notice, draft, or nothing).
    public func coverage(ofYear year: Int) -> YearCoverage { rules.coverage(ofYear: year) }

    /// The weakest coverage among the years a count from `start` to `end` passes through: a due time is only as
    /// certain as every day counted to reach it.
    public func coverage(from start: Date, to end: Date) -> YearCoverage {
        let a = localDate(of: min(start, end)).year, b = localDate(of: max(start, end)).year
        return (a...b).map(coverage(ofYear:)).max() ?? .official
    }

    /// The last day of the unbroken run of covered years from `date`'s year on (official years only, or drafts
    /// too); nil when `date`'s own year is not covered.
    public func coverageEnd(from date: LocalDate, includingProvisional: Bool = false) -> LocalDate? {
        func covered(_ y: Int) -> Bool {
            let c = coverage(ofYear: y)
            return c == .official || (includingProvisional && c == .provisional)
        }
        guard covered(date.year) else { return nil }
        var year = date.year
        while covered(year + 1) { year += 1 }
        return LocalDate(year: year, month: 12, day: 31)
    }

    /// Days of coverage left counting `date` itself: 1 on the last covered day, 0 when `date` is not covered.
    public func coverageDaysLeft(from date: LocalDate, includingProvisional: Bool = false) -> Int {
        guard let end = coverageEnd(from: date, includingProvisional: includingProvisional) else { return 0 }
        return Self.days(from: end) - Self.days(from: date) + 1
    }

    // MARK: Helpers

    /// Visits working days from `first` on, in order, until `body` gives a value; throws when more
    /// than 3,660 days in a row are not working days (a calendar with no work would loop forever).
    private func firstWorkingDay<T>(from first: LocalDate, _ body: (LocalDate) throws -> T?) throws -> T {
        var d = first
        var idle = 0
        while true {
            if isWorkingDay(d) {
                idle = 0
                if let result = try body(d) { return result }
            } else {
                idle += 1
                if idle > Self.maxDaysWithoutWork { throw noWorkingDay(after: d) }
            }
            d = nextDay(d)
        }
    }

    /// The instant itself if open, else the next interval start on a working day.
    private func opening(atOrAfter t: Date) throws -> Date {
        try firstWorkingDay(from: localDate(of: t)) { d in
            for range in hours {
                let (s, e) = bounds(d, range)
                if t < s { return s }
                if t < e { return t }
            }
            return nil
        }
    }

    /// The Nth working day strictly after `date` (n >= 1).
    private func workingDay(_ n: Int, after date: LocalDate) throws -> LocalDate {
        var found = 0
        return try firstWorkingDay(from: nextDay(date)) { d in
            found += 1
            return found == n ? d : nil
        }
    }

    private func noWorkingDay(after d: LocalDate) -> CalendarError {
        CalendarError("no working day within \(Self.maxDaysWithoutWork) days (up to \(d)): check the calendar's weekend and holidays")
    }

    private func bounds(_ d: LocalDate, _ range: MinuteRange) -> (Date, Date) {
        (instant(d, minute: range.start), instant(d, minute: range.end))
    }

    /// The instant `second` wall-clock seconds after local midnight of `date` (may exceed one day).
    private func instant(_ date: LocalDate, second: Double) -> Date {
        var d = date
        var s = second
        while s >= 86_400 { d = nextDay(d); s -= 86_400 }
        let whole = Int(s.rounded(.down))
        var comps = DateComponents()
        comps.year = d.year; comps.month = d.month; comps.day = d.day
        comps.hour = whole / 3600; comps.minute = (whole % 3600) / 60; comps.second = whole % 60
        guard let base = calendar.date(from: comps) else {
            // Not expected for a valid Gregorian date; fall back to plain offset arithmetic.
            let local = Double(Self.days(from: d)) * 86_400 + Double(whole)
            let guess = Date(timeIntervalSince1970: local)
            return Date(timeIntervalSince1970: local - Double(timeZone.secondsFromGMT(for: guess))).addingTimeInterval(s - Double(whole))
        }
        return base.addingTimeInterval(s - Double(whole))
    }

    /// Local day number (days since 1970-01-01) and wall-clock seconds into that day.
    private func localDayNumber(of instant: Date) -> (days: Int, second: Double) {
        let local = instant.timeIntervalSince1970 + Double(timeZone.secondsFromGMT(for: instant))
        let days = Int((local / 86_400).rounded(.down))
        return (days, local - Double(days) * 86_400)
    }

    /// ISO weekday, 1 = Monday … 7 = Sunday.
    static func isoWeekday(_ d: LocalDate) -> Int {
        // 1970-01-01 was a Thursday (ISO 4).
        let n = days(from: d)
        return ((n % 7 + 7) % 7 + 3) % 7 + 1
    }

    /// Days since 1970-01-01 in the proleptic Gregorian calendar (H. Hinnant's days_from_civil).
    static func days(from d: LocalDate) -> Int {
        let y = d.month <= 2 ? d.year - 1 : d.year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (d.month + 9) % 12
        let doy = (153 * mp + 2) / 5 + d.day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// The date `n` days after 1970-01-01 (H. Hinnant's civil_from_days).
    static func civil(fromDays n: Int) -> LocalDate {
        let z = n + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return LocalDate(year: yoe + era * 400 + (month <= 2 ? 1 : 0), month: month, day: day)
    }

    private static func clock(_ minute: Int) -> String {
        String(format: "%02d:%02d", minute / 60, minute % 60)
    }
}
