import Foundation

// HTTP intake through `kesu serve` (issue 7, item 1): the release `kesu` beside this executable,
// driven by wrk (Debian's package) with scripts/wrk-intake.lua, 1 and 8 connections; and the
// server's peak RSS (VmHWM) after the load.

struct WrkResult { var requests: Int; var errors: Int; var non2xx: Int; var rps: Double; var p50: Double; var p99: Double; var max: Double }

/// Runs a program to completion and returns its standard output.
@discardableResult
func run(_ path: String, _ args: [String], environment: [String: String] = [:]) throws -> String {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: path)
    p.arguments = args
    p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    let out = Pipe()
    p.standardOutput = out
    p.standardError = FileHandle.nullDevice
    try p.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    guard p.terminationStatus == 0 else { throw BenchError("\(path) \(args.joined(separator: " ")) exited with \(p.terminationStatus)") }
    return String(decoding: data, as: UTF8.self)
}

func which(_ program: String) -> String? {
    for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
        let p = "\(dir)/\(program)"
        if FileManager.default.isExecutableFile(atPath: p) { return p }
    }
    return nil
}

/// The `kesu` executable built beside this one.
func siblingKesu() -> String? {
    let me = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
    let p = me.deletingLastPathComponent().appendingPathComponent("kesu").path
    return FileManager.default.isExecutableFile(atPath: p) ? p : nil
}

func peakRSS(_ pid: Int32) -> Double? {
    guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
          let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM") }),
          let kb = line.split(separator: " ").dropFirst().first.flatMap({ Double($0) }) else { return nil }
    return kb / 1024
}

func parseWrk(_ text: String) throws -> WrkResult {
    guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("requests ") }) else {
        throw BenchError("wrk printed no summary line:\n\(text)")
    }
    var v: [String: Double] = [:]
    let words = line.split(separator: " ")
    for i in stride(from: 0, to: words.count - 1, by: 2) { v[String(words[i])] = Double(words[i + 1]) }
    return WrkResult(requests: Int(v["requests"] ?? 0), errors: Int(v["errors"] ?? 0), non2xx: Int(v["non2xx"] ?? 0),
                     rps: v["rps"] ?? 0, p50: v["p50_ms"] ?? 0, p99: v["p99_ms"] ?? 0, max: v["max_ms"] ?? 0)
}

/// Starts `kesu serve` on `db`, loads it with wrk at each connection count for `seconds`, and
/// returns the rows; the server is stopped afterwards.
/// Where the server keeps its cases: a SQLite file, or PostgreSQL at a URL.
enum HTTPStorage {
    case sqlite(String)
    case postgres(String)

    var arguments: [String] { if case let .sqlite(path) = self { ["--db", path] } else { [] } }
    var environment: [String: String] {
        guard case let .postgres(url) = self else { return [:] }
        // The schema's lookup key in a temporary file, not kesu.lookup-key in the working folder.
        let key = FileManager.default.temporaryDirectory.appendingPathComponent("kesu-bench-\(abs(url.hashValue)).lookup-key").path
        return ["KESU_DATABASE_URL": url, "KESU_LOOKUP_KEY_FILE": key]
    }
}

func httpRows(kesu: String, wrk: String, storage: HTTPStorage, rules: String, seconds secs: Int, connections: [Int], label: String) async throws -> [Row3] {
    let token = try run(kesu, ["users", "add", "--person", "zhao_min", "--rules", rules, "--json"] + storage.arguments,
                        environment: storage.environment)
    guard let object = try JSONSerialization.jsonObject(with: Data(token.utf8)) as? [String: Any], let t = object["token"] as? String else {
        throw BenchError("kesu users add gave no token: \(token)")
    }
    let port = 20_000 + Int(getpid() % 20_000)
    let serve = Process()
    serve.executableURL = URL(fileURLWithPath: kesu)
    serve.environment = ProcessInfo.processInfo.environment.merging(storage.environment) { $1 }
    serve.arguments = ["serve"] + storage.arguments + ["--rules", rules, "--port", String(port), "--log-level", "warning", "--sweep-every", "3600"]
    serve.standardOutput = FileHandle.nullDevice
    serve.standardError = FileHandle.nullDevice
    try serve.run()
    defer { if serve.isRunning { serve.terminate(); serve.waitUntilExit() } }
    let curl = which("curl") ?? "/usr/bin/curl"
    var ready = false
    for _ in 0..<600 where !ready {
        ready = (try? run(curl, ["-sf", "http://127.0.0.1:\(port)/readyz"])) != nil
        if !ready { try await Task.sleep(for: .milliseconds(100)) }
    }
    guard ready else { throw BenchError("kesu serve did not become ready on port \(port)") }
    let rssAtStart = peakRSS(serve.processIdentifier) ?? 0
    var rows: [Row3] = []
    for c in connections {
        let out = try run(wrk, ["-t", String(min(c, 2)), "-c", String(c), "-d", "\(secs)s", "-s", "scripts/wrk-intake.lua",
                                "http://127.0.0.1:\(port)"], environment: ["KESU_TOKEN": t])
        let w = try parseWrk(out)
        print("HTTP \(label), \(c) connection(s): \(fmt(w.rps, 0)) requests/s, p50 \(fmt(w.p50, 2)) ms, p99 \(fmt(w.p99, 2)) ms")
        let clean = w.errors == 0 && w.non2xx == 0
        var row = Row3(
            figure: "HTTP intake through `kesu serve` (\(label)), wrk \(c) connection(s), \(secs) s: p50 \(fmt(w.p50, 2)) ms, \(w.requests) requests, \(w.errors) errors, \(w.non2xx) non-2xx",
            measured: "\(fmt(w.rps, 0)) requests/s, p99 \(fmt(w.p99, 2)) ms",
            reference: "target ≥ 1,000/s with p99 < 50 ms", ratio: fmt(w.rps / 1_000, 2),
            verdict: !clean ? "ERRORS" : c == 1 ? "(1 client: latency-bound)" : w.rps >= 1_000 && w.p99 < 50 ? "ok" : "BELOW")
        if case .postgres = storage {
            // The target is set for SQLite; on PostgreSQL the engine's own intake rate (above) is the bound.
            row.reference = "— (the 1,000/s target is for SQLite; compare the engine's PostgreSQL intake above)"
            row.ratio = "—"
            row.verdict = clean ? "" : "ERRORS"
        }
        rows.append(row)
    }
    if let rss = peakRSS(serve.processIdentifier) {
        rows.append(Row3(figure: "peak RSS of `kesu serve` (\(label)) after the load (\(fmt(rssAtStart, 0)) MB once ready)",
                         measured: "\(fmt(rss, 0)) MB", reference: "target < 200 MB", ratio: fmt(rss / 200, 2),
                         verdict: rss < 200 ? "ok" : "ABOVE"))
    }
    return rows
}

/// Two `kesu serve` processes on one fresh PostgreSQL schema, each loaded by its own wrk at once
/// (issue 19): afterwards every answered intake is a case, no number is repeated, and with the
/// pack's gapless numbers none is skipped. Returns the rows; both servers are stopped.
func twoInstanceRows(kesu: String, wrk: String, url: String, rules: String, seconds secs: Int, connections: Int) async throws -> [Row3] {
    let schema = "bench_two_\(getpid())"
    try await postgresSQL(url, ["DROP SCHEMA IF EXISTS \(schema) CASCADE", "CREATE SCHEMA \(schema)"])
    defer { Task { try? await postgresSQL(url, ["DROP SCHEMA IF EXISTS \(schema) CASCADE"]) } }
    let storage = HTTPStorage.postgres(url + (url.contains("?") ? "&" : "?") + "search_path=\(schema)")
    let token = try run(kesu, ["users", "add", "--person", "zhao_min", "--rules", rules, "--json"], environment: storage.environment)
    guard let object = try JSONSerialization.jsonObject(with: Data(token.utf8)) as? [String: Any], let t = object["token"] as? String else {
        throw BenchError("kesu users add gave no token: \(token)")
    }
    let base = 21_000 + Int(getpid() % 20_000)
    var servers: [Process] = []
    defer { for s in servers where s.isRunning { s.terminate(); s.waitUntilExit() } }
    for port in [base, base + 1] {
        let serve = Process()
        serve.executableURL = URL(fileURLWithPath: kesu)
        serve.environment = ProcessInfo.processInfo.environment.merging(storage.environment) { $1 }
        // Both sweep every second: the lease must let one of them sweep per tick.
        serve.arguments = ["serve", "--rules", rules, "--port", String(port), "--log-level", "warning", "--sweep-every", "1"]
        serve.standardOutput = FileHandle.nullDevice
        serve.standardError = FileHandle.nullDevice
        try serve.run()
        servers.append(serve)
    }
    let curl = which("curl") ?? "/usr/bin/curl"
    for port in [base, base + 1] {
        var ready = false
        for _ in 0..<600 where !ready {
            ready = (try? run(curl, ["-sf", "http://127.0.0.1:\(port)/readyz"])) != nil
            if !ready { try await Task.sleep(for: .milliseconds(100)) }
        }
        guard ready else { throw BenchError("kesu serve did not become ready on port \(port)") }
    }
    // One wrk per server, at the same time.
    let results = try await withThrowingTaskGroup(of: WrkResult.self) { group in
        for (i, port) in [base, base + 1].enumerated() {
            group.addTask {
                // A long timeout: a request wrk gave up on may still commit, and would count as lost.
                try parseWrk(try run(wrk, ["-t", "2", "-c", String(connections), "-d", "\(secs)s", "--timeout", "30s", "-s", "scripts/wrk-intake.lua",
                                           "http://127.0.0.1:\(port)"], environment: ["KESU_TOKEN": t, "KESU_KEY_PREFIX": "two-\(i)"]))
            }
        }
        return try await group.reduce(into: [WrkResult]()) { $0.append($1) }
    }
    for s in servers { s.terminate(); s.waitUntilExit() }
    for (i, w) in results.enumerated() { print("wrk \(i + 1): \(w.requests) requests, \(w.errors) errors, \(w.non2xx) non-2xx") }
    let answered = results.map { $0.requests - $0.non2xx }.reduce(0, +)
    let errors = results.map { $0.errors + $0.non2xx }.reduce(0, +)
    let rps = results.map(\.rps).reduce(0, +), p99 = results.map(\.p99).max() ?? 0
    let counts = try await postgresSQLRows(url, """
        SELECT count(*)::text, count(DISTINCT number)::text, COALESCE(max(split_part(number, '-', 3)::int), 0)::text
        FROM \(schema).cases
        """)
    guard counts.count == 3, let cases = Int(counts[0]), let distinct = Int(counts[1]), let highest = Int(counts[2]) else {
        throw BenchError("could not count the cases: \(counts)")
    }
    // A request still in flight when wrk stops may be committed without being counted as answered.
    let inFlight = 2 * connections
    let intact = cases >= answered && cases <= answered + inFlight && distinct == cases && highest == cases
    print("two instances: \(answered) intakes answered, \(cases) cases, \(distinct) distinct numbers, highest sequence \(highest), \(fmt(rps, 0)) requests/s")
    return [Row3(
        figure: "two `kesu serve` on one PostgreSQL schema, one wrk each (\(connections) connections), \(secs) s, sweeping every second: "
            + "\(answered) intakes answered, \(errors) errors or non-2xx; \(cases) cases, \(distinct) distinct numbers, highest sequence \(highest)",
        measured: "\(fmt(rps, 0)) requests/s together, worst p99 \(fmt(p99, 2)) ms",
        reference: "no case lost or doubled: cases = answered (+ at most \(inFlight) in flight), numbers distinct, none skipped",
        ratio: "—", verdict: intact && errors == 0 ? "ok" : "LOST OR DOUBLED")]
}
