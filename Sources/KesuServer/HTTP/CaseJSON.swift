import Foundation
import KesuKernel

/// How cases, summaries and events look in the API (docs/openapi.yaml: Case, CaseSummary,
/// Event). Times are ISO-8601 in the pack's zone; personal data is masked for callers without
/// the `personal_data` permission.
struct CaseJSON {
    let engine: Engine
    let viewer: Principal
    var pack: RulePack { engine.pack }
    var zone: TimeZone { engine.planner.calendar.timeZone }

    func time(_ d: Date?) -> JSONValue { d.map { .string(ISO8601.format($0, in: zone)) } ?? .null }

    func `case`(_ raw: CaseState, at now: Date, events: [Event]? = nil, rules: Planner? = nil) -> JSONValue {
        let s = raw.redacted(for: viewer, pack: pack)
        let planner = rules ?? engine.planner
        var o: [String: JSONValue] = [
            "id": .int(Int(s.id)), "number": .string(s.number), "state": .string(s.state),
            "state_name": .string(planner.pack.state(s.state)?.name ?? s.state),
            "handling_unit": .opt(s.handlingUnit), "routing_rule": .opt(s.routingRule), "assignee": .opt(s.assignee),
            "version": .int(s.version), "opened_at": time(s.openedAt), "updated_at": time(s.updatedAt),
            "closed_at": time(s.closedAt), "fields": .object(s.fields.mapValues(JSONValue.string)),
            "clocks": .array(s.clocks.values.sorted { $0.run.clock < $1.run.clock }.map { c in
                .object([
                    "id": .string(c.run.clock), "name": .string(planner.pack.clock(c.run.clock)?.name ?? c.run.clock),
                    "run": .int(c.run.run), "status": .string(c.status.rawValue), "started_at": time(c.startedAt),
                    "due_at": time(c.dueAt), "stopped_at": time(c.stoppedAt), "late": .bool(c.late),
                    "extensions": .int(c.extensions.count),
                ])
            }),
            "overdue": .bool(s.earliestDue.map { $0 <= now } ?? false),
            "violations": .array(s.violations.map { .string($0.id) }),
            "outcomes": .array(s.outcomes.map(JSONValue.string)),
            "available_transitions": .array(planner.available(for: s).map {
                .object(["id": .string($0.id), "name": .string($0.name)])
            }),
            "pack_version": .string(s.packVersion),
        ]
        if let events {
            let personal = PersonalData.personalFields(in: pack)
            let masked = viewer.has(.personalData) ? events : events.map { $0.redacted(personalFields: personal, pack: pack) }
            o["events"] = .array(masked.map(event))
        }
        return .object(o)
    }

    func event(_ e: Event) -> JSONValue {
        let body = (try? JSONResponse.encoder.encode(e.body)).flatMap { try? JSONDecoder().decode(JSONValue.self, from: $0) } ?? .null
        return .object([
            "seq": .int(e.seq), "at": time(e.at), "actor": .string(e.actor), "type": .string(e.type),
            "rule_id": .opt(e.ruleID), "pack_version": .string(e.packVersion), "body": body,
        ])
    }

    func summary(_ s: CaseSummary, at now: Date) -> JSONValue {
        .object([
            "id": .int(Int(s.id)), "number": .string(s.number), "state": .string(s.state),
            "state_name": .string(pack.state(s.state)?.name ?? s.state),
            "handling_unit": .opt(s.handlingUnit), "kind": .opt(s.kind), "category": .opt(s.category),
            "level": .opt(s.level), "channel": .opt(s.channel),
            "opened_at": time(s.openedAt), "updated_at": time(s.updatedAt), "closed_at": time(s.closedAt),
            "earliest_due": time(s.earliestDue), "overdue": .bool(s.closedAt == nil && (s.earliestDue.map { $0 <= now } ?? false)),
            "version": .int(s.version), "pack_version": .string(s.packVersion),
        ])
    }
}
