import Foundation

// Reading the State Council General Office's annual holiday notice (国务院办公厅关于YYYY年部分节假日安排的通知)
// into a year's holidays and 调休 working days (docs/rule-packs.md, "Importing the State Council's notice").
// A typo in the notice must not become a wrong deadline: every sentence of a holiday item is read or
// refused with its place, 共N天 is checked against the range and every weekday note against its date.

/// A notice sentence that cannot be read or does not add up: where it is (line:column of the sentence), the
/// sentence itself, and what is wrong.
public struct HolidayNoticeError: Error, Sendable, Equatable, CustomStringConvertible {
    public var location: SourceLocation
    /// The sentence as written in the notice (empty when the error is about the notice as a whole).
    public var sentence: String
    public var message: String

    public init(_ location: SourceLocation, sentence: String, _ message: String) {
        self.location = location; self.sentence = sentence; self.message = message
    }

    public var description: String {
        "\(location): \(message)" + (sentence.isEmpty ? "" : " in 「\(sentence)」")
    }
}

/// One holiday of the notice's vocabulary: the name the notice uses, the id and label the calendar files use,
/// and its statutory day (only needed to split an item that names two holidays, e.g. 中秋节、国庆节).
public struct NoticeHoliday: Sendable, Equatable {
    public enum StatutoryDay: Sendable, Equatable {
        case gregorian(month: Int, day: Int)
        /// A day of Foundation's Chinese (lunisolar) calendar.
        case lunar(month: Int, day: Int)
        /// A solar term (清明): never needed to split a combined item.
        case solarTerm
    }
    public var zh: String
    public var id: String
    /// Statutory days off (全国年节及纪念日放假办法, 2024): in an item naming two holidays, the days that are not
    /// one holiday's own statutory day go to the one with more statutory days.
    public var statutoryDays: Int
    public var statutoryDay: StatutoryDay

    public init(zh: String, id: String, statutoryDays: Int, statutoryDay: StatutoryDay) {
        self.zh = zh; self.id = id; self.statutoryDays = statutoryDays; self.statutoryDay = statutoryDay
    }

    /// The notice's own vocabulary, with the ids and labels of rules/calendars/cn-2024-2026.yaml.
    public static let vocabulary: [NoticeHoliday] = [
        NoticeHoliday(zh: "元旦", id: "new_years_day", statutoryDays: 1, statutoryDay: .gregorian(month: 1, day: 1)),
        NoticeHoliday(zh: "春节", id: "spring_festival", statutoryDays: 4, statutoryDay: .lunar(month: 1, day: 1)),
        NoticeHoliday(zh: "清明节", id: "tomb_sweeping_day", statutoryDays: 1, statutoryDay: .solarTerm),
        NoticeHoliday(zh: "劳动节", id: "labour_day", statutoryDays: 2, statutoryDay: .gregorian(month: 5, day: 1)),
        NoticeHoliday(zh: "端午节", id: "dragon_boat_festival", statutoryDays: 1, statutoryDay: .lunar(month: 5, day: 5)),
        NoticeHoliday(zh: "中秋节", id: "mid_autumn_festival", statutoryDays: 1, statutoryDay: .lunar(month: 8, day: 15)),
        NoticeHoliday(zh: "国庆节", id: "national_day", statutoryDays: 3, statutoryDay: .gregorian(month: 10, day: 1)),
    ]
}

/// A sentence of the notice and where it starts.
public struct NoticeSentence: Sendable, Equatable {
    public var location: SourceLocation
    public var text: String
}

/// The holidays and 调休 working days of one year's notice, in the notice's order.
public struct HolidayNotice: Sendable {
    public var year: Int
    public var holidays: [DatedDay]
    public var workdays: [DatedDay]
    /// Sentences of an item that advise but set no day (鼓励各单位…安排职工在除夕休息): read, not imported,
    /// listed so the importer can show them rather than drop them unseen.
    public var advisories: [NoticeSentence] = []

    /// Reads `text` (the notice, title included unless `year` is given). `file` names it in errors.
    /// Throws HolidayNoticeError for the first sentence it cannot read or that does not add up.
    public static func parse(_ text: String, file: String, year: Int? = nil,
                             vocabulary: [NoticeHoliday] = NoticeHoliday.vocabulary) throws -> HolidayNotice {
        var parser = NoticeParser(text: text, file: file, vocabulary: vocabulary)
        return try parser.parse(year: year)
    }
}

private struct NoticeParser {
    let chars: [Character]
    let file: String
    let vocabulary: [NoticeHoliday]
    /// Line and column of every character, 1-based.
    let positions: [(line: Int, column: Int)]

    init(text: String, file: String, vocabulary: [NoticeHoliday]) {
        // "\r\n" is one Character in Swift, so lines split the same on every platform.
        chars = Array(text)
        self.file = file
        self.vocabulary = vocabulary
        var positions: [(Int, Int)] = []
        positions.reserveCapacity(chars.count + 1)
        var line = 1, column = 1
        for c in chars {
            positions.append((line, column))
            if c.isNewline { line += 1; column = 1 } else { column += 1 }
        }
        positions.append((line, column))
        self.positions = positions
    }

    func location(_ i: Int) -> SourceLocation {
        let p = positions[min(i, positions.count - 1)]
        return SourceLocation(file: file, line: p.line, column: p.column)
    }

    func text(_ r: Range<Int>) -> String { String(chars[r]) }

    static let itemNumerals: Set<Character> = ["一", "二", "三", "四", "五", "六", "七", "八", "九", "十"]

    /// A numbered item "三、清明节：": where its number starts, where its body starts, and its names.
    struct ItemHead {
        var start: Int
        var namesRange: Range<Int>
        var bodyStart: Int
    }

    /// Item heads: Chinese numerals, "、", a name of at most 12 characters without punctuation, then "：" or ":".
    func itemHead(at i: Int) -> ItemHead? {
        guard i < chars.count, Self.itemNumerals.contains(chars[i]),
              i == 0 || !Self.itemNumerals.contains(chars[i - 1]) else { return nil }
        var j = i
        while j < chars.count, Self.itemNumerals.contains(chars[j]) { j += 1 }
        guard j < chars.count, chars[j] == "、" else { return nil }
        let nameStart = j + 1
        var k = nameStart
        while k < chars.count, k - nameStart <= 12, !"：:，。（）()\n".contains(chars[k]), !chars[k].isNewline { k += 1 }
        guard k < chars.count, chars[k] == "：" || chars[k] == ":", k > nameStart else { return nil }
        return ItemHead(start: i, namesRange: nameStart..<k, bodyStart: k + 1)
    }

    mutating func parse(year given: Int?) throws -> HolidayNotice {
        let year = try noticeYear(given)
        var heads: [ItemHead] = []
        var i = 0
        while i < chars.count {
            if let head = itemHead(at: i) { heads.append(head); i = head.bodyStart } else { i += 1 }
        }
        var holidays: [DatedDay] = []
        var workdays: [DatedDay] = []
        var advisories: [NoticeSentence] = []
        var covered: [Range<Int>] = []
        for (n, head) in heads.enumerated() {
            // An item's body ends at the next item or at the end of its line, whichever comes first.
            var end = head.bodyStart
            let limit = n + 1 < heads.count ? heads[n + 1].start : chars.count
            while end < limit, !chars[end].isNewline { end += 1 }
            covered.append(head.start..<end)
            let (h, w, a) = try readItem(head, bodyEnd: end, year: year)
            holidays += h
            workdays += w
            advisories += a
        }
        try refuseStrayDates(outside: covered)
        guard !holidays.isEmpty else {
            throw HolidayNoticeError(location(0), sentence: "",
                                     "no holiday item found: expected numbered items like \"一、元旦：1月1日（周四）至3日（周六）放假调休，共3天。\"")
        }
        var seen: [LocalDate: DatedDay] = [:]
        for day in holidays + workdays {
            if let first = seen[day.date] {
                throw HolidayNoticeError(day.location, sentence: "",
                                         "\(day.date) is listed twice (first at \(first.location.line):\(first.location.column))")
            }
            seen[day.date] = day
        }
        return HolidayNotice(year: year, holidays: holidays, workdays: workdays, advisories: advisories)
    }

    /// The year from the title (…关于2026年部分节假日安排的通知) or the caller; both given must agree.
    func noticeYear(_ given: Int?) throws -> Int {
        let marker = Array("年部分节假日安排")
        var titleYear: (year: Int, at: Int)?
        var i = 0
        while i + marker.count <= chars.count {
            if Array(chars[i..<i + marker.count]) == marker {
                var s = i
                while s > 0, chars[s - 1].isASCII, chars[s - 1].isNumber { s -= 1 }
                if i - s == 4, let y = Int(text(s..<i)) { titleYear = (y, s) }
                break
            }
            i += 1
        }
        switch (given, titleYear) {
        case let (g?, t?) where g != t.year:
            throw HolidayNoticeError(location(t.at), sentence: "",
                                     "the title says \(t.year) but the year given is \(g): check the notice and --year")
        case let (g?, _): return g
        case let (nil, t?): return t.year
        case (nil, nil):
            throw HolidayNoticeError(location(0), sentence: "",
                                     "no year: the title 国务院办公厅关于YYYY年部分节假日安排的通知 is missing; pass --year YYYY")
        }
    }

    /// Outside the items only prose is allowed: a line that mentions 放假, 上班 or 调休 with a date is an item
    /// this parser did not recognise (e.g. a mistyped number), and must not be dropped silently.
    func refuseStrayDates(outside items: [Range<Int>]) throws {
        var lineStart = 0
        for i in 0...chars.count where i == chars.count || chars[i].isNewline {
            let line = lineStart..<i
            lineStart = i + 1
            let free = line.filter { c in !items.contains { $0.contains(c) } }
            let s = String(free.map { chars[$0] })
            guard ["放假", "上班", "调休"].contains(where: { s.contains($0) }),
                  s.range(of: "[0-9]+月[0-9]+日", options: .regularExpression) != nil, let first = free.first else { continue }
            let from = free.first { !chars[$0].isWhitespace } ?? first
            throw HolidayNoticeError(location(from), sentence: text(from..<(free.last! + 1)).trimmingCharacters(in: .whitespaces),
                                     "cannot read this as a holiday item: expected \"N、节日名：…\" with a known holiday name")
        }
    }

    // MARK: Items

    func holidaysNamed(_ head: ItemHead) throws -> [NoticeHoliday] {
        let names = text(head.namesRange).split(separator: "、").map { $0.trimmingCharacters(in: .whitespaces) }
        return try names.map { name in
            guard let h = vocabulary.first(where: { $0.zh == name }) else {
                throw HolidayNoticeError(location(head.start), sentence: text(head.start..<head.bodyStart),
                                         "unknown holiday \"\(name)\": expected one of \(vocabulary.map(\.zh).joined(separator: "、"))")
            }
            return h
        }
    }

    func readItem(_ head: ItemHead, bodyEnd: Int, year: Int) throws -> ([DatedDay], [DatedDay], [NoticeSentence]) {
        let named = try holidaysNamed(head)
        var holidays: [DatedDay] = []
        var workdays: [DatedDay] = []
        var advisories: [NoticeSentence] = []
        var start = head.bodyStart
        var sentences: [Range<Int>] = []
        for i in head.bodyStart..<bodyEnd where chars[i] == "。" || chars[i] == "；" {
            sentences.append(start..<i)
            start = i + 1
        }
        if start < bodyEnd, !text(start..<bodyEnd).trimmingCharacters(in: .whitespaces).isEmpty {
            sentences.append(start..<bodyEnd)
        }
        let principal = named.max { $0.statutoryDays < $1.statutoryDays } ?? named[0]
        for range in sentences {
            var s = Sentence(parser: self, range: range, year: year)
            s.skipSpaces()
            guard !s.atEnd else { continue }
            let loc = location(s.i)
            let quoted = text(s.i..<range.upperBound).trimmingCharacters(in: .whitespaces)
            if quoted.hasPrefix("鼓励") {
                advisories.append(NoticeSentence(location: loc, text: quoted))
            } else if range.upperBound > range.lowerBound, text(range).contains("上班") && !text(range).contains("放假") {
                for date in try s.workdays(quoted: quoted) {
                    workdays.append(DatedDay(date: date, name: principal.id, label: principal.zh, location: loc))
                }
            } else if !text(range).contains("放假") {
                throw HolidayNoticeError(loc, sentence: quoted,
                                         "cannot read this sentence: expected days off (\"M月D日至D日放假，共N天\") or 调休 working days (\"M月D日（周X）上班\")")
            } else {
                guard holidays.isEmpty else {
                    throw HolidayNoticeError(loc, sentence: quoted, "a second range of days off in one item: give each its own item")
                }
                for date in try s.daysOff(quoted: quoted) {
                    let own = named.first { $0 != principal && Self.isStatutoryDay(date, of: $0) } ?? principal
                    holidays.append(DatedDay(date: date, name: own.id, label: own.zh, location: loc))
                }
            }
        }
        guard !holidays.isEmpty else {
            throw HolidayNoticeError(location(head.start), sentence: text(head.start..<bodyEnd).trimmingCharacters(in: .whitespaces),
                                     "item has no days off: expected \"M月D日至D日放假，共N天\"")
        }
        return (holidays, workdays, advisories)
    }

    static func isStatutoryDay(_ date: LocalDate, of holiday: NoticeHoliday) -> Bool {
        switch holiday.statutoryDay {
        case .solarTerm: return false
        case let .gregorian(month, day): return date.month == month && date.day == day
        case let .lunar(month, day):
            var gregorian = Calendar(identifier: .gregorian)
            gregorian.timeZone = TimeZone(identifier: "UTC")!
            var chinese = Calendar(identifier: .chinese)
            chinese.timeZone = gregorian.timeZone
            guard let instant = gregorian.date(from: DateComponents(year: date.year, month: date.month, day: date.day, hour: 12))
            else { return false }
            let c = chinese.dateComponents([.month, .day, .isLeapMonth], from: instant)
            return c.month == month && c.day == day && c.isLeapMonth != true
        }
    }
}

/// One sentence of an item, read left to right.
private struct Sentence {
    let parser: NoticeParser
    let range: Range<Int>
    let year: Int
    var i: Int
    /// Where the sentence starts (leading spaces skipped): errors point here.
    let start: Int

    init(parser: NoticeParser, range: Range<Int>, year: Int) {
        self.parser = parser; self.range = range; self.year = year
        var i = range.lowerBound
        while i < range.upperBound, parser.chars[i].isWhitespace { i += 1 }
        self.i = i
        self.start = i
    }

    var atEnd: Bool { i >= range.upperBound }
    var current: Character? { atEnd ? nil : parser.chars[i] }

    mutating func skipSpaces() { while let c = current, c.isWhitespace { i += 1 } }

    mutating func take(_ s: String) -> Bool {
        let a = Array(s)
        guard i + a.count <= range.upperBound, Array(parser.chars[i..<i + a.count]) == a else { return false }
        i += a.count
        return true
    }

    mutating func number() -> Int? {
        var j = i
        while j < range.upperBound, parser.chars[j].isASCII, parser.chars[j].isNumber { j += 1 }
        guard j > i, let n = Int(parser.text(i..<j)) else { return nil }
        i = j
        return n
    }

    func refuse(_ quoted: String, _ message: String) -> HolidayNoticeError {
        HolidayNoticeError(parser.location(start), sentence: quoted, message)
    }

    /// "[YYYY年]M月D日" or, after a range's "至", "D日" (same month as `after`), then an optional （…） note
    /// whose weekday, if any, must be the date's.
    mutating func date(after: LocalDate?, quoted: String) throws -> LocalDate {
        skipSpaces()
        let start = i
        guard var n = number() else { throw refuse(quoted, "expected a date like 1月1日 at \"\(rest)\"") }
        var y = after?.year ?? year
        if take("年") {
            y = n
            guard let m = number() else { throw refuse(quoted, "expected a month after \(y)年 at \"\(rest)\"") }
            n = m
            guard take("月") else { throw refuse(quoted, "expected 月 at \"\(rest)\"") }
            guard let d = number(), take("日") else { throw refuse(quoted, "expected a day like 1日 at \"\(rest)\"") }
            return try checked(y, n, d, from: start, quoted: quoted)
        }
        var month: Int
        var day: Int
        if take("月") {
            month = n
            guard let d = number(), take("日") else { throw refuse(quoted, "expected a day like 1日 at \"\(rest)\"") }
            day = d
            // A range that crosses the year: 12月31日至1月1日.
            if let after, month < after.month { y = after.year + 1 }
        } else if take("日"), let after {
            month = after.month
            day = n
        } else {
            throw refuse(quoted, "expected a date like 1月1日 at \"\(parser.text(start..<range.upperBound))\"")
        }
        return try checked(y, month, day, from: start, quoted: quoted)
    }

    var rest: String { parser.text(i..<range.upperBound) }

    mutating func checked(_ y: Int, _ m: Int, _ d: Int, from start: Int, quoted: String) throws -> LocalDate {
        guard (1...12).contains(m), d >= 1, d <= LocalDate.daysIn(month: m, year: y) else {
            throw refuse(quoted, "impossible date \(parser.text(start..<i)) in \(y)")
        }
        let date = LocalDate(year: y, month: m, day: d)
        try note(for: date, quoted: quoted)
        return date
    }

    static let weekdays: [String: Int] = ["一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "日": 7, "天": 7]

    /// "（周四）", "（农历除夕、周二）": the weekday must be the date's; 农历… notes are informative.
    mutating func note(for date: LocalDate, quoted: String) throws {
        skipSpaces()
        guard take("（") || take("(") else { return }
        let start = i
        while let c = current, c != "）", c != ")" { i += 1 }
        guard !atEnd else { throw refuse(quoted, "unclosed （ after \(date)") }
        let inner = parser.text(start..<i)
        i += 1
        for part in inner.split(separator: "、").map({ $0.trimmingCharacters(in: .whitespaces) }) {
            if part.hasPrefix("农历") { continue }
            let day = part.hasPrefix("星期") ? part.dropFirst(2) : part.hasPrefix("周") ? part.dropFirst() : nil
            guard let day, let wanted = Self.weekdays[String(day)] else {
                throw refuse(quoted, "cannot read the note （\(inner)） after \(date): expected a weekday like 周四")
            }
            let actual = BusinessCalendar.isoWeekday(date)
            guard actual == wanted else {
                let names = ["", "一", "二", "三", "四", "五", "六", "日"]
                throw refuse(quoted, "\(date) is a 周\(names[actual]), not the \(part) the notice says: check the notice")
            }
        }
    }

    /// "M月D日（周X）至D日（周X）放假调休，共N天" or "M月D日（周X）放假1天，不调休": every day of the range.
    mutating func daysOff(quoted: String) throws -> [LocalDate] {
        let first = try date(after: nil, quoted: quoted)
        var last = first
        skipSpaces()
        if take("至") || take("—") || take("-") || take("～") {
            last = try date(after: first, quoted: quoted)
        }
        guard first <= last else { throw refuse(quoted, "the range ends (\(last)) before it starts (\(first))") }
        let days = (BusinessCalendar.days(from: first)...BusinessCalendar.days(from: last)).map(BusinessCalendar.civil(fromDays:))
        skipSpaces()
        guard take("放假") else { throw refuse(quoted, "expected 放假 after the dates at \"\(rest)\"") }
        _ = take("调休")
        var stated: Int?
        if let n = number() {
            guard take("天") else { throw refuse(quoted, "expected 天 after \(n) at \"\(rest)\"") }
            stated = n
        }
        // Clauses after the range: 共N天, 不调休, 与周末连休.
        while !atEnd {
            skipSpaces()
            guard take("，") || take(",") else { throw refuse(quoted, "cannot read \"\(rest)\"") }
            skipSpaces()
            if take("共") {
                guard let n = number(), take("天") else { throw refuse(quoted, "expected 共N天 at \"\(rest)\"") }
                stated = n
            } else if take("不调休") || take("与周末连休") {
            } else {
                throw refuse(quoted, "cannot read \"\(rest)\": expected 共N天")
            }
            skipSpaces()
        }
        if let stated, stated != days.count {
            throw refuse(quoted, "共\(stated)天 but \(first) to \(last) is \(days.count) days: check the notice")
        }
        return days
    }

    /// "M月D日（周X）、M月D日（周X）上班".
    mutating func workdays(quoted: String) throws -> [LocalDate] {
        var dates: [LocalDate] = []
        repeat {
            dates.append(try date(after: nil, quoted: quoted))
            skipSpaces()
        } while take("、") || take("，")
        guard take("上班") else { throw refuse(quoted, "expected 上班 after the dates at \"\(rest)\"") }
        skipSpaces()
        guard atEnd else { throw refuse(quoted, "cannot read \"\(rest)\" after 上班") }
        return dates
    }
}
