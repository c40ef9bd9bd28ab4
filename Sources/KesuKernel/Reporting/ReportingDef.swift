import Foundation

/// What the pack's words mean for appraisal measures and reports (section `reporting:`): which
/// clock decides "answered on time", what makes a complaint substantiated, which transitions are
/// callbacks and re-dispatches. Kesu knows none of these names itself.
public struct ReportingDef: Sendable {
    /// Runs of this clock stopped in time are "answered on time"; its violation is "overdue".
    public var onTimeClock: String?
    /// A complaint is substantiated when this outcome is recorded, or when these conditions come to hold.
    public var substantiatedOutcome: String?
    public var substantiatedWhen: [FieldCondition]
    /// Transitions that record a callback; with `unsatisfiedOutcome` the callback was unsatisfied.
    public var callbackTransitions: [String]
    public var unsatisfiedOutcome: String?
    /// Transitions that send the case back to be handled again.
    public var redispatchTransitions: [String]
    /// Which cases the quarterly bulletin shows as typical.
    public var typicalCases: TypicalCasesDef?
    /// Periodic reports the procedure requires, with their due dates (第十二条 信息通报).
    public var reports: [PeriodicReportDef] = []
    public var location: SourceLocation

    public init(
        onTimeClock: String? = nil, substantiatedOutcome: String? = nil, substantiatedWhen: [FieldCondition] = [],
        callbackTransitions: [String] = [], unsatisfiedOutcome: String? = nil, redispatchTransitions: [String] = [],
        typicalCases: TypicalCasesDef? = nil, location: SourceLocation = .code()
    ) {
        self.onTimeClock = onTimeClock; self.substantiatedOutcome = substantiatedOutcome
        self.substantiatedWhen = substantiatedWhen; self.callbackTransitions = callbackTransitions
        self.unsatisfiedOutcome = unsatisfiedOutcome; self.redispatchTransitions = redispatchTransitions
        self.typicalCases = typicalCases; self.location = location
    }
}

/// Typical cases (典型案例): those matching `when`, those with any of `outcomes` first, then the
/// most re-dispatched, then the earliest; at most `limit`.
public struct TypicalCasesDef: Sendable {
    public var when: [FieldCondition]
    public var outcomes: [String]
    public var limit: Int
    public var location: SourceLocation
    public init(when: [FieldCondition] = [], outcomes: [String] = [], limit: Int = 5, location: SourceLocation = .code()) {
        self.when = when; self.outcomes = outcomes; self.limit = limit; self.location = location
    }
}

/// A report due every quarter: `by` the handling units or the center, by `day` of the quarter's
/// `monthOfQuarter`-th month (《客户期望分析报告》 units by the 15th of the last month, 3/15).
public struct PeriodicReportDef: Sendable {
    public enum Owner: String, Sendable, Codable { case unit, center }
    public var id: String
    public var name: String
    public var by: Owner
    public var monthOfQuarter: Int
    public var day: Int
    /// The sweep reminds whoever owes the report this many working days before it is due (0: no reminder).
    public var remindWorkingDaysBefore: Int
    public var location: SourceLocation
    public init(id: String, name: String, by: Owner, monthOfQuarter: Int, day: Int, remindWorkingDaysBefore: Int = 3,
                location: SourceLocation = .code()) {
        self.id = id; self.name = name; self.by = by; self.monthOfQuarter = monthOfQuarter; self.day = day
        self.remindWorkingDaysBefore = remindWorkingDaysBefore; self.location = location
    }

    /// The due date in quarter `q` (1–4) of `year`; a day past the month's end is its last day.
    public func due(year: Int, quarter q: Int) -> LocalDate {
        let month = (q - 1) * 3 + monthOfQuarter
        var c = Calendar(identifier: .gregorian)
        c.timeZone = TimeZone(identifier: "UTC")!
        let first = c.date(from: DateComponents(year: year, month: month, day: 1))!
        let days = c.range(of: .day, in: .month, for: first)?.count ?? 28
        return LocalDate(year: year, month: month, day: min(day, days))
    }
}
