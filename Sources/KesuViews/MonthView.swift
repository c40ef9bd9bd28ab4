import Foundation
import KesuKernel

/// One month of a pack's business calendar, day by day, with the coverage of its year: what
/// `kesu calendar show YYYY-MM --json` prints, and what a web console lays out as a month grid.
public struct MonthView: Sendable, Equatable, Codable {
    public struct Day: Sendable, Equatable, Codable {
        public enum Kind: String, Sendable, Equatable, Codable {
            case working, weekend, holiday
            case adjustedWorkday = "adjusted_workday"
        }
        public var date: LocalDate
        /// ISO weekday, 1 = Monday … 7 = Sunday.
        public var weekday: Int
        public var kind: Kind
        /// The occasion of a holiday or 调休 working day (`national_day`); nil on ordinary days.
        public var name: String?
        /// What people read for it (`国庆节`); nil on ordinary days.
        public var label: String?
        public var working: Bool

        public init(date: LocalDate, weekday: Int, kind: DayKind) {
            self.date = date
            self.weekday = weekday
            self.working = kind.isWorking
            switch kind {
            case .working: self.kind = .working
            case .weekend: self.kind = .weekend
            case let .holiday(name, label): self.kind = .holiday; self.name = name; self.label = label
            case let .adjustedWorkday(name, label): self.kind = .adjustedWorkday; self.name = name; self.label = label
            }
        }

        /// A holiday or 调休 working day: a day the calendar names.
        public var isNamed: Bool { name != nil }

        enum CodingKeys: String, CodingKey { case date, weekday, kind, name, label, working }
        public func encode(to encoder: any Encoder) throws {
            // name and label are always present (null on ordinary days), so every day has the same shape.
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(date.description, forKey: .date); try c.encode(weekday, forKey: .weekday)
            try c.encode(kind, forKey: .kind); try c.encode(name, forKey: .name); try c.encode(label, forKey: .label)
            try c.encode(working, forKey: .working)
        }
        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            let text = try c.decode(String.self, forKey: .date)
            guard let date = LocalDate(text) else {
                throw DecodingError.dataCorruptedError(forKey: .date, in: c, debugDescription: "'\(text)' is not a YYYY-MM-DD date")
            }
            self.date = date
            weekday = try c.decode(Int.self, forKey: .weekday)
            kind = try c.decode(Kind.self, forKey: .kind)
            name = try c.decodeIfPresent(String.self, forKey: .name)
            label = try c.decodeIfPresent(String.self, forKey: .label)
            working = try c.decode(Bool.self, forKey: .working)
        }
    }

    public var year: Int
    public var month: Int
    /// How well the month's year is known: official notice, draft, or nothing.
    public var coverage: YearCoverage
    public var days: [Day]

    public init(year: Int, month: Int, calendar: BusinessCalendar) {
        self.year = year
        self.month = month
        self.coverage = calendar.coverage(ofYear: year)
        self.days = (1...LocalDate.daysIn(month: month, year: year)).map { d in
            let date = LocalDate(year: year, month: month, day: d)
            return Day(date: date, weekday: calendar.weekday(date), kind: calendar.dayKind(date))
        }
    }

    /// `2027-01`.
    public var monthText: String { String(format: "%04d-%02d", year, month) }

    /// The holidays and 调休 working days of the month, in date order.
    public var namedDays: [Day] { days.filter(\.isNamed) }

    /// The month as weeks, Monday first: seven slots a week, nil before the 1st and after the last day.
    public var weeks: [[Day?]] {
        guard let first = days.first else { return [] }
        var slots: [Day?] = Array(repeating: nil, count: first.weekday - 1) + days.map { Optional($0) }
        slots += Array(repeating: nil, count: (7 - slots.count % 7) % 7)
        return stride(from: 0, to: slots.count, by: 7).map { Array(slots[$0..<$0 + 7]) }
    }

    /// Reads `YYYY-MM` (four-digit year, two-digit month 01–12); nil for anything else.
    public static func parseMonth(_ text: String) -> (year: Int, month: Int)? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].count == 4, parts[1].count == 2,
              parts.allSatisfy({ $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }),
              let y = Int(parts[0]), let m = Int(parts[1]), (1...12).contains(m) else { return nil }
        return (y, m)
    }

    enum CodingKeys: String, CodingKey { case month, coverage, days }
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(monthText, forKey: .month); try c.encode(coverage, forKey: .coverage); try c.encode(days, forKey: .days)
    }
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let text = try c.decode(String.self, forKey: .month)
        guard let (y, m) = Self.parseMonth(text) else {
            throw DecodingError.dataCorruptedError(forKey: .month, in: c, debugDescription: "'\(text)' is not a YYYY-MM month")
        }
        year = y; month = m
        coverage = try c.decode(YearCoverage.self, forKey: .coverage)
        days = try c.decode([Day].self, forKey: .days)
    }
}
