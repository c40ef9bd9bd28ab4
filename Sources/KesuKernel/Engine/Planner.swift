import Foundation

/// Events being planned for one command, and the case as they leave it.
final class Draft {
    var state: CaseState
    var events: [Event] = []
    let actor: String
    let now: Date
    let packVersion: String

    init(state: CaseState, actor: String, now: Date, packVersion: String) {
        self.state = state; self.actor = actor; self.now = now; self.packVersion = packVersion
    }

    func emit(_ body: EventBody, rule: String? = nil) {
        let e = Event(at: now, actor: actor, ruleID: rule, packVersion: packVersion, body: body)
        state.apply(e)
        events.append(e)
    }
}

/// The procedure's logic with no I/O: given a case's state, a command and the time, the events
/// the command produces — or a `KesuError` and no events at all. The engine stores what it plans.
public struct Planner: Sendable {
    public let pack: RulePack
    public let calendar: BusinessCalendar
    public let router: Router
    public let scorer: any Scorer

    public init(pack: RulePack, scorer: any Scorer = PointsScorer()) throws {
        self.pack = pack
        self.calendar = try BusinessCalendar(pack.calendar)
        self.router = Router(pack: pack)
        self.scorer = scorer
    }

    // MARK: Actors and fields

    /// Business minutes in a working day (the calendar's business hours).
    var workingDayMinutes: Int { pack.calendar.businessHours.reduce(0) { $0 + $1.end - $1.start } }

    public func person(_ id: String) throws -> PersonDef {
        guard let p = pack.person(id) else {
            throw KesuError(.unknownUser, "unknown user '\(id)'\(Suggest.hint(for: id, in: pack.people.map(\.id))); the one acting must be a person of the pack",
                            field: "actor", value: id, candidates: pack.people.map(\.id))
        }
        return p
    }

    /// Checks the given fields against what a step requires and accepts, and each value against
    /// the field's allowed values. Returns the fields with empty values dropped.
    func checkFields(
        _ given: [String: String], requires: [String], accepts: [String], step: String, current: [String: String]
    ) throws -> [String: String] {
        let allowed = requires + accepts
        for key in given.keys.sorted() where !allowed.contains(key) {
            let hint = Suggest.closest(to: key, in: allowed).map { "; did you mean '\($0)'?" } ?? ""
            throw KesuError(.unknownField, "\(step) does not take field '\(key)'\(hint) (it takes: \(allowed.isEmpty ? "no fields" : allowed.joined(separator: ", ")))",
                            field: key, candidates: allowed)
        }
        let missing = requires.filter { (given[$0] ?? "").trimmingCharacters(in: .whitespaces).isEmpty }
        if !missing.isEmpty {
            throw KesuError(.missingField, "\(step) requires \(missing.map { "'\($0)'" }.joined(separator: ", ")) (give a value for each)",
                            field: missing[0])
        }
        var out: [String: String] = [:]
        for (key, raw) in given {
            let value = raw.trimmingCharacters(in: .whitespaces)
            if value.isEmpty { continue }
            try checkValue(value, of: key)
            out[key] = value
        }
        let merged = current.merging(out) { $1 }
        if let category = merged["category"], let kind = merged["kind"],
           let def = pack.categories.first(where: { $0.id == category }), !def.kinds.isEmpty, !def.kinds.contains(kind) {
            throw KesuError(.invalidValue, "category '\(category)' (\(def.name)) does not apply to kind '\(kind)'; it applies to: \(def.kinds.joined(separator: ", "))",
                            field: "category", value: category)
        }
        return out
    }

    func checkValue(_ value: String, of field: String) throws {
        let type = pack.fields.first { $0.id == field }?.type
        if CaseField.kind(of: field) == .person || type == .person, pack.person(value) == nil {
            throw KesuError(.invalidValue, "'\(value)' is not a person of this pack, so it cannot be \(field)"
                + "\(Suggest.hint(for: value, in: pack.people.map(\.id))); give a person id from the pack's people",
                            field: field, value: value, candidates: pack.people.map(\.id))
        }
        if let allowed = pack.allowedValues(of: field), !allowed.contains(value) {
            throw KesuError(.invalidValue, "'\(value)' is not a valid \(field)\(Suggest.hint(for: value, in: allowed))",
                            field: field, value: value, candidates: allowed)
        }
        if CaseField.kind(of: field) == .datetime || type == .datetime, ISO8601.parse(value) == nil {
            throw KesuError(.invalidValue, "'\(value)' is not a valid \(field): expected an ISO-8601 time such as 2026-10-08T15:30:00+08:00",
                            field: field, value: value)
        }
        if type == .number, Double(value) == nil {
            throw KesuError(.invalidValue, "'\(value)' is not a valid \(field): expected a number", field: field, value: value)
        }
    }

    /// The category whose keywords appear most in the text: a proposal, never a decision.
    public func proposeCategory(for text: String, kind: String?) -> String? {
        var best: (String, Int)?
        for c in pack.categories where kind == nil || c.kinds.isEmpty || c.kinds.contains(kind!) {
            let hits = c.keywords.filter { text.contains($0) }.count
            if hits > 0, hits > (best?.1 ?? 0) { best = (c.id, hits) }
        }
        return best?.0
    }

    // MARK: Permission

    /// Whether `person` may act on a case handled by `handlingUnit` with one of `roles`.
    public func mayAct(_ person: PersonDef, roles: [String], handlingUnit: String?) -> Bool {
        person.roles.contains { r in
            guard roles.contains(r), let def = pack.role(r), !def.readOnly else { return false }
            return def.scope == .all || person.unit == handlingUnit
        }
    }

    func refuse(_ person: PersonDef, roles: [String], step: String, handlingUnit: String?) -> KesuError {
        let held = person.roles.filter(roles.contains)
        if held.isEmpty {
            return KesuError(.forbidden, "\(person.id) (\(person.name)) may not \(step): it needs one of the roles \(roles.joined(separator: ", ")); \(person.id) has \(person.roles.joined(separator: ", "))")
        }
        return KesuError(.forbidden, "\(person.id) (\(person.name)) may not \(step) on a case handled by \(handlingUnit ?? "no unit yet"): role \(held.joined(separator: ", ")) acts only for its own unit (\(person.unit))")
    }

    // MARK: Intake

    public struct IntakePlan: Sendable {
        public var events: [Event]
        public var proposedCategory: String?
    }

    public func planIntake(fields given: [String: String], by actorID: String, at now: Date) throws -> IntakePlan {
        let actor = try person(actorID)
        let intake = pack.procedure.intake
        guard mayAct(actor, roles: intake.roles, handlingUnit: nil) else {
            throw refuse(actor, roles: intake.roles, step: "register a case", handlingUnit: nil)
        }
        let fields = try checkFields(given, requires: intake.requires, accepts: intake.accepts, step: "intake", current: [:])
        let d = Draft(state: CaseState(), actor: actorID, now: now, packVersion: pack.version)
        d.emit(.intake(number: "", state: pack.procedure.initialState, fields: fields))
        if intake.route { try routeCase(d) }
        try startClocks(on: IntakeDef.transitionID, d)
        let proposal = fields["category"] == nil ? proposeCategory(for: Self.searchableText(fields), kind: fields["kind"]) : nil
        return IntakePlan(events: d.events, proposedCategory: proposal)
    }

    func routeCase(_ d: Draft) throws {
        guard let decision = router.route(d.state.fields) else {
            throw KesuError(.noRoute, "no routing rule matches this case; the pack's last rule should be a fallback")
        }
        if decision.unit != d.state.handlingUnit || d.state.routingRule != decision.ruleID {
            d.emit(.routed(unit: decision.unit, reason: "rule"), rule: decision.ruleID)
        }
    }

    // MARK: Transitions

    /// Transitions the person could take now, for hints and for `show`.
    public func available(for state: CaseState) -> [TransitionDef] {
        pack.procedure.transitions.filter { $0.from.contains(state.state) && $0.when.allHold(on: state.fields) }
    }

    public func planTransition(
        _ transitionID: String, fields given: [String: String], on current: CaseState, by actorID: String, at now: Date
    ) throws -> [Event] {
        let actor = try person(actorID)
        if current.isClosed {
            throw KesuError(.closed, "case \(current.number) is closed (\(stateName(current.state))); nothing more can be done to it")
        }
        let offered = available(for: current).map(\.id)
        guard let t = pack.transition(transitionID) else {
            throw KesuError(.unknownTransition, "no transition '\(transitionID)' in this pack\(Suggest.hint(for: transitionID, in: pack.procedure.transitions.map(\.id)))\(offeredHint(offered, current))",
                            field: "transition", value: transitionID, candidates: offered)
        }
        guard t.from.contains(current.state) else {
            throw KesuError(.wrongState, "\(t.id) (\(t.name)) cannot be taken in state '\(current.state)' (\(stateName(current.state))); it is taken from \(t.from.joined(separator: ", "))\(offeredHint(offered, current))")
        }
        guard t.when.allHold(on: current.fields) else {
            let why = t.when.filter { !$0.holds(on: current.fields) }.map { $0.whyNot(on: current.fields) }
            throw KesuError(.wrongState, "\(t.id) (\(t.name)) does not apply to this case: \(why.joined(separator: "; "))\(offeredHint(offered, current))")
        }
        guard mayAct(actor, roles: t.roles, handlingUnit: current.handlingUnit) else {
            throw refuse(actor, roles: t.roles, step: "take \(t.id)", handlingUnit: current.handlingUnit)
        }
        let fields = try checkFields(given, requires: t.requires, accepts: t.accepts, step: t.id, current: current.fields)
        let merged = current.fields.merging(fields) { $1 }
        guard let target = t.to.first(where: { $0.when.allHold(on: merged) }) else {
            throw KesuError(.wrongState, "\(t.id) has no target state for these fields")
        }
        let d = Draft(state: current, actor: actorID, now: now, packVersion: pack.version)
        d.emit(.transition(id: t.id, from: current.state, to: target.state, fields: fields), rule: t.id)
        // The clocks this transition stops are stopped before it re-routes the case: the run was
        // the old unit's, and so are its on-time credit and, when late, its violation.
        try stopClocks(t.id, d)
        if let unit = fields["handling_unit"] {
            d.emit(.routed(unit: unit, reason: "manual"), rule: "manual")
        } else if t.route {
            try routeCase(d)
        }
        if let person = fields["assignee"] {
            d.emit(.assigned(person: person))
        } else if t.assignActor, d.state.assignee != actorID {
            d.emit(.assigned(person: actorID))
        }
        try applyClocks(t.id, d)
        for outcome in target.outcomes {
            let unit = d.state.handlingUnit
            let person = responsiblePerson(.assignee, state: d.state, unit: unit)
            d.emit(.outcome(id: outcome, unit: unit, person: person), rule: outcome)
            try score(.outcome(outcome), unit: unit, person: person, occurredAt: now, d)
        }
        if pack.state(target.state)?.isFinal == true {
            for clock in d.state.clocks.values.sorted(by: { $0.run.clock < $1.run.clock }) where clock.status != .stopped {
                try stopClock(clock, d)
            }
            d.emit(.closed(state: target.state))
        }
        return d.events
    }

    private func offeredHint(_ offered: [String], _ state: CaseState) -> String {
        offered.isEmpty ? "" : "; from '\(state.state)' you can take: \(offered.joined(separator: ", "))"
    }

    func stateName(_ id: String) -> String { pack.state(id)?.name ?? id }

    // MARK: Clocks

    func startClocks(on transitionID: String, _ d: Draft) throws {
        for clock in pack.clocks where clock.start.contains(transitionID) && clock.when.allHold(on: d.state.fields) {
            if let running = d.state.clocks[clock.id], running.status != .stopped {
                try stopClock(running, d)
            }
            let run = ClockRun(clock: clock.id, run: (d.state.clocks[clock.id]?.run.run ?? 0) + 1)
            let due = try dueTime(from: d.now, length: clock.length, clock: clock.id)
            d.emit(.clockStarted(run, startedAt: d.now, dueAt: due), rule: clock.id)
        }
    }

    func dueTime(from start: Date, length: ClockLength, clock: String) throws -> Date {
        do { return try calendar.due(from: start, length: length) } catch {
            throw KesuError(.invalidInput, "cannot compute the due time of clock '\(clock)': \(error)")
        }
    }

    func stopClocks(_ transitionID: String, _ d: Draft) throws {
        for clock in pack.clocks where clock.stop.contains(transitionID) {
            if let current = d.state.clocks[clock.id], current.status != .stopped { try stopClock(current, d) }
        }
    }

    /// Pauses, resumes and starts the clocks a transition names (`stopClocks` has stopped its clocks).
    func applyClocks(_ transitionID: String, _ d: Draft) throws {
        for clock in pack.clocks {
            guard let current = d.state.clocks[clock.id], !clock.stop.contains(transitionID) else { continue }
            if clock.pause.contains(transitionID), current.status == .running {
                let left = calendar.businessSeconds(from: d.now, to: current.dueAt)
                d.emit(.clockPaused(current.run, remaining: left), rule: clock.id)
            } else if clock.resume.contains(transitionID), current.status == .paused {
                let due = try calendar.adding(businessSeconds: current.remaining ?? 0, to: d.now)
                d.emit(.clockResumed(current.run, dueAt: due), rule: clock.id)
            }
        }
        try startClocks(on: transitionID, d)
    }

    /// Stops a clock; a run that ends past its due time records its violation, once. A run whose
    /// violation was recorded (by a sweep, before a late extension) stays late: on time or late, never both.
    func stopClock(_ clock: ClockState, _ d: Draft) throws {
        let def = pack.clock(clock.run.clock)
        let pastDue = clock.status == .running && d.now > clock.dueAt
        if pastDue, let def, let v = def.violation, !clock.violations.contains(v) {
            try recordViolation(v, clock: def, run: clock.run, occurredAt: clock.dueAt, d)
        }
        let wasLate = def?.violation.map(clock.violations.contains) ?? false
        d.emit(.clockStopped(clock.run, late: pastDue || wasLate), rule: clock.run.clock)
    }

    func ownerUnit(_ clock: ClockDef, state: CaseState) -> String? {
        switch clock.owner {
        case .center: pack.centerUnit?.id
        case .handlingUnit: state.handlingUnit ?? pack.centerUnit?.id
        }
    }

    func responsiblePerson(_ r: Responsible, state: CaseState, unit: String?) -> String? {
        responsiblePerson(r, assignee: state.assignee, state: state, unit: unit)
    }

    func responsiblePerson(_ r: Responsible, assignee: String?, state: CaseState, unit: String?) -> String? {
        let def = unit.flatMap(pack.unit)
        switch r {
        case .assignee: return assignee ?? def?.liaison
        case .intakeActor: return state.intakeActor.isEmpty ? nil : state.intakeActor
        case .liaison: return def?.liaison
        case .head: return def?.head
        }
    }

    /// Records a violation against whoever held the case at `occurredAt` (when the clock fell
    /// due, or the ladder step fired): the same unit and person whenever it is recorded — by a
    /// sweep at that instant, a later sweep, or a late stop that also re-routes the case.
    func recordViolation(_ id: String, clock: ClockDef, run: ClockRun, occurredAt: Date, _ d: Draft) throws {
        let holder = d.state.handler(at: occurredAt)
        let unit: String? = switch clock.owner {
        case .center: pack.centerUnit?.id
        case .handlingUnit: holder?.unit ?? pack.centerUnit?.id
        }
        guard let unit else { return }
        let person = responsiblePerson(clock.responsible, assignee: holder?.assignee, state: d.state, unit: unit)
        d.emit(.violation(id: id, run: run, unit: unit, person: person, occurredAt: occurredAt), rule: clock.id)
        try score(.violation(id), unit: unit, person: person, occurredAt: occurredAt, d)
    }

    func score(_ kind: ScoringFact.Kind, unit: String?, person: String?, occurredAt: Date, _ d: Draft) throws {
        let fact = ScoringFact(kind: kind, unit: unit, person: person, occurredAt: occurredAt, fields: d.state.fields)
        for x in try scorer.deductions(for: fact, pack: pack) {
            d.emit(.deduction(cause: kind.cause, subject: x.subject, points: x.points, occurredAt: occurredAt), rule: x.ruleID)
        }
    }

    // MARK: Extension

    public func planExtension(
        clockID: String, length: ClockLength, reason: String, on current: CaseState, by actorID: String, at now: Date
    ) throws -> [Event] {
        let actor = try person(actorID)
        if current.isClosed { throw KesuError(.closed, "case \(current.number) is closed; its clocks have stopped") }
        guard let def = pack.clock(clockID) else {
            throw KesuError(.notFound, "no clock '\(clockID)' in this pack\(Suggest.hint(for: clockID, in: pack.clocks.map(\.id)))")
        }
        guard let rule = def.extensionRule else {
            throw KesuError(.forbidden, "clock '\(clockID)' (\(def.name)) cannot be extended under this pack")
        }
        guard let clock = current.clocks[clockID], clock.status == .running else {
            throw KesuError(.wrongState, "clock '\(clockID)' is not running on case \(current.number)")
        }
        guard !reason.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw KesuError(.missingField, "an extension needs a reason", field: "reason")
        }
        guard mayAct(actor, roles: rule.approvers, handlingUnit: current.handlingUnit) else {
            throw refuse(actor, roles: rule.approvers, step: "approve an extension of \(clockID)", handlingUnit: current.handlingUnit)
        }
        guard clock.extensions.count < rule.maxCount else {
            throw KesuError(.forbidden, "clock '\(clockID)' has already been extended \(clock.extensions.count) time(s); the pack allows \(rule.maxCount)")
        }
        guard length.isPositive, length.fits(within: rule.maxLength, dayMinutes: workingDayMinutes) else {
            throw KesuError(.invalidValue, "an extension of \(length) is not allowed for '\(clockID)'; at most \(rule.maxLength)")
        }
        if now >= clock.dueAt, !rule.allowLate {
            let dueText = ISO8601.format(clock.dueAt, in: calendar.timeZone)
            throw KesuError(.forbidden, "clock '\(clockID)' (\(def.name)) of case \(current.number) was due at \(dueText); extensions must be granted before that (the pack does not set allow_late for this clock)")
        }
        // "n more working days" keeps the clock's own convention (end of day, or the same time of day).
        var length = length
        if case let .workingDays(n, _) = length, case let .workingDays(_, end) = def.length { length = .workingDays(n, end) }
        let due = try dueTime(from: clock.dueAt, length: length, clock: clockID)
        let d = Draft(state: current, actor: actorID, now: now, packVersion: pack.version)
        // A late extension (allowed by the pack) does not undo the lateness: the violation a sweep
        // at the due time would have recorded is recorded first, so the run counts as late once.
        if now >= clock.dueAt, let v = def.violation, !clock.violations.contains(v) {
            try recordViolation(v, clock: def, run: clock.run, occurredAt: clock.dueAt, d)
        }
        d.emit(.clockExtended(clock.run, dueAt: due, reason: reason, approver: actorID, length: length), rule: clockID)
        return d.events
    }

    // MARK: Sweep

    /// When a ladder step of this clock fires.
    public func stepInstant(_ step: LadderStep, clock: ClockState) throws -> Date {
        switch step.at {
        case let .share(s):
            if s == 1 { return clock.dueAt }
            let length = calendar.businessSeconds(from: clock.startedAt, to: clock.dueAt)
            if s < 1 { return try calendar.adding(businessSeconds: length * s, to: clock.startedAt) }
            return try calendar.adding(businessSeconds: length * (s - 1), to: clock.dueAt)
        case let .afterDue(minutes):
            return try calendar.adding(businessSeconds: Double(minutes) * 60, to: clock.dueAt)
        }
    }

    /// What the sweep has to fire for this case at `now`: reminders, escalations and violations
    /// not fired before. Running it twice fires nothing the second time.
    public func planSweep(on current: CaseState, at now: Date) throws -> [Event] {
        guard !current.isClosed else { return [] }
        let d = Draft(state: current, actor: Event.systemActor, now: now, packVersion: pack.version)
        // Everything due, across every running clock, in the order it fell due: a sweep that
        // catches up on several records them as a sweep at each instant would have.
        enum Due { case step(LadderDef, Int), clockDue }
        var due: [(at: Date, clock: ClockState, def: ClockDef, what: Due, rank: Int)] = []
        for clock in current.runningClocks {
            guard let def = pack.clock(clock.run.clock) else { continue }
            if let ladder = def.ladder.flatMap(pack.ladder) {
                for (i, step) in ladder.steps.enumerated() where !clock.firedSteps.contains(i) {
                    let at = try stepInstant(step, clock: clock)
                    if at <= now { due.append((at, clock, def, .step(ladder, i), i)) }
                }
            }
            if clock.dueAt <= now, def.violation != nil {
                // At the same instant a ladder step (a reminder "due now") comes before the violation.
                due.append((clock.dueAt, clock, def, .clockDue, Int.max))
            }
        }
        due.sort { ($0.at, $0.clock.run.clock, $0.rank) < ($1.at, $1.clock.run.clock, $1.rank) }
        for item in due {
            let (clock, def) = (item.clock, item.def)
            let unit = ownerUnit(def, state: d.state)
            switch item.what {
            case let .step(ladder, i):
                let step = ladder.steps[i]
                let ruleID = "\(ladder.id)#\(i + 1)"
                let remind = recipients(step.remind, unit: unit, state: d.state)
                let escalate = recipients(step.escalateTo, unit: unit, state: d.state)
                if !step.escalateTo.isEmpty {
                    d.emit(.escalation(clock.run, step: i, dueAt: item.at, recipients: remind + escalate), rule: ruleID)
                } else {
                    d.emit(.reminder(clock.run, step: i, dueAt: item.at, recipients: remind), rule: ruleID)
                }
                if let v = step.violation, !(d.state.clocks[def.id]?.violations.contains(v) ?? true) {
                    try recordViolation(v, clock: def, run: clock.run, occurredAt: item.at, d)
                }
            case .clockDue:
                if let v = def.violation, !(d.state.clocks[def.id]?.violations.contains(v) ?? true) {
                    try recordViolation(v, clock: def, run: clock.run, occurredAt: clock.dueAt, d)
                }
            }
        }
        return d.events
    }

    /// People holding these roles for this case: in the handling unit for unit-scoped roles,
    /// everyone for roles that act on every case.
    public func recipients(_ roles: [String], unit: String?, state: CaseState) -> [String] {
        var out: [String] = []
        for r in roles {
            guard let def = pack.role(r) else { continue }
            let holders = pack.people.filter { $0.roles.contains(r) && (def.scope == .all || $0.unit == (state.handlingUnit ?? unit)) }
            // Once a case is assigned, a unit role its assignee holds means the assignee, not the whole unit.
            let chosen = def.scope == .handlingUnit && holders.contains { $0.id == state.assignee }
                ? holders.filter { $0.id == state.assignee } : holders
            for p in chosen where !out.contains(p.id) { out.append(p.id) }
        }
        return out
    }

    /// The next instant the sweep has work for this case, or nil.
    public func nextWakeup(for state: CaseState) -> Date? {
        guard !state.isClosed else { return nil }
        var next: Date?
        func consider(_ d: Date) { if next == nil || d < next! { next = d } }
        for clock in state.runningClocks {
            guard let def = pack.clock(clock.run.clock) else { continue }
            if let ladder = def.ladder.flatMap(pack.ladder) {
                for (i, step) in ladder.steps.enumerated() where !clock.firedSteps.contains(i) {
                    if let at = try? stepInstant(step, clock: clock) { consider(at) }
                }
            }
            if let v = def.violation, !clock.violations.contains(v) { consider(clock.dueAt) }
        }
        return next
    }

    /// The words listings search and keyword hints read: subject and description.
    static func searchableText(_ fields: [String: String]) -> String {
        [fields["subject"], fields["description"]].compactMap { $0 }.joined(separator: "\n")
    }

    /// The store's projection of a case; the phone goes in as its digest with `lookupKey`.
    public func summary(of state: CaseState, lookupKey: LookupKey) -> CaseSummary {
        CaseSummary(
            id: state.id, number: state.number, state: state.state, handlingUnit: state.handlingUnit,
            kind: state.fields["kind"], category: state.fields["category"], level: state.fields["level"],
            channel: state.fields["channel"],
            text: Self.searchableText(state.fields),
            openedAt: state.openedAt, updatedAt: state.updatedAt, closedAt: state.closedAt,
            earliestDue: state.earliestDue, nextWakeup: nextWakeup(for: state), version: state.version,
            packVersion: state.packVersion, assignee: state.assignee,
            phoneDigest: state.fields["complainant_phone"].flatMap(lookupKey.phoneDigest))
    }
}

extension ClockLength: CustomStringConvertible {
    public var description: String {
        switch self {
        case let .workingDays(n, end): "\(n) working day(s), \(end.rawValue)"
        case let .workingMinutes(m): m % 60 == 0 ? "\(m / 60) working hour(s)" : "\(m) working minute(s)"
        }
    }

    var isPositive: Bool {
        switch self {
        case let .workingDays(n, _): n > 0
        case let .workingMinutes(m): m > 0
        }
    }

    /// Whether this extension is no longer than the pack's maximum; days and hours compare
    /// through the calendar's working day (`dayMinutes` of business hours).
    func fits(within max: ClockLength, dayMinutes: Int) -> Bool {
        switch (self, max) {
        case let (.workingDays(a, _), .workingDays(b, _)): a <= b
        case let (.workingMinutes(a), .workingMinutes(b)): a <= b
        case let (.workingMinutes(a), .workingDays(b, _)): a <= b * dayMinutes
        case let (.workingDays(a, _), .workingMinutes(b)): a * dayMinutes <= b
        }
    }
}

/// ISO-8601 instants with an offset, as commands and files give them.
public enum ISO8601 {
    public static func parse(_ text: String) -> Date? {
        Formatters.shared.use(zone: nil) { plain, fractional in plain.date(from: text) ?? fractional.date(from: text) }
    }

    public static func format(_ date: Date, in zone: TimeZone) -> String {
        Formatters.shared.use(zone: zone) { plain, _ in plain.string(from: date) }
    }

    /// Building a formatter costs far more than using one (it was a fifth of the benchmark
    /// generator's time), so each zone's pair is built once and used under a lock.
    final class Formatters: @unchecked Sendable {
        static let shared = Formatters()
        private let lock = NSLock()
        private var byZone: [String: (ISO8601DateFormatter, ISO8601DateFormatter)] = [:]

        func use<T>(zone: TimeZone?, _ body: (ISO8601DateFormatter, ISO8601DateFormatter) -> T) -> T {
            lock.lock()
            defer { lock.unlock() }
            let key = zone?.identifier ?? ""
            if byZone[key] == nil {
                let plain = ISO8601DateFormatter(), fractional = ISO8601DateFormatter()
                fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
                if let zone { plain.timeZone = zone; fractional.timeZone = zone }
                byZone[key] = (plain, fractional)
            }
            let (plain, fractional) = byZone[key]!
            return body(plain, fractional)
        }
    }
}

// MARK: Calendar changes

extension Planner {
    /// The due times this planner's calendar gives the case's running clocks, counted again from their own
    /// history (start, pauses, resumes, extensions): one `clockReplanned` per clock whose due time moves.
    /// A clock already due at `now` keeps its due time: what happened at it is settled.
    public func planReplan(history: [Event], on current: CaseState, at now: Date) throws -> [Event] {
        guard !current.isClosed else { return [] }
        let d = Draft(state: current, actor: Event.systemActor, now: now, packVersion: pack.version)
        let fingerprint = pack.calendar.daysFingerprint
        for clock in current.runningClocks where clock.dueAt > now {
            guard let def = pack.clock(clock.run.clock),
                  let due = try recount(clock.run, length: def.length, in: history), due != clock.dueAt else { continue }
            d.emit(.clockReplanned(clock.run, dueAt: due, previousDueAt: clock.dueAt, calendar: fingerprint), rule: def.id)
        }
        return d.events
    }

    /// A clock run's due time counted on this calendar from its history, as the planner counted it when each
    /// event happened; nil when the history cannot say (an extension recorded without its length).
    public func recount(_ run: ClockRun, length: ClockLength, in history: [Event]) throws -> Date? {
        var due: Date?
        var remaining: Double?
        for e in history {
            switch e.body {
            case let .clockStarted(r, startedAt, _) where r == run:
                due = try dueTime(from: startedAt, length: length, clock: run.clock)
            case let .clockPaused(r, _) where r == run:
                guard let current = due else { return nil }
                remaining = calendar.businessSeconds(from: e.at, to: current)
            case let .clockResumed(r, _) where r == run:
                guard let left = remaining else { return nil }
                due = try calendar.adding(businessSeconds: left, to: e.at)
                remaining = nil
            case let .clockExtended(r, _, _, _, granted) where r == run:
                guard let granted, let current = due else { return nil }
                due = try dueTime(from: current, length: granted, clock: run.clock)
            default:
                continue
            }
        }
        return due
    }
}
