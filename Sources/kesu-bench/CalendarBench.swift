import Foundation
import KesuKernel
import KesuSQLite
import KesuYAML

// `kesu-bench calendar --db FILE`: what adopting a new holiday calendar costs on a large store (issue 16).
// The sweep counts every open case's running clocks again when the calendar's days change; this times that
// pass twice on a copy of the store: on an unchanged calendar (every clock recounted, nothing moves: the
// first sweep of an upgraded store) and on one with five more days off (most running clocks move and each
// move is committed with its event).

func calendarOnly(_ o: Options) async throws {
    guard let db = o.db else { throw BenchError("calendar needs --db FILE (a store from `kesu-bench generate`)") }
    let loaded = try RulePackLoader().load(directory: o.rules)
    print(table(try await calendarRows(loaded: loaded, path: db)))
}

func calendarRows(loaded: LoadedPack, path: String) async throws -> [Row3] {
    let copy = FileManager.default.temporaryDirectory.appendingPathComponent("kesu-bench-calendar-\(getpid()).db").path
    for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: copy + suffix) }
    try copyStore(path, to: copy)
    defer { for suffix in ["", "-wal", "-shm", ".lookup-key"] { try? FileManager.default.removeItem(atPath: copy + suffix) } }
    let store = try SQLiteStore(path: copy)
    defer { try? store.close() }
    let open = try await store.count(CaseQuery(openOnly: true))

    // The week after the bench's "now" (Fri 2026-11-27) off: a changed calendar as the notice's import gives it.
    var changed = loaded.pack
    changed.version = "bench-changed-calendar"
    let days = [LocalDate(year: 2026, month: 11, day: 30)] + (1...4).map { LocalDate(year: 2026, month: 12, day: $0) }
    changed.calendar.holidays += days.map { DatedDay(date: $0, name: "bench", label: "测试") }
    struct Shelf: PackResolver {
        let pack: RulePack
        func pack(version: String) async throws -> RulePack? { version == pack.version ? pack : nil }
    }
    let clock = ContinuousClock()
    var rows: [Row3] = []
    for (label, pack) in [("unchanged calendar (every running clock recounted, none moves)", loaded.pack),
                          ("five more days off (moves committed with their events)", changed)] {
        let engine = try Engine(pack: pack, store: store, snapshot: pack.version == loaded.pack.version ? loaded.snapshot : nil,
                                resolver: Shelf(pack: loaded.pack))
        var report: CalendarDutiesReport?
        let elapsed = try await clock.measure { report = try await engine.calendarDuties(at: benchNow) }
        let r = report!
        let perCase = r.casesExamined == 0 ? 0 : ms(elapsed) / Double(r.casesExamined)
        rows.append(Row3(figure: "calendar adopted, \(label): \(r.casesExamined) of \(open) open cases with a running clock, \(r.moved.count) moved",
                         measured: "\(fmt(ms(elapsed), 0)) ms (\(fmt(perCase, 2)) ms a case)", reference: "—", ratio: "—",
                         verdict: r.skipped.isEmpty ? "" : "\(r.skipped.count) skipped"))
    }
    return rows
}
