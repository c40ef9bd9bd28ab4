import Foundation
import Hummingbird
import KesuKernel
import KesuRendering

/// The rules in force, explaining intake fields, validating the pack folder and reloading it.
struct RuleRoutes {
    let api: KesuAPI

    func register(on group: Registrar) {
        group.get("me", me)
        group.get("rules", info)
        group.post("rules/explanation", explain)
        group.post("rules/validation", validate)
        group.post("rules/reload", reload)
    }

    @Sendable func me(_ request: Request, context: KesuRequestContext) async throws -> Response {
        let who = try context.caller()
        return JSONResponse.make(.object([
            "account": .string(context.account?.id ?? ""), "person": .string(who.id), "name": .string(who.person.name),
            "unit": .string(who.unit), "roles": .array(who.roles.map { .string($0.id) }),
            "permissions": .array(Permission.allCases.filter(who.has).map { .string($0.rawValue) }),
            "read_only": .bool(who.readOnly), "sees_all_cases": .bool(who.seesAllCases),
        ]))
    }

    static func infoJSON(_ i: LiveRules.Info) -> JSONValue {
        .object([
            "id": .string(i.id), "label": .string(i.label), "version": .string(i.version),
            "loaded_at": .string(ISO8601.format(i.loadedAt, in: i.timeZone)),
            "warnings": .array(i.warnings.sortedByLocation().map { .string($0.description) }),
        ])
    }

    @Sendable func info(_ request: Request, context: KesuRequestContext) async throws -> Response {
        _ = try context.caller()
        return JSONResponse.make(Self.infoJSON(api.rules.info))
    }

    @Sendable func explain(_ request: Request, context: KesuRequestContext) async throws -> Response {
        _ = try context.caller()
        let body = try await BodyObject.read(request, limit: api.settings.maxBodyBytes)
        try body.allowOnly(["fields", "at"])
        let fields = try body.object("fields", required: true)!.strings()
        let engine = api.rules.engine
        var at = api.now()
        if let text = try body.string("at") {
            guard let d = ISO8601.parse(text) else {
                throw APIError.badRequest("field 'at' must be an ISO-8601 time like 2026-09-30T10:00:00+08:00, not '\(text)'", field: "at")
            }
            at = d
        }
        let explainer = try Explainer(pack: engine.pack)
        let x = try explainer.explain(fields: fields, at: at)
        let text = ExplanationText(pack: engine.pack, zone: explainer.calendar.timeZone)
        return JSONResponse.make(.object([
            "routing_rule": .opt(x.routing.matched?.id), "handling_unit": .opt(x.routing.unit),
            "pack_version": .string(x.packVersion), "lines": .array(text.lines(x).map(JSONValue.string)),
        ]))
    }

    @Sendable func validate(_ request: Request, context: KesuRequestContext) async throws -> Response {
        try context.caller().require(.rulesAdmin, for: "validate the rule pack")
        let (diagnostics, version) = api.rules.validate()
        let sorted = diagnostics.sortedByLocation()
        return JSONResponse.make(.object([
            "ok": .bool(!diagnostics.hasErrors), "version": .opt(version), "path": .string(api.rules.rulesPath),
            "errors": .array(sorted.filter { $0.severity == .error }.map { .string($0.description) }),
            "warnings": .array(sorted.filter { $0.severity == .warning }.map { .string($0.description) }),
        ]))
    }

    @Sendable func reload(_ request: Request, context: KesuRequestContext) async throws -> Response {
        let who = try context.caller()
        try who.require(.rulesAdmin, for: "reload the rules")
        let result = try await api.reloadRules(reason: "admin call by \(who.id)")
        return JSONResponse.make(.object([
            "previous": Self.infoJSON(result.previous), "current": Self.infoJSON(result.current),
            "changed": .bool(result.previous.version != result.current.version),
        ]))
    }
}
