import Foundation
import Hummingbird
import KesuKernel
import KesuRendering

/// The rest of the procedure beyond single cases: periodic reports owed by units (第十二条),
/// penalties decided on the thresholds' recommendations, and the notification outbox.
struct ProcedureRoutes {
    let api: KesuAPI

    func register(on group: Registrar) {
        group.get("reports/due", reportsDue)
        group.post("reports/submissions", submitReport)
        group.get("penalties", penalties)
        group.get("penalties/:id", penalty)
        group.post("penalties/:id/decision", decide)
        group.post("penalties/:id/appeal", appeal)
        group.post("penalties/:id/appeal-decision", decideAppeal)
        group.get("notifications", notifications)
        group.post("notifications/retry", retry)
    }

    func time(_ d: Date?, _ engine: Engine) -> JSONValue {
        d.map { .string(ISO8601.format($0, in: engine.planner.calendar.timeZone)) } ?? .null
    }

    /// A Codable record as JSON, dates in the pack's zone.
    func encoded<T: Encodable>(_ value: T?, _ engine: Engine) -> JSONValue {
        guard let value else { return .null }
        let e = JSONResponse.recordEncoder(zone: engine.planner.calendar.timeZone)
        return (try? e.encode(value)).flatMap { try? JSONDecoder().decode(JSONValue.self, from: $0) } ?? .null
    }

    // MARK: Periodic reports

    func dutyJSON(_ d: ReportDuty, _ engine: Engine) -> JSONValue {
        .object([
            "report": .string(d.reportID), "name": .string(d.reportName), "unit": .string(d.unit), "due": time(d.due, engine),
            "status": .string(d.status.rawValue), "reminded": .bool(d.reminded), "submitted_at": time(d.submittedAt, engine),
            "submitted_by": .opt(d.submittedBy), "note": .opt(d.note),
        ])
    }

    @Sendable func reportsDue(_ request: Request, context: KesuRequestContext) async throws -> Response {
        let who = try context.caller()
        let q = Query(request: request)
        try q.allowOnly(["period"])
        let engine = api.rules.engine
        let now = api.now()
        let quarter: Period
        do { quarter = try engine.reportQuarter(try q.period(), at: now) } catch let e as KesuError {
            throw APIError.badRequest(e.message, field: "?period")
        }
        let duties = try await engine.reportDuties(quarter: quarter, at: now).filter { who.seesAllCases || $0.unit == who.unit }
        return JSONResponse.make(.object(["period": .string(quarter.label), "reports": .array(duties.map { dutyJSON($0, engine) })]))
    }

    @Sendable func submitReport(_ request: Request, context: KesuRequestContext) async throws -> Response {
        let who = try context.caller()
        try who.mayWrite("hand in a periodic report")
        let body = try await BodyObject.read(request, limit: api.settings.maxBodyBytes)
        try body.allowOnly(["report", "period", "unit", "note"])
        let engine = api.rules.engine
        let now = api.now()
        let quarter: Period
        do { quarter = try engine.reportQuarter(try body.period(), at: now) } catch let e as KesuError {
            throw APIError.badRequest(e.message, field: "period")
        }
        let duty = try await engine.submitReport(try body.string("report", required: true)!, quarter: quarter, unit: try body.string("unit"),
                                                 note: try body.string("note"), by: who.id, at: now)
        return JSONResponse.make(.object(["period": .string(quarter.label), "report": dutyJSON(duty, engine)]), status: .created)
    }

    // MARK: Penalties

    func penaltyJSON(_ p: PenaltyProceeding, _ engine: Engine, at now: Date) -> JSONValue {
        var rec: JSONValue = .null
        if let r = p.recommendation {
            rec = .object([
                "penalty": .string(r.penalty), "penalty_name": .string(r.penaltyName), "threshold": .string(r.threshold),
                "threshold_points": .double(r.thresholdPoints), "baseline": .double(r.baseline), "deducted": .double(r.deducted),
                "evidence": encoded(r.evidence, engine),
            ])
        }
        return .object([
            "id": .string(p.id.description), "period": .string(p.id.period), "subject_kind": .string(p.id.subject.kind.rawValue),
            "subject": .string(p.id.subject.id), "subject_name": .string(p.subjectName), "status": .string(p.status(at: now).rawValue),
            "recommendation": rec, "decision": encoded(p.decision?.labelled, engine), "decided_at": time(p.decidedAt, engine),
            "appeal": encoded(p.appeal, engine), "appeal_decision": encoded(p.appealDecision?.labelled, engine),
            "penalty_in_force": .opt(p.penaltyInForce), "penalty_in_force_name": .opt(p.penaltyInForceName),
        ])
    }

    @Sendable func penalties(_ request: Request, context: KesuRequestContext) async throws -> Response {
        try context.caller().require(.reports, for: "read penalties")
        let q = Query(request: request)
        try q.allowOnly(["period", "status"])
        let engine = api.rules.engine
        let now = api.now()
        var periods: [Period]
        if let label = try q.period() {
            do { periods = [try Period.parse(label, calendar: engine.planner.calendar)] } catch {
                throw APIError.badRequest("\(error)", field: "?period")
            }
        } else {
            periods = try await engine.penaltyPeriods(at: now)
        }
        let status = try q.oneOf("status", ["all"] + PenaltyProceeding.Status.allCases.map(\.rawValue), default: "all")
        let all = try await engine.penalties(periods: periods)
        let shown = all.filter { status == "all" || $0.status(at: now).rawValue == status }
        return JSONResponse.make(.object([
            "periods": .array(periods.map { .string($0.label) }), "penalties": .array(shown.map { penaltyJSON($0, engine, at: now) }),
        ]))
    }

    @Sendable func penalty(_ request: Request, context: KesuRequestContext) async throws -> Response {
        try context.caller().require(.reports, for: "read penalties")
        let engine = api.rules.engine
        let now = api.now()
        return JSONResponse.make(penaltyJSON(try await engine.penalty(try context.parameters.require("id"), at: now), engine, at: now))
    }

    @Sendable func decide(_ request: Request, context: KesuRequestContext) async throws -> Response {
        let who = try context.caller()
        try who.mayWrite("decide a penalty")
        let body = try await BodyObject.read(request, limit: api.settings.maxBodyBytes)
        try body.allowOnly(["decision", "reason"])
        let engine = api.rules.engine
        let now = api.now()
        let p = try await engine.decidePenalty(try context.parameters.require("id"), decision: try body.string("decision", required: true)!,
                                               reason: try body.string("reason", required: true)!, by: who.id, at: now)
        return JSONResponse.make(penaltyJSON(p, engine, at: now))
    }

    @Sendable func appeal(_ request: Request, context: KesuRequestContext) async throws -> Response {
        let who = try context.caller()
        try who.mayWrite("appeal a penalty")
        let body = try await BodyObject.read(request, limit: api.settings.maxBodyBytes)
        try body.allowOnly(["reason"])
        let engine = api.rules.engine
        let now = api.now()
        let p = try await engine.appealPenalty(try context.parameters.require("id"), reason: try body.string("reason", required: true)!, by: who.id, at: now)
        return JSONResponse.make(penaltyJSON(p, engine, at: now))
    }

    @Sendable func decideAppeal(_ request: Request, context: KesuRequestContext) async throws -> Response {
        let who = try context.caller()
        try who.mayWrite("decide an appeal")
        let body = try await BodyObject.read(request, limit: api.settings.maxBodyBytes)
        try body.allowOnly(["outcome", "decision", "reason"])
        let text = try body.string("outcome", required: true)!
        guard let outcome = PenaltyAppealOutcome(rawValue: text) else {
            let known = PenaltyAppealOutcome.allCases.map(\.rawValue)
            throw APIError.badRequest("field 'outcome' must be one of \(known.joined(separator: ", ")), not '\(text)'\(Suggest.hint(for: text, in: known))", field: "outcome")
        }
        let engine = api.rules.engine
        let now = api.now()
        let p = try await engine.decidePenaltyAppeal(try context.parameters.require("id"), outcome: outcome, decision: try body.string("decision"),
                                                     reason: try body.string("reason", required: true)!, by: who.id, at: now)
        return JSONResponse.make(penaltyJSON(p, engine, at: now))
    }

    // MARK: Notifications

    @Sendable func notifications(_ request: Request, context: KesuRequestContext) async throws -> Response {
        try context.caller().require(.rulesAdmin, for: "read the notification outbox")
        let q = Query(request: request)
        try q.allowOnly(["status", "limit"])
        let status = try q.oneOf("status", ["pending", "failed", "delivered", "all"], default: "pending")
        let engine = api.rules.engine
        let items = try await engine.store.outbox(status: OutboxItem.Status(rawValue: status), limit: try q.int("limit", range: 1...10_000) ?? 100)
        return JSONResponse.make(.object(["notifications": .array(items.map { i in
            .object([
                "id": .int(Int(i.id)), "channel": .string(i.channel), "status": .string(i.status.rawValue), "attempts": .int(i.attempts),
                "kind": .string(i.notification.kind.rawValue), "case": .string(i.notification.caseNumber),
                "recipients": .array(i.notification.recipients.map(JSONValue.string)), "text": .string(i.notification.text),
                "created_at": time(i.createdAt, engine), "next_attempt_at": time(i.nextAttemptAt, engine),
                "last_error": .opt(i.lastError),
            ])
        })]))
    }

    @Sendable func retry(_ request: Request, context: KesuRequestContext) async throws -> Response {
        try context.caller().require(.rulesAdmin, for: "retry notifications")
        let body = try await BodyObject.read(request, limit: api.settings.maxBodyBytes)
        try body.allowOnly(["ids"])
        var ids: [Int64]?
        if let raw = body.values["ids"] {
            guard case let .array(list) = raw else { throw APIError.badRequest("field 'ids' must be an array of integers, not \(raw.kind)", field: "ids") }
            ids = try list.map { v in
                guard case let .number(n) = v, n.rounded() == n, abs(n) < 1e15 else { throw APIError.badRequest("field 'ids' must hold integers, not \(v.kind)", field: "ids") }
                return Int64(n)
            }
        }
        let engine = api.rules.engine
        let now = api.now()
        let changed = try await engine.store.retryOutbox(ids: ids, at: now)
        let delivery = try await engine.deliverOutbox(at: now)
        return JSONResponse.make(.object(["retried": .int(changed), "delivered": .int(delivery.delivered)]))
    }
}
