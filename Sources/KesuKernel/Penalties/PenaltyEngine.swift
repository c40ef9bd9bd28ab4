import Foundation

/// The penalty procedure: thresholds recommend, a superior decides (the decision may differ from
/// the recommendation or dismiss it), the person concerned may appeal when the pack says so, and
/// every step is a record in the stream `penalty:<id>`. A refused command writes nothing.
extension Engine {
    // MARK: Reading

    /// The recommendations the pack's thresholds make for `period`, people first.
    public func penaltyRecommendations(for period: Period) async throws -> [PenaltyRecommendation] {
        var out: [PenaltyRecommendation] = []
        for kind in PenaltyID.kinds {
            out += try await penaltyRecommendations(for: period, kind: kind)
        }
        return out
    }

    func penaltyRecommendations(for period: Period, kind: ScoreSubject.Kind) async throws -> [PenaltyRecommendation] {
        let thresholds = pack.scoring.thresholds.filter { $0.subject.rawValue == kind.rawValue && $0.period == period.kind }
        guard !thresholds.isEmpty else { return [] }
        let report = try await scores(period: period, by: kind)
        return report.rows.compactMap { row in
            guard let penalty = row.recommendation, let threshold = thresholds.first(where: { $0.id == row.thresholdID }) else { return nil }
            return PenaltyRecommendation(
                id: PenaltyID(period: period.label, subject: row.subject), period: period, subjectName: row.name, unit: row.unit,
                baseline: row.baseline, deducted: row.deducted, evidence: row.items.map(evidence),
                penalty: penalty, penaltyName: row.recommendationName ?? penalty, threshold: threshold.id,
                thresholdPoints: threshold.points)
        }
    }

    func evidence(_ item: ScoreReport.LineItem) -> PenaltyEvidence {
        PenaltyEvidence(caseNumber: item.caseNumber, cause: item.cause, causeName: causeName(item.cause), rule: item.ruleID,
                        points: item.points, occurredAt: item.occurredAt, packVersion: item.packVersion)
    }

    /// `violation:late_answer` → 未按时处理.
    func causeName(_ cause: String) -> String {
        let parts = cause.split(separator: ":", maxSplits: 1).map(String.init)
        guard parts.count == 2 else { return cause }
        let list = parts[0] == "violation" ? pack.scoring.violations : pack.scoring.outcomes
        return list.first { $0.id == parts[1] }?.name ?? parts[1]
    }

    /// The periods `kesu penalties list` shows by default at `now`: for each kind of period the
    /// thresholds use, the one running and the one before; and every period something was recorded for.
    public func penaltyPeriods(at now: Date) async throws -> [Period] {
        var labels: [String] = []
        let kinds = Set(pack.scoring.thresholds.map(\.period))
        for kind in [PenaltyThreshold.Period.year, .quarter, .month] where kinds.contains(kind) {
            let current = periodLabel(containing: now, kind: kind, back: 0)
            labels += [periodLabel(containing: now, kind: kind, back: 1), current]
        }
        for r in try await store.records(streamPrefix: PenaltyID.streamPrefix) {
            if let id = PenaltyID(String(r.stream.dropFirst(PenaltyID.streamPrefix.count))) { labels.append(id.period) }
        }
        var seen = Set<String>()
        return try labels.filter { seen.insert($0).inserted }
            .map { try Period.parse($0, calendar: planner.calendar) }
            .sorted { ($0.start, $0.end) < ($1.start, $1.end) }
    }

    /// The label of the period of `kind` containing `instant`, or `back` periods before it.
    func periodLabel(containing instant: Date, kind: PenaltyThreshold.Period, back: Int) -> String {
        let d = planner.calendar.localDate(of: instant)
        switch kind {
        case .year: return String(d.year - back)
        case .quarter:
            let n = d.year * 4 + (d.month - 1) / 3 - back
            return "\(n / 4)Q\(n % 4 + 1)"
        case .month:
            let n = d.year * 12 + d.month - 1 - back
            return String(format: "%04d-%02d", n / 12, n % 12 + 1)
        }
    }

    /// Every recommendation of these periods, and every one with records there, in order.
    public func penalties(periods: [Period]) async throws -> [PenaltyProceeding] {
        var out: [PenaltyProceeding] = []
        for period in periods {
            var recommended: [PenaltyID: PenaltyRecommendation] = [:]
            for r in try await penaltyRecommendations(for: period) { recommended[r.id] = r }
            var streams: [PenaltyID: [RecordEvent]] = [:]
            for r in try await store.records(streamPrefix: PenaltyID.streamPrefix + period.label + "-") {
                // `2026-` also starts the months of 2026: keep this period's own streams.
                guard let id = PenaltyID(String(r.stream.dropFirst(PenaltyID.streamPrefix.count))), id.period == period.label
                else { continue }
                streams[id, default: []].append(r)
            }
            let ids = Set(recommended.keys).union(streams.keys).sorted { a, b in
                (PenaltyID.kinds.firstIndex(of: a.subject.kind)!, a.subject.id) < (PenaltyID.kinds.firstIndex(of: b.subject.kind)!, b.subject.id)
            }
            for id in ids {
                out.append(try PenaltyProceeding(id: id, recommendation: recommended[id], history: streams[id] ?? []))
            }
        }
        return out
    }

    /// One recommendation by id (`2026Q3-person-yang_fan`), with its records.
    public func penalty(_ ref: String, at now: Date) async throws -> PenaltyProceeding {
        guard let id = PenaltyID(ref) else {
            let known = try await penalties(periods: try await penaltyPeriods(at: now)).map(\.id.description)
            throw KesuError(.notFound, "'\(ref)' is not a penalty id; ids look like PERIOD-person-ID or PERIOD-unit-ID, "
                + "e.g. 2026Q3-person-\(pack.people.first?.id ?? "someone")" + Suggest.hint(for: ref, in: known))
        }
        let period = try Period.parse(id.period, calendar: planner.calendar)
        let recommendation = try await penaltyRecommendations(for: period, kind: id.subject.kind).first { $0.id == id }
        let history = try await store.records(stream: id.stream)
        guard recommendation != nil || !history.isEmpty else {
            var known = try await penalties(periods: [period]).map(\.id.description)
            if known.isEmpty { known = try await penalties(periods: try await penaltyPeriods(at: now)).map(\.id.description) }
            throw KesuError(.notFound, "no penalty is recommended as '\(id)': \(id.subject.kind.rawValue) '\(id.subject.id)' "
                + "did not reach a threshold in \(id.period)" + Suggest.hint(for: id.description, in: known),
                value: id.description, candidates: known, suggestion: .listPenalties(period: id.period))
        }
        return try PenaltyProceeding(id: id, recommendation: recommendation, history: history)
    }

    // MARK: Commands

    /// Records a decision on an open recommendation: a penalty of the ladder (the one recommended or
    /// another) or `no_penalty`, with a reason, by a person holding a role the pack allows to decide.
    @discardableResult
    public func decidePenalty(
        _ ref: String, decision: String, reason: String, by actorID: String, at now: Date
    ) async throws -> PenaltyProceeding {
        let current = try await penalty(ref, at: now)
        guard let procedure = pack.scoring.penaltyProcedure else {
            throw KesuError(.forbidden, "this pack declares no penalty procedure: nobody may decide penalties "
                + "(add scoring.penalty_procedure.decided_by to the pack)")
        }
        let actor = try planner.person(actorID)
        let role = try penaltyRole(actor, among: procedure.decidedBy, for: current.id, step: "decide penalty \(current.id)")
        if let done = current.decision {
            throw KesuError(.wrongState, "penalty \(current.id) was already decided (\(done.decisionName ?? done.decision), by \(done.decidedByName) at "
                + "\(ISO8601.format(current.decidedAt!, in: planner.calendar.timeZone))); a decision is changed only by an appeal")
        }
        guard let rec = current.recommendation else {
            throw KesuError(.notFound, "no penalty is recommended as '\(current.id)'")
        }
        guard now >= rec.period.end else {
            throw KesuError(.wrongState, "the period \(rec.period.label) runs until \(ISO8601.format(rec.period.end, in: planner.calendar.timeZone)): "
                + "its deductions are not final yet; decide penalty \(current.id) after it ends")
        }
        let (decided, decidedName) = try penaltyChoice(decision, allowDismissal: true)
        let why = try required(reason)
        var deadline: Date?
        if let appeal = procedure.appeal {
            deadline = try planner.calendar.due(from: now, length: .workingDays(appeal.withinWorkingDays, .endOfDay))
        }
        let unit = subjectUnit(current.id.subject)
        let body = PenaltyDecision(
            period: rec.period.label, periodStart: rec.period.start, periodEnd: rec.period.end, subject: current.id.subject,
            subjectName: rec.subjectName, unit: unit, unitName: unit.flatMap { pack.unit($0)?.name },
            decision: decided, decisionName: decidedName, recommended: rec.penalty, recommendedName: rec.penaltyName,
            threshold: rec.threshold, thresholdPoints: rec.thresholdPoints, baseline: rec.baseline, points: rec.deducted,
            evidence: rec.evidence, reason: why, decidedBy: actor.id, decidedByName: actor.name,
            decidedAs: role.id, decidedAsName: role.name,
            appealDeadline: decided == PenaltyDecision.dismissed ? nil : deadline,
            appealWithinWorkingDays: decided == PenaltyDecision.dismissed ? nil : procedure.appeal?.withinWorkingDays)
        return try await record(PenaltyRecordType.decided, body, on: current, by: actor.id, at: now)
    }

    /// Contests a decision within the pack's window, by the person concerned or a role the pack names.
    @discardableResult
    public func appealPenalty(_ ref: String, reason: String, by actorID: String, at now: Date) async throws -> PenaltyProceeding {
        let current = try await penalty(ref, at: now)
        let zone = planner.calendar.timeZone
        guard let decision = current.decision else {
            throw KesuError(.wrongState, "penalty \(current.id) is not decided yet: there is nothing to appeal")
        }
        guard let rule = pack.scoring.penaltyProcedure?.appeal, let deadline = decision.appealDeadline else {
            throw KesuError(.wrongState, decision.isDismissal
                ? "penalty \(current.id) was dismissed: there is nothing to appeal"
                : "the pack declares no appeal against penalty decisions: the decision on \(current.id) is final")
        }
        if current.appeal != nil {
            throw KesuError(.wrongState, "penalty \(current.id) was already appealed (by \(current.appeal!.byName) at "
                + "\(ISO8601.format(current.appealedAt!, in: zone))); a decision is appealed once")
        }
        let actor = try planner.person(actorID)
        guard mayAppeal(actor, rule: rule, id: current.id) else {
            let subject = current.id.subject
            let unit = subjectUnit(subject)
            let who = rule.by.map { id -> String in
                if id == PenaltyAppealRule.personConcerned {
                    return subject.kind == .person ? "the person concerned (\(subject.id))"
                        : "the head of the unit concerned (\(pack.unit(subject.id)?.head ?? "none declared"))"
                }
                guard let role = pack.role(id) else { return id }
                return "role \(id) (\(role.name))" + (role.scope == .handlingUnit ? " of \(unit ?? "no unit")" : "")
            }
            throw KesuError(.forbidden, "\(actor.id) (\(actor.name)) may not appeal penalty \(current.id): "
                + "the pack lets appeal \(who.joined(separator: ", or "))")
        }
        guard now <= deadline else {
            throw KesuError(.wrongState, "the appeal window of penalty \(current.id) closed at \(ISO8601.format(deadline, in: zone)) "
                + "(\(rule.withinWorkingDays) working day(s) after the decision); the decision is final")
        }
        let body = PenaltyAppeal(by: actor.id, byName: actor.name, reason: try required(reason))
        return try await record(PenaltyRecordType.appealed, body, on: current, by: actor.id, at: now)
    }

    /// Decides an appeal: the decision upheld, changed to another penalty of the ladder, or revoked.
    @discardableResult
    public func decidePenaltyAppeal(
        _ ref: String, outcome: PenaltyAppealOutcome, decision: String? = nil, reason: String, by actorID: String, at now: Date
    ) async throws -> PenaltyProceeding {
        let current = try await penalty(ref, at: now)
        guard let original = current.decision, let appeal = current.appeal, current.appealDecision == nil else {
            throw KesuError(.wrongState, current.appealDecision != nil
                ? "the appeal of penalty \(current.id) was already decided (\(current.appealDecision!.outcome.rawValue))"
                : "penalty \(current.id) has no appeal awaiting a decision (status: \(current.status(at: now).rawValue))")
        }
        guard let rule = pack.scoring.penaltyProcedure?.appeal else {
            throw KesuError(.forbidden, "the pack declares no appeal, so nobody may decide one (scoring.penalty_procedure.appeal.decided_by)")
        }
        let actor = try planner.person(actorID)
        _ = try penaltyRole(actor, among: rule.decidedBy, for: current.id, step: "decide the appeal of penalty \(current.id)")
        if actor.id == appeal.by {
            throw KesuError(.forbidden, "\(actor.id) (\(actor.name)) made this appeal and may not decide it")
        }
        var result = (original.decision, original.decisionName)
        switch (outcome, decision) {
        case (.upheld, nil), (.revoked, nil): break
        case (.upheld, _?), (.revoked, _?):
            throw KesuError(.invalidInput, "a new decision goes only with the outcome 'changed' (\(outcome.rawValue) keeps or clears the penalty)",
                            field: "decision")
        case (.changed, nil):
            throw KesuError(.invalidInput, "the outcome 'changed' needs a decision: the penalty that replaces \(original.decision)",
                            field: "decision", candidates: pack.scoring.penalties.map(\.id))
        case let (.changed, p?):
            result = try penaltyChoice(p, allowDismissal: false)
            if result.0 == original.decision {
                throw KesuError(.invalidValue, "'\(p)' is the penalty decided already; the outcome 'upheld' keeps it",
                                field: "decision", value: p)
            }
        }
        if outcome == .revoked { result = (PenaltyDecision.dismissed, nil) }
        let body = PenaltyAppealDecision(outcome: outcome, decision: result.0, decisionName: result.1, reason: try required(reason),
                                         decidedBy: actor.id, decidedByName: actor.name)
        return try await record(PenaltyRecordType.appealDecided, body, on: current, by: actor.id, at: now)
    }

    // MARK: Helpers

    func record(_ type: String, _ body: some Encodable, on current: PenaltyProceeding, by actor: String, at now: Date) async throws -> PenaltyProceeding {
        let event = RecordEvent(stream: current.id.stream, at: now, actor: actor, type: type, packVersion: pack.version,
                                body: try PenaltyCodec.encode(body))
        // Subscribed channels hear of it in the same transaction (penalty.decided and the like).
        var numberedForEvents = event
        numberedForEvents.seq = current.history.count + 1
        let eventType = "penalty.\(type)"
        let outbox = notifiers.isEmpty ? [] : subscriptions
            .filter { $0.matches(recordType: eventType) }
            .map { s in OutboxEntry(channel: s.channel, notification: .caseEvent(CaseEvents.penaltyJSON(numberedForEvents, penalty: current.id),
                                                                                 number: current.id.stream, type: eventType, at: now)) }
        do {
            try await store.appendRecords(stream: current.id.stream, expectedVersion: current.history.count, events: [event], outbox: outbox)
        } catch let StoreError.recordConflict(_, expected, actual) {
            throw KesuError(.conflict, "penalty \(current.id) changed meanwhile (\(expected) → \(actual) record(s)); nothing was written, try again")
        }
        var numbered = event
        numbered.seq = current.history.count + 1
        return try PenaltyProceeding(id: current.id, recommendation: current.recommendation, history: current.history + [numbered])
    }

    /// A penalty id of the ladder with its label, or `no_penalty` (no label); did-you-mean otherwise.
    func penaltyChoice(_ text: String, allowDismissal: Bool) throws -> (String, String?) {
        let choice = text.trimmingCharacters(in: .whitespaces)
        if allowDismissal, choice == PenaltyDecision.dismissed { return (choice, nil) }
        if let p = pack.scoring.penalties.first(where: { $0.id == choice }) { return (p.id, p.name) }
        let known = pack.scoring.penalties.map(\.id) + (allowDismissal ? [PenaltyDecision.dismissed] : [])
        throw KesuError(.invalidValue, "'\(text)' is not a penalty of the pack's ladder"
            + Suggest.hint(for: choice, in: known) + " (the ladder: "
            + pack.scoring.penalties.map { "\($0.id) \($0.name)" }.joined(separator: ", ")
            + (allowDismissal ? "; or \(PenaltyDecision.dismissed) for no penalty)" : ")"),
            field: "decision", value: text, candidates: known)
    }

    func required(_ reason: String) throws -> String {
        let r = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !r.isEmpty else { throw KesuError(.missingField, "a reason is required", field: "reason") }
        return r
    }

    /// The unit a recommendation concerns: the unit itself, or the person's unit.
    func subjectUnit(_ subject: ScoreSubject) -> String? {
        subject.kind == .unit ? subject.id : pack.person(subject.id)?.unit
    }

    /// The first of the actor's roles among `roles` that may act on this recommendation: a
    /// `handling_unit` role only for its own unit. Nobody acts on their own penalty.
    func penaltyRole(_ actor: PersonDef, among roles: [String], for id: PenaltyID, step: String) throws -> RoleDef {
        if id.subject == ScoreSubject(.person, actor.id) {
            throw KesuError(.forbidden, "\(actor.id) (\(actor.name)) may not \(step): it concerns \(actor.id) personally")
        }
        let unit = subjectUnit(id.subject)
        let usable = actor.roles.filter(roles.contains).compactMap { pack.role($0) }.filter { !$0.readOnly }
        if let role = usable.first(where: { $0.scope == .all || actor.unit == unit }) { return role }
        if usable.isEmpty {
            throw KesuError(.forbidden, "\(actor.id) (\(actor.name)) may not \(step): it needs one of the roles "
                + roles.map { r in "\(r) (\(pack.role(r)?.name ?? r))" }.joined(separator: ", ")
                + "; \(actor.id) has \(actor.roles.joined(separator: ", "))")
        }
        throw KesuError(.forbidden, "\(actor.id) (\(actor.name)) may not \(step): role \(usable.map(\.id).joined(separator: ", ")) "
            + "acts only for its own unit (\(actor.unit)), and this concerns \(unit ?? "no unit")")
    }

    func mayAppeal(_ actor: PersonDef, rule: PenaltyAppealRule, id: PenaltyID) -> Bool {
        let unit = subjectUnit(id.subject)
        if rule.by.contains(PenaltyAppealRule.personConcerned) {
            switch id.subject.kind {
            case .person where actor.id == id.subject.id: return true
            case .unit where pack.unit(id.subject.id)?.head == actor.id: return true
            default: break
            }
        }
        return actor.roles.contains { r in
            guard rule.by.contains(r), let def = pack.role(r), !def.readOnly else { return false }
            return def.scope == .all || actor.unit == unit
        }
    }
}
