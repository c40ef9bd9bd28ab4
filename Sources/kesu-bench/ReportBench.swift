import Foundation
import GRDB
import KesuKernel
import KesuRendering
import KesuSQLite
import KesuYAML

// The quarterly summary and the score export over a large store, each against the cheapest SQL that
// answers the same figures from the read model's table (issue 19): grouped counts of the report
// facts, read into nothing but the groups.
//
// The quarterly summary's figures, for the quarter and the one before: the measures by unit (facts
// that occurred in the quarter, by fact and unit; the cases routed to each unit, distinct) and the
// cases opened in the quarter by their fields at its end. The score export's: the quarter's
// measures by unit and its deductions summed by subject.

/// The facts `Measures` counts row by row, as the engine asks for them.
let measureFacts = Engine.measureFactKinds.map(\.rawValue)

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
    /// The read model built from the histories, when the store had none (a store from before it).
    var build: (cases: Int, time: Duration)?
    /// The dashboard's counts (`openCaseCounts`): median and slowest of 11 reads, and the open cases counted.
    var dashboard: (median: Duration, max: Duration, open: Int)
}

/// The measures of a period by unit: the rows of each fact, and the distinct cases routed.
func measuresBaselineSQL(_ p: Period) -> [(String, StatementArguments)] {
    let marks = measureFacts.map { _ in "?" }.joined(separator: ", ")
    let range: StatementArguments = [p.start.timeIntervalSinceReferenceDate, p.end.timeIntervalSinceReferenceDate]
    return [
        ("SELECT fact, unit, SUM(weight) FROM report_facts WHERE fact IN (\(marks)) AND occurred_at >= ? AND occurred_at < ? GROUP BY fact, unit",
         StatementArguments(measureFacts) + range),
        ("SELECT unit, COUNT(DISTINCT case_id) FROM report_facts WHERE fact = 'routed' AND occurred_at >= ? AND occurred_at < ? GROUP BY unit",
         range),
    ]
}

/// The cases opened in a period by their fields at its end.
func openedBaselineSQL(_ p: Period) -> (String, StatementArguments) {
    ("""
     SELECT kind, category, unit, channel, complainant_type, SUM(weight) FROM report_facts
     WHERE fact = 'opened' AND opened_at >= ? AND opened_at < ? AND occurred_at < ?
     GROUP BY kind, category, unit, channel, complainant_type
     """, [p.start.timeIntervalSinceReferenceDate, p.end.timeIntervalSinceReferenceDate, p.end.timeIntervalSinceReferenceDate])
}

/// The deductions of a period summed per subject, the score export's other figures.
func deductionSQL(_ p: Period) -> (String, StatementArguments) {
    ("""
     SELECT unit, person, SUM(points), COUNT(*) FROM report_facts
     WHERE fact = 'deduction' AND occurred_at >= ? AND occurred_at < ? GROUP BY unit, person
     """, [p.start.timeIntervalSinceReferenceDate, p.end.timeIntervalSinceReferenceDate])
}

func measureReports(loaded: LoadedPack, path: String, quarter label: String) async throws -> ReportFigures {
    let store = try SQLiteStore(path: path)
    defer { try? store.close() }
    let engine = try Engine(pack: loaded.pack, store: store, snapshot: loaded.snapshot)
    let clock = ContinuousClock()
    var build: (Int, Duration)?
    if try await !engine.reportFactsReady() {
        // A store from before the read model: build it as `kesu serve` would on upgrade, and time it.
        var cases = 0
        let time = try await clock.measure { cases = try await engine.buildReportFacts() }
        build = (cases, time)
        print("   read model built from \(cases) cases in \(fmt(seconds(time), 1)) s")
    }
    let calendar = try Planner(pack: loaded.pack).calendar
    let quarter = try Period.parse(label, calendar: calendar)
    let previous = try quarter.previousQuarter(calendar: calendar)
    let baselineDB = try DatabaseQueue(path: path, configuration: { var c = Configuration(); c.readonly = true; return c }())
    defer { try? baselineDB.close() }

    func groupBy(_ statements: [(String, StatementArguments)]) throws -> Int {
        try baselineDB.read { db in
            try statements.reduce(0) { n, s in n + (try GRDB.Row.fetchAll(db, sql: s.0, arguments: s.1).count) }
        }
    }
    let quarterlySQL = [previous, quarter].flatMap { measuresBaselineSQL($0) + [openedBaselineSQL($0)] }
    let exportSQL = measuresBaselineSQL(quarter) + [deductionSQL(quarter)]
    // One pass over everything first, so the page cache is equally warm for both sides.
    _ = try groupBy(quarterlySQL + exportSQL)
    _ = try await engine.quarterlyReport(period: quarter)

    var quarterlyRows = 0, exportRows = 0
    let quarterlyBaseline = try clock.measure { quarterlyRows = try groupBy(quarterlySQL) }
    var report: QuarterlyReport?
    let quarterly = try await clock.measure { report = try await engine.quarterlyReport(period: quarter) }

    let exportBaseline = try clock.measure { exportRows = try groupBy(exportSQL) }
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
    // The console's dashboard counts (督办: open cases by unit and state, overdue, due tonight), one read each.
    var times: [Duration] = []
    var open = 0
    let now = quarter.end.addingTimeInterval(-86_400)
    for _ in 0..<11 {
        times.append(try await clock.measure {
            open = try await store.openCaseCounts(overdueAt: now, dueBefore: now.addingTimeInterval(43_200)).reduce(0) { $0 + $1.open }
        })
    }
    times.sort()
    // The folded quarterly report, once, for the record of what the read model saves (not a ratio).
    let folded = try await clock.measure { _ = try await engine.quarterlyReport(period: quarter, source: .histories) }
    print("   quarterly summary folded from the histories instead: \(fmt(ms(folded), 0)) ms")
    return ReportFigures(quarterly: quarterly, quarterlyBaseline: quarterlyBaseline, export: export, exportBaseline: exportBaseline,
                         quarterlyRows: quarterlyRows, exportRows: exportRows, opened: report?.opened ?? 0,
                         deductions: deductions, exportBytes: bytes, build: build, dashboard: (times[5], times[10], open))
}

func reportRows(loaded: LoadedPack, path: String, quarter: String) async throws -> [Row3] {
    let f = try await measureReports(loaded: loaded, path: path, quarter: quarter)
    let q = seconds(f.quarterly) / seconds(f.quarterlyBaseline)
    let x = seconds(f.export) / seconds(f.exportBaseline)
    var rows: [Row3] = []
    if let (cases, time) = f.build {
        rows.append(Row3(figure: "read model built from the histories of a store from before it (\(cases) cases; once, at upgrade)",
                         measured: "\(fmt(seconds(time), 1)) s", reference: "no limit: reports fold until it is done", ratio: "-", verdict: "-"))
    }
    return rows + [
        Row3(figure: "quarterly summary \(quarter) (\(f.opened) cases opened; with the quarter before, by unit, typical cases)",
             measured: "\(fmt(ms(f.quarterly), 0)) ms",
             reference: "bare GROUP BYs of the same facts (\(f.quarterlyRows) groups): \(fmt(ms(f.quarterlyBaseline), 0)) ms; target ratio ≤ 1.5",
             ratio: fmt(q, 2), verdict: q <= 1.5 ? "ok" : "ABOVE"),
        Row3(figure: "score export \(quarter) by unit, CSV summary + items (\(f.deductions) deductions, \(f.exportBytes) bytes)",
             measured: "\(fmt(ms(f.export), 0)) ms",
             reference: "bare GROUP BYs of the same facts (\(f.exportRows) groups): \(fmt(ms(f.exportBaseline), 0)) ms; target ratio ≤ 1.5",
             ratio: fmt(x, 2), verdict: x <= 1.5 ? "ok" : "ABOVE"),
        Row3(figure: "dashboard counts (督办): the \(f.dashboard.open) open cases by unit and state, overdue, due by tonight, one read",
             measured: "\(fmt(ms(f.dashboard.median), 1)) ms median (max \(fmt(ms(f.dashboard.max), 1)))",
             reference: "limit 50 ms", ratio: fmt(ms(f.dashboard.median) / 50, 2), verdict: ms(f.dashboard.median) < 50 ? "ok" : "SLOW"),
    ]
}

func reportOnly(_ o: Options) async throws {
    guard let db = o.db else { throw BenchError("report needs --db FILE (a store from `kesu-bench generate`)") }
    let loaded = try RulePackLoader().load(directory: o.rules)
    print(table(try await reportRows(loaded: loaded, path: db, quarter: o.quarter)))
}
