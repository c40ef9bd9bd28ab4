import Foundation

/// The penalty steps one person may take on one recommendation now: the checks of `decidePenalty`,
/// `appealPenalty` and `decidePenaltyAppeal` without writing anything, so a front end offers only
/// the forms that would be accepted (the commands still check again).
public struct PenaltySteps: Sendable, Equatable {
    public var decide = false
    public var appeal = false
    public var decideAppeal = false
    /// Their role lets them decide, but the period has not ended yet.
    public var decideAfterPeriod = false

    public init() {}
    public var any: Bool { decide || appeal || decideAppeal }
}

extension Engine {
    /// Whether the pack gives this person any part in penalties (reading them with `reports`, or a
    /// role or place the penalty procedure names): the console's menu entry.
    public func takesPartInPenalties(_ personID: String) -> Bool {
        guard let p = pack.principal(personID) else { return false }
        if p.has(.reports) { return true }
        guard let procedure = pack.scoring.penaltyProcedure else { return false }
        let named = Set(procedure.decidedBy + (procedure.appeal.map { $0.by + $0.decidedBy } ?? []))
        if p.roles.contains(where: { named.contains($0.id) && !$0.readOnly }) { return true }
        // The person concerned: anyone, if people are penalised; a unit's head, if units are.
        guard procedure.appeal?.by.contains(PenaltyAppealRule.personConcerned) == true else { return false }
        if pack.scoring.thresholds.contains(where: { $0.subject == .person }) { return true }
        return pack.scoring.thresholds.contains { $0.subject == .unit } && pack.units.contains { $0.head == personID }
    }

    /// Who sees a recommendation: `reports` holders all of them; others those they are concerned
    /// by or could act on (their own, their unit's as its head or through a unit-scoped role the
    /// procedure names).
    public func maySeePenalty(_ id: PenaltyID, by personID: String) -> Bool {
        guard let p = pack.principal(personID) else { return false }
        if p.has(.reports) { return true }
        if id.subject == ScoreSubject(.person, personID) { return true }
        let unit = subjectUnit(id.subject)
        if let unit, pack.unit(unit)?.head == personID { return true }
        guard let procedure = pack.scoring.penaltyProcedure else { return false }
        let named = Set(procedure.decidedBy + (procedure.appeal.map { $0.by + $0.decidedBy } ?? []))
        return p.roles.contains { r in named.contains(r.id) && !r.readOnly && (r.scope == .all || p.unit == unit) }
    }

    /// The steps `actorID` may take on `proceeding` at `now`.
    public func penaltySteps(_ proceeding: PenaltyProceeding, for actorID: String, at now: Date) -> PenaltySteps {
        var steps = PenaltySteps()
        guard let actor = pack.person(actorID), let procedure = pack.scoring.penaltyProcedure else { return steps }
        let id = proceeding.id
        if proceeding.decision == nil, let rec = proceeding.recommendation,
           (try? penaltyRole(actor, among: procedure.decidedBy, for: id, step: "")) != nil {
            if now >= rec.period.end { steps.decide = true } else { steps.decideAfterPeriod = true }
        }
        if let rule = procedure.appeal, let decision = proceeding.decision {
            if proceeding.appeal == nil, let deadline = decision.appealDeadline, now <= deadline, mayAppeal(actor, rule: rule, id: id) {
                steps.appeal = true
            }
            if let appeal = proceeding.appeal, proceeding.appealDecision == nil, appeal.by != actor.id,
               (try? penaltyRole(actor, among: rule.decidedBy, for: id, step: "")) != nil {
                steps.decideAppeal = true
            }
        }
        return steps
    }
}

extension Engine {
    /// The period of `kind` containing `instant` on the pack's calendar, or `back` periods before it
    /// (a page's default quarter, its chooser).
    public func period(containing instant: Date, kind: PenaltyThreshold.Period, back: Int = 0) throws -> Period {
        try Period.parse(periodLabel(containing: instant, kind: kind, back: back), calendar: planner.calendar)
    }
}
