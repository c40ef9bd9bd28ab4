import Foundation

/// A rule pack: everything a bureau's written procedure decides, as data.
/// Built by a loader (YAML) or in code; checked by `RulePack.validate()`.
public struct RulePack: Sendable {
    public var info: PackInfo
    public var calendar: CalendarRules
    public var roles: [RoleDef]
    public var units: [UnitDef]
    public var people: [PersonDef]
    public var kinds: [Choice]
    public var levels: [Choice]
    public var categories: [CategoryDef]
    public var complainantTypes: [Choice]
    public var channels: [Choice]
    public var regions: [RegionDef]
    public var fields: [FieldDef]
    public var routing: [RouteRule]
    public var procedure: ProcedureDef
    public var clocks: [ClockDef]
    public var ladders: [LadderDef]
    public var scoring: ScoringDef
    public var reporting: ReportingDef
    /// Content hash of the files the pack was loaded from (hex SHA-256); "code" for packs built in Swift.
    public var version: String

    public init(
        info: PackInfo, calendar: CalendarRules, roles: [RoleDef], units: [UnitDef], people: [PersonDef],
        kinds: [Choice], levels: [Choice], categories: [CategoryDef], complainantTypes: [Choice] = [],
        channels: [Choice], regions: [RegionDef] = [], fields: [FieldDef] = [], routing: [RouteRule],
        procedure: ProcedureDef, clocks: [ClockDef] = [], ladders: [LadderDef] = [],
        scoring: ScoringDef = ScoringDef(), reporting: ReportingDef = ReportingDef(), version: String = "code"
    ) {
        self.info = info; self.calendar = calendar; self.roles = roles; self.units = units
        self.people = people; self.kinds = kinds; self.levels = levels; self.categories = categories
        self.complainantTypes = complainantTypes; self.channels = channels; self.regions = regions
        self.fields = fields; self.routing = routing; self.procedure = procedure; self.clocks = clocks
        self.ladders = ladders; self.scoring = scoring; self.reporting = reporting; self.version = version
    }
}

public struct PackInfo: Sendable {
    public var id: String
    public var name: String
    /// The administrator's own label ("2026.1"); the content hash is `RulePack.version`.
    public var label: String
    /// Case numbers look like `<prefix>-<year>-<000001>`.
    public var caseNumberPrefix: String
    /// Whether a case number may go unused (`case_numbers: {gaps: …}`); gapless unless the pack says.
    public var caseNumberGaps: CaseNumbering.Gaps
    public var location: SourceLocation
    public init(id: String, name: String, label: String = "", caseNumberPrefix: String,
                caseNumberGaps: CaseNumbering.Gaps = .gapless, location: SourceLocation = .code()) {
        self.id = id; self.name = name; self.label = label; self.caseNumberPrefix = caseNumberPrefix
        self.caseNumberGaps = caseNumberGaps; self.location = location
    }
    public var caseNumbering: CaseNumbering { CaseNumbering(prefix: caseNumberPrefix, gaps: caseNumberGaps) }
}

/// An id with a Chinese label, e.g. a kind, a level, a channel.
public struct Choice: Sendable, Hashable {
    public var id: String
    public var name: String
    public var location: SourceLocation
    public init(id: String, name: String, location: SourceLocation = .code()) {
        self.id = id; self.name = name; self.location = location
    }
}

// MARK: Calendar

public struct CalendarRules: Sendable {
    public var timeZone: String
    /// Opening intervals of a working day, in minutes after midnight, ascending and disjoint.
    public var businessHours: [MinuteRange]
    /// ISO weekday numbers that are rest days unless listed as adjusted working days (1 = Monday … 7 = Sunday).
    public var weekend: Set<Int>
    public var holidays: [DatedDay]
    /// Weekend days that are working days (调休上班).
    public var workdays: [DatedDay]
    /// Years whose days come from a calendar file marked `provisional: true` (a draft, not the State
    /// Council's notice), so due times in them can be flagged.
    public var provisionalYears: Set<Int>
    /// Years an official calendar covers: years with days in an included file that is neither provisional nor a
    /// `supplement` (a region's extra days), or in the pack's own `holidays`/`workdays`. nil: every year with a
    /// listed day (rules built in code).
    public var officialYears: Set<Int>?
    public var location: SourceLocation
    public init(
        timeZone: String = "Asia/Shanghai", businessHours: [MinuteRange], weekend: Set<Int> = [6, 7],
        holidays: [DatedDay] = [], workdays: [DatedDay] = [], provisionalYears: Set<Int> = [],
        officialYears: Set<Int>? = nil, location: SourceLocation = .code()
    ) {
        self.timeZone = timeZone; self.businessHours = businessHours; self.weekend = weekend
        self.holidays = holidays; self.workdays = workdays; self.provisionalYears = provisionalYears
        self.officialYears = officialYears
        self.location = location
    }

    /// Years the State Council's notice (or the pack's own list) covers; official wins over a draft of the same year.
    public var coveredYears: Set<Int> {
        officialYears ?? Set((holidays + workdays).map(\.date.year)).subtracting(provisionalYears)
    }

    /// How well a year's holidays and 调休 days are known.
    public func coverage(ofYear year: Int) -> YearCoverage {
        if coveredYears.contains(year) { return .official }
        if provisionalYears.contains(year) { return .provisional }
        return .uncovered
    }

    /// The same rules with another calendar's dated days (holidays, 调休 days and their coverage): a calendar is a
    /// fact, so a case pinned to an older pack counts on the newest one. Time zone, hours and weekend stay the pack's.
    public func adoptingDays(of other: CalendarRules) -> CalendarRules {
        var copy = self
        copy.holidays = other.holidays; copy.workdays = other.workdays
        copy.provisionalYears = other.provisionalYears; copy.officialYears = other.coveredYears
        return copy
    }

    /// A digest of the dated days and their coverage: changes exactly when re-planning could move a due time.
    public var daysFingerprint: String {
        func line(_ d: DatedDay) -> String { "\(d.date) \(d.name)" }
        var text = "holidays\n" + holidays.map(line).sorted().joined(separator: "\n")
        text += "\nworkdays\n" + workdays.map(line).sorted().joined(separator: "\n")
        text += "\nofficial " + coveredYears.sorted().map(String.init).joined(separator: ",")
        text += "\nprovisional " + provisionalYears.sorted().map(String.init).joined(separator: ",")
        return SHA256.hex(Array(text.utf8))
    }
}

/// How well a year's holidays and 调休 working days are known to a calendar.
public enum YearCoverage: String, Sendable, Codable, Comparable {
    /// From the State Council's notice (or listed by the pack itself).
    case official
    /// From a draft (`kesu calendar draft`): statutory holidays only, no 调休 days yet.
    case provisional
    /// No holidays known: only weekends are skipped.
    case uncovered

    private var rank: Int { switch self { case .official: 0; case .provisional: 1; case .uncovered: 2 } }
    public static func < (a: YearCoverage, b: YearCoverage) -> Bool { a.rank < b.rank }
}

public struct MinuteRange: Sendable, Hashable {
    public var start: Int
    public var end: Int
    public init(start: Int, end: Int) { self.start = start; self.end = end }
    public init(_ start: (Int, Int), _ end: (Int, Int)) { self.start = start.0 * 60 + start.1; self.end = end.0 * 60 + end.1 }
}

/// A calendar date without a time, e.g. 2026-10-10.
public struct LocalDate: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    public var year: Int
    public var month: Int
    public var day: Int
    public init(year: Int, month: Int, day: Int) { self.year = year; self.month = month; self.day = day }
    /// Parses `YYYY-MM-DD`; nil for anything else, including impossible dates (2026-02-30).
    public init?(_ text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2]),
              (1...12).contains(m), d >= 1, d <= LocalDate.daysIn(month: m, year: y) else { return nil }
        self.init(year: y, month: m, day: d)
    }
    public static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }
    public static func < (a: LocalDate, b: LocalDate) -> Bool { (a.year, a.month, a.day) < (b.year, b.month, b.day) }
    public var description: String { String(format: "%04d-%02d-%02d", year, month, day) }
}

public struct DatedDay: Sendable, Hashable {
    public var date: LocalDate
    /// Machine name of the occasion, e.g. `national_day`.
    public var name: String
    /// Label a person reads, e.g. 国庆节.
    public var label: String
    public var location: SourceLocation
    public init(date: LocalDate, name: String, label: String = "", location: SourceLocation = .code()) {
        self.date = date; self.name = name; self.label = label; self.location = location
    }
}

// MARK: Organisation

public struct RoleDef: Sendable {
    public enum Scope: String, Sendable { case all, handlingUnit = "handling_unit" }
    public var id: String
    public var name: String
    /// `handling_unit`: acts only on cases its person's unit handles. `all`: acts on every case.
    public var scope: Scope
    /// A role that only reads; it may take no transition.
    public var readOnly: Bool
    /// What the role may see or do beyond acting on cases: personal data, reports, rules administration.
    public var permissions: Set<Permission>
    public var location: SourceLocation
    public init(
        id: String, name: String, scope: Scope = .all, readOnly: Bool = false, permissions: Set<Permission> = [],
        location: SourceLocation = .code()
    ) {
        self.id = id; self.name = name; self.scope = scope; self.readOnly = readOnly; self.permissions = permissions
        self.location = location
    }
}

public struct UnitDef: Sendable {
    public var id: String
    public var name: String
    /// The complaint center (归口管理部门): exactly one unit is the center.
    public var isCenter: Bool
    /// Person ids of the unit's liaison (督察考评员) and head (负责人).
    public var liaison: String?
    public var head: String?
    public var location: SourceLocation
    public init(id: String, name: String, isCenter: Bool = false, liaison: String? = nil, head: String? = nil, location: SourceLocation = .code()) {
        self.id = id; self.name = name; self.isCenter = isCenter; self.liaison = liaison; self.head = head; self.location = location
    }
}

public struct PersonDef: Sendable {
    public var id: String
    public var name: String
    public var unit: String
    public var roles: [String]
    public var location: SourceLocation
    public init(id: String, name: String, unit: String, roles: [String], location: SourceLocation = .code()) {
        self.id = id; self.name = name; self.unit = unit; self.roles = roles; self.location = location
    }
}

// MARK: Classification

public struct CategoryDef: Sendable {
    public var id: String
    public var name: String
    /// Kinds this category applies to; empty means every kind.
    public var kinds: [String]
    /// Words in the description that propose this category at intake.
    public var keywords: [String]
    public var location: SourceLocation
    public init(id: String, name: String, kinds: [String] = [], keywords: [String] = [], location: SourceLocation = .code()) {
        self.id = id; self.name = name; self.kinds = kinds; self.keywords = keywords; self.location = location
    }
}

public struct RegionDef: Sendable {
    public var id: String
    public var name: String
    /// The unit that handles this region's cases when a route says `unit_from: region`.
    public var unit: String?
    public var location: SourceLocation
    public init(id: String, name: String, unit: String? = nil, location: SourceLocation = .code()) {
        self.id = id; self.name = name; self.unit = unit; self.location = location
    }
}

/// A case field declared by the pack, beyond the built-in ones (`CaseField.builtIn`).
public struct FieldDef: Sendable {
    /// `person`: a person id of the pack (a respondent, a witness), checked when written; the only
    /// kind of pack field a scoring rule's `person_from` may name.
    public enum FieldType: String, Sendable, CaseIterable { case text, choice, datetime, number, boolean, person }
    public var id: String
    public var name: String
    public var type: FieldType
    /// Allowed values of a `choice` field.
    public var values: [Choice]
    /// The complainant's personal data (like `complainant_name`): masked for viewers without `personal_data`.
    public var personal: Bool
    /// Free text of several lines (an answer, a comment): forms give it a text area, not a line.
    public var multiline: Bool
    public var location: SourceLocation
    public init(
        id: String, name: String, type: FieldType = .text, values: [Choice] = [], personal: Bool = false,
        multiline: Bool = false, location: SourceLocation = .code()
    ) {
        self.id = id; self.name = name; self.type = type; self.values = values; self.personal = personal
        self.multiline = multiline; self.location = location
    }
}

// MARK: Routing

/// One row of the routing table; rows are tried in order and the first match wins.
public struct RouteRule: Sendable {
    public enum Target: Sendable, Equatable {
        case unit(String)
        /// The unit declared on the case's region.
        case regionUnit
    }
    public var id: String
    public var name: String
    /// Field conditions, all of which must hold. Empty: always matches (the fallback).
    public var when: [FieldCondition]
    public var target: Target
    public var location: SourceLocation
    public init(id: String, name: String = "", when: [FieldCondition], target: Target, location: SourceLocation = .code()) {
        self.id = id; self.name = name; self.when = when; self.target = target; self.location = location
    }
    public var isFallback: Bool { when.isEmpty && target != .regionUnit }
}

/// A declarative test on one case field: equals, one of, missing/present.
public struct FieldCondition: Sendable, Equatable {
    public enum Test: Sendable, Equatable {
        case equals(String)
        case oneOf([String])
        case notOneOf([String])
        /// `missing: true` holds when the field has no value; `missing: false` when it has one.
        case missing(Bool)
    }
    public var field: String
    public var test: Test
    public var location: SourceLocation
    public init(field: String, test: Test, location: SourceLocation = .code()) {
        self.field = field; self.test = test; self.location = location
    }
}

// MARK: Procedure

public struct ProcedureDef: Sendable {
    public var initialState: String
    public var states: [StateDef]
    public var intake: IntakeDef
    public var transitions: [TransitionDef]
    public var location: SourceLocation
    public init(initialState: String, states: [StateDef], intake: IntakeDef, transitions: [TransitionDef], location: SourceLocation = .code()) {
        self.initialState = initialState; self.states = states; self.intake = intake; self.transitions = transitions; self.location = location
    }
}

public struct StateDef: Sendable {
    public var id: String
    public var name: String
    /// A final state closes the case and stops every clock.
    public var isFinal: Bool
    /// The work list a case in this state waits on (the console's 审批 and 回访 queues), if any.
    public var worklist: Worklist?
    public var location: SourceLocation
    public init(id: String, name: String, isFinal: Bool = false, worklist: Worklist? = nil, location: SourceLocation = .code()) {
        self.id = id; self.name = name; self.isFinal = isFinal; self.worklist = worklist; self.location = location
    }
}

/// The work lists a state may belong to: cases waiting for a sign-off, and answered cases waiting
/// for the call back to the complainant.
public enum Worklist: String, Sendable, CaseIterable, Codable {
    case approval
    case callback
}

/// How a case is registered: who may do it, which fields it needs, whether it is routed at once.
public struct IntakeDef: Sendable {
    public var roles: [String]
    public var requires: [String]
    public var accepts: [String]
    /// Run the routing table at intake, so the handling unit is known from the start.
    public var route: Bool
    public var location: SourceLocation
    public init(roles: [String], requires: [String], accepts: [String] = [], route: Bool = false, location: SourceLocation = .code()) {
        self.roles = roles; self.requires = requires; self.accepts = accepts; self.route = route; self.location = location
    }
    /// The pseudo-transition id clocks use to start at intake.
    public static let transitionID = "intake"
}

public struct TransitionDef: Sendable {
    public var id: String
    public var name: String
    public var from: [String]
    /// Targets tried in order; the first whose conditions hold (on the case after this transition's fields) wins.
    public var to: [GuardedTarget]
    public var roles: [String]
    /// Only offered when these conditions hold on the case (e.g. `kind: inquiry`).
    public var when: [FieldCondition]
    public var requires: [String]
    public var accepts: [String]
    /// Run the routing table and set the handling unit (dispatch).
    public var route: Bool
    /// Make the acting person the case's assignee.
    public var assignActor: Bool
    /// A case under older rules that takes this transition moves onto the pack in force
    /// (cases otherwise keep the rules they started under).
    public var adoptCurrentRules: Bool
    public var location: SourceLocation
    public init(
        id: String, name: String, from: [String], to: [GuardedTarget], roles: [String], when: [FieldCondition] = [],
        requires: [String] = [], accepts: [String] = [], route: Bool = false, assignActor: Bool = false,
        adoptCurrentRules: Bool = false, location: SourceLocation = .code()
    ) {
        self.id = id; self.name = name; self.from = from; self.to = to; self.roles = roles; self.when = when
        self.requires = requires; self.accepts = accepts; self.route = route; self.assignActor = assignActor
        self.adoptCurrentRules = adoptCurrentRules; self.location = location
    }
}

public struct GuardedTarget: Sendable {
    public var when: [FieldCondition]
    public var state: String
    /// Outcomes recorded when this target is taken (e.g. `unsatisfied_callback`), scored by the pack.
    public var outcomes: [String]
    public var location: SourceLocation
    public init(when: [FieldCondition] = [], state: String, outcomes: [String] = [], location: SourceLocation = .code()) {
        self.when = when; self.state = state; self.outcomes = outcomes; self.location = location
    }
}

// MARK: Clocks and escalation

public enum ClockLength: Sendable, Equatable, Codable {
    public enum DayEnd: String, Sendable, Codable { case endOfDay = "end_of_day", sameTime = "same_time" }
    case workingDays(Int, DayEnd)
    /// Business seconds would be finer, but packs speak in hours (and minutes for tests).
    case workingMinutes(Int)
}

/// Who answers for a clock: the unit and the person deductions go to.
public enum ClockOwner: String, Sendable { case handlingUnit = "handling_unit", center }

/// Whom a violation or reminder is about.
public enum Responsible: String, Sendable, CaseIterable {
    /// The case's assignee, or the handling unit's liaison when nobody is assigned.
    case assignee
    /// The person who registered the case.
    case intakeActor = "intake_actor"
    case liaison
    case head
}

public struct ClockDef: Sendable {
    public var id: String
    public var name: String
    public var length: ClockLength
    public var start: [String]
    public var stop: [String]
    public var pause: [String]
    public var resume: [String]
    /// Start only when these conditions hold on the case.
    public var when: [FieldCondition]
    public var owner: ClockOwner
    public var responsible: Responsible
    /// Recorded once per run when the clock passes its due time.
    public var violation: String?
    public var ladder: String?
    public var extensionRule: ExtensionRule?
    public var location: SourceLocation
    public init(
        id: String, name: String, length: ClockLength, start: [String], stop: [String], pause: [String] = [],
        resume: [String] = [], when: [FieldCondition] = [], owner: ClockOwner = .handlingUnit,
        responsible: Responsible = .assignee, violation: String? = nil, ladder: String? = nil,
        extensionRule: ExtensionRule? = nil, location: SourceLocation = .code()
    ) {
        self.id = id; self.name = name; self.length = length; self.start = start; self.stop = stop
        self.pause = pause; self.resume = resume; self.when = when; self.owner = owner
        self.responsible = responsible; self.violation = violation; self.ladder = ladder
        self.extensionRule = extensionRule; self.location = location
    }
}

public struct ExtensionRule: Sendable {
    /// Roles that may approve an extension (the approver is recorded).
    public var approvers: [String]
    /// At most this many extensions per clock run.
    public var maxCount: Int
    /// At most this much per extension.
    public var maxLength: ClockLength
    /// Whether an extension may still be granted once the run is due (`allow_late: true`); the
    /// run stays late (its violation is recorded) and is never also counted on time.
    public var allowLate: Bool
    public var location: SourceLocation
    public init(
        approvers: [String], maxCount: Int = 1, maxLength: ClockLength, allowLate: Bool = false, location: SourceLocation = .code()
    ) {
        self.approvers = approvers; self.maxCount = maxCount; self.maxLength = maxLength; self.allowLate = allowLate
        self.location = location
    }
}

public struct LadderDef: Sendable {
    public var id: String
    public var steps: [LadderStep]
    public var location: SourceLocation
    public init(id: String, steps: [LadderStep], location: SourceLocation = .code()) {
        self.id = id; self.steps = steps; self.location = location
    }
}

public struct LadderStep: Sendable {
    public enum At: Sendable, Equatable {
        /// A share of the clock's business-time length: 0.5 is half-way, 1.0 the due time.
        case share(Double)
        /// Working minutes after the due time.
        case afterDue(minutes: Int)
    }
    public var at: At
    /// Roles (resolved against the case's units) to remind.
    public var remind: [String]
    /// Roles the case is escalated to.
    public var escalateTo: [String]
    public var violation: String?
    public var location: SourceLocation
    /// Where the step's `violation:` key is (the step's location when built in code).
    public var violationLocation: SourceLocation
    public init(
        at: At, remind: [String] = [], escalateTo: [String] = [], violation: String? = nil, location: SourceLocation = .code(),
        violationLocation: SourceLocation? = nil
    ) {
        self.at = at; self.remind = remind; self.escalateTo = escalateTo; self.violation = violation; self.location = location
        self.violationLocation = violationLocation ?? location
    }
}

// MARK: Scoring

public struct ScoringDef: Sendable {
    /// Points every unit and person starts a period with.
    public var baseline: Double
    public var violations: [Choice]
    public var outcomes: [Choice]
    public var rules: [ScoringRule]
    /// The penalty ladder, mildest first.
    public var penalties: [Choice]
    public var thresholds: [PenaltyThreshold]
    /// Who decides a recommended penalty and whether it may be appealed; nil: nobody may decide.
    public var penaltyProcedure: PenaltyProcedure?
    public var location: SourceLocation
    public init(
        baseline: Double = 100, violations: [Choice] = [], outcomes: [Choice] = [], rules: [ScoringRule] = [],
        penalties: [Choice] = [], thresholds: [PenaltyThreshold] = [], penaltyProcedure: PenaltyProcedure? = nil,
        location: SourceLocation = .code()
    ) {
        self.baseline = baseline; self.violations = violations; self.outcomes = outcomes; self.rules = rules
        self.penalties = penalties; self.thresholds = thresholds; self.penaltyProcedure = penaltyProcedure
        self.location = location
    }
}

public struct ScoringRule: Sendable {
    public enum Trigger: Sendable, Equatable {
        case violation(String)
        case outcome(String)
    }
    public enum PersonSource: Sendable, Equatable {
        /// Whoever the violation or outcome is about (the clock's responsible person).
        case responsible
        /// A person id held in a case field (e.g. `respondent_person`).
        case field(String)
    }
    public var id: String
    public var on: Trigger
    /// Further conditions on the case (level, fault, …).
    public var when: [FieldCondition]
    public var unitPoints: Double
    public var personPoints: Double
    public var person: PersonSource
    public var location: SourceLocation
    /// Where the rule's `person_from:` key is (the rule's location when built in code).
    public var personLocation: SourceLocation
    public init(
        id: String, on: Trigger, when: [FieldCondition] = [], unitPoints: Double = 0, personPoints: Double = 0,
        person: PersonSource = .responsible, location: SourceLocation = .code(), personLocation: SourceLocation? = nil
    ) {
        self.id = id; self.on = on; self.when = when; self.unitPoints = unitPoints; self.personPoints = personPoints
        self.person = person; self.location = location; self.personLocation = personLocation ?? location
    }
}

public struct PenaltyThreshold: Sendable {
    public enum Subject: String, Sendable { case person, unit }
    public enum Period: String, Sendable, Codable { case month, quarter, year }
    public var id: String
    public var subject: Subject
    public var period: Period
    /// Deductions in one period at or above this recommend `penalty`.
    public var points: Double
    public var penalty: String
    public var location: SourceLocation
    public init(id: String, subject: Subject = .person, period: Period = .quarter, points: Double, penalty: String, location: SourceLocation = .code()) {
        self.id = id; self.subject = subject; self.period = period; self.points = points; self.penalty = penalty; self.location = location
    }
}
