import Foundation

/// What appraisal people read beside the points, for one unit or person in a period. Every
/// figure counts events that occurred in the period, so a period's figures never change once
/// it is over (a later event belongs to a later period).
public struct Measures: Sendable, Codable, Equatable {
    /// Cases routed to the unit (for a person: assigned to them) in the period, each case once.
    public var received = 0
    /// Complaints that became substantiated in the period (`reporting.substantiated`).
    public var substantiated = 0
    /// Runs of the on-time clock (`reporting.on_time_clock`) stopped in the period, and those stopped in time.
    public var answered = 0
    public var answeredOnTime = 0
    /// Runs of the on-time clock that passed their due time in the period.
    public var overdue = 0
    /// Callbacks in the period, and those with the unsatisfied outcome.
    public var callbacks = 0
    public var unsatisfied = 0
    /// Cases sent back to be handled again in the period (`reporting.redispatch`, else unsatisfied callbacks).
    public var redispatched = 0
    /// Deadline extensions granted in the period.
    public var extensions = 0

    public init() {}

    public var satisfied: Int { callbacks - unsatisfied }
    public var onTimeRate: Double? { answered == 0 ? nil : Double(answeredOnTime) / Double(answered) }
    public var satisfactionRate: Double? { callbacks == 0 ? nil : Double(satisfied) / Double(callbacks) }
    public var redispatchRate: Double? { callbacks == 0 ? nil : Double(redispatched) / Double(callbacks) }

    public static func + (a: Measures, b: Measures) -> Measures {
        var m = a
        m.received += b.received; m.substantiated += b.substantiated; m.answered += b.answered
        m.answeredOnTime += b.answeredOnTime; m.overdue += b.overdue; m.callbacks += b.callbacks
        m.unsatisfied += b.unsatisfied; m.redispatched += b.redispatched; m.extensions += b.extensions
        return m
    }
}

/// Measures for every unit or person with activity in a period, from the cases' events.
public struct MeasuresReport: Sendable, Equatable {
    public var period: Period
    public var by: ScoreSubject.Kind
    public var rows: [ScoreSubject: Measures]
    /// The whole organisation (each case once for `received`).
    public var total: Measures

    public subscript(_ id: String) -> Measures { rows[ScoreSubject(by, id)] ?? Measures() }
}

extension Engine {
    /// Counts, for each unit (or person), what happened in the period: a unit answers for what
    /// happens while it handles the case, a person for what happens while the case is assigned
    /// to them (violations and outcomes name their own unit and person).
    public func measures(period: Period, by kind: ScoreSubject.Kind) async throws -> MeasuresReport {
        let types: Set<String> = ["routed", "assigned", "transition", "outcome", "clock_stopped", "violation", "clock_extended"]
        let touched = Set(try await store.events(types: types, occurredFrom: period.start, to: period.end).map(\.caseID))
        var rows: [ScoreSubject: Measures] = [:]
        var total = Measures()
        var received: [ScoreSubject: Set<Int64>] = [:]
        var receivedTotal = Set<Int64>()
        let r = pack.reporting
        let onTimeViolation = r.onTimeClock.flatMap { pack.clock($0)?.violation }
        for id in touched.sorted() {
            let events = try await store.events(caseID: id)
            var state = CaseState()
            var wasSubstantiated = false
            for e in events {
                let before = state
                state.apply(e)
                let isSubstantiated = Self.substantiated(state, rules: r)
                defer { wasSubstantiated = isSubstantiated }
                guard e.occurredAt >= period.start, e.occurredAt < period.end else { continue }
                func subject(unit: String?, person: String?) -> ScoreSubject? {
                    switch kind {
                    case .unit: unit.map { ScoreSubject(.unit, $0) }
                    case .person: person.map { ScoreSubject(.person, $0) }
                    }
                }
                func count(_ s: ScoreSubject?, _ change: (inout Measures) -> Void) {
                    change(&total)
                    if let s { change(&rows[s, default: Measures()]) }
                }
                if isSubstantiated && !wasSubstantiated {
                    count(subject(unit: state.handlingUnit, person: state.assignee)) { $0.substantiated += 1 }
                }
                switch e.body {
                case let .routed(unit, _) where kind == .unit:
                    received[ScoreSubject(.unit, unit), default: []].insert(id)
                    receivedTotal.insert(id)
                case let .assigned(person) where kind == .person && !person.isEmpty:
                    received[ScoreSubject(.person, person), default: []].insert(id)
                    receivedTotal.insert(id)
                case let .clockStopped(run, late) where run.clock == r.onTimeClock:
                    count(subject(unit: before.handlingUnit, person: before.assignee)) {
                        $0.answered += 1
                        if !late { $0.answeredOnTime += 1 }
                    }
                case let .violation(v, run, unit, person, _) where run?.clock == r.onTimeClock && v == onTimeViolation:
                    count(subject(unit: unit, person: person)) { $0.overdue += 1 }
                case let .transition(t, _, _, _):
                    let who = subject(unit: before.handlingUnit, person: before.assignee)
                    if r.callbackTransitions.contains(t) { count(who) { $0.callbacks += 1 } }
                    if r.redispatchTransitions.contains(t) { count(who) { $0.redispatched += 1 } }
                case let .outcome(o, unit, person) where o == r.unsatisfiedOutcome:
                    count(subject(unit: unit, person: person)) {
                        $0.unsatisfied += 1
                        if r.redispatchTransitions.isEmpty { $0.redispatched += 1 }
                    }
                case .clockExtended:
                    count(subject(unit: state.handlingUnit, person: state.assignee)) { $0.extensions += 1 }
                default:
                    break
                }
            }
        }
        for (s, cases) in received { rows[s, default: Measures()].received = cases.count }
        total.received = receivedTotal.count
        return MeasuresReport(period: period, by: kind, rows: rows, total: total)
    }

    static func substantiated(_ s: CaseState, rules r: ReportingDef) -> Bool {
        if let o = r.substantiatedOutcome, s.outcomes.contains(o) { return true }
        return !r.substantiatedWhen.isEmpty && r.substantiatedWhen.allHold(on: s.fields)
    }
}
