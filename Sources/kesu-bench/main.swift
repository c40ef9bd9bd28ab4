import Foundation
import GRDB
import KesuKernel
import KesuSQLite
import KesuYAML

// kesu-bench: issue 7, item 1 (kernel and SQLite). Every figure is measured next to its limit or
// baseline in the same run and reported as a ratio, because the disk is noisy.
//
//   swift run -c release kesu-bench [--quick] [--rules DIR] [--dir DIR] [--seed N]
//   swift run -c release kesu-bench generate --cases 1000000 --open 25000 --db FILE [--seed N]
//   swift run -c release kesu-bench postgres --url postgres://user@host:port/db [--intakes N]
//   swift run -c release kesu-bench console --db FILE

struct Options {
    var command = "all"
    var quick = false
    var rules = "rules/tobacco-prefecture"
    var dir: String?
    var db: String?
    var cases: Int?
    var open: Int?
    var intakes: Int?
    var seed: UInt64 = 20_261_129
    var url: String?
    var quarter = "2026Q3"
    var reuse = false
    var httpSeconds = 10
    var scope: String?
    var workers: Int?

    init(_ args: [String]) throws {
        var it = args.makeIterator()
        func value(_ flag: String) throws -> String {
            guard let v = it.next() else { throw BenchError("\(flag) needs a value") }
            return v
        }
        func int(_ flag: String) throws -> Int {
            let v = try value(flag)
            guard let n = Int(v.replacingOccurrences(of: "_", with: "")), n >= 0 else { throw BenchError("\(flag): not a count: \(v)") }
            return n
        }
        while let a = it.next() {
            switch a {
            case "generate", "all", "postgres", "report", "intake", "calendar", "console", "replay", "export": command = a
            case "--scope": scope = try value(a)
            case "--workers": workers = try int(a)
            case "--quarter": quarter = try value(a)
            case "--url": url = try value(a)
            case "--quick": quick = true
            case "--reuse": reuse = true
            case "--http-seconds": httpSeconds = try int(a)
            case "--postgres-url": url = try value(a)
            case "--rules": rules = try value(a)
            case "--dir": dir = try value(a)
            case "--db": db = try value(a)
            case "--cases": cases = try int(a)
            case "--open": open = try int(a)
            case "--intakes": intakes = try int(a)
            case "--seed": seed = UInt64(try int(a))
            case "-h", "--help":
                print("""
                    usage: kesu-bench [all] [--quick] [--rules DIR] [--dir DIR] [--seed N] [--intakes N] [--cases N] [--open N]
                                      [--db FILE --reuse] [--postgres-url URL] [--http-seconds N (0: skip)] [--quarter 2026Q3]
                           kesu-bench generate [--quick] --db FILE [--cases N] [--open N] [--seed N]
                           kesu-bench intake [--intakes N]          (routing and SQLite intake only)
                           kesu-bench report --db FILE [--quarter 2026Q3]
                           kesu-bench calendar --db FILE             (adopting a new holiday calendar: the re-plan pass)
                           kesu-bench console --db FILE [--http-seconds N]  (the web console's queue, search and case page; a copy of FILE)
                           kesu-bench replay --db FILE [--workers N]   (rules diff --replay of a routing edit: every case, then only those it reaches)
                           kesu-bench postgres --url postgres://user@host:port/db [--intakes N] [--quick]
                           kesu-bench export --db FILE              (the case register of every case, CSV and XLSX: time and peak memory)
                    """)
                exit(0)
            default: throw BenchError("unknown argument '\(a)' (see --help)")
            }
        }
    }
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

struct Row3 { var figure: String; var measured: String; var reference: String; var ratio: String; var verdict: String }

func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18 }
func fmt(_ x: Double, _ digits: Int = 1) -> String { String(format: "%.\(digits)f", x) }
func ms(_ d: Duration) -> Double { seconds(d) * 1_000 }

/// The benchmark's fixed "now": Friday 2026-11-27 10:00 Asia/Shanghai.
let benchNow = Date(timeIntervalSince1970: 1_795_744_800)

// MARK: 1. Routing and deadlines

func benchRouting(planner: Planner, count: Int, seed: UInt64) throws -> (perSecond: Double, elapsed: Duration) {
    var rng = SeededRNG(seed: seed)
    var inputs: [([String: String], Date)] = []
    inputs.reserveCapacity(count)
    for _ in 0..<count {
        let f = TobaccoFields.intake(&rng, kind: "complaint")
        inputs.append((f, benchNow.addingTimeInterval(-Double(rng.int(0...(365 * 86_400))))))
    }
    let clocks = planner.pack.clocks
    let calendar = planner.calendar
    let router = planner.router
    var sink = 0.0
    var routed = 0
    let clock = ContinuousClock()
    let elapsed = try clock.measure {
        for (fields, start) in inputs {
            if let d = router.route(fields) { routed &+= d.unit.utf8.count }
            for c in clocks { sink += try calendar.due(from: start, length: c.length).timeIntervalSinceReferenceDate }
        }
    }
    if sink == 0 || routed == 0 { print("(unexpected: nothing computed)") }
    return (Double(count) / seconds(elapsed), elapsed)
}

// MARK: 2. Durable intake vs raw GRDB

func tempPath(_ dir: String, _ name: String) -> String {
    let p = (dir as NSString).appendingPathComponent(name)
    for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: p + suffix) }
    return p
}

func engineIntake(loaded: LoadedPack, path: String, count: Int, seed: UInt64) async throws -> (Duration, Int) {
    let store = try SQLiteStore(path: path)
    let engine = try Engine(pack: loaded.pack, store: store, snapshot: loaded.snapshot)
    var rng = SeededRNG(seed: seed)
    var inputs: [[String: String]] = []
    for _ in 0..<count { inputs.append(TobaccoFields.intake(&rng, kind: rng.chance(0.2) ? "inquiry" : "complaint")) }
    // The pack snapshot is saved once, before the first case, outside the timing.
    _ = try await engine.intake(fields: inputs[0], by: "zhao_min", at: benchNow)
    var events = 0
    let clock = ContinuousClock()
    let elapsed = try await clock.measure {
        for (i, f) in inputs.enumerated().dropFirst() {
            let r = try await engine.intake(fields: f, by: i % 2 == 0 ? "zhao_min" : "sun_li", at: benchNow.addingTimeInterval(Double(i * 60)))
            events += r.state.version
        }
    }
    try store.close()
    return (elapsed, events)
}

func rawConfiguration() -> Configuration {
    var config = Configuration()
    config.foreignKeysEnabled = true
    config.busyMode = .timeout(5)
    config.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
    return config
}

/// The same rows the engine wrote, inserted with plain GRDB: per transaction one case row, its
/// event rows, its report facts and its numbering counter's row (the engine's outbox had none for these intakes),
/// same schema and pragmas (WAL, synchronous = FULL).
func rawIntake(from source: String, path: String) throws -> (Duration, Int) {
    let src = try DatabaseQueue(path: source)
    let cases = try src.read { db in try GRDB.Row.fetchAll(db, sql: "SELECT * FROM cases WHERE id > 1 ORDER BY id") }
    let events = try src.read { db in try GRDB.Row.fetchAll(db, sql: "SELECT * FROM events WHERE case_id > 1 ORDER BY case_id, seq") }
    try src.close()
    let facts = try DatabaseQueue(path: source).read { db in
        try GRDB.Row.fetchAll(db, sql: "SELECT * FROM report_facts WHERE case_id > 1 ORDER BY case_id, seq")
    }
    var byCase: [Int64: [GRDB.Row]] = [:]
    for e in events { byCase[e["case_id"], default: []].append(e) }
    var factsByCase: [Int64: [GRDB.Row]] = [:]
    for f in facts { factsByCase[f["case_id"], default: []].append(f) }
    try SQLiteStore(path: path).close()  // the schema
    let pool = try DatabasePool(path: path, configuration: rawConfiguration())
    try pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
    let caseCols = ["id", "number", "state", "handling_unit", "kind", "category", "level", "channel", "text", "opened_at",
                    "updated_at", "closed_at", "earliest_due", "next_wakeup", "version", "pack_version"]
    let eventCols = ["case_id", "seq", "at", "occurred_at", "actor", "type", "rule_id", "pack_version", "body"]
    func sql(_ table: String, _ cols: [String]) -> String {
        "INSERT INTO \(table) (\(cols.joined(separator: ", "))) VALUES (\(Array(repeating: "?", count: cols.count).joined(separator: ", ")))"
    }
    let caseArgs = cases.map { row in StatementArguments(caseCols.map { row[$0] as DatabaseValue }) }
    let eventArgs = cases.map { row in (byCase[row["id"]] ?? []).map { e in StatementArguments(eventCols.map { e[$0] as DatabaseValue }) } }
    let factCols = ["case_id", "seq", "fact", "occurred_at", "opened_at", "unit", "person", "value", "weight", "kind", "category",
                    "channel", "complainant_type", "points", "rule_id", "pack_version"]
    let factArgs = cases.map { row in (factsByCase[row["id"]] ?? []).map { f in StatementArguments(factCols.map { f[$0] as DatabaseValue }) } }
    // The counter row each case's number took (`YC-2026-000123` → key `YC-2026`, value 123).
    let numbers = cases.map { row -> (String, Int) in
        let number: String = row["number"]
        let parts = number.split(separator: "-")
        return (parts.dropLast().joined(separator: "-"), Int(parts.last ?? "0") ?? 0)
    }
    guard let counterKey = numbers.first?.0 else { throw BenchError("the engine wrote no cases") }
    let outboxRows = try DatabaseQueue(path: source).read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM outbox") ?? 0 }
    guard outboxRows == 0 else { throw BenchError("the engine wrote \(outboxRows) outbox rows; the raw writer copies none") }
    let clock = ContinuousClock()
    let elapsed = try clock.measure {
        for (k, (c, evs)) in zip(caseArgs, eventArgs).enumerated() {
            try pool.write { db in
                try db.cachedStatement(sql: sql("cases", caseCols)).execute(arguments: c)
                try db.cachedStatement(sql: "INSERT INTO counters(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value")
                    .execute(arguments: [counterKey, numbers[k].1])
                let s = try db.cachedStatement(sql: sql("events", eventCols))
                for e in evs { try s.execute(arguments: e) }
                let f = try db.cachedStatement(sql: sql("report_facts", factCols))
                for a in factArgs[k] { try f.execute(arguments: a) }
            }
        }
    }
    try pool.close()
    return (elapsed, events.count)
}

// MARK: 3. Large store and the sweep query

func generate(loaded: LoadedPack, path: String, cases: Int, open: Int, seed: UInt64, quiet: Bool = false) async throws -> (Duration, Int) {
    for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    let store = try SQLiteStore(path: path)  // the schema, through the real migrations
    try await store.savePack(loaded.snapshot, at: benchNow.addingTimeInterval(-4 * 365 * 86_400))
    let lookupKey = store.lookupKey
    try store.close()
    var config = Configuration()
    config.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = NORMAL") }
    let pool = try DatabasePool(path: path, configuration: config)
    let generator = StoreGenerator(planner: try Planner(pack: loaded.pack), lookupKey: lookupKey, seed: seed, now: benchNow)
    let clock = ContinuousClock()
    var events = 0
    let elapsed = try clock.measure {
        events = try generator.write(to: pool, total: cases, open: open, batch: 10_000) { done in
            if !quiet, done % 100_000 == 0 || done == cases {
                FileHandle.standardError.write(Data("  generated \(done)/\(cases) cases\n".utf8))
            }
        }
        try pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
    }
    try pool.close()
    return (elapsed, events)
}

struct SweepFigures { var medianMs: Double; var maxMs: Double; var found: Int; var plan: String; var usesIndex: Bool }

func measureSweep(_ store: SQLiteStore, at now: Date, runs: Int = 25) async throws -> SweepFigures {
    let plan = try await store.dueForSweepQueryPlan(at: now, limit: 500)
    var times: [Double] = []
    var found = 0
    _ = try await store.dueForSweep(at: now, limit: 500)  // warm the page cache once
    for _ in 0..<runs {
        let clock = ContinuousClock()
        var ids: [Int64] = []
        let d = try await clock.measure { ids = try await store.dueForSweep(at: now, limit: 500) }
        found = ids.count
        times.append(ms(d))
    }
    times.sort()
    return SweepFigures(medianMs: times[times.count / 2], maxMs: times.last!, found: found, plan: plan,
                        usesIndex: plan.contains(SQLiteStore.sweepIndexName))
}

func sweepRows(path: String) async throws -> ([Row3], String) {
    let store = try SQLiteStore(path: path)
    let open = try await store.count(CaseQuery(openOnly: true, limit: 0))
    let before = try await measureSweep(store, at: benchNow)
    try await store.analyze()
    let after = try await measureSweep(store, at: benchNow)
    try store.close()
    var rows: [Row3] = []
    for (label, s) in [("before ANALYZE", before), ("after ANALYZE", after)] {
        rows.append(Row3(
            figure: "sweep query `dueForSweep` (limit 500, \(s.found) due of \(open) open), \(label)",
            measured: "\(fmt(s.medianMs, 2)) ms median (max \(fmt(s.maxMs, 2)))", reference: "limit 50 ms",
            ratio: fmt(s.medianMs / 50, 3), verdict: s.medianMs < 50 && s.usesIndex ? "ok" : (s.usesIndex ? "SLOW" : "NO INDEX")))
    }
    let planText = "before ANALYZE:\n  " + before.plan.replacingOccurrences(of: "\n", with: "\n  ")
        + "\nafter ANALYZE:\n  " + after.plan.replacingOccurrences(of: "\n", with: "\n  ")
    return (rows, planText)
}

/// Fires everything due at the bench's "now" through the Engine (reminders, escalations,
/// violations, deductions, outbox), one transaction per case, and times it.
func fireSweep(loaded: LoadedPack, path: String) async throws -> Row3 {
    let store = try SQLiteStore(path: path)
    defer { try? store.close() }
    let engine = try Engine(pack: loaded.pack, store: store, snapshot: loaded.snapshot)
    let clock = ContinuousClock()
    var examined = 0, fired = 0, problems = 0
    let elapsed = try await clock.measure {
        let report = try await engine.sweep(at: benchNow)
        examined = report.casesExamined; fired = report.fired.count; problems = report.problems.count
    }
    let perCase = examined == 0 ? 0 : ms(elapsed) / Double(examined)
    return Row3(figure: "sweep: find and fire everything due (\(examined) cases, \(fired) reminders, escalations and violations), one transaction per case",
                measured: "\(fmt(ms(elapsed), 0)) ms (\(fmt(perCase, 2)) ms a case)", reference: "— (the query part: see above)",
                ratio: "—", verdict: problems == 0 ? "" : "\(problems) problems")
}

// MARK: Output

func table(_ rows: [Row3]) -> String {
    var s = "| figure | measured | limit / baseline (same run) | ratio | |\n|---|---|---|---|---|\n"
    for r in rows { s += "| \(r.figure) | \(r.measured) | \(r.reference) | \(r.ratio) | \(r.verdict) |\n" }
    return s
}

func machine() -> String {
    let cpu = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
    let model = cpu.split(separator: "\n").first { $0.hasPrefix("model name") }?.split(separator: ":", maxSplits: 1).last
        .map { $0.trimmingCharacters(in: .whitespaces) } ?? "unknown CPU"
    let mem = (try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8)) ?? ""
    let kb = mem.split(separator: "\n").first { $0.hasPrefix("MemTotal") }.flatMap { $0.split(separator: " ").dropFirst().first }.flatMap { Double($0) } ?? 0
    return "\(model), \(ProcessInfo.processInfo.activeProcessorCount) cores, \(fmt(kb / 1_048_576, 1)) GiB RAM"
}

func bench(_ o: Options) async throws {
    let loaded = try RulePackLoader().load(directory: o.rules)
    let planner = try Planner(pack: loaded.pack)
    let dir = o.dir ?? FileManager.default.temporaryDirectory.appendingPathComponent("kesu-bench-\(getpid())").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    #if DEBUG
    print("warning: a debug build; figures are only meaningful with `swift run -c release kesu-bench`")
    #endif
    print("machine: \(machine())")
    print("pack: \(loaded.pack.info.id) \(loaded.pack.version.prefix(12)), seed \(o.seed), scratch dir \(dir)\n")
    var rows: [Row3] = []

    // 1.
    let decisions = o.intakes.map { $0 * 100 } ?? (o.quick ? 50_000 : 200_000)
    let r = try benchRouting(planner: planner, count: decisions, seed: o.seed)
    rows.append(Row3(figure: "routing + due times of all \(loaded.pack.clocks.count) clocks, one core, \(decisions) seeded intakes",
                     measured: "\(fmt(r.perSecond, 0)) decisions/s (\(fmt(1e6 / r.perSecond, 2)) µs each)",
                     reference: "— (no limit set yet)", ratio: "—", verdict: ""))
    print("1. routing: \(fmt(r.perSecond, 0)) decisions/s")

    // 2. Engine and raw, twice each, interleaved so both see the same disk.
    let n = o.intakes ?? (o.quick ? 300 : 2_000)
    var engineTime = Duration.zero, rawTime = Duration.zero, engineEvents = 0, rawEvents = 0
    for round in 1...2 {
        let e = tempPath(dir, "engine-\(round).db")
        let (et, ee) = try await engineIntake(loaded: loaded, path: e, count: n + 1, seed: o.seed &+ UInt64(round))
        let (rt, re) = try rawIntake(from: e, path: tempPath(dir, "raw-\(round).db"))
        print("2. round \(round): engine \(fmt(Double(n) / seconds(et), 0)) cases/s, raw GRDB \(fmt(Double(n) / seconds(rt), 0)) cases/s")
        engineTime += et; rawTime += rt; engineEvents += ee; rawEvents += re
    }
    let engineRate = Double(2 * n) / seconds(engineTime), rawRate = Double(2 * n) / seconds(rawTime)
    rows.append(Row3(
        figure: "durable intake through the Engine, 1 case/transaction, WAL + synchronous=FULL (2 × \(n) cases, \(fmt(Double(engineEvents) / Double(2 * n), 2)) events/case)",
        measured: "\(fmt(engineRate, 0)) cases/s", reference: "raw GRDB insert of the same rows: \(fmt(rawRate, 0)) cases/s; target ratio ≥ 0.5",
        ratio: fmt(engineRate / rawRate, 2), verdict: engineRate / rawRate >= 0.5 ? "ok" : "BELOW"))

    if o.command == "intake" {
        print()
        print(table(rows))
        return
    }

    // 3.
    let cases = o.cases ?? (o.quick ? 100_000 : 1_000_000)
    let open = o.open ?? (o.quick ? 2_500 : 25_000)
    let path = o.db ?? tempPath(dir, "large.db")
    print("3. generating \(cases) cases (\(open) open) into \(path)")
    // The generator is deterministic for a seed: the first 10 cases planned twice are equal.
    let key = LookupKey.random()
    let g1 = StoreGenerator(planner: planner, lookupKey: key, seed: o.seed, now: benchNow)
    let g2 = StoreGenerator(planner: try Planner(pack: loaded.pack), lookupKey: key, seed: o.seed, now: benchNow)
    for k in 0..<10 {
        let a = try g1.makeCase(index: k, total: cases, open: open), b = try g2.makeCase(index: k, total: cases, open: open)
        guard a.events == b.events, a.summary == b.summary else { throw BenchError("generator not deterministic at case \(k)") }
    }
    var large = path
    if o.reuse, FileManager.default.fileExists(atPath: path) {
        // Firing the sweep writes to the store: work on a copy, so the store can be reused.
        large = tempPath(dir, "large-copy.db")
        try copyStore(path, to: large)
        print("3. reusing \(path) (a copy: \(large)); generation not timed in this run")
    } else {
        let (gt, gev) = try await generate(loaded: loaded, path: path, cases: cases, open: open, seed: o.seed)
        rows.append(Row3(figure: "generate a seeded store: \(cases) cases (\(open) open), \(gev) events",
                         measured: "\(fmt(seconds(gt), 1)) s (\(fmt(Double(cases) / seconds(gt), 0)) cases/s)",
                         reference: "—", ratio: "—", verdict: ""))
    }
    let (sweep, plan) = try await sweepRows(path: large)
    rows += sweep
    print("\nsweep query plan:\n\(plan)\n")

    // 4. Reports over the large store, then the sweep's firing (it writes).
    print("4. quarterly summary and score export over \(large)")
    rows += try await reportRows(loaded: loaded, path: large, quarter: o.quarter)
    print("5. firing the sweep")
    rows.append(try await fireSweep(loaded: loaded, path: large))

    // 6. PostgreSQL, when a server is given.
    if let url = o.url {
        print("6. PostgreSQL intake")
        rows += try await postgresRows(o, url: url)
    } else {
        print("6. PostgreSQL: skipped (no --postgres-url)")
    }

    // 7. HTTP through the release `kesu` beside this executable, with wrk.
    if o.httpSeconds > 0 {
        guard let kesu = siblingKesu() else { throw BenchError("no release `kesu` beside kesu-bench: swift build -c release --product kesu (or --http-seconds 0)") }
        guard let wrk = which("wrk") else { throw BenchError("wrk is not installed: apt-get install wrk (or --http-seconds 0)") }
        print("7. HTTP intake")
        rows += try await httpRows(kesu: kesu, wrk: wrk, storage: .sqlite(tempPath(dir, "http.db")), rules: o.rules, seconds: o.httpSeconds,
                                   connections: [1, 8], label: "fresh SQLite store")
        rows += try await httpRows(kesu: kesu, wrk: wrk, storage: .sqlite(large), rules: o.rules, seconds: o.httpSeconds,
                                   connections: [8], label: "the \(cases)-case store")
        if let url = o.url {
            let schema = "bench_http_\(getpid())"
            try await postgresSQL(url, ["DROP SCHEMA IF EXISTS \(schema) CASCADE", "CREATE SCHEMA \(schema)"])
            rows += try await httpRows(kesu: kesu, wrk: wrk, storage: .postgres(url + (url.contains("?") ? "&" : "?") + "search_path=\(schema)"),
                                       rules: o.rules, seconds: o.httpSeconds, connections: [8], label: "fresh PostgreSQL schema")
            try await postgresSQL(url, ["DROP SCHEMA \(schema) CASCADE"])
            print("7b. two instances on one PostgreSQL schema")
            rows += try await twoInstanceRows(kesu: kesu, wrk: wrk, url: url, rules: o.rules, seconds: o.httpSeconds, connections: 4)
        }
        // 8. The web console's pages on the large store (already migrated and swept above).
        print("8. the web console on the \(cases)-case store")
        rows += try await consoleRows(loaded: loaded, path: large, rules: o.rules, kesu: kesu, wrk: wrk, seconds: o.httpSeconds)
        // 9. Streaming exports: the case register of every case.
        print("9. the case register of the \(cases)-case store")
        var e = o
        e.db = large
        rows += try await exportRows(e, db: large)
    }
    print()
    print(table(rows))
    if o.dir == nil { try? FileManager.default.removeItem(atPath: dir) }
}

/// Copies a SQLite store with its lookup key (a copy with a new key would be refused).
func copyStore(_ path: String, to copy: String) throws {
    let fm = FileManager.default
    for suffix in ["", ".lookup-key"] { try? fm.removeItem(atPath: copy + suffix) }
    try fm.copyItem(atPath: path, toPath: copy)
    if fm.fileExists(atPath: SQLiteStore.defaultKeyFile(for: path)) {
        try fm.copyItem(atPath: SQLiteStore.defaultKeyFile(for: path), toPath: SQLiteStore.defaultKeyFile(for: copy))
    }
}

func generateOnly(_ o: Options) async throws {
    guard let db = o.db else { throw BenchError("generate needs --db FILE") }
    let loaded = try RulePackLoader().load(directory: o.rules)
    let cases = o.cases ?? (o.quick ? 100_000 : 1_000_000)
    let open = o.open ?? (o.quick ? 2_500 : 25_000)
    let (t, events) = try await generate(loaded: loaded, path: db, cases: cases, open: open, seed: o.seed)
    print("generated \(cases) cases (\(open) open), \(events) events in \(fmt(seconds(t), 1)) s into \(db)")
    let (rows, plan) = try await sweepRows(path: db)
    print("\nsweep query plan:\n\(plan)\n")
    print(table(rows))
}

do {
    if CommandLine.arguments.dropFirst().first == "rusage" {
        try rusageChild(Array(CommandLine.arguments.dropFirst(2)))
        exit(0)
    }
    let o = try Options(Array(CommandLine.arguments.dropFirst()))
    switch o.command {
    case "generate": try await generateOnly(o)
    case "postgres": try await postgresBench(o)
    case "report": try await reportOnly(o)
    case "calendar": try await calendarOnly(o)
    case "console": try await consoleOnly(o)
    case "replay": try await replayOnly(o)
    case "export": try await exportBench(o)
    default: try await bench(o)
    }
} catch {
    FileHandle.standardError.write(Data("kesu-bench: \(error)\n".utf8))
    exit(1)
}
