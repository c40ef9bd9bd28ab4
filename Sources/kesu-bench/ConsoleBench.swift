import Foundation
import GRDB
import KesuKernel
import KesuServer
import KesuSQLite
import KesuYAML

// `kesu-bench console --db FILE`: the web console's queue, search and case page on a large store (issue 17:
// "p99 under 50 ms server time each"). On a copy of the store: opening it with SQLiteStore runs the pending
// migrations (v8 fills assignee and phone from the events, v11 digests the phones: an upgrading operator's wait, timed once); console
// logins for a clerk whose role reaches every unit (zhao_min) and a unit's liaison (li_na); then the release
// `kesu serve` beside this executable, signed in through the login form with curl, each page loaded with wrk
// (scripts/wrk-get.lua) at 1 connection (latency) and 8 (throughput).
//
// wrk runs on the same machine over loopback: its latency is the client's, server time plus the loopback
// and wrk's own share of the 2 cores, so it overstates server time (a conservative stand-in).

func consoleOnly(_ o: Options) async throws {
    guard let db = o.db else { throw BenchError("console needs --db FILE (a store from `kesu-bench generate`)") }
    guard let kesu = siblingKesu() else { throw BenchError("no release `kesu` beside kesu-bench: swift build -c release --product kesu") }
    guard let wrk = which("wrk") else { throw BenchError("wrk is not installed: apt-get install wrk") }
    let loaded = try RulePackLoader().load(directory: o.rules)
    print("machine: \(machine())")
    let copy = FileManager.default.temporaryDirectory.appendingPathComponent("kesu-bench-console-\(getpid()).db").path
    for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: copy + suffix) }
    print("copying \(db) to \(copy)")
    try copyStore(db, to: copy)
    defer { for suffix in ["", "-wal", "-shm", ".lookup-key"] { try? FileManager.default.removeItem(atPath: copy + suffix) } }
    let rows = try await consoleRows(loaded: loaded, path: copy, rules: o.rules, kesu: kesu, wrk: wrk, seconds: max(1, o.httpSeconds))
    print()
    print(table(rows))
}

/// The pages, as whom, and what each shows; `path` is already percent-encoded.
/// One page timed; a case number searched answers 303 to the case (`expect`), the rest 200.
struct ConsoleTarget { var label: String; var who: String; var path: String; var marker: String; var expect = 200 }

func consoleRows(loaded: LoadedPack, path: String, rules: String, kesu: String, wrk: String, seconds secs: Int) async throws -> [Row3] {
    var rows: [Row3] = []

    // 1. Open with SQLiteStore: the migrations still pending on this store, timed.
    let applied = try await DatabaseQueue(path: path).read { db in try Set(String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations")) }
    let pending = SQLiteStore.migrationIDs.filter { !applied.contains($0) }
    let clock = ContinuousClock()
    var store: SQLiteStore?
    let opening = try clock.measure { store = try SQLiteStore(path: path) }
    let total = try await store!.count(CaseQuery(limit: 0))
    let open = try await store!.count(CaseQuery(openOnly: true, limit: 0))
    rows.append(Row3(
        figure: pending.isEmpty ? "open the store with SQLiteStore (no migration pending)"
            : "open the store with SQLiteStore: migrations \(pending.joined(separator: ", ")) (\(total) cases; v8 fills assignee and phone from the events)",
        measured: "\(fmt(seconds(opening), 1)) s", reference: "— (once, at the first start after the upgrade)", ratio: "—", verdict: ""))
    print("store opened in \(fmt(seconds(opening), 1)) s (migrations run: \(pending.isEmpty ? "none" : pending.joined(separator: ", "))), \(total) cases, \(open) open")

    // 2. Console logins, and the cases the pages show.
    let password = "bench-Console-2026!"
    let people = [("zhao_min", "bench_zhao"), ("li_na", "bench_li")]
    let logins = Logins(store: store!)
    let existing = Set(try await logins.list().map(\.username))
    for (person, username) in people where !existing.contains(username) {
        _ = try await logins.add(username: username, person: person, password: password, pack: loaded.pack, by: "kesu-bench", at: benchNow)
    }
    try store!.close()
    store = nil
    // The open case with the longest history among those the clerk may act on (so the number search finds it in her queue).
    let clerkStates = Array(Set(loaded.pack.procedure.transitions.filter { $0.roles.contains("clerk") }.flatMap(\.from)))
    // And one in the liaison's queue: a case number searched by a reader without personal_data is read as text.
    let liaisonStates = Array(Set(loaded.pack.procedure.transitions.filter { $0.roles.contains("liaison") }.flatMap(\.from)))
    let liaisonUnit = loaded.pack.people.first { $0.id == "li_na" }?.unit ?? ""
    // Not assigned to anyone: her own queue leaves out cases assigned to others.
    let unitCase = try await DatabaseQueue(path: path).read { db -> String in
        let marks = Array(repeating: "?", count: liaisonStates.count).joined(separator: ", ")
        return try String.fetchOne(db, sql: """
            SELECT number FROM cases WHERE closed_at IS NULL AND assignee IS NULL AND handling_unit = ? AND state IN (\(marks)) ORDER BY id DESC LIMIT 1
            """, arguments: [liaisonUnit] + StatementArguments(liaisonStates)) ?? "YC-2026-000001"
    }
    let (longCase, events, phone, phoneCases) = try await DatabaseQueue(path: path).read { db -> (String, Int, String?, Int) in
        let marks = Array(repeating: "?", count: clerkStates.count).joined(separator: ", ")
        guard let row = try GRDB.Row.fetchOne(db, sql: """
            SELECT number, version FROM cases WHERE closed_at IS NULL AND state IN (\(marks)) ORDER BY version DESC, id DESC LIMIT 1
            """, arguments: StatementArguments(clerkStates))
        else { throw BenchError("the store has no open case the clerk may act on") }
        // The store keeps only the phone's keyed digest: the phone typed comes from the case's intake.
        let digest = try String.fetchOne(db, sql: "SELECT phone_digest FROM cases WHERE closed_at IS NULL AND phone_digest IS NOT NULL ORDER BY id DESC LIMIT 1")
        let phone = try String.fetchOne(db, sql: """
            SELECT json_extract(body, '$.intake.fields.complainant_phone') FROM events
            WHERE case_id = (SELECT id FROM cases WHERE phone_digest = ? ORDER BY id DESC LIMIT 1) AND seq = 1
            """, arguments: [digest])
        let n = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM cases WHERE phone_digest = ?", arguments: [digest]) ?? 0
        return (row["number"], row["version"], phone, n)
    }
    // A word of the generated descriptions (logistics: 卷烟破损短少), and the case with the longest history.
    let word = "破损"
    let enc = { (s: String) in s.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? s }
    let phoneLabel = phone.map { "phone search `q=\($0)` (\(phoneCases) case(s) with it, open or closed)" }
        ?? "phone search (the store has no phone: measured on a miss)"
    let targets = [
        ConsoleTarget(label: "queue `/console/` as zhao_min (clerk, every unit)", who: "zhao_min", path: "/console/", marker: "data-case=\""),
        ConsoleTarget(label: "queue `/console/` as li_na (liaison, one unit)", who: "li_na", path: "/console/", marker: "data-case=\""),
        ConsoleTarget(label: "unit queue `/console/?scope=unit` as li_na", who: "li_na", path: "/console/?scope=unit", marker: "data-case=\""),
        ConsoleTarget(label: "text search `q=\(word)` as zhao_min", who: "zhao_min", path: "/console/?q=\(enc(word))", marker: "data-case=\""),
        // A case number searched opens the case: the figure is the lookup and its 303 to the case page.
        ConsoleTarget(label: "case number search `q=\(unitCase)` as li_na (303 to the case)", who: "li_na", path: "/console/?q=\(enc(unitCase))",
                      marker: "", expect: 303),
        ConsoleTarget(label: "case number search `q=\(longCase)` as zhao_min (303 to the case)", who: "zhao_min", path: "/console/?q=\(enc(longCase))",
                      marker: "", expect: 303),
        ConsoleTarget(label: phoneLabel + " as zhao_min", who: "zhao_min", path: "/console/?q=\(enc(phone ?? "13900000000"))", marker: "data-case=\""),
        ConsoleTarget(label: "case page `/console/cases/\(longCase)` (open, \(events) events) as zhao_min", who: "zhao_min",
                      path: "/console/cases/\(longCase)", marker: "<li"),
        // The dashboard: open cases by unit and by state, overdue and due today, in one read of the store.
        ConsoleTarget(label: "督办 dashboard `/console/supervision` (counts by unit and state, overdue, due today) as zhao_min",
                      who: "zhao_min", path: "/console/supervision", marker: "<tr><th scope=\"row\">"),
    ]

    // 3. The server, on the bench's "now" (the generated open cases are due around it).
    let port = 20_000 + Int((getpid() + 7) % 20_000)
    let base = "http://127.0.0.1:\(port)"
    let serve = Process()
    serve.executableURL = URL(fileURLWithPath: kesu)
    serve.arguments = ["serve", "--db", path, "--rules", rules, "--port", String(port), "--log-level", "warning",
                       "--sweep-every", "3600", "--now", ISO8601.format(benchNow, in: TimeZone(identifier: "Asia/Shanghai")!)]
    serve.standardOutput = FileHandle.nullDevice
    serve.standardError = FileHandle.nullDevice
    let started = ContinuousClock.now
    try serve.run()
    defer { if serve.isRunning { serve.terminate(); serve.waitUntilExit() } }
    let curl = which("curl") ?? "/usr/bin/curl"
    var ready = false
    for _ in 0..<3_000 where !ready {
        ready = (try? run(curl, ["-sf", "\(base)/readyz"])) != nil
        if !ready { try await Task.sleep(for: .milliseconds(100)) }
    }
    guard ready else { throw BenchError("kesu serve did not become ready on port \(port)") }
    let readyAfter = ContinuousClock.now - started
    // The first sweep tick runs at start (calendar re-plan, everything due at "now"): wait it out so it does not load the figures.
    var swept = false
    for _ in 0..<1_200 where !swept {
        let metrics = (try? run(curl, ["-sf", "\(base)/metrics"])) ?? ""
        swept = metrics.split(separator: "\n").contains { line in
            line.hasPrefix("kesu_sweep_duration_seconds_count") && (Double(line.split(separator: " ").last ?? "") ?? 0) >= 1
        }
        if !swept { try await Task.sleep(for: .milliseconds(500)) }
    }
    let sweptAfter = ContinuousClock.now - started
    print("kesu serve ready after \(fmt(seconds(readyAfter), 1)) s; first sweep \(swept ? "done" : "NOT done") after \(fmt(seconds(sweptAfter), 1)) s")
    rows.append(Row3(figure: "`kesu serve` on the upgraded store: ready (/readyz), then its first sweep tick done",
                     measured: "\(fmt(seconds(readyAfter), 1)) s, \(fmt(seconds(sweptAfter), 1)) s", reference: "—", ratio: "—",
                     verdict: swept ? "" : "sweep not done: figures may include it"))

    // 4. Sign in through the form, as a browser does.
    var sessions: [String: String] = [:]
    for (person, username) in people {
        sessions[person] = try signIn(curl: curl, base: base, username: username, password: password)
    }

    // 5. Each page: answers 200 with content, then wrk at 1 and 8 connections.
    for t in targets {
        let cookie = "kesu_session=\(sessions[t.who]!)"
        let (status, body) = try fetch(curl: curl, url: base + t.path, cookie: cookie)
        guard status == t.expect else { throw BenchError("\(t.path) as \(t.who) answered \(status), not \(t.expect) (a 303 to the login page: the session did not stick)") }
        let what: String
        if t.expect == 303 {
            what = "opens the case"
        } else if t.marker == "<li" {
            // The timeline's entries: from its <ol> to the next </ol>.
            let timeline = body.components(separatedBy: #"id="timeline""#).dropFirst().first?.components(separatedBy: "</ol>").first ?? ""
            what = "\(timeline.components(separatedBy: "<li").count - 1) timeline entries"
        } else {
            what = "\(body.components(separatedBy: t.marker).count - 1) rows shown"
        }
        for c in [1, 8] {
            let out = try run(wrk, ["-t", String(min(c, 2)), "-c", String(c), "-d", "\(secs)s", "-s", "scripts/wrk-get.lua",
                                    "-H", "Cookie: \(cookie)", base + t.path])
            let w = try parseWrk(out)
            print("\(t.label), \(c) connection(s): p50 \(fmt(w.p50, 2)) ms, p99 \(fmt(w.p99, 2)) ms, \(fmt(w.rps, 0)) requests/s")
            let clean = w.errors == 0 && w.non2xx == 0
            rows.append(Row3(
                figure: "\(t.label) (\(t.expect), \(what)), wrk \(c) connection(s), \(secs) s: \(w.requests) requests, \(w.errors) errors, \(w.non2xx) non-2xx",
                measured: "p50 \(fmt(w.p50, 2)) ms, p99 \(fmt(w.p99, 2)) ms, \(fmt(w.rps, 0)) requests/s",
                reference: "p99 < 50 ms", ratio: fmt(w.p99 / 50, 2), verdict: !clean ? "ERRORS" : w.p99 < 50 ? "ok" : "SLOW"))
        }
        // Still signed in after the load (wrk counts a 303 as a success).
        let (after, _) = try fetch(curl: curl, url: base + t.path, cookie: cookie)
        guard after == t.expect else { throw BenchError("\(t.path) as \(t.who) answered \(after) after the load") }
    }
    if let rss = peakRSS(serve.processIdentifier) {
        rows.append(Row3(figure: "peak RSS of `kesu serve` after the console load", measured: "\(fmt(rss, 0)) MB",
                         reference: "target < 200 MB", ratio: fmt(rss / 200, 2), verdict: rss < 200 ? "ok" : "ABOVE"))
    }
    return rows
}

/// GET /console/login for the form cookie and its `csrf`, POST the form; returns the `kesu_session` cookie's value.
func signIn(curl: String, base: String, username: String, password: String) throws -> String {
    let jar = FileManager.default.temporaryDirectory.appendingPathComponent("kesu-bench-jar-\(getpid())-\(username)").path
    defer { try? FileManager.default.removeItem(atPath: jar) }
    let form = try run(curl, ["-s", "-c", jar, "-b", jar, "\(base)/console/login"])
    guard let r = form.range(of: #"name="csrf" value="([^"]+)""#, options: .regularExpression) else {
        throw BenchError("/console/login has no csrf input:\n\(form.prefix(500))")
    }
    let csrf = form[r].split(separator: "\"")[3]
    let headers = try run(curl, ["-s", "-c", jar, "-b", jar, "-D", "-", "-o", "/dev/null",
                                 "--data-urlencode", "username=\(username)", "--data-urlencode", "password=\(password)",
                                 "--data-urlencode", "csrf=\(csrf)", "--data-urlencode", "next=/console/", "\(base)/console/login"])
    for line in headers.split(separator: "\r\n") where line.lowercased().hasPrefix("set-cookie: kesu_session=") {
        let value = line.dropFirst("set-cookie: kesu_session=".count).prefix { $0 != ";" }
        if !value.isEmpty { return String(value) }
    }
    throw BenchError("signing in as \(username) set no kesu_session cookie:\n\(headers)")
}

/// Status and body of a GET with the session cookie (redirects not followed).
func fetch(curl: String, url: String, cookie: String) throws -> (Int, String) {
    let file = FileManager.default.temporaryDirectory.appendingPathComponent("kesu-bench-page-\(getpid()).html").path
    defer { try? FileManager.default.removeItem(atPath: file) }
    let status = try run(curl, ["-s", "-o", file, "-w", "%{http_code}", "-H", "Cookie: \(cookie)", url])
    return (Int(status) ?? 0, (try? String(contentsOfFile: file, encoding: .utf8)) ?? "")
}
