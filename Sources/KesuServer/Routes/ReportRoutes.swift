import Foundation
import Hummingbird
import KesuKernel
import KesuRendering
import KesuViews

/// Appraisal scores and the quarterly report, for callers with the `reports` permission.
struct ReportRoutes {
    let api: KesuAPI

    func register(on group: Registrar) {
        group.get("scores", scores)
        group.get("reports/quarterly", quarterly)
        group.get("register", register)
    }

    func period(_ q: Query, _ engine: Engine) throws -> Period {
        guard let label = try q.period() else {
            throw APIError.badRequest("query parameter 'period' is required, e.g. 2026Q3, 2026-10 or 2026", field: "?period")
        }
        do { return try Period.parse(label, calendar: engine.planner.calendar) } catch {
            throw APIError.badRequest("\(error)", field: "?period")
        }
    }

    @Sendable func scores(_ request: Request, context: KesuRequestContext) async throws -> Response {
        try context.caller().require(.reports, for: "read appraisal scores")
        let q = Query(request: request)
        try q.allowOnly(["period", "by", "format", "lang"])
        let engine = api.rules.engine
        let p = try period(q, engine)
        let by = ScoreSubject.Kind(rawValue: try q.oneOf("by", ["unit", "person"], default: "unit"))!
        let format = try q.oneOf("format", ["json", "csv"], default: "json")
        let lang = ScoreExport.Language(rawValue: try q.oneOf("lang", ["zh", "en"], default: "zh"))!
        let export = try await engine.scoreExport(period: p, by: by)
        if format == "csv" {
            return JSONResponse.make(data: export.csvCombined(lang: lang), contentType: "text/csv; charset=utf-8")
        }
        let zone = export.timeZone
        func value(_ v: ScoreExport.Value) -> JSONValue {
            switch v {
            case let .text(s): .string(s)
            case let .integer(n): .int(n)
            case let .decimal(x): .double(x)
            case let .rate(r): r.map(JSONValue.double) ?? .null
            case let .dateTime(d): .string(ISO8601.format(d, in: zone))
            case .none: .null
            }
        }
        func rows(_ t: ScoreExport.Table) -> JSONValue {
            .array(t.rows.map { r in .object(Dictionary(uniqueKeysWithValues: zip(t.columns.map(\.key), r.map(value)))) })
        }
        return JSONResponse.make(.object([
            "period": .string(p.label), "by": .string(by.rawValue), "time_zone": .string(zone.identifier),
            "from": .string(ISO8601.format(p.start, in: zone)), "until": .string(ISO8601.format(p.end, in: zone)),
            "rows": rows(export.summaryTable), "items": rows(export.itemsTable),
        ]))
    }

    /// The case register (台账) of the cases opened between two days, as the CLI's `kesu register` writes it.
    @Sendable func register(_ request: Request, context: KesuRequestContext) async throws -> Response {
        let who = try context.caller()
        try who.require(.reports, for: "download the case register")
        let q = Query(request: request)
        try q.allowOnly(["from", "until", "format"])
        let engine = api.rules.engine
        guard let from = q.string("from") else { throw APIError.badRequest("query parameter 'from' is required, e.g. 2026-10-01", field: "?from") }
        guard let until = q.string("until") else { throw APIError.badRequest("query parameter 'until' is required, e.g. 2026-12-31", field: "?until") }
        let format = try q.oneOf("format", ["csv", "xlsx"], default: "csv")
        let window: (from: Date, until: Date)
        do { window = try CaseRegister.window(from: from, until: until, calendar: engine.planner.calendar) } catch let e as KesuError {
            throw APIError.badRequest(e.message, field: e.message.hasPrefix("until") ? "?until" : "?from")
        }
        return try await ExportDownload.register(engine: engine, viewer: who, window: window, from: from, until: until,
                                                 xlsx: format == "xlsx", now: api.now(), via: .api)
    }

    @Sendable func quarterly(_ request: Request, context: KesuRequestContext) async throws -> Response {
        try context.caller().require(.reports, for: "read the quarterly report")
        let q = Query(request: request)
        try q.allowOnly(["period", "format"])
        let engine = api.rules.engine
        let p = try period(q, engine)
        guard p.kind == .quarter else {
            throw APIError.badRequest("the quarterly report needs a quarter such as 2026Q3, not '\(p.label)'", field: "?period")
        }
        let format = try q.oneOf("format", ["json", "html"], default: "json")
        let report = try await engine.quarterlyReport(period: p).labelled
        let zone = engine.planner.calendar.timeZone
        if format == "html" {
            return JSONResponse.make(data: Data(report.html(zone: zone).utf8), contentType: "text/html; charset=utf-8")
        }
        return JSONResponse.make(data: try JSONResponse.recordEncoder(zone: zone).encode(report), contentType: "application/json; charset=utf-8")
    }
}
