import ArgumentParser
import Foundation
import KesuKernel
import KesuRendering
import KesuSQLite
import KesuYAML

/// `kesu rules diff OLD NEW [--replay]`: what changes in effect between two pack versions,
/// statically and, with `--replay`, on every stored case. The store is only read.
struct RulesDiff: KesuCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "What changes between two packs; with --replay, which stored cases would come out differently.",
        discussion: """
            OLD and NEW are pack folders, or @VERSION (a prefix of a version listed by `kesu rules history`) \
            for the sources the store kept. With --replay the cases in --db (optionally only those opened in \
            [--since, --until)) are replayed from their own commands under both packs, on a private in-memory \
            store, sweeping up to --now; the report lists cases whose handling unit, due times, reminders, \
            escalations, violations, points, final state or accepted commands differ. --scope affected (the \
            default) replays only the cases the change can reach (a changed route, clock, ladder or scoring \
            rule) and says why; --scope all replays every case. Both list the same cases. Exits 0 whatever it finds.
            """)
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The old pack: a folder, or @VERSION from the store.") var old: String
    @Argument(help: "The new pack: a folder, or @VERSION from the store.") var new: String
    @Flag(help: "Replay the store's cases under both packs.") var replay = false
    @Option(help: "Only cases opened on or after (YYYY-MM-DD or ISO-8601).") var since: String?
    @Option(help: "Only cases opened before (YYYY-MM-DD or ISO-8601).") var until: String?
    @Option(help: "List at most this many changed cases (counts cover all).") var limit = 200
    @Option(help: "Which cases --replay replays: affected (those the change can reach) or all.") var scope: ReplayScope = .affected

    func run() async throws {
        try await guarded(global) {
            let a = try await load(old), b = try await load(new)
            let diff = PackDiff(old: a.pack, new: b.pack)
            let calendar = try BusinessCalendar(b.pack.calendar)
            let time = { (d: Date) in ISO8601.format(d, in: calendar.timeZone) }
            var report: ReplayReport?
            var moves: [CalendarDutiesReport.Move]?
            if replay {
                guard let db = global.chosenDB ?? (FileManager.default.fileExists(atPath: global.dbPath) ? global.dbPath : nil) else {
                    throw KesuError(.invalidInput, "--replay needs a store: pass --db FILE (or set KESU_DB)")
                }
                let store = try SQLiteStore(path: db)
                report = try await ReplayReport.run(
                    store: store, old: a.pack, new: b.pack, openedFrom: try day(since, "since", calendar),
                    openedBefore: try day(until, "until", calendar), horizon: try global.currentTime(), time: time, scope: scope)
                // A new holiday calendar re-plans running clocks when it is put in force (cases pinned to older packs
                // too): list beforehand which due times move.
                if a.pack.calendar.daysFingerprint != b.pack.calendar.daysFingerprint {
                    let engine = try Engine(pack: a.pack, store: store, resolver: StoredPackResolver(store: store))
                    moves = try await engine.calendarMoves(to: b.pack.calendar, at: try global.currentTime())
                }
            }
            if global.json {
                Output.json(json(a.pack, b.pack, diff, report, moves, time))
            } else {
                print(text(a.pack, b.pack, diff, report, moves, time))
            }
        }
    }

    func load(_ folder: String) async throws -> LoadedPack {
        if folder.hasPrefix("@") { return try await stored(String(folder.dropFirst())) }
        guard FileManager.default.fileExists(atPath: folder) else {
            throw KesuError(.invalidInput, "no rule pack at '\(folder)'")
        }
        return try RulePackLoader().load(directory: folder)
    }

    /// A version the store kept, by a prefix of its hash.
    func stored(_ prefix: String) async throws -> LoadedPack {
        guard FileManager.default.fileExists(atPath: global.dbPath) else {
            throw KesuError(.invalidInput, "@\(prefix) names a stored pack version, but there is no store at '\(global.dbPath)'; pass --db FILE")
        }
        let store = try SQLiteStore(path: global.dbPath)
        let known = try await store.packVersions().map(\.version)
        let matches = known.filter { $0.hasPrefix(prefix) }
        guard matches.count == 1, let snapshot = try await store.pack(version: matches[0]) else {
            let list = known.map { String($0.prefix(12)) }.joined(separator: ", ")
            throw KesuError(.notFound, matches.count > 1
                ? "@\(prefix) matches \(matches.count) stored versions; give more of the hash (versions: \(list))"
                : "no stored pack version @\(prefix)\(matches.isEmpty ? "" : " with its sources"); the store has: \(list.isEmpty ? "none" : list) (see `kesu rules history`)")
        }
        return try RulePackLoader().load(snapshot: snapshot)
    }

    func day(_ text: String?, _ name: String, _ calendar: BusinessCalendar) throws -> Date? {
        guard let text else { return nil }
        if let d = LocalDate(text) { return calendar.instant(d, minute: 0) }
        if let d = ISO8601.parse(text) { return d }
        throw KesuError(.invalidInput, "--\(name) '\(text)' is not a date: write YYYY-MM-DD (e.g. 2026-07-01) or an ISO-8601 time")
    }

    func text(_ a: RulePack, _ b: RulePack, _ diff: PackDiff, _ report: ReplayReport?,
              _ moves: [CalendarDutiesReport.Move]? = nil, _ time: (Date) -> String = { "\($0)" }) -> String {
        var out = ["\(a.info.id) \(a.version.prefix(12)) → \(b.info.id) \(b.version.prefix(12))"]
        if diff.isEmpty { out.append("no change in the rules' effect") }
        var section = ""
        for c in diff.changes {
            if c.section != section { section = c.section; out.append("\n\(section):") }
            let mark = ["added": "+", "removed": "-", "changed": "~", "moved": "↕"][c.kind.rawValue]!
            out.append("  \(mark) \(c.id) \(c.kind.rawValue)")
            for d in c.details { out.append("      \(d)") }
        }
        guard let report else { return out.joined(separator: "\n") }
        let replayed = report.examined == report.considered ? "\(report.examined)" : "\(report.examined) of \(report.considered)"
        out.append("\nreplay: \(replayed) cases replayed under both packs; \(report.differences.count) would come out differently")
        out.append("  selection: \(report.selectionReason)")
        if !report.differences.isEmpty {
            out.append("  by kind: " + report.byKind.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
            out.append("  by unit: " + report.byUnit.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
            for d in report.differences.prefix(limit) {
                out.append("  \(d.number)")
                for c in d.changes { out.append("      \(c.what): \(c.old) → \(c.new)") }
            }
            if report.differences.count > limit { out.append("  … \(report.differences.count - limit) more (raise --limit, or use --json)") }
        }
        if let moves {
            out.append("\nnew holiday calendar: \(moves.count) running clock(s) would be re-planned when it is put in force")
            for m in moves.prefix(limit) { out.append("  \(m.caseNumber)  \(m.run)  due \(time(m.from)) → \(time(m.to))") }
            if moves.count > limit { out.append("  … \(moves.count - limit) more (raise --limit, or use --json)") }
        }
        out.append("the store was not modified")
        return out.joined(separator: "\n")
    }

    func json(_ a: RulePack, _ b: RulePack, _ diff: PackDiff, _ report: ReplayReport?,
              _ moves: [CalendarDutiesReport.Move]? = nil, _ time: (Date) -> String = { "\($0)" }) -> [String: JSON] {
        var out: [String: JSON] = [
            "old": .object(["pack": .string(a.info.id), "version": .string(a.version)]),
            "new": .object(["pack": .string(b.info.id), "version": .string(b.version)]),
            "changes": .array(diff.changes.map { c in
                .object(["section": .string(c.section), "id": .string(c.id), "kind": .string(c.kind.rawValue),
                         "details": .array(c.details.map(JSON.string))])
            }),
        ]
        if let report {
            out["replay"] = .object([
                "considered": .int(report.considered), "examined": .int(report.examined), "changed": .int(report.differences.count),
                "scope": .string(report.scope.rawValue), "selection": .string(report.selectionReason),
                "by_kind": .object(report.byKind.mapValues(JSON.int)), "by_unit": .object(report.byUnit.mapValues(JSON.int)),
                "cases": .array(report.differences.map { d in
                    .object(["number": .string(d.number), "old_unit": .opt(d.oldUnit), "new_unit": .opt(d.newUnit),
                             "kinds": .array(d.kinds.sorted().map { .string($0.rawValue) }),
                             "changes": .array(d.changes.map { c in
                                 .object(["kind": .string(c.kind.rawValue), "what": .string(c.what), "old": .string(c.old), "new": .string(c.new)])
                             })])
                }),
            ])
        }
        if let moves {
            out["calendar_moves"] = .array(moves.map { m in
                .object(["case": .string(m.caseNumber), "run": .string(m.run), "from": .string(time(m.from)), "to": .string(time(m.to))])
            })
        }
        return out
    }
}
