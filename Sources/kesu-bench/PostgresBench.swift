import Foundation
import KesuKernel
import KesuPostgres
import KesuYAML
import Logging
import PostgresNIO

// kesu-bench postgres --url URL [--intakes N]: durable intake through the Engine into
// PostgresCaseStore with 1 and 8 concurrent writers, against the same rows written by raw
// postgres-nio transactions in the same run (issue 7, item 1) — with the pack's numbers gapless
// (the default) and, with 8 writers, with gaps allowed (`case_number_gaps: allowed`, issue 19).
//
// The raw writer copies each case the engine wrote (its `cases` row, its `events` and its `report_facts` rows) into
// identical tables (`CREATE TABLE … (LIKE … INCLUDING ALL)`: same columns, keys and indexes), one
// transaction per case, with the same number of concurrent writers. What it leaves out is the
// engine's work: routing, clocks, the id and number counters, the idempotency and summary logic.

func postgresBench(_ o: Options) async throws {
    guard let url = o.url else { throw BenchError("postgres needs --url postgres://user@host:port/db") }
    print("machine: \(machine())")
    var rows = try await postgresRows(o, url: url)
    // Two servers on one schema under load, when the release kesu and wrk are at hand.
    if o.httpSeconds > 0, let kesu = siblingKesu(), let wrk = which("wrk") {
        rows += try await twoInstanceRows(kesu: kesu, wrk: wrk, url: url, rules: o.rules, seconds: o.httpSeconds, connections: 4)
    }
    print()
    print(table(rows))
}

/// Runs statements on the server at `url` (schemas for the HTTP run).
func postgresSQL(_ url: String, _ statements: [String]) async throws {
    var logger = Logger(label: "kesu-bench")
    logger.logLevel = .error
    let client = PostgresClient(configuration: try PostgresURL(url).clientConfiguration(poolSize: 1), backgroundLogger: logger)
    let task = Task { await client.run() }
    defer { task.cancel() }
    for s in statements { try await client.query(PostgresQuery(unsafeSQL: s), logger: logger) }
}

/// The text of each column of the first row `sql` returns.
func postgresSQLRows(_ url: String, _ sql: String) async throws -> [String] {
    var logger = Logger(label: "kesu-bench")
    logger.logLevel = .error
    let client = PostgresClient(configuration: try PostgresURL(url).clientConfiguration(poolSize: 1), backgroundLogger: logger)
    let task = Task { await client.run() }
    defer { task.cancel() }
    let rows = try await client.query(PostgresQuery(unsafeSQL: sql), logger: logger).collect()
    guard let row = rows.first else { return [] }
    return try row.map { cell in try cell.decode(String.self) }
}

func postgresRows(_ o: Options, url: String) async throws -> [Row3] {
    let loaded = try RulePackLoader().load(directory: o.rules)
    let n = o.intakes ?? (o.quick ? 400 : 2_000)
    let logger: Logger = {
        var l = Logger(label: "kesu-bench")
        l.logLevel = .error
        return l
    }()
    let admin = PostgresClient(configuration: try PostgresURL(url).clientConfiguration(poolSize: 10), backgroundLogger: logger)
    let adminTask = Task { await admin.run() }
    defer { adminTask.cancel() }
    func sql(_ text: String) async throws { try await admin.query(PostgresQuery(unsafeSQL: text), logger: logger) }
    #if DEBUG
    print("warning: a debug build; figures are only meaningful with `swift run -c release kesu-bench postgres`")
    #endif
    print("PostgreSQL: \(url.replacingOccurrences(of: #"//[^@/]*@"#, with: "//…@", options: .regularExpression)), \(n) intakes per run\n")
    var rows: [Row3] = []
    for (writers, gaps) in [(1, CaseNumbering.Gaps.gapless), (8, .gapless), (8, .allowed)] {
        let tag = "\(getpid())_\(writers)_\(gaps.rawValue)"
        var pack = loaded.pack
        pack.info.caseNumberGaps = gaps
        let engineSchema = "bench_engine_\(tag)", rawSchema = "bench_raw_\(tag)"
        try await sql("DROP SCHEMA IF EXISTS \(engineSchema) CASCADE")
        try await sql("DROP SCHEMA IF EXISTS \(rawSchema) CASCADE")
        try await sql("CREATE SCHEMA \(engineSchema)")
        let store = try PostgresCaseStore(url: url + (url.contains("?") ? "&" : "?") + "search_path=\(engineSchema)", lookupKey: .random(), poolSize: writers + 2, logger: logger)
        let engine = try Engine(pack: pack, store: store, snapshot: loaded.snapshot)
        var rng = SeededRNG(seed: o.seed &+ UInt64(writers))
        let inputs = (0...n).map { _ in TobaccoFields.intake(&rng, kind: rng.chance(0.2) ? "inquiry" : "complaint") }
        // Migrations and the pack snapshot happen once, before the timing.
        _ = try await engine.intake(fields: inputs[0], by: "zhao_min", at: benchNow)
        let clock = ContinuousClock()
        let engineTime = try await clock.measure {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for w in 0..<writers {
                    group.addTask {
                        for i in stride(from: 1 + w, through: n, by: writers) {
                            _ = try await engine.intake(fields: inputs[i], by: i % 2 == 0 ? "zhao_min" : "sun_li", at: benchNow.addingTimeInterval(Double(i * 60)))
                        }
                    }
                }
                try await group.waitForAll()
            }
        }
        await store.shutdown()
        // The same rows, raw.
        try await sql("CREATE SCHEMA \(rawSchema)")
        try await sql("CREATE TABLE \(rawSchema).cases (LIKE \(engineSchema).cases INCLUDING ALL)")
        try await sql("CREATE TABLE \(rawSchema).events (LIKE \(engineSchema).events INCLUDING ALL)")
        try await sql("CREATE TABLE \(rawSchema).report_facts (LIKE \(engineSchema).report_facts INCLUDING ALL)")
        let rawTime = try await clock.measure {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for w in 0..<writers {
                    group.addTask {
                        for id in stride(from: 2 + w, through: n + 1, by: writers) {
                            try await admin.withTransaction(logger: logger) { c in
                                try await c.query("INSERT INTO \(unescaped: rawSchema).cases SELECT * FROM \(unescaped: engineSchema).cases WHERE id = \(Int64(id))", logger: logger)
                                try await c.query("INSERT INTO \(unescaped: rawSchema).events SELECT * FROM \(unescaped: engineSchema).events WHERE case_id = \(Int64(id))", logger: logger)
                                try await c.query("INSERT INTO \(unescaped: rawSchema).report_facts SELECT * FROM \(unescaped: engineSchema).report_facts WHERE case_id = \(Int64(id))", logger: logger)
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }
        }
        var copied = 0
        for try await (count) in try await admin.query("SELECT count(*) FROM \(unescaped: rawSchema).cases", logger: logger).decode(Int.self) { copied = count }
        guard copied == n else { throw BenchError("raw copy wrote \(copied) cases, expected \(n)") }
        let e = Double(n) / seconds(engineTime), r = Double(n) / seconds(rawTime)
        let numbers = gaps == .gapless ? "gapless numbers" : "numbers with gaps allowed"
        print("\(writers) writer(s), \(numbers): engine \(fmt(e, 0)) cases/s, raw postgres-nio \(fmt(r, 0)) cases/s, ratio \(fmt(e / r, 2))")
        // Gapless numbers with several writers take one intake at a time by design: shown, not held to the target.
        let held = writers == 1 || gaps == .allowed
        rows.append(Row3(
            figure: "durable intake into PostgreSQL through the Engine, \(writers) concurrent writer(s), \(numbers), 1 case/transaction (\(n) cases)",
            measured: "\(fmt(e, 0)) cases/s", reference: "raw postgres-nio transactions writing the same rows: \(fmt(r, 0)) cases/s"
                + (held ? "; target ratio ≥ 0.5" : "; no target (gapless: one intake holds the number until it commits)"),
            ratio: fmt(e / r, 2), verdict: held ? (e / r >= 0.5 ? "ok" : "BELOW") : "—"))
        try await sql("DROP SCHEMA \(engineSchema) CASCADE")
        try await sql("DROP SCHEMA \(rawSchema) CASCADE")
    }
    return rows
}
