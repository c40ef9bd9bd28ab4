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

/// One period's measures, counted while case histories are folded event by event, so one pass
/// over the histories can feed several periods (the quarterly report reads two quarters).
struct MeasuresTally {
    let period: Period
    let kind: ScoreSubject.Kind
    let rules: ReportingDef
    let onTimeViolation: String?
    var rows: [ScoreSubject: Measures] = [:]
    var total = Measures()
    var received: [ScoreSubject: Set<Int64>] = [:]
    var receivedTotal = Set<Int64>()

    init(period: Period, kind: ScoreSubject.Kind, pack: RulePack) {
        self.period = period
        self.kind = kind
        rules = pack.reporting
        onTimeViolation = pack.reporting.onTimeClock.flatMap { pack.clock($0)?.violation }
    }

    func subject(unit: String?, person: String?) -> ScoreSubject? {
        switch kind {
        case .unit: unit.map { ScoreSubject(.unit, $0) }
        case .person: person.map { ScoreSubject(.person, $0) }
        }
    }

    mutating func add(_ s: ScoreSubject?, _ change: (inout Measures) -> Void) {
        change(&total)
        if let s { change(&rows[s, default: Measures()]) }
    }

    /// Event `e` of case `id`: `unitBefore` and `assigneeBefore` are the case's before it, `after`
    /// its state after it; `becameSubstantiated` says whether `e` made the complaint substantiated.
    mutating func count(_ e: Event, caseID id: Int64, unitBefore: String?, assigneeBefore: String?,
                        after state: CaseState, becameSubstantiated: Bool) {
        guard e.occurredAt >= period.start, e.occurredAt < period.end else { return }
        let r = rules
        if becameSubstantiated {
            add(subject(unit: state.handlingUnit, person: state.assignee)) { $0.substantiated += 1 }
        }
        switch e.body {
        case let .routed(unit, _) where kind == .unit:
            received[ScoreSubject(.unit, unit), default: []].insert(id)
            receivedTotal.insert(id)
        case let .assigned(person) where kind == .person && !person.isEmpty:
            received[ScoreSubject(.person, person), default: []].insert(id)
            receivedTotal.insert(id)
        case let .clockStopped(run, late) where run.clock == r.onTimeClock:
            // The run is the unit's that held the case when it stopped (a transition stops its
            // clocks before it re-routes). A run whose overdue violation was recorded is late even
            // if a later extension moved its due time: on time or late, never both.
            let clock = state.clocks[run.clock]
            let recordedLate = onTimeViolation.map { clock?.run == run && clock?.violations.contains($0) == true } ?? false
            add(subject(unit: unitBefore, person: assigneeBefore)) {
                $0.answered += 1
                if !late && !recordedLate { $0.answeredOnTime += 1 }
            }
        case let .violation(v, run, unit, person, _) where run?.clock == r.onTimeClock && v == onTimeViolation:
            add(subject(unit: unit, person: person)) { $0.overdue += 1 }
        case let .transition(t, _, _, _):
            let who = subject(unit: unitBefore, person: assigneeBefore)
            if r.callbackTransitions.contains(t) { add(who) { $0.callbacks += 1 } }
            if r.isRedispatch(e.body) { add(who) { $0.redispatched += 1 } }
        case let .outcome(o, unit, person) where o == r.unsatisfiedOutcome:
            add(subject(unit: unit, person: person)) {
                $0.unsatisfied += 1
                if r.isRedispatch(e.body) { $0.redispatched += 1 }
            }
        case .clockExtended:
            add(subject(unit: state.handlingUnit, person: state.assignee)) { $0.extensions += 1 }
        default:
            break
        }
    }

    var report: MeasuresReport {
        var rows = rows
        for (s, cases) in received { rows[s, default: Measures()].received = cases.count }
        var total = total
        total.received = receivedTotal.count
        return MeasuresReport(period: period, by: kind, rows: rows, total: total)
    }
}

extension Engine {
    /// The event types a measure counts: a case without one of them in a period adds nothing to it.
    public static let countedEventTypes: Set<String> = ["routed", "assigned", "transition", "outcome", "clock_stopped", "violation", "clock_extended"]

    /// Counts, for each unit (or person), what happened in the period: a unit answers for what
    /// happens while it handles the case, a person for what happens while the case is assigned
    /// to them (violations and outcomes name their own unit and person).
    public func measures(period: Period, by kind: ScoreSubject.Kind, source: ReportSource = .automatic) async throws -> MeasuresReport {
        try await readsFacts(source) ? try await measuresFromFacts(period: period, by: kind) : try await foldedMeasures(period: period, by: kind)
    }

    /// `measures` from folded histories: what the read model's answers must equal.
    func foldedMeasures(period: Period, by kind: ScoreSubject.Kind) async throws -> MeasuresReport {
        var tally = MeasuresTally(period: period, kind: kind, pack: pack)
        let touched = try await store.caseIDs(eventTypes: Self.countedEventTypes, occurredFrom: period.start, to: period.end)
        try await foldHistories(touched) { id, e, unitBefore, assigneeBefore, state, became in
            tally.count(e, caseID: id, unitBefore: unitBefore, assigneeBefore: assigneeBefore, after: state, becameSubstantiated: became)
        }
        return tally.report
    }

    /// Folds the histories of the cases `ids`, reading `batch` cases at a time, and calls `visit`
    /// with every event, the case's handling unit and assignee before it, its state after it, and
    /// whether the event made the complaint substantiated (`reporting.substantiated`); then `done`
    /// with the case's events and final state.
    func foldHistories(
        _ ids: [Int64], batch: Int = 500,
        visit: (Int64, Event, String?, String?, CaseState, Bool) throws -> Void,
        done: (Int64, ArraySlice<Event>, CaseState) throws -> Void = { _, _, _ in }
    ) async throws {
        let r = pack.reporting
        let store = store
        let chunks = stride(from: 0, to: ids.count, by: batch).map { Array(ids[$0..<min(ids.count, $0 + batch)]) }
        guard !chunks.isEmpty else { return }
        var pending = Task { try await store.events(caseIDs: chunks[0]) }
        for k in chunks.indices {
            let events = try await pending.value
            // The next batch is read (and decoded) while this one is folded: the two halves of
            // the work run on two cores.
            if k + 1 < chunks.count {
                let next = chunks[k + 1]
                pending = Task { try await store.events(caseIDs: next) }
            }
            var i = 0
            while i < events.count {
                let id = events[i].caseID
                let first = i
                var state = CaseState()
                var wasSubstantiated = false
                while i < events.count, events[i].caseID == id {
                    let e = events[i]
                    let unitBefore = state.handlingUnit, assigneeBefore = state.assignee
                    state.apply(e)
                    let isSubstantiated = Self.substantiated(state, rules: r)
                    try visit(id, e, unitBefore, assigneeBefore, state, isSubstantiated && !wasSubstantiated)
                    wasSubstantiated = isSubstantiated
                    i += 1
                }
                try done(id, events[first..<i], state)
            }
        }
    }

    static func substantiated(_ s: CaseState, rules r: ReportingDef) -> Bool {
        if let o = r.substantiatedOutcome, s.outcomes.contains(o) { return true }
        return !r.substantiatedWhen.isEmpty && r.substantiatedWhen.allHold(on: s.fields)
    }
}

extension ReportingDef {
    /// Whether the event sent the case back to be handled again: one of `redispatch`'s
    /// transitions, or, when the pack names none, an unsatisfied callback outcome.
    func isRedispatch(_ body: EventBody) -> Bool {
        switch body {
        case let .transition(t, _, _, _): redispatchTransitions.contains(t)
        case let .outcome(o, _, _): redispatchTransitions.isEmpty && o == unsatisfiedOutcome
        default: false
        }
    }
}
