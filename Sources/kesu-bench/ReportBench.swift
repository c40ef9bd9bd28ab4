import Foundation
import GRDB
import KesuKernel
import KesuRendering
import KesuSQLite
import KesuYAML

// The quarterly summary and the score export over a large store, each against the bare SQL
// GROUP BY over the rows it reads, in the same run (issue 7, item 1).
//
// "The same rows": the quarterly report reads every event of the cases opened in the quarter and
// the quarter before, and of the cases with a counted event (routed, assigned, transition, …) in
// either quarter; the score export reads the deductions of the quarter and every event of the
// cases with a counted event in it. Each baseline groups exactly those rows by handling unit and
// event type in one statement, reading nothing into Swift but the groups.

/// The event types the measures count, in a fixed order for the statement's arguments.
let countedEventTypes = Engine.countedEventTypes.sorted()

struct ReportFigures {
    var quarterly: Duration
    var quarterlyBaseline: Duration
    var export: Duration
    var exportBaseline: Duration
    var quarterlyRows: Int
    var exportRows: Int
    var opened: Int
    var deductions: Int
    var exportBytes: Int
}

func baselineSQL(periods: [Period], opened: Bool) -> (String, StatementArguments) {
    let marks = countedEventTypes.map { _ in "?" }.joined(separator: ", ")
    var parts: [String] = []
    var args = StatementArguments()
    for p in periods {
        if opened {
            parts.append("SELECT id FROM cases WHERE opened_at >= ? AND opened_at < ?")
            args += [p.start.timeIntervalSinceReferenceDate, p.end.timeIntervalSinceReferenceDate]
        }
        parts.append("SELECT case_id FROM events WHERE type IN (\(marks)) AND occurred_at >= ? AND occurred_at < ?")
        args += StatementArguments(countedEventTypes)
        args += [p.start.timeIntervalSinceReferenceDate, p.end.timeIntervalSinceReferenceDate]
    }
    let sql = """
        SELECT c.handling_unit, e.type, COUNT(*) FROM events e JOIN cases c ON c.id = e.case_id
        WHERE e.case_id IN (\(parts.joined(separator: " UNION ")))
        GROUP BY c.handling_unit, e.type
        """
    return (sql, args)
}

/// The deductions of a period summed per subject, the score export's other read.
func deductionSQL(_ p: Period) -> (String, StatementArguments) {
    ("""
     SELECT json_extract(body, '$.deduction.subject.kind') AS kind, json_extract(body, '$.deduction.subject.id') AS id,
            SUM(json_extract(body, '$.deduction.points')), COUNT(*)
     FROM events WHERE type = 'deduction' AND occurred_at >= ? AND occurred_at < ? GROUP BY kind, id
     """, [p.start.timeIntervalSinceReferenceDate, p.end.timeIntervalSinceReferenceDate])
}

func measureReports(loaded: LoadedPack, path: String, quarter label: String) async throws -> ReportFigures {
    let store = try SQLiteStore(path: path)
    defer { try? store.close() }
    let engine = try Engine(pack: loaded.pack, store: store, snapshot: loaded.snapshot)
    let calendar = try Planner(pack: loaded.pack).calendar
    let quarter = try Period.parse(label, calendar: calendar)
    let previous = try quarter.previousQuarter(calendar: calendar)
    let baselineDB = try DatabaseQueue(path: path, configuration: { var c = Configuration(); c.readonly = true; return c }())
    defer { try? baselineDB.close() }

    func groupBy(_ periods: [Period], opened: Bool, deductions: Bool) throws -> Int {
        try baselineDB.read { db in
            let (sql, args) = baselineSQL(periods: periods, opened: opened)
            var n = try GRDB.Row.fetchAll(db, sql: sql, arguments: args).count
            if deductions {
                let (dsql, dargs) = deductionSQL(quarter)
                n += try GRDB.Row.fetchAll(db, sql: dsql, arguments: dargs).count
            }
            return n
        }
    }
    let clock = ContinuousClock()
    // One pass over everything first, so the page cache is equally warm for both sides.
    _ = try groupBy([previous, quarter], opened: true, deductions: true)

    var quarterlyRows = 0, exportRows = 0
    let quarterlyBaseline = try clock.measure { quarterlyRows = try groupBy([previous, quarter], opened: true, deductions: false) }
    var report: QuarterlyReport?
    let quarterly = try await clock.measure { report = try await engine.quarterlyReport(period: quarter) }

    let exportBaseline = try clock.measure { exportRows = try groupBy([quarter], opened: false, deductions: true) }
    // Where the export's time goes, for the profile of the record (not part of the ratio).
    let parts = (try await clock.measure { _ = try await engine.scores(period: quarter, by: .unit) },
                 try await clock.measure { _ = try await engine.measures(period: quarter, by: .unit) })
    print("   score export parts: deductions and line items \(fmt(ms(parts.0), 0)) ms, measures \(fmt(ms(parts.1), 0)) ms")
    var bytes = 0, deductions = 0
    let export = try await clock.measure {
        let e = try await engine.scoreExport(period: quarter, by: .unit)
        let files = e.csvFiles(lang: .zh)
        bytes = files.summary.count + files.items.count
        deductions = e.items.count
    }
    return ReportFigures(quarterly: quarterly, quarterlyBaseline: quarterlyBaseline, export: export, exportBaseline: exportBaseline,
                         quarterlyRows: quarterlyRows, exportRows: exportRows, opened: report?.opened ?? 0,
                         deductions: deductions, exportBytes: bytes)
}

func reportRows(loaded: LoadedPack, path: String, quarter: String) async throws -> [Row3] {
    let f = try await measureReports(loaded: loaded, path: path, quarter: quarter)
    let q = seconds(f.quarterly) / seconds(f.quarterlyBaseline)
    let x = seconds(f.export) / seconds(f.exportBaseline)
    return [
        Row3(figure: "quarterly summary \(quarter) (\(f.opened) cases opened; with the quarter before, by unit, typical cases)",
             measured: "\(fmt(ms(f.quarterly), 0)) ms",
             reference: "bare GROUP BY over the same rows (\(f.quarterlyRows) groups): \(fmt(ms(f.quarterlyBaseline), 0)) ms; target ratio ≤ 1.5",
             ratio: fmt(q, 2), verdict: q <= 1.5 ? "ok" : "ABOVE"),
        Row3(figure: "score export \(quarter) by unit, CSV summary + items (\(f.deductions) deductions, \(f.exportBytes) bytes)",
             measured: "\(fmt(ms(f.export), 0)) ms",
             reference: "bare GROUP BY over the same rows (\(f.exportRows) groups): \(fmt(ms(f.exportBaseline), 0)) ms; target ratio ≤ 1.5",
             ratio: fmt(x, 2), verdict: x <= 1.5 ? "ok" : "ABOVE"),
    ]
}

func reportOnly(_ o: Options) async throws {
    guard let db = o.db else { throw BenchError("report needs --db FILE (a store from `kesu-bench generate`)") }
    let loaded = try RulePackLoader().load(directory: o.rules)
    print(table(try await reportRows(loaded: loaded, path: db, quarter: o.quarter)))
}
