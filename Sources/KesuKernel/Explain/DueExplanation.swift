import Foundation

// How a due time is reached, day by day (`kesu rules explain`). Built only from BusinessCalendar's
// public API; its `due` equals `BusinessCalendar.due(from:length:)` (and `adding(businessSeconds:to:)`
// for a resumed clock) — the tests check this over many starts across holidays and 调休 days.

/// A stretch of business time used on one day: [from, until).
public struct BusinessSpan: Sendable, Equatable {
    public var from: Date
    public var until: Date
    public init(from: Date, until: Date) { self.from = from; self.until = until }
    public var seconds: Double { until.timeIntervalSince(from) }
}

/// One day of a deadline's walk and what it did to the count.
public struct ExplainedDay: Sendable, Equatable {
    public enum Role: String, Sendable {
        /// The day the clock was received on, when counting only begins at a later opening
        /// (received after hours or on a day off, for `same_time` and business-time clocks).
        case received
        /// The day counting starts from. Not counted for working-day clocks (自…之日起N个工作日);
        /// for business-time clocks the start day is a counted day instead (see `counted`).
        case start
        /// Not a working day: weekend or holiday.
        case skipped
        /// A working day counted (working-day clocks) or whose business time was used (business-time clocks).
        case counted
    }

    public var date: LocalDate
    /// ISO weekday: 1 = Monday … 7 = Sunday.
    public var weekday: Int
    public var kind: DayKind
    public var role: Role
    /// Working-day clocks: this is working day `ordinal` of the length.
    public var ordinal: Int?
    /// Business time used on this day (business-time clocks), or the part of the last day up to
    /// the due time (working-day clocks); whole-day business time for other counted days.
    public var spans: [BusinessSpan]
    /// The start day: the clock's start (or the received instant) on this day.
    public var startedAt: Date?
    /// The start day: business time left on the day after the start.
    public var leftThatDay: Double?
    /// The due time falls on this day.
    public var isDueDay: Bool

    public var counted: Bool { role == .counted }
    /// Business seconds used on (or, for working-day clocks, available on) this day; nil when none.
    public var businessSeconds: Double? { spans.isEmpty ? nil : spans.reduce(0) { $0 + $1.seconds } }
}

/// What a deadline counts: a clock length, or the business time a paused clock kept.
public enum DueLength: Sendable, Equatable {
    case clock(ClockLength)
    case businessSeconds(Double)
}

/// A due time and the day-by-day walk that reaches it.
public struct DueExplanation: Sendable, Equatable {
    /// When the clock started (or resumed, or the old due time an extension counts from).
    public var start: Date
    public var length: DueLength
    /// Where counting begins: `start` for `end_of_day`, else the next opening at or after it.
    public var countFrom: Date
    /// Every day from the start's date to the due date, in order.
    public var days: [ExplainedDay]
    public var due: Date

    /// The days that were not working days, with their kinds.
    public var skipped: [ExplainedDay] { days.filter { $0.role == .skipped } }
    public var counted: [ExplainedDay] { days.filter(\.counted) }
}

extension BusinessCalendar {
    /// The years a walk passes through (its days, where counting starts and the due day), in order: the years whose
    /// holidays decided the due time.
    public func years(of walk: DueExplanation) -> [Int] {
        Set(walk.days.map(\.date.year)).union([localDate(of: walk.countFrom).year, localDate(of: walk.due).year]).sorted()
    }

    /// The weakest coverage among the years a walk passes through: a due time is only as sure as every day counted.
    public func coverage(of walk: DueExplanation) -> YearCoverage {
        years(of: walk).map(coverage(ofYear:)).max() ?? .official
    }

    /// The due time of a clock of this length started at `start`, with every day the count
    /// passed through. `due` equals `due(from: start, length: length)`; throws the same errors.
    public func explainDue(from start: Date, length: ClockLength) throws -> DueExplanation {
        let hours = rules.businessHours
        switch length {
        case let .workingDays(n, .endOfDay):
            guard n > 0 else { throw CalendarError("a clock of \(n) working days is not allowed: give at least 1") }
            let d0 = localDate(of: start)
            let closing = instant(d0, minute: hours[hours.count - 1].end)
            var days = [day(d0, .start, startedAt: start,
                            left: dayKind(d0).isWorking ? businessSeconds(from: start, to: max(start, closing)) : 0)]
            let last = try countWorkingDays(n, after: d0, into: &days)
            let due = instant(last, minute: hours[hours.count - 1].end)
            days[days.count - 1].isDueDay = true
            return DueExplanation(start: start, length: .clock(length), countFrom: start, days: days, due: due)

        case let .workingDays(n, .sameTime):
            guard n > 0 else { throw CalendarError("a clock of \(n) working days is not allowed: give at least 1") }
            let t = try firstOpening(atOrAfter: start)
            var days = daysBeforeOpening(received: start, opening: t)
            let dt = localDate(of: t)
            days.append(day(dt, .start, startedAt: t,
                            left: businessSeconds(from: t, to: instant(dt, minute: hours[hours.count - 1].end))))
            let last = try countWorkingDays(n, after: dt, into: &days)
            let second = wallClockSecond(of: t)
            let minute = Int((second / 60).rounded(.down))
            let due = instant(last, minute: minute).addingTimeInterval(second - Double(minute) * 60)
            days[days.count - 1].spans = spans(on: last, from: nil, until: due)
            days[days.count - 1].isDueDay = true
            return DueExplanation(start: start, length: .clock(length), countFrom: t, days: days, due: due)

        case let .workingMinutes(m):
            guard m > 0 else { throw CalendarError("a clock of \(m) working minutes is not allowed: give at least 1") }
            return try walkBusinessTime(Double(m) * 60, from: start, length: .clock(length))
        }
    }

    /// The instant reached after `seconds` of business time from `start` — a resumed clock's due
    /// time — with the days it passes. `due` equals `adding(businessSeconds: seconds, to: start)`.
    public func explainAdding(businessSeconds seconds: Double, to start: Date) throws -> DueExplanation {
        guard seconds >= 0, seconds.isFinite else {
            throw CalendarError("cannot add \(seconds) business seconds: need a finite, non-negative amount")
        }
        return try walkBusinessTime(seconds, from: start, length: .businessSeconds(seconds))
    }

    // MARK: Walks

    private static var maxIdleDays: Int { 3_660 }

    private func walkBusinessTime(_ seconds: Double, from start: Date, length: DueLength) throws -> DueExplanation {
        let t = try firstOpening(atOrAfter: start)
        var days = daysBeforeOpening(received: start, opening: t)
        var remaining = seconds
        var d = localDate(of: t)
        var idle = 0
        var first = true
        while true {
            let kind = dayKind(d)
            if kind.isWorking {
                idle = 0
                var used: [BusinessSpan] = []
                var due: Date?
                for range in rules.businessHours {
                    let s = instant(d, minute: range.start), e = instant(d, minute: range.end)
                    guard e > t else { continue }
                    let from = max(s, t)
                    let available = e.timeIntervalSince(from)
                    if remaining <= available {
                        due = from.addingTimeInterval(remaining)
                        if remaining > 0 { used.append(BusinessSpan(from: from, until: due!)) }
                        remaining = 0
                        break
                    }
                    used.append(BusinessSpan(from: from, until: e))
                    remaining -= available
                }
                var x = day(d, .counted)
                x.spans = used
                if first {
                    x.startedAt = t
                    x.leftThatDay = businessSeconds(from: t, to: instant(d, minute: rules.businessHours[rules.businessHours.count - 1].end))
                }
                x.isDueDay = due != nil
                days.append(x)
                if let due { return DueExplanation(start: start, length: length, countFrom: t, days: days, due: due) }
            } else {
                idle += 1
                if idle > Self.maxIdleDays { throw noWorkingDayError(d) }
                days.append(day(d, .skipped))
            }
            first = false
            d = nextDay(d)
        }
    }

    /// Appends the days after `date` up to the Nth working day; returns that day.
    private func countWorkingDays(_ n: Int, after date: LocalDate, into days: inout [ExplainedDay]) throws -> LocalDate {
        var d = nextDay(date)
        var found = 0
        var idle = 0
        while true {
            if dayKind(d).isWorking {
                idle = 0
                found += 1
                var x = day(d, .counted)
                x.ordinal = found
                x.spans = spans(on: d, from: nil, until: nil)
                days.append(x)
                if found == n { return d }
            } else {
                idle += 1
                if idle > Self.maxIdleDays { throw noWorkingDayError(d) }
                days.append(day(d, .skipped))
            }
            d = nextDay(d)
        }
    }

    /// The received day and any days up to (not including) the date of the first opening.
    private func daysBeforeOpening(received: Date, opening: Date) -> [ExplainedDay] {
        let d0 = localDate(of: received), dt = localDate(of: opening)
        guard d0 < dt else { return [] }
        var out = [day(d0, .received, startedAt: received,
                       left: dayKind(d0).isWorking ? businessSeconds(from: received, to: instant(nextDay(d0), minute: 0)) : 0)]
        var d = nextDay(d0)
        while d < dt {
            out.append(day(d, .skipped))
            d = nextDay(d)
        }
        return out
    }

    private func day(_ d: LocalDate, _ role: ExplainedDay.Role, startedAt: Date? = nil, left: Double? = nil) -> ExplainedDay {
        ExplainedDay(date: d, weekday: Self.isoWeekday(d), kind: dayKind(d), role: role, ordinal: nil, spans: [],
                     startedAt: startedAt, leftThatDay: left, isDueDay: false)
    }

    /// The day's business hours, clipped to [from, until) when given.
    private func spans(on d: LocalDate, from: Date?, until: Date?) -> [BusinessSpan] {
        rules.businessHours.compactMap { range in
            let s = max(instant(d, minute: range.start), from ?? .distantPast)
            let e = min(instant(d, minute: range.end), until ?? .distantFuture)
            return e > s ? BusinessSpan(from: s, until: e) : nil
        }
    }

    private func firstOpening(atOrAfter t: Date) throws -> Date {
        let o = nextOpening(atOrAfter: t)
        guard o != .distantFuture else { throw noWorkingDayError(localDate(of: t)) }
        return o
    }

    /// Wall-clock seconds after local midnight.
    private func wallClockSecond(of t: Date) -> Double {
        let local = t.timeIntervalSince1970 + Double(timeZone.secondsFromGMT(for: t))
        return local - (local / 86_400).rounded(.down) * 86_400
    }

    private func noWorkingDayError(_ d: LocalDate) -> CalendarError {
        CalendarError("no working day within \(Self.maxIdleDays) days (up to \(d)): check the calendar's weekend and holidays")
    }

    /// ISO weekday of a date: 1 = Monday … 7 = Sunday.
    public func weekday(_ d: LocalDate) -> Int { Self.isoWeekday(d) }
}
