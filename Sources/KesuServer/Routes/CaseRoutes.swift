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
        group.post("cases/:number/extension-requests", requestExtension)
        group.post("cases/:number/extension-requests/decline", declineExtension)
        group.get("cases/:number/explanation", explain)
        group.post("cases/:number/attachments", attach)
        group.get("cases/:number/attachments/:sha256", download)
    }

    /// What a multipart form adds around the file (boundaries, part headers, `expected_version`).
    static let multipartOverhead = 64 * 1024

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
        try await api.recordPersonalView(who, result.state, via: .api)
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
        try await api.recordPersonalView(who, state, via: .api)
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
        try await api.recordPersonalView(who, next, via: .api)
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
        let length = try Self.extensionLength(body)
        let (engine, current, _) = try await visibleCase(context, who)
        try Self.knownClock(clock, engine)
        let now = api.now()
        let next = try await engine.extend(current.number, clock: clock, by: length, reason: reason, approver: who.id, at: now, expectedVersion: expected)
        let rules = try? await engine.planner(for: next)
        try await api.recordPersonalView(who, next, via: .api)
        return JSONResponse.make(.object(["case": CaseJSON(engine: engine, viewer: who).case(next, at: now, rules: rules)]))
    }

    /// `days` or `hours` of a body: exactly one, a positive integer.
    static func extensionLength(_ body: BodyObject) throws -> ClockLength {
        switch (try body.int("days"), try body.int("hours")) {
        case let (d?, nil) where d > 0: return .workingDays(d, .endOfDay)
        case let (nil, h?) where h > 0: return .workingMinutes(h * 60)
        default: throw APIError.badRequest("give exactly one of 'days' or 'hours', a positive integer", field: "days")
        }
    }

    /// An unknown clock is a value the pack does not have (422 naming it), not a missing case.
    static func knownClock(_ clock: String, _ engine: Engine) throws {
        guard engine.pack.clock(clock) != nil else {
            throw APIError(.unprocessableContent, "invalid_value",
                           "no clock '\(clock)' in this pack\(Suggest.hint(for: clock, in: engine.pack.clocks.map(\.id)))", field: "clock")
        }
    }

    /// 申请延期: the caller, working the case, asks an approver for more time on a running clock.
    @Sendable func requestExtension(_ request: Request, context: KesuRequestContext) async throws -> Response {
        let who = try context.caller()
        try who.mayWrite("ask for an extension")
        let body = try await BodyObject.read(request, limit: api.settings.maxBodyBytes)
        try body.allowOnly(["clock", "days", "hours", "reason", "expected_version"])
        let clock = try body.string("clock", required: true)!
        let reason = try body.string("reason", required: true)!
        let expected = try body.int("expected_version", required: true)!
        let length = try Self.extensionLength(body)
        let (engine, current, _) = try await visibleCase(context, who)
        try Self.knownClock(clock, engine)
        let now = api.now()
        let next = try await engine.requestExtension(current.number, clock: clock, by: length, reason: reason, requester: who.id, at: now,
                                                     expectedVersion: expected)
        let rules = try? await engine.planner(for: next)
        try await api.recordPersonalView(who, next, via: .api)
        return JSONResponse.make(.object(["case": CaseJSON(engine: engine, viewer: who).case(next, at: now, rules: rules)]), status: .created)
    }

    /// The approver declines the clock's pending extension request, with a reason.
    @Sendable func declineExtension(_ request: Request, context: KesuRequestContext) async throws -> Response {
        let who = try context.caller()
        try who.mayWrite("decline an extension request")
        let body = try await BodyObject.read(request, limit: api.settings.maxBodyBytes)
        try body.allowOnly(["clock", "reason", "expected_version"])
        let clock = try body.string("clock", required: true)!
        let reason = try body.string("reason", required: true)!
        let expected = try body.int("expected_version", required: true)!
        let (engine, current, _) = try await visibleCase(context, who)
        try Self.knownClock(clock, engine)
        let now = api.now()
        let next = try await engine.declineExtension(current.number, clock: clock, reason: reason, by: who.id, at: now, expectedVersion: expected)
        let rules = try? await engine.planner(for: next)
        try await api.recordPersonalView(who, next, via: .api)
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

    // MARK: Attachments

    /// `multipart/form-data` with a `file` part and an `expected_version` part. This body alone may exceed
    /// `maxBodyBytes`: up to the attachment limit and the form's overhead.
    @Sendable func attach(_ request: Request, context: KesuRequestContext) async throws -> Response {
        let who = try context.caller()
        try who.mayWrite("attach files")
        try Query(request: request).allowOnly([])
        let (engine, current, _) = try await visibleCase(context, who)
        let limits = api.settings.attachmentLimits
        let form = try await MultipartForm.read(request, limit: limits.maxBytes + Self.multipartOverhead)
        for part in form.parts where !["file", "expected_version"].contains(part.name) {
            throw APIError.badRequest("unknown form field '\(part.name)'\(Suggest.hint(for: part.name, in: ["file", "expected_version"]))", field: part.name)
        }
        guard let file = form.part("file"), let fileName = file.fileName else {
            throw APIError.badRequest("form field 'file' is required: a file part (Content-Disposition with a filename)", field: "file")
        }
        guard let text = form.text("expected_version") else {
            throw APIError.badRequest("form field 'expected_version' is required (an integer)", field: "expected_version")
        }
        guard let expected = Int(text) else {
            throw APIError.badRequest("form field 'expected_version' must be an integer, not '\(text.prefix(40))'", field: "expected_version")
        }
        let now = api.now()
        let next = try await engine.attach(number: current.number, fileName: fileName, mediaType: file.contentType ?? "application/octet-stream",
                                           content: file.body, by: who.id, at: now, expectedVersion: expected, limits: limits)
        let added = next.attachments.last!
        api.logger.info("attachment", metadata: ["case": "\(next.number)", "sha256": "\(added.sha256)", "bytes": "\(added.size)", "user": "\(who.id)"])
        var headers = HTTPFields()
        headers[.location] = "/v1/cases/\(next.number)/attachments/\(added.sha256)"
        let rules = try? await engine.planner(for: next)
        try await api.recordPersonalView(who, next, via: .api)
        return JSONResponse.make(.object(["case": CaseJSON(engine: engine, viewer: who).case(next, at: now, rules: rules)]),
                                 status: .created, headers: headers)
    }

    /// The file as a download: its stored type, never rendered inline nor sniffed, sandboxed if a browser opens it anyway.
    @Sendable func download(_ request: Request, context: KesuRequestContext) async throws -> Response {
        let who = try context.caller()
        try Query(request: request).allowOnly([])
        let (engine, current, _) = try await visibleCase(context, who)
        let sha = try context.parameters.require("sha256")
        let (meta, data) = try await engine.attachment(number: current.number, sha256: sha)
        return Response(status: .ok, headers: Self.downloadHeaders(meta), body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static let contentTypeOptions = HTTPField.Name("X-Content-Type-Options")!
    static let contentSecurityPolicy = HTTPField.Name("Content-Security-Policy")!

    /// The headers of an attachment download (the console serves files with these too).
    static func downloadHeaders(_ meta: CaseAttachment) -> HTTPFields {
        var headers = HTTPFields()
        headers[.contentType] = meta.mediaType
        headers[.contentLength] = String(meta.size)
        headers[.contentDisposition] = contentDisposition(fileName: meta.fileName)
        headers[Self.contentTypeOptions] = "nosniff"
        headers[Self.contentSecurityPolicy] = "sandbox"
        headers[.cacheControl] = "private, no-store"
        return headers
    }

    /// `attachment; filename="__.pdf"; filename*=UTF-8''%E6%9D%A5%E4%BF%A1.pdf` (RFC 6266 with RFC 5987's
    /// encoding): the plain `filename` is an ASCII stand-in for clients that do not read `filename*`.
    static func contentDisposition(fileName: String) -> String {
        let plain = String(String.UnicodeScalarView(fileName.unicodeScalars.map { s in
            s.isASCII && s.value >= 0x20 && s.value != 0x7F && s != "\"" && s != "\\" ? s : "_"
        }))
        let attrChars = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!#$&+-.^_`|~".utf8)
        let encoded = fileName.utf8.map { attrChars.contains($0) ? String(UnicodeScalar($0)) : String(format: "%%%02X", $0) }.joined()
        return "attachment; filename=\"\(plain)\"; filename*=UTF-8''\(encoded)"
    }
}
