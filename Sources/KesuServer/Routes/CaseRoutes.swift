import Foundation
import HTTPTypes
import Hummingbird
import KesuKernel
import KesuRendering

/// Intake, listing and search, one case with its history, transitions and extensions.
struct CaseRoutes {
    let api: KesuAPI

    func register(on group: Registrar) {
        group.post("cases", intake)
        group.get("cases", list)
        group.get("cases/:number", show)
        group.post("cases/:number/transitions", transition)
        group.post("cases/:number/extensions", extend)
        group.get("cases/:number/explanation", explain)
    }

    static let idempotencyKey = HTTPField.Name("Idempotency-Key")!

    @Sendable func intake(_ request: Request, context: KesuRequestContext) async throws -> Response {
        let who = try context.caller()
        try who.mayWrite("register a case")
        let body = try await BodyObject.read(request, limit: api.settings.maxBodyBytes)
        try body.allowOnly(["fields"])
        let fields = try body.object("fields", required: true)!.strings()
        let key = request.headers[Self.idempotencyKey]
        if let key, key.isEmpty || key.count > 200 {
            throw APIError.badRequest("the Idempotency-Key header must be 1 to 200 characters", field: "Idempotency-Key")
        }
        let engine = api.rules.engine
        let now = api.now()
        let result = try await engine.intake(fields: fields, by: who.id, at: now, idempotencyKey: key)
        let view = CaseJSON(engine: engine, viewer: who)
        api.logger.info("case registered", metadata: ["case": "\(result.state.number)", "user": "\(who.id)", "replayed": "\(result.replayed)"])
        var headers = HTTPFields()
        headers[.location] = "/v1/cases/\(result.state.number)"
        return JSONResponse.make(.object([
            "case": view.case(result.state, at: now),
            "routing_rule": .opt(result.routingRule), "proposed_category": .opt(result.proposedCategory),
            "replayed": .bool(result.replayed),
        ]), status: result.replayed ? .ok : .created, headers: headers)
    }

    @Sendable func list(_ request: Request, context: KesuRequestContext) async throws -> Response {
        let who = try context.caller()
        let q = Query(request: request)
        try q.allowOnly(["state", "unit", "overdue", "open", "from", "until", "text", "limit", "offset"])
        let engine = api.rules.engine
        let pack = engine.pack
        let now = api.now()
        var query = CaseQuery(limit: try q.int("limit", range: 1...500) ?? 50, offset: try q.int("offset", range: 0...Int(Int32.max)) ?? 0)
        if let state = q.string("state") {
            guard pack.state(state) != nil else {
                throw APIError.badRequest("no state '\(state)'\(Suggest.hint(for: state, in: pack.procedure.states.map(\.id)))", field: "?state")
            }
            query.state = state
        }
        if let unit = q.string("unit") {
            guard pack.units.contains(where: { $0.id == unit }) else {
                throw APIError.badRequest("no unit '\(unit)'\(Suggest.hint(for: unit, in: pack.units.map(\.id)))", field: "?unit")
            }
            query.unit = unit
        }
        if !who.seesAllCases {
            if let asked = query.unit, asked != who.unit {
                throw APIError(.forbidden, "forbidden", "\(who.person.name)(\(who.id)) sees only the cases of their unit (\(who.unit)), not \(asked)")
            }
            query.unit = who.unit
        }
        if try q.bool("overdue") { query.overdueAt = now }
        query.openOnly = try q.bool("open")
        query.openedFrom = try q.time("from")
        query.openedBefore = try q.time("until")
        query.text = q.string("text")
        let cases = try await engine.store.list(query)
        let total = try await engine.store.count(query)
        let view = CaseJSON(engine: engine, viewer: who)
        return JSONResponse.make(.object([
            "cases": .array(cases.map { view.summary($0, at: now) }), "total": .int(total),
            "limit": .int(query.limit), "offset": .int(query.offset),
        ]))
    }

    /// The case named in the path, if the caller may see it.
    func visibleCase(_ context: KesuRequestContext, _ who: Principal) async throws -> (Engine, CaseState, [Event]) {
        let number = try context.parameters.require("number")
        let engine = api.rules.engine
        let (state, events) = try await engine.history(number)
        try who.mustSee(state, number: state.number)
        return (engine, state, events)
    }

    @Sendable func show(_ request: Request, context: KesuRequestContext) async throws -> Response {
        let who = try context.caller()
        try Query(request: request).allowOnly([])
        let (engine, state, events) = try await visibleCase(context, who)
        let rules = try? await engine.planner(for: state)
        return JSONResponse.make(CaseJSON(engine: engine, viewer: who).case(state, at: api.now(), events: events, rules: rules))
    }

    @Sendable func transition(_ request: Request, context: KesuRequestContext) async throws -> Response {
        let who = try context.caller()
        try who.mayWrite("take a transition")
        let body = try await BodyObject.read(request, limit: api.settings.maxBodyBytes)
        try body.allowOnly(["transition", "expected_version", "fields"])
        let transition = try body.string("transition", required: true)!
        let expected = try body.int("expected_version", required: true)!
        let fields = try body.object("fields")?.strings() ?? [:]
        let (engine, current, _) = try await visibleCase(context, who)
        let now = api.now()
        let next = try await engine.act(current.number, transition: transition, fields: fields, by: who.id, at: now, expectedVersion: expected)
        api.logger.info("transition", metadata: ["case": "\(next.number)", "transition": "\(transition)", "user": "\(who.id)", "version": "\(next.version)"])
        let rules = try? await engine.planner(for: next)
        return JSONResponse.make(.object(["case": CaseJSON(engine: engine, viewer: who).case(next, at: now, rules: rules)]))
    }

    @Sendable func extend(_ request: Request, context: KesuRequestContext) async throws -> Response {
        let who = try context.caller()
        try who.mayWrite("extend a clock")
        let body = try await BodyObject.read(request, limit: api.settings.maxBodyBytes)
        try body.allowOnly(["clock", "days", "hours", "reason", "expected_version"])
        let clock = try body.string("clock", required: true)!
        let reason = try body.string("reason", required: true)!
        let expected = try body.int("expected_version", required: true)!
        let length: ClockLength
        switch (try body.int("days"), try body.int("hours")) {
        case let (d?, nil) where d > 0: length = .workingDays(d, .endOfDay)
        case let (nil, h?) where h > 0: length = .workingMinutes(h * 60)
        default: throw APIError.badRequest("give exactly one of 'days' or 'hours', a positive integer", field: "days")
        }
        let (engine, current, _) = try await visibleCase(context, who)
        // An unknown clock is a value the pack does not have (422 naming it), not a missing case.
        guard engine.pack.clock(clock) != nil else {
            throw APIError(.unprocessableContent, "invalid_value",
                           "no clock '\(clock)' in this pack\(Suggest.hint(for: clock, in: engine.pack.clocks.map(\.id)))", field: "clock")
        }
        let now = api.now()
        let next = try await engine.extend(current.number, clock: clock, by: length, reason: reason, approver: who.id, at: now, expectedVersion: expected)
        let rules = try? await engine.planner(for: next)
        return JSONResponse.make(.object(["case": CaseJSON(engine: engine, viewer: who).case(next, at: now, rules: rules)]))
    }

    @Sendable func explain(_ request: Request, context: KesuRequestContext) async throws -> Response {
        let who = try context.caller()
        try Query(request: request).allowOnly([])
        let (engine, state, events) = try await visibleCase(context, who)
        let rules = try await engine.planner(for: state)
        let explanation = try Explainer(pack: rules.pack).explain(events: events, now: api.now(), current: engine.pack)
        let text = ExplanationText(pack: rules.pack, zone: rules.calendar.timeZone)
        return JSONResponse.make(.object([
            "case": .string(state.number), "routing_rule": .opt(explanation.routing.matched?.id),
            "pack_version": .string(explanation.packVersion), "lines": .array(text.lines(explanation).map(JSONValue.string)),
        ]))
    }
}
