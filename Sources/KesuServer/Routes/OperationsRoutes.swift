import Foundation
import Hummingbird
import KesuKernel

/// Health, readiness and metrics (no token), and the sweep on demand (administrators).
struct OperationsRoutes {
    let api: KesuAPI

    func registerOpen(on router: Registrar) {
        router.get("healthz") { _, _ in JSONResponse.make(.object(["status": .string("ok")])) }
        router.get("readyz", ready)
        if api.settings.openMetrics { router.get("metrics", metrics) }
    }

    func register(on group: Registrar) {
        group.post("sweep", sweep)
        if !api.settings.openMetrics { group.get("metrics", metrics) }
    }

    /// Ready when the store answers and rules are in force.
    @Sendable func ready(_ request: Request, context: KesuRequestContext) async throws -> Response {
        let engine = api.rules.engine
        do {
            _ = try await engine.store.count(CaseQuery(limit: 1))
        } catch {
            return JSONResponse.make(.object(["status": .string("unavailable"), "reason": .string("store: \(error)")]), status: .serviceUnavailable)
        }
        let info = api.rules.info
        return JSONResponse.make(.object(["status": .string("ready"), "rules": .string("\(info.id) \(info.label)"), "version": .string(info.version)]))
    }

    @Sendable func metrics(_ request: Request, context: KesuRequestContext) async throws -> Response {
        let text = try await api.metrics.render(engine: api.rules.engine, at: api.now())
        return JSONResponse.make(data: Data(text.utf8), contentType: "text/plain; version=0.0.4; charset=utf-8")
    }

    @Sendable func sweep(_ request: Request, context: KesuRequestContext) async throws -> Response {
        try context.caller().require(.rulesAdmin, for: "run the sweep")
        let r = try await api.sweeper.sweepNow()
        return JSONResponse.make(SweepService.json(r, zone: api.rules.engine.planner.calendar.timeZone))
    }
}
