import Foundation

/// One thing a report counts, judged when the event that causes it is written and stored in the
/// same transaction (the read model): reports group these rows instead of folding histories.
///
/// Each fact belongs to one event (`caseID`, `seq`) and is judged under the rules the case ran
/// under then — which clock is "on time", what a callback is — as deductions already are; a later
/// pack does not re-judge the past.
public struct ReportFact: Sendable, Equatable, Hashable {
    public enum Kind: String, Sendable, CaseIterable, Codable {
        /// The case counted by its fields: +1 at intake with its fields then; when a field the
        /// reports break down by changes, -1 with the old values and +1 with the new. Summed up to
        /// an instant, these give every case's fields as they stood then.
        case opened
        /// Routed to `unit` (a unit's cases received; count distinct cases).
        case routed
        /// Assigned to `person` (a person's cases received; count distinct cases).
        case assigned
        /// The complaint became substantiated (`reporting.substantiated`).
        case substantiated
        /// A run of the on-time clock stopped, by the unit and person that held the case; and those in time.
        case answered
        case answeredOnTime = "answered_on_time"
        /// The on-time clock's violation.
        case overdue
        /// A callback transition; an unsatisfied callback outcome; a re-dispatch.
        case callback
        case unsatisfied
        case redispatched
        /// A deadline extension granted.
        case extended
        /// Any outcome recorded; `value` is its id (typical cases look for some).
        case outcome
        /// A deduction: `value` its cause, `points`, `ruleID`; `unit` or `person` its subject.
        case deduction
    }

    public var caseID: Int64
    /// The event that caused the fact.
    public var seq: Int
    public var kind: Kind
    /// When it happened (the event's `occurredAt`): periods are decided by this.
    public var occurredAt: Date
    /// When the case was opened: reports of "cases opened in the quarter" select by this.
    public var openedAt: Date
    /// Whom the fact counts for; for `opened`, the handling unit.
    public var unit: String?
    public var person: String?
    /// An outcome's id, a deduction's cause.
    public var value: String?
    /// +1, or -1 for an `opened` row taken back when the case's fields changed.
    public var weight: Int
    /// For `opened`: the fields reports break down by (besides the handling unit, in `unit`).
    public var kindField: String?
    public var category: String?
    public var channel: String?
    public var complainantType: String?
    /// For `deduction`.
    public var points: Double?
    public var ruleID: String?
    public var packVersion: String?

    public init(caseID: Int64, seq: Int, kind: Kind, occurredAt: Date, openedAt: Date, unit: String? = nil,
                person: String? = nil, value: String? = nil, weight: Int = 1, kindField: String? = nil,
                category: String? = nil, channel: String? = nil, complainantType: String? = nil,
                points: Double? = nil, ruleID: String? = nil, packVersion: String? = nil) {
        self.caseID = caseID; self.seq = seq; self.kind = kind; self.occurredAt = occurredAt; self.openedAt = openedAt
        self.unit = unit; self.person = person; self.value = value; self.weight = weight; self.kindField = kindField
        self.category = category; self.channel = channel; self.complainantType = complainantType
        self.points = points; self.ruleID = ruleID; self.packVersion = packVersion
    }
}

/// The fields a case is counted by in the quarterly breakdowns, as one value.
public struct CaseDimensions: Sendable, Hashable {
    public var kind: String?
    public var category: String?
    public var unit: String?
    public var channel: String?
    public var complainantType: String?

    public init(kind: String? = nil, category: String? = nil, unit: String? = nil, channel: String? = nil, complainantType: String? = nil) {
        self.kind = kind; self.category = category; self.unit = unit; self.channel = channel; self.complainantType = complainantType
    }

    public init(_ s: CaseState) {
        self.init(kind: s.fields["kind"], category: s.fields["category"], unit: s.handlingUnit,
                  channel: s.fields["channel"], complainantType: s.fields["complainant_type"])
    }

    /// The value of a breakdown field (`kind`, `category`, `handling_unit`, `channel`, `complainant_type`).
    public func value(_ field: String) -> String? {
        switch field {
        case "kind": kind
        case "category": category
        case "handling_unit": unit
        case "channel": channel
        case "complainant_type": complainantType
        default: nil
        }
    }
}

/// How many facts of a kind a group holds: rows, or distinct cases.
public struct ReportFactCount: Sendable, Hashable {
    public var kind: ReportFact.Kind
    /// The unit or person grouped by; nil in totals.
    public var subject: String?
    public var count: Int
    public init(kind: ReportFact.Kind, subject: String?, count: Int) { self.kind = kind; self.subject = subject; self.count = count }
}

/// Cases opened in a range counted by their fields as they stood at an instant.
public struct CaseDimensionCount: Sendable, Hashable {
    public var dimensions: CaseDimensions
    public var count: Int
    public init(dimensions: CaseDimensions, count: Int) { self.dimensions = dimensions; self.count = count }
}

/// One case's facts of one kind and value, counted (typical cases: outcomes and re-dispatches).
public struct CaseFactCount: Sendable, Hashable {
    public var caseID: Int64
    public var openedAt: Date
    public var kind: ReportFact.Kind
    public var value: String?
    public var count: Int
    public init(caseID: Int64, openedAt: Date, kind: ReportFact.Kind, value: String?, count: Int) {
        self.caseID = caseID; self.openedAt = openedAt; self.kind = kind; self.value = value; self.count = count
    }
}

extension ReportFact {
    /// The facts `events` cause, appended to a case that stood at `before` (an empty state for a
    /// new case), judged under `pack`'s reporting rules. The events carry their case id and seq.
    public static func derive(_ events: [Event], after before: CaseState, pack: RulePack) -> [ReportFact] {
        let r = pack.reporting
        let onTimeViolation = r.onTimeClock.flatMap { pack.clock($0)?.violation }
        var state = before
        var wasSubstantiated = Engine.substantiated(before, rules: r)
        var started = before.version > 0
        var facts: [ReportFact] = []
        for e in events {
            let unitBefore = state.handlingUnit, assigneeBefore = state.assignee
            let dimensionsBefore = started ? CaseDimensions(state) : nil
            state.apply(e)
            started = true
            let opened = state.openedAt
            func fact(_ kind: Kind, unit: String?, person: String?, value: String? = nil) -> ReportFact {
                ReportFact(caseID: e.caseID, seq: e.seq, kind: kind, occurredAt: e.occurredAt, openedAt: opened,
                           unit: unit, person: person, value: value)
            }
            // The case's breakdown fields, counted as they change.
            let dimensions = CaseDimensions(state)
            if case .intake = e.body {
                facts.append(opening(dimensions, e, opened, weight: 1))
            } else if let old = dimensionsBefore, old != dimensions {
                facts.append(opening(old, e, opened, weight: -1))
                facts.append(opening(dimensions, e, opened, weight: 1))
            }
            let isSubstantiated = Engine.substantiated(state, rules: r)
            if isSubstantiated && !wasSubstantiated {
                facts.append(fact(.substantiated, unit: state.handlingUnit, person: state.assignee))
            }
            wasSubstantiated = isSubstantiated
            switch e.body {
            case let .routed(unit, _):
                facts.append(fact(.routed, unit: unit, person: nil))
            case let .assigned(person) where !person.isEmpty:
                facts.append(fact(.assigned, unit: nil, person: person))
            case let .clockStopped(run, late) where run.clock == r.onTimeClock:
                // Late if it stopped late, or if its overdue violation was recorded (a later
                // extension moved its due time): on time or late, never both.
                let clock = state.clocks[run.clock]
                let recordedLate = onTimeViolation.map { clock?.run == run && clock?.violations.contains($0) == true } ?? false
                facts.append(fact(.answered, unit: unitBefore, person: assigneeBefore))
                if !late && !recordedLate { facts.append(fact(.answeredOnTime, unit: unitBefore, person: assigneeBefore)) }
            case let .violation(v, run, unit, person, _) where run?.clock == r.onTimeClock && v == onTimeViolation:
                facts.append(fact(.overdue, unit: unit, person: person))
            case let .transition(t, _, _, _):
                if r.callbackTransitions.contains(t) { facts.append(fact(.callback, unit: unitBefore, person: assigneeBefore)) }
                if r.isRedispatch(e.body) { facts.append(fact(.redispatched, unit: unitBefore, person: assigneeBefore)) }
            case let .outcome(o, unit, person):
                facts.append(fact(.outcome, unit: unit, person: person, value: o))
                if o == r.unsatisfiedOutcome {
                    facts.append(fact(.unsatisfied, unit: unit, person: person))
                    if r.isRedispatch(e.body) { facts.append(fact(.redispatched, unit: unit, person: person)) }
                }
            case .clockExtended:
                facts.append(fact(.extended, unit: state.handlingUnit, person: state.assignee))
            case let .deduction(cause, subject, points, _):
                var d = fact(.deduction, unit: subject.kind == .unit ? subject.id : nil,
                             person: subject.kind == .person ? subject.id : nil, value: cause)
                d.points = points
                d.ruleID = e.ruleID
                d.packVersion = e.packVersion
                facts.append(d)
            default:
                break
            }
        }
        return facts
    }

    private static func opening(_ d: CaseDimensions, _ e: Event, _ opened: Date, weight: Int) -> ReportFact {
        ReportFact(caseID: e.caseID, seq: e.seq, kind: .opened, occurredAt: e.occurredAt, openedAt: opened, unit: d.unit,
                   weight: weight, kindField: d.kind, category: d.category, channel: d.channel, complainantType: d.complainantType)
    }
}

/// The read model's questions answered over rows in memory: the memory store's answers, and the
/// meaning every store's SQL must match (the conformance kit compares them).
public enum ReportFactQuestions {
    public static func counts(_ facts: [ReportFact], kinds: [ReportFact.Kind], from: Date, to: Date,
                              by: ScoreSubject.Kind?, distinctCases: Bool) -> [ReportFactCount] {
        let wanted = Set(kinds)
        var rows: [ReportFactCount: Int] = [:]
        var cases: [ReportFactCount: Set<Int64>] = [:]
        for f in facts where wanted.contains(f.kind) && f.occurredAt >= from && f.occurredAt < to {
            let subject: String?
            switch by {
            case nil: subject = nil
            case .unit?: subject = f.unit
            case .person?: subject = f.person
            }
            let key = ReportFactCount(kind: f.kind, subject: subject, count: 0)
            if distinctCases { cases[key, default: []].insert(f.caseID) } else { rows[key, default: 0] += f.weight }
        }
        let counted = distinctCases ? cases.mapValues(\.count) : rows
        return counted.map { ReportFactCount(kind: $0.key.kind, subject: $0.key.subject, count: $0.value) }.sorted(by: precedes)
    }

    public static func dimensions(_ facts: [ReportFact], openedFrom: Date, openedBefore: Date, asOf: Date) -> [CaseDimensionCount] {
        var sums: [CaseDimensions: Int] = [:]
        for f in facts where f.kind == .opened && f.openedAt >= openedFrom && f.openedAt < openedBefore && f.occurredAt < asOf {
            let d = CaseDimensions(kind: f.kindField, category: f.category, unit: f.unit, channel: f.channel, complainantType: f.complainantType)
            sums[d, default: 0] += f.weight
        }
        return sums.filter { $0.value != 0 }.map { CaseDimensionCount(dimensions: $0.key, count: $0.value) }
    }

    public static func caseCounts(_ facts: [ReportFact], kinds: [ReportFact.Kind], openedFrom: Date, openedBefore: Date,
                                  occurredBefore: Date) -> [CaseFactCount] {
        let wanted = Set(kinds)
        var counts: [CaseFactCount: Int] = [:]
        for f in facts where wanted.contains(f.kind) && f.openedAt >= openedFrom && f.openedAt < openedBefore && f.occurredAt < occurredBefore {
            counts[CaseFactCount(caseID: f.caseID, openedAt: f.openedAt, kind: f.kind, value: f.value, count: 0), default: 0] += 1
        }
        return counts.map { c in var c2 = c.key; c2.count = c.value; return c2 }
            .sorted { ($0.caseID, $0.kind.rawValue, $0.value ?? "") < ($1.caseID, $1.kind.rawValue, $1.value ?? "") }
    }

    public static func deductions(_ facts: [ReportFact], from: Date, to: Date, by: ScoreSubject.Kind) -> [ReportFact] {
        facts.filter { f in
            f.kind == .deduction && f.occurredAt >= from && f.occurredAt < to && (by == .unit ? f.unit != nil : f.person != nil)
        }.sorted { ($0.caseID, $0.seq) < ($1.caseID, $1.seq) }
    }

    static func precedes(_ a: ReportFactCount, _ b: ReportFactCount) -> Bool {
        (a.kind.rawValue, a.subject ?? "") < (b.kind.rawValue, b.subject ?? "")
    }
}
