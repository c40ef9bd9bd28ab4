import Foundation

// Drafting a year's statutory holidays from rules held as data (rules/calendars/cn-statutory-holidays.yaml):
// the engine knows calendars and astronomy, the YAML knows the law.

/// One statutory holiday rule: where its first day falls and how many days it lasts.
public struct StatutoryHoliday: Sendable, Equatable {
    public enum Anchor: Sendable, Equatable {
        /// A fixed Gregorian month/day.
        case gregorian(month: Int, day: Int)
        /// A day of Foundation's Chinese (lunar) calendar, never a leap month.
        case lunar(month: Int, day: Int)
        /// The day (in the rules' time zone) the sun's apparent longitude reaches `longitude` degrees.
        case solarTerm(longitude: Double)
    }

    public var name: String
    public var label: String
    public var anchor: Anchor
    /// Days from the anchor to the first day off (-1: the day before, e.g. 除夕 before lunar 1/1).
    public var offsetDays: Int
    public var days: Int
    /// First and last year the rule applies in (nil: unbounded), so amended rules stay side by side.
    public var since: Int?
    public var until: Int?
    public var location: SourceLocation

    public init(name: String, label: String, anchor: Anchor, offsetDays: Int = 0, days: Int, since: Int? = nil,
                until: Int? = nil, location: SourceLocation = .code()) {
        self.name = name; self.label = label; self.anchor = anchor; self.offsetDays = offsetDays; self.days = days
        self.since = since; self.until = until; self.location = location
    }

    public func applies(in year: Int) -> Bool {
        (since.map { year >= $0 } ?? true) && (until.map { year <= $0 } ?? true)
    }
}

/// A statutory-holiday rules file: the holidays, the region they belong to and the zone their days are counted in.
public struct StatutoryRules: Sendable {
    public var region: String
    public var timeZone: String
    public var holidays: [StatutoryHoliday]
    public var location: SourceLocation
    public init(region: String = "", timeZone: String = "Asia/Shanghai", holidays: [StatutoryHoliday],
                location: SourceLocation = .code()) {
        self.region = region; self.timeZone = timeZone; self.holidays = holidays; self.location = location
    }
}

public enum HolidayDraft {
    /// Years drafted: the solar-position approximation and the checks against known years hold here.
    public static let years = 2000...2100

    /// The 24 solar terms by their pinyin names, as the sun's apparent longitude in degrees.
    public static let solarTerms: [String: Double] = [
        "chunfen": 0, "qingming": 15, "guyu": 30, "lixia": 45, "xiaoman": 60, "mangzhong": 75,
        "xiazhi": 90, "xiaoshu": 105, "dashu": 120, "liqiu": 135, "chushu": 150, "bailu": 165,
        "qiufen": 180, "hanlu": 195, "shuangjiang": 210, "lidong": 225, "xiaoxue": 240, "daxue": 255,
        "dongzhi": 270, "xiaohan": 285, "dahan": 300, "lichun": 315, "yushui": 330, "jingzhe": 345,
    ]

    /// A day two statutory holidays fall on (中秋 on 10-01 in 2001 and 2020): the draft keeps the first rule's
    /// name and says so, because how many days off the year then gets is the State Council's call.
    public struct Overlap: Sendable, Equatable {
        public var date: LocalDate
        public var kept: String
        public var dropped: String
        public init(date: LocalDate, kept: String, dropped: String) { self.date = date; self.kept = kept; self.dropped = dropped }
    }

    /// The year's drafted days off, in date order; a day two rules claim keeps the first rule's name.
    public static func draft(_ rules: StatutoryRules, year: Int) throws -> [DatedDay] {
        try draftWithOverlaps(rules, year: year).days
    }

    public static func draftWithOverlaps(_ rules: StatutoryRules, year: Int) throws -> (days: [DatedDay], overlaps: [Overlap]) {
        guard years.contains(year) else {
            throw CalendarError("cannot draft \(year): years \(years.lowerBound)–\(years.upperBound) only")
        }
        guard let zone = TimeZone(identifier: rules.timeZone) else {
            throw CalendarError("unknown time zone \"\(rules.timeZone)\" in the statutory rules")
        }
        var gregorian = Calendar(identifier: .gregorian)
        gregorian.timeZone = zone
        var days: [LocalDate: DatedDay] = [:]
        var overlaps: [Overlap] = []
        for rule in rules.holidays where rule.applies(in: year) {
            let anchor = try anchorDate(rule.anchor, year: year, gregorian: gregorian, ruleName: rule.name)
            for i in 0..<rule.days {
                let date = try shift(anchor, by: rule.offsetDays + i, gregorian)
                if let first = days[date] {
                    overlaps.append(Overlap(date: date, kept: first.name, dropped: rule.name))
                } else {
                    days[date] = DatedDay(date: date, name: rule.name, label: rule.label, location: rule.location)
                }
            }
        }
        return (days.values.sorted { $0.date < $1.date }, overlaps.sorted { $0.date < $1.date })
    }

    /// The text of a calendar file (docs/calendar.schema.json) holding `days`, marked provisional.
    public static func calendarFileText(year: Int, region: String, days: [DatedDay], overlaps: [Overlap] = [],
                                        statutorySource: String) -> String {
        var lines = [
            "# yaml-language-server: $schema=../../docs/calendar.schema.json",
            "# DRAFT statutory holidays for \(year), written by `kesu calendar draft \(year)` from \(statutorySource).",
            "# Only the statutory days are listed: no 调休 working days are drafted, because only the State",
            "# Council's annual notice decides them (and the days joined to each holiday block).",
            "# Replace this file with the official calendar once the notice is published.",
        ]
        for o in overlaps {
            lines.append("# \(o.date) is both \(o.kept) and \(o.dropped): listed once; the notice decides the extra day off.")
        }
        if !region.isEmpty { lines.append("region: \(region)") }
        lines.append("provisional: true")
        lines.append("holidays:")
        for d in days {
            lines.append("  - {date: \(d.date), name: \(d.name)" + (d.label.isEmpty ? "" : ", zh: \(d.label)") + "}")
        }
        lines.append("workdays: []")
        return lines.joined(separator: "\n") + "\n"
    }

    // MARK: anchors

    static func anchorDate(_ anchor: StatutoryHoliday.Anchor, year: Int, gregorian: Calendar, ruleName: String) throws -> LocalDate {
        switch anchor {
        case let .gregorian(month, day):
            guard (1...12).contains(month), day >= 1, day <= LocalDate.daysIn(month: month, year: year) else {
                throw CalendarError("holiday '\(ruleName)': \(year) has no day \(month)/\(day)")
            }
            return LocalDate(year: year, month: month, day: day)
        case let .lunar(month, day):
            return try lunarDate(month: month, day: day, year: year, gregorian: gregorian, ruleName: ruleName)
        case let .solarTerm(longitude):
            return solarTermDate(longitude: longitude, year: year, gregorian: gregorian)
        }
    }

    /// The Gregorian date in `year` of lunar `month`/`day` (not a leap month), from Foundation's Chinese calendar.
    static func lunarDate(month: Int, day: Int, year: Int, gregorian: Calendar, ruleName: String) throws -> LocalDate {
        var chinese = Calendar(identifier: .chinese)
        chinese.timeZone = gregorian.timeZone
        guard let start = gregorian.date(from: DateComponents(year: year, month: 1, day: 1, hour: 12)) else {
            throw CalendarError("Foundation's calendar cannot represent \(year)")
        }
        for i in 0..<367 {
            guard let instant = gregorian.date(byAdding: .day, value: i, to: start) else { break }
            let g = gregorian.dateComponents([.year, .month, .day], from: instant)
            guard g.year == year else { break }
            let c = chinese.dateComponents([.month, .day, .isLeapMonth], from: instant)
            if c.month == month, c.day == day, c.isLeapMonth != true, let m = g.month, let d = g.day {
                return LocalDate(year: year, month: m, day: d)
            }
        }
        throw CalendarError("holiday '\(ruleName)': Foundation's Chinese calendar has no lunar \(month)/\(day) in \(year)")
    }

    /// The local date the sun's apparent longitude reaches `longitude`°, by Meeus' low-precision solar
    /// position (Astronomical Algorithms, ch. 25: about 0.01°, i.e. a quarter of an hour of the term's instant).
    static func solarTermDate(longitude: Double, year: Int, gregorian: Calendar) -> LocalDate {
        // Start near the March equinox of `year` and step by the longitude still to go.
        var jd = julianDay(year: year, month: 3, day: 20.5) + longitude / 360 * 365.2422
        for _ in 0..<20 {
            var delta = longitude - apparentSolarLongitude(jd: jd)
            delta = (delta + 540).truncatingRemainder(dividingBy: 360) - 180
            jd += delta * 365.2422 / 360
            if abs(delta) < 1e-7 { break }
        }
        // Dynamical time is about a minute ahead of UT around 2000–2100: not worth correcting at this precision.
        let instant = Date(timeIntervalSince1970: (jd - 2_440_587.5) * 86_400)
        let c = gregorian.dateComponents([.year, .month, .day], from: instant)
        return LocalDate(year: c.year ?? year, month: c.month ?? 1, day: c.day ?? 1)
    }

    static func apparentSolarLongitude(jd: Double) -> Double {
        let t = (jd - 2_451_545.0) / 36_525
        let l0 = 280.46646 + 36_000.76983 * t + 0.0003032 * t * t
        let m = (357.52911 + 35_999.05029 * t - 0.0001537 * t * t) * .pi / 180
        let c = (1.914602 - 0.004817 * t - 0.000014 * t * t) * sin(m) + (0.019993 - 0.000101 * t) * sin(2 * m)
            + 0.000289 * sin(3 * m)
        let omega = (125.04 - 1934.136 * t) * .pi / 180
        let lambda = l0 + c - 0.00569 - 0.00478 * sin(omega)
        let r = lambda.truncatingRemainder(dividingBy: 360)
        return r < 0 ? r + 360 : r
    }

    /// Julian day of a Gregorian date (day may be fractional), Meeus ch. 7.
    static func julianDay(year: Int, month: Int, day: Double) -> Double {
        var y = Double(year), m = Double(month)
        if month <= 2 { y -= 1; m += 12 }
        let a = (y / 100).rounded(.down)
        let b = 2 - a + (a / 4).rounded(.down)
        return (365.25 * (y + 4716)).rounded(.down) + (30.6001 * (m + 1)).rounded(.down) + day + b - 1524.5
    }

    static func shift(_ date: LocalDate, by days: Int, _ gregorian: Calendar) throws -> LocalDate {
        guard let start = gregorian.date(from: DateComponents(year: date.year, month: date.month, day: date.day, hour: 12)),
              let moved = gregorian.date(byAdding: .day, value: days, to: start) else {
            throw CalendarError("cannot move \(date) by \(days) days")
        }
        let c = gregorian.dateComponents([.year, .month, .day], from: moved)
        return LocalDate(year: c.year ?? date.year, month: c.month ?? date.month, day: c.day ?? date.day)
    }
}
