import Foundation
import KesuKernel
import KesuSQLite
import KesuYAML

// `kesu-bench replay --db FILE`: `rules diff --replay` over a large store for a one-row routing change (issue 18).
// Three runs, each in a child process of its own so that its peak RSS is its own: every case replayed on one
// worker (the replay as it was), every case on all cores, and only the cases the change reaches on all cores.
// The three must list the same cases with the same changes (compared by a digest).

/// The edit: R4a sends only county_b's electronic-settlement complaints to the county (county_a's go to R4b's unit).
func routingEdit(_ pack: RulePack) throws -> RulePack {
    var new = pack
    guard let i = new.routing.firstIndex(where: { $0.id == "R4a-settlement-county" }) else {
        throw BenchError("the pack has no routing row R4a-settlement-county to edit (use the tobacco-prefecture pack)")
    }
    new.routing[i].when = new.routing[i].when.map { c in c.field == "region" ? FieldCondition(field: "region", test: .oneOf(["county_b"])) : c }
    new.version = "bench-routing-edit"
    return new
}

struct ReplayRun {
    var scope: String
    var workers: Int
    var ms: Double
    var peakKB: Int
    var considered: Int
    var examined: Int
    var changed: Int
    var digest: String
    var reason: String
}

func replayOnly(_ o: Options) async throws {
    guard let db = o.db else { throw BenchError("replay needs --db FILE (a store from `kesu-bench generate --quick`)") }
    if let scope = o.scope {
        try await replayChild(o, db: db, scope: scope)
        return
    }
    let cores = o.workers ?? ProcessInfo.processInfo.activeProcessorCount
    var runs: [ReplayRun] = []
    for (scope, workers) in [(ReplayScope.affected, cores), (.all, cores), (.all, 1)] {
        print("replay: scope \(scope.rawValue), \(workers) worker(s) …")
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        child.arguments = ["replay", "--db", db, "--rules", o.rules, "--scope", scope.rawValue, "--workers", String(workers)]
        let pipe = Pipe()
        child.standardOutput = pipe
        try child.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        child.waitUntilExit()
        guard child.terminationStatus == 0,
              let line = String(decoding: data, as: UTF8.self).split(separator: "\n").first(where: { $0.hasPrefix("RESULT\t") })
        else { throw BenchError("the \(scope.rawValue) replay failed (status \(child.terminationStatus))") }
        let f = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
        runs.append(ReplayRun(scope: scope.rawValue, workers: workers, ms: Double(f[1]) ?? 0, peakKB: Int(f[2]) ?? 0,
                              considered: Int(f[3]) ?? 0, examined: Int(f[4]) ?? 0, changed: Int(f[5]) ?? 0, digest: f[6], reason: f[7]))
        print("  \(fmt(runs.last!.ms / 1_000, 1)) s, peak RSS \(runs.last!.peakKB / 1_024) MB: \(runs.last!.reason)")
    }
    let same = Set(runs.map(\.digest)).count == 1
    let sequential = runs[2]
    var rows: [Row3] = []
    for r in runs {
        let what = r.scope == "all" ? "every case" : "only the cases the change reaches"
        rows.append(Row3(
            figure: "`rules diff --replay`, one routing row changed, \(what), \(r.workers) worker(s): \(r.examined) of \(r.considered) cases replayed, \(r.changed) differ",
            measured: "\(fmt(r.ms / 1_000, 1)) s, peak RSS \(r.peakKB / 1_024) MB",
            reference: r.scope == "affected" ? "target ≤ 10 s" : (r.workers == 1 ? "—" : "every case on one worker: \(fmt(sequential.ms / 1_000, 1)) s"),
            ratio: r.scope == "affected" ? fmt(r.ms / 10_000, 2) : (r.workers == 1 ? "—" : fmt(r.ms / sequential.ms, 2)),
            verdict: r.scope == "affected" ? (r.ms <= 10_000 ? "ok" : "ABOVE") : ""))
    }
    print()
    print(table(rows))
    print("selection: \(runs[0].reason)")
    print(same ? "the three runs list the same \(runs[0].changed) cases with the same changes" : "DIFFERENT REPORTS: \(runs.map(\.digest))")
    if !same { throw BenchError("the replays disagree") }
}

/// One replay, timed, in this process: prints `RESULT\tms\tpeakKB\tconsidered\texamined\tchanged\tdigest\treason`.
func replayChild(_ o: Options, db: String, scope: String) async throws {
    guard let scope = ReplayScope(rawValue: scope) else { throw BenchError("--scope: affected or all") }
    let loaded = try RulePackLoader().load(directory: o.rules)
    let new = try routingEdit(loaded.pack)
    let store = try SQLiteStore(path: db)
    defer { try? store.close() }
    let zone = try BusinessCalendar(new.calendar).timeZone
    let clock = ContinuousClock()
    var report = ReplayReport()
    let elapsed = try await clock.measure {
        report = try await ReplayReport.run(store: store, old: loaded.pack, new: new, horizon: benchNow, time: { ISO8601.format($0, in: zone) },
                                            scope: scope, workers: o.workers ?? ProcessInfo.processInfo.activeProcessorCount)
    }
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    // FNV-1a over every difference, in order.
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for d in report.differences {
        let text = d.number + d.changes.map { "\($0.what)|\($0.old)|\($0.new)" }.joined(separator: ";") + "\n"
        for byte in text.utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
    }
    print(["RESULT", fmt(ms(elapsed), 0), String(usage.ru_maxrss), String(report.considered), String(report.examined),
           String(report.differences.count), String(hash, radix: 16), report.selectionReason].joined(separator: "\t"))
}
