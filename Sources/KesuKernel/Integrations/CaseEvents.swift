import Foundation

/// The events integrators receive (webhooks, exec plugins, the feed): one per recorded event, in the one JSON
/// form docs/integrations.md describes. Built from the event and the case as the event left it, so a webhook
/// at commit time and a feed read later give the same object.
public enum CaseEvents {
    /// The version of the JSON form, sent as `version`.
    public static let formatVersion = 1

    /// The event's stable id: its place in its case's history.
    public static func id(number: String, seq: Int) -> String { "\(number):\(seq)" }

    /// The catalogue's type of an event. `case.answered` is the stop of the clock the pack's reporting calls the
    /// answer clock (`reporting.on_time_clock`); every other event maps by its kind alone.
    public static func type(of event: Event, pack: RulePack) -> String {
        switch event.body {
        case .intake: "case.registered"
        case .transition: "case.transitioned"
        case .routed: "case.routed"
        case .closed: "case.closed"
        case .assigned: "case.assigned"
        case .clockStarted: "clock.started"
        case let .clockStopped(run, _): run.clock == pack.reporting.onTimeClock ? "case.answered" : "clock.stopped"
        case .clockPaused: "clock.paused"
        case .clockResumed: "clock.resumed"
        case .clockExtended: "clock.extended"
        case .clockReplanned: "clock.replanned"
        case .reminder: "case.reminded"
        case .escalation: "case.escalated"
        case .violation: "violation.recorded"
        case .outcome: "outcome.recorded"
        case .deduction: "deduction.recorded"
        case .attachmentAdded: "attachment.added"
        case .extensionRequested: "extension.requested"
        case .extensionDeclined: "extension.declined"
        }
    }

    /// Every type the catalogue has, for checking subscriptions.
    public static let types: [String] = [
        "case.registered", "case.transitioned", "case.routed", "case.closed", "case.assigned", "case.answered",
        "case.reminded", "case.escalated", "clock.started", "clock.stopped", "clock.paused", "clock.resumed",
        "clock.extended", "clock.replanned", "violation.recorded", "outcome.recorded", "deduction.recorded",
        "attachment.added", "extension.requested", "extension.declined",
        "penalty.decided", "penalty.appealed", "penalty.appeal_decided",
    ]

    /// A penalty record (decided, appealed, appeal decided) as integrators receive it: `id` is `<stream>:<seq>`,
    /// `penalty` names the proceeding, `data` is the record as the penalty pages read it. Not about a case, so
    /// only subscriptions without `where` receive it, and it is not in the case feed.
    public static func penaltyJSON(_ record: RecordEvent, penalty: PenaltyID) -> JSONValue {
        let data = (try? JSONValue.parse(Data(record.body.utf8))) ?? .null
        return [
            "version": .number(Double(formatVersion)),
            "id": .string("\(record.stream):\(record.seq)"),
            "type": .string("penalty.\(record.type)"),
            "seq": .number(Double(record.seq)),
            "at": .string(Notification.utc(record.at)),
            "actor": .string(record.actor),
            "rule": .null,
            "penalty": ["id": .string(penalty.description), "period": .string(penalty.period),
                        "subject": ["kind": .string(penalty.subject.kind.rawValue), "id": .string(penalty.subject.id)]],
            "data": data,
        ]
    }

    /// The event as integrators receive it. `after` is the case as the event (and those before it) left it;
    /// `personalData` false masks the complainant's name, phone and the pack's personal fields, in `case.fields`
    /// and in the fields the event itself carries.
    public static func json(_ event: Event, after state: CaseState, pack: RulePack, personalData: Bool) -> JSONValue {
        let personal = personalData ? [] : PersonalData.personalFields(in: pack)
        func fields(_ f: [String: String]) -> JSONValue {
            .object(PersonalData.redact(f, personalFields: personal).mapValues(JSONValue.string))
        }
        func time(_ d: Date?) -> JSONValue { d.map { .string(Notification.utc($0)) } ?? .null }
        func str(_ s: String?) -> JSONValue { s.map(JSONValue.string) ?? .null }
        func run(_ r: ClockRun?) -> [String: JSONValue] {
            ["clock": str(r?.clock), "run": r.map { .number(Double($0.run)) } ?? .null]
        }
        let data: [String: JSONValue] = switch event.body {
        case let .intake(_, s, f): ["state": .string(s), "fields": fields(f)]
        case let .transition(id, from, to, f): ["transition": .string(id), "from": .string(from), "to": .string(to), "fields": fields(f)]
        case let .routed(unit, reason): ["unit": .string(unit), "reason": .string(reason)]
        case let .closed(s): ["state": .string(s)]
        case let .assigned(p): ["person": .string(p)]
        case let .clockStarted(r, startedAt, dueAt): run(r).merging(["started_at": time(startedAt), "due_at": time(dueAt)]) { a, _ in a }
        case let .clockStopped(r, late): run(r).merging(["late": .bool(late)]) { a, _ in a }
        case let .clockPaused(r, remaining): run(r).merging(["remaining_seconds": .number(remaining)]) { a, _ in a }
        case let .clockResumed(r, dueAt): run(r).merging(["due_at": time(dueAt)]) { a, _ in a }
        case let .clockExtended(r, dueAt, reason, approver, _):
            run(r).merging(["due_at": time(dueAt), "reason": .string(reason), "approver": .string(approver)]) { a, _ in a }
        case let .clockReplanned(r, dueAt, previous, _): run(r).merging(["due_at": time(dueAt), "previous_due_at": time(previous)]) { a, _ in a }
        case let .reminder(r, step, dueAt, to), let .escalation(r, step, dueAt, to):
            run(r).merging(["step": .number(Double(step + 1)), "due_at": time(dueAt),
                            "recipients": .array(to.map(JSONValue.string))]) { a, _ in a }
        case let .violation(id, r, unit, person, occurredAt):
            run(r).merging(["violation": .string(id), "unit": .string(unit), "person": str(person), "occurred_at": time(occurredAt)]) { a, _ in a }
        case let .outcome(id, unit, person): ["outcome": .string(id), "unit": str(unit), "person": str(person)]
        case let .deduction(cause, subject, points, occurredAt):
            ["cause": .string(cause), "subject": ["kind": .string(subject.kind.rawValue), "id": .string(subject.id)],
             "points": .number(points), "occurred_at": time(occurredAt)]
        case let .attachmentAdded(name, type, size, sha):
            ["file_name": .string(name), "media_type": .string(type), "size": .number(Double(size)), "sha256": .string(sha)]
        case let .extensionRequested(r, length, reason):
            run(r).merging(["length": .string(length.description), "reason": .string(reason)]) { a, _ in a }
        case let .extensionDeclined(r, reason, by): run(r).merging(["reason": .string(reason), "by": .string(by)]) { a, _ in a }
        }
        return [
            "version": .number(Double(formatVersion)),
            "id": .string(id(number: state.number, seq: event.seq)),
            "type": .string(type(of: event, pack: pack)),
            "seq": .number(Double(event.seq)),
            "at": time(event.at),
            "actor": .string(event.actor),
            "rule": str(event.ruleID),
            "case": [
                "number": .string(state.number), "state": .string(state.state), "handling_unit": str(state.handlingUnit),
                "assignee": str(state.assignee), "opened_at": time(state.openedAt), "closed_at": time(state.closedAt),
                "pack_version": .string(state.packVersion), "fields": fields(state.fields),
            ],
            "data": .object(data),
        ]
    }

    /// The events of one commit as integrators receive them: each with the case as it left it.
    public static func json(_ events: [Event], after before: CaseState, pack: RulePack, personalData: Bool) -> [(Event, JSONValue)] {
        var state = before
        return events.map { e in
            state.apply(e)
            return (e, json(e, after: state, pack: pack, personalData: personalData))
        }
    }
}
