import Foundation

extension RulePack {
    /// Semantic checks: duplicate ids, unknown references, unreachable or unfinishable procedure, broken clocks and
    /// calendars. Every problem is listed, each at its definition's location, with a did-you-mean where a name is close.
    /// A pack without errors is then linted (PackLint.swift): warnings about rules that cannot do what they say.
    public func validate() -> [Diagnostic] {
        var v = PackValidation(pack: self)
        v.run()
        return v.diagnostics.hasErrors ? v.diagnostics : v.diagnostics + lint()
    }
}

private struct PackValidation {
    let pack: RulePack
    var diagnostics: [Diagnostic] = []

    init(pack: RulePack) { self.pack = pack }

    mutating func error(_ location: SourceLocation, _ message: String) { diagnostics.append(.error(location, message)) }
    mutating func warning(_ location: SourceLocation, _ message: String) { diagnostics.append(.warning(location, message)) }

    static func whereIs(_ first: SourceLocation, from here: SourceLocation) -> String {
        first.file == here.file ? "line \(first.line)" : "\(first.file):\(first.line)"
    }

    mutating func duplicates(_ items: [(id: String, location: SourceLocation)], _ what: String) {
        var first: [String: SourceLocation] = [:]
        for item in items {
            if let seen = first[item.id] {
                error(item.location, "duplicate \(what) '\(item.id)' (first defined at \(Self.whereIs(seen, from: item.location)))")
            } else {
                first[item.id] = item.location
            }
        }
    }

    /// Reports `id` unless it is one of `known`.
    mutating func reference(_ id: String, in known: [String], _ what: String, at location: SourceLocation, by owner: String) {
        guard !known.contains(id) else { return }
        error(location, "\(owner) names unknown \(what) '\(id)'" + Suggest.hint(for: id, in: known))
    }

    mutating func run() {
        checkDuplicates()
        checkCalendar()
        checkOrganisation()
        checkClassification()
        checkRouting()
        checkProcedure()
        checkClocks()
        checkScoring()
        checkReporting()
    }

    // MARK: duplicates

    mutating func checkDuplicates() {
        func ids<T>(_ xs: [T], _ id: KeyPath<T, String>, _ loc: KeyPath<T, SourceLocation>) -> [(id: String, location: SourceLocation)] {
            xs.map { ($0[keyPath: id], $0[keyPath: loc]) }
        }
        duplicates(ids(pack.roles, \.id, \.location), "role")
        duplicates(ids(pack.units, \.id, \.location), "unit")
        duplicates(ids(pack.people, \.id, \.location), "person")
        duplicates(ids(pack.kinds, \.id, \.location), "kind")
        duplicates(ids(pack.levels, \.id, \.location), "level")
        duplicates(ids(pack.categories, \.id, \.location), "category")
        duplicates(ids(pack.complainantTypes, \.id, \.location), "complainant type")
        duplicates(ids(pack.channels, \.id, \.location), "channel")
        duplicates(ids(pack.regions, \.id, \.location), "region")
        duplicates(ids(pack.fields, \.id, \.location), "field")
        for field in pack.fields { duplicates(ids(field.values, \.id, \.location), "value of field '\(field.id)'") }
        duplicates(ids(pack.routing, \.id, \.location), "routing rule")
        duplicates(ids(pack.procedure.states, \.id, \.location), "state")
        duplicates(ids(pack.procedure.transitions, \.id, \.location), "transition")
        duplicates(ids(pack.clocks, \.id, \.location), "clock")
        duplicates(ids(pack.ladders, \.id, \.location), "ladder")
        duplicates(ids(pack.scoring.violations, \.id, \.location), "violation")
        duplicates(ids(pack.scoring.outcomes, \.id, \.location), "outcome")
        duplicates(ids(pack.scoring.rules, \.id, \.location), "scoring rule")
        duplicates(ids(pack.scoring.penalties, \.id, \.location), "penalty")
        duplicates(ids(pack.scoring.thresholds, \.id, \.location), "threshold")
    }

    // MARK: calendar

    mutating func checkCalendar() {
        let cal = pack.calendar
        if TimeZone(identifier: cal.timeZone) == nil {
            error(cal.location, "unknown time zone '\(cal.timeZone)'" + Suggest.hint(for: cal.timeZone, in: TimeZone.knownTimeZoneIdentifiers))
        }
        if cal.businessHours.isEmpty {
            error(cal.location, "calendar has no business hours (e.g. business_hours: [\"08:30-12:00\", \"14:30-18:00\"])")
        }
        var previousEnd: Int?
        for range in cal.businessHours {
            let text = "\(Self.hhmm(range.start))-\(Self.hhmm(range.end))"
            if range.start < 0 || range.end > 24 * 60 {
                error(cal.location, "business hours \(text) are outside 00:00-24:00")
            } else if range.start >= range.end {
                error(cal.location, "business hours \(text) end before they start")
            }
            if let end = previousEnd, range.start < end {
                error(cal.location, "business hours \(text) overlap or are out of order: list them ascending, not overlapping")
            }
            previousEnd = max(previousEnd ?? range.end, range.end)
        }
        for day in cal.weekend where !(1...7).contains(day) {
            error(cal.location, "weekend day \(day) is not an ISO weekday (1 = Monday … 7 = Sunday)")
        }
        var holidays: [LocalDate: DatedDay] = [:]
        for h in cal.holidays where holidays[h.date] == nil { holidays[h.date] = h }
        for w in cal.workdays {
            if let h = holidays[w.date] {
                error(w.location, "\(w.date) is listed both as a holiday (\(h.location)) and as a workday")
            }
        }
    }

    static func hhmm(_ minutes: Int) -> String { String(format: "%02d:%02d", minutes / 60, minutes % 60) }

    // MARK: organisation

    var roleIDs: [String] { pack.roles.map(\.id) }
    var personIDs: [String] { pack.people.map(\.id) }
    var unitIDs: [String] { pack.units.map(\.id) }
    var stateIDs: [String] { pack.procedure.states.map(\.id) }
    var transitionIDs: [String] { pack.procedure.transitions.map(\.id) }
    var violationIDs: [String] { pack.scoring.violations.map(\.id) }
    var outcomeIDs: [String] { pack.scoring.outcomes.map(\.id) }

    mutating func checkOrganisation() {
        for p in pack.people {
            reference(p.unit, in: unitIDs, "unit", at: p.location, by: "person '\(p.id)'")
            for r in p.roles { reference(r, in: roleIDs, "role", at: p.location, by: "person '\(p.id)'") }
        }
        for u in pack.units {
            if let l = u.liaison { reference(l, in: personIDs, "person", at: u.location, by: "liaison of unit '\(u.id)'") }
            if let h = u.head { reference(h, in: personIDs, "person", at: u.location, by: "head of unit '\(u.id)'") }
        }
        let centers = pack.units.filter(\.isCenter)
        if centers.isEmpty {
            error(pack.units.first?.location ?? pack.info.location, "no unit is the center: mark exactly one unit `center: true`")
        }
        for extra in centers.dropFirst() {
            error(extra.location, "unit '\(extra.id)' is a second center (the first is '\(centers[0].id)'); exactly one unit is the center")
        }
    }

    /// Roles that act (transitions, intake, extensions): must exist; read-only roles take no transition.
    mutating func actingRoles(_ roles: [String], at location: SourceLocation, by owner: String) {
        for r in roles {
            reference(r, in: roleIDs, "role", at: location, by: owner)
            guard let role = pack.role(r) else { continue }
            if role.readOnly { error(location, "\(owner) names read-only role '\(r)', which may take no transition") }
            if !pack.people.contains(where: { $0.roles.contains(r) }) {
                warning(location, "\(owner) names role '\(r)', which no person holds")
            }
        }
    }

    // MARK: classification

    mutating func checkClassification() {
        let kindIDs = pack.kinds.map(\.id)
        for c in pack.categories {
            for k in c.kinds { reference(k, in: kindIDs, "kind", at: c.location, by: "category '\(c.id)'") }
        }
        for r in pack.regions {
            if let u = r.unit { reference(u, in: unitIDs, "unit", at: r.location, by: "region '\(r.id)'") }
        }
        for f in pack.fields {
            if CaseField.builtInIDs.contains(f.id) {
                error(f.location, "field '\(f.id)' is built in; choose another id")
            }
            if f.type == .choice, f.values.isEmpty {
                error(f.location, "choice field '\(f.id)' has no values")
            }
        }
    }

    /// Fields named by requires/accepts/conditions must exist.
    mutating func fieldNames(_ fields: [String], at location: SourceLocation, by owner: String) {
        for f in fields { reference(f, in: pack.allFieldIDs, "field", at: location, by: owner) }
    }

    mutating func conditions(_ conditions: [FieldCondition], by owner: String) {
        for c in conditions {
            guard pack.allFieldIDs.contains(c.field) else {
                reference(c.field, in: pack.allFieldIDs, "field", at: c.location, by: "condition of \(owner)")
                continue
            }
            guard let allowed = pack.allowedValues(of: c.field) else { continue }
            for value in c.values where !allowed.contains(value) {
                error(c.location, "condition of \(owner): '\(value)' is not a value of field '\(c.field)'"
                    + Suggest.hint(for: value, in: allowed))
            }
        }
    }

    // MARK: routing

    mutating func checkRouting() {
        guard let last = pack.routing.last else {
            error(pack.info.location, "no routing table: add a `routing:` section whose last rule is a fallback (no `when`, a `unit:`)")
            return
        }
        let regionUnits = pack.regions.contains { $0.unit != nil }
        for rule in pack.routing {
            conditions(rule.when, by: "routing rule '\(rule.id)'")
            switch rule.target {
            case let .unit(u): reference(u, in: unitIDs, "unit", at: rule.location, by: "routing rule '\(rule.id)'")
            case .regionUnit:
                if !regionUnits {
                    error(rule.location, "routing rule '\(rule.id)' says unit_from: region, but no region declares a unit")
                }
            }
        }
        if !last.isFallback {
            error(last.location, "routing rule '\(last.id)' is last but is not a fallback: the last rule must have no `when` and a `unit:` target, so every case finds a handling unit")
        }
    }

    // MARK: procedure

    mutating func checkProcedure() {
        let proc = pack.procedure
        if let initial = pack.state(proc.initialState) {
            if initial.isFinal { error(proc.location, "initial state '\(initial.id)' is final; a case could never be worked") }
        } else {
            error(proc.location, "initial state '\(proc.initialState)' is not a declared state" + Suggest.hint(for: proc.initialState, in: stateIDs))
        }
        actingRoles(proc.intake.roles, at: proc.intake.location, by: "intake")
        if proc.intake.roles.isEmpty { error(proc.intake.location, "intake names no roles: nobody could register a case") }
        fieldNames(proc.intake.requires + proc.intake.accepts, at: proc.intake.location, by: "intake")

        for t in proc.transitions {
            let owner = "transition '\(t.id)'"
            for s in t.from { reference(s, in: stateIDs, "state", at: t.location, by: owner) }
            for s in t.from where pack.state(s)?.isFinal == true {
                error(t.location, "\(owner) leaves final state '\(s)'; a final state closes the case")
            }
            actingRoles(t.roles, at: t.location, by: owner)
            fieldNames(t.requires + t.accepts, at: t.location, by: owner)
            conditions(t.when, by: owner)
            if t.to.isEmpty { error(t.location, "\(owner) has no target state") }
            for target in t.to {
                reference(target.state, in: stateIDs, "state", at: target.location, by: owner)
                conditions(target.when, by: owner)
                for o in target.outcomes { reference(o, in: outcomeIDs, "outcome", at: target.location, by: owner) }
            }
            if let last = t.to.last, !last.when.isEmpty {
                error(last.location, "\(owner): the last target has conditions, so a case could match no target; end with a target without `when`")
            }
        }
        for s in proc.states where !s.isFinal {
            if !proc.transitions.contains(where: { $0.from.contains(s.id) }) {
                error(s.location, "state '\(s.id)' has no way out: add a transition from it or mark it final")
            }
        }
    }

    // MARK: clocks and ladders

    static func isPositive(_ length: ClockLength) -> Bool {
        switch length {
        case let .workingDays(n, _): n > 0
        case let .workingMinutes(m): m > 0
        }
    }

    mutating func checkClocks() {
        let ladderIDs = pack.ladders.map(\.id)
        for c in pack.clocks {
            let owner = "clock '\(c.id)'"
            if !Self.isPositive(c.length) { error(c.location, "\(owner) has a zero or negative length") }
            if c.start.isEmpty { error(c.location, "\(owner) has nothing that starts it") }
            for s in c.start { reference(s, in: [IntakeDef.transitionID] + transitionIDs, "transition", at: c.location, by: "start of \(owner)") }
            if c.stop.isEmpty {
                error(c.location, "\(owner) has nothing that stops it: list transitions under `stop:` (a final state also stops it)")
            }
            for s in c.stop { reference(s, in: transitionIDs, "transition", at: c.location, by: "stop of \(owner)") }
            for s in c.pause { reference(s, in: transitionIDs, "transition", at: c.location, by: "pause of \(owner)") }
            for s in c.resume { reference(s, in: transitionIDs, "transition", at: c.location, by: "resume of \(owner)") }
            conditions(c.when, by: owner)
            if let v = c.violation { reference(v, in: violationIDs, "violation", at: c.location, by: owner) }
            if let l = c.ladder { reference(l, in: ladderIDs, "ladder", at: c.location, by: owner) }
            if let ext = c.extensionRule {
                actingRoles(ext.approvers, at: ext.location, by: "extension of \(owner)")
                if ext.approvers.isEmpty { error(ext.location, "extension of \(owner) names no approvers") }
                if ext.maxCount < 1 { error(ext.location, "extension of \(owner): max_count must be at least 1") }
                if !Self.isPositive(ext.maxLength) { error(ext.location, "extension of \(owner) has a zero or negative length") }
            }
        }
        for l in pack.ladders {
            let owner = "ladder '\(l.id)'"
            if l.steps.isEmpty { error(l.location, "\(owner) has no steps") }
            for step in l.steps {
                switch step.at {
                case let .share(x) where !(x > 0 && x <= 2):
                    error(step.location, "\(owner): share \(x) is not in (0, 2]")
                case let .afterDue(minutes) where minutes < 0:
                    error(step.location, "\(owner): time after due must not be negative")
                default: break
                }
                for r in step.remind + step.escalateTo { reference(r, in: roleIDs, "role", at: step.location, by: owner) }
                if let v = step.violation { reference(v, in: violationIDs, "violation", at: step.location, by: owner) }
            }
        }
        for c in pack.clocks { violationsOnce(c) }
    }

    /// A run records each violation id once, so a ladder step repeating its clock's violation (or
    /// an earlier step's) would never be recorded on its own: refused rather than silently dropped.
    mutating func violationsOnce(_ clock: ClockDef) {
        guard let ladder = clock.ladder.flatMap(pack.ladder) else { return }
        var recordedBy: [String: String] = [:]
        if let v = clock.violation { recordedBy[v] = "clock '\(clock.id)' itself (when it falls due)" }
        for (i, step) in ladder.steps.enumerated() {
            guard let v = step.violation else { continue }
            let this = "step \(i + 1) of ladder '\(ladder.id)'"
            if let first = recordedBy[v] {
                error(step.violationLocation, "\(this) records violation '\(v)', which \(first) already records for each run of clock '\(clock.id)': "
                    + "a run records a violation once, so this step would never count; give the step its own violation id "
                    + "(declared under scoring.violations) so each is scored on its own")
            } else {
                recordedBy[v] = this
            }
        }
    }

    // MARK: scoring

    mutating func checkReporting() {
        let r = pack.reporting
        let owner = "section 'reporting'"
        if let c = r.onTimeClock { reference(c, in: pack.clocks.map(\.id), "clock", at: r.location, by: owner) }
        if let o = r.substantiatedOutcome { reference(o, in: outcomeIDs, "outcome", at: r.location, by: owner) }
        conditions(r.substantiatedWhen, by: "'substantiated' of \(owner)")
        for t in r.callbackTransitions { reference(t, in: transitionIDs, "transition", at: r.location, by: "'callback' of \(owner)") }
        if let o = r.unsatisfiedOutcome { reference(o, in: outcomeIDs, "outcome", at: r.location, by: "'callback' of \(owner)") }
        for t in r.redispatchTransitions { reference(t, in: transitionIDs, "transition", at: r.location, by: "'redispatch' of \(owner)") }
        if let t = r.typicalCases {
            conditions(t.when, by: "typical_cases of \(owner)")
            for o in t.outcomes { reference(o, in: outcomeIDs, "outcome", at: t.location, by: "typical_cases of \(owner)") }
        }
        duplicates(r.reports.map { ($0.id, $0.location) }, "periodic report")
        for rep in r.reports {
            if !(1...3).contains(rep.monthOfQuarter) {
                error(rep.location, "periodic report '\(rep.id)': month_of_quarter \(rep.monthOfQuarter) is not 1, 2 or 3")
            }
            if !(1...31).contains(rep.day) {
                error(rep.location, "periodic report '\(rep.id)': day \(rep.day) is not a day of a month (1–31)")
            }
        }
    }

    mutating func checkScoring() {
        let penaltyIDs = pack.scoring.penalties.map(\.id)
        for r in pack.scoring.rules {
            let owner = "scoring rule '\(r.id)'"
            switch r.on {
            case let .violation(v): reference(v, in: violationIDs, "violation", at: r.location, by: owner)
            case let .outcome(o): reference(o, in: outcomeIDs, "outcome", at: r.location, by: owner)
            }
            conditions(r.when, by: owner)
            if case let .field(f) = r.person { personField(f, at: r.personLocation, by: "person_from of \(owner)") }
        }
        for t in pack.scoring.thresholds {
            reference(t.penalty, in: penaltyIDs, "penalty", at: t.location, by: "threshold '\(t.id)'")
            if t.points <= 0 { error(t.location, "threshold '\(t.id)': points must be positive") }
        }
        for p in pack.scoring.penalties where p.id == PenaltyDecision.dismissed {
            error(p.location, "penalty id '\(p.id)' is reserved: it is the decision not to penalise; choose another id")
        }
        if let procedure = pack.scoring.penaltyProcedure { checkPenaltyProcedure(procedure) }
    }

    /// A field a person id is taken from must hold people: a free-text field would let a typo
    /// create a phantom person who receives deductions and penalty recommendations.
    mutating func personField(_ f: String, at location: SourceLocation, by owner: String) {
        let people = CaseField.builtIn.filter { $0.kind == .person }.map(\.id) + pack.fields.filter { $0.type == .person }.map(\.id)
        guard !people.contains(f) else { return }
        if pack.allFieldIDs.contains(f) {
            error(location, "\(owner) names field '\(f)', which does not hold people (a typo in it would create a phantom person); "
                + "name a person field (\(people.joined(separator: ", "))) or declare '\(f)' with `type: person`")
        } else {
            error(location, "\(owner) names unknown field '\(f)'" + Suggest.hint(for: f, in: people))
        }
    }

    mutating func checkPenaltyProcedure(_ procedure: PenaltyProcedure) {
        if procedure.decidedBy.isEmpty { error(procedure.location, "penalty_procedure names no roles in decided_by: nobody could decide") }
        actingRoles(procedure.decidedBy, at: procedure.location, by: "penalty_procedure decided_by")
        guard let appeal = procedure.appeal else { return }
        if appeal.by.isEmpty { error(appeal.location, "appeal of penalty_procedure names nobody in by: nobody could appeal") }
        let concerned = PenaltyAppealRule.personConcerned
        for r in appeal.by where r != concerned && pack.role(r) == nil {
            error(appeal.location, "appeal of penalty_procedure: by names unknown role '\(r)'"
                + Suggest.hint(for: r, in: [concerned] + roleIDs))
        }
        actingRoles(appeal.by.filter { $0 != concerned && pack.role($0) != nil }, at: appeal.location, by: "appeal of penalty_procedure (by)")
        if appeal.withinWorkingDays < 1 {
            error(appeal.location, "appeal of penalty_procedure: within_working_days must be at least 1")
        }
        if appeal.decidedBy.isEmpty { error(appeal.location, "appeal of penalty_procedure names no roles in decided_by: nobody could decide an appeal") }
        actingRoles(appeal.decidedBy, at: appeal.location, by: "appeal of penalty_procedure (decided_by)")
    }
}
