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
