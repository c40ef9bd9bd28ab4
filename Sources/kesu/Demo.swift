import ArgumentParser
import Foundation
import KesuKernel
import KesuRendering
import KesuSQLite
import KesuYAML

/// A guided run of one complaint's life, scripted by the pack's own scenario file, so a
/// newcomer sees the procedure work end to end. Exits non-zero if a step misses what the
/// scenario expects.
struct Demo: KesuCommand {
    static let configuration = CommandConfiguration(
        abstract: "Walk one complaint through the whole procedure (the pack's scenarios/demo.yaml).")
    @OptionGroup var global: GlobalOptions
    @Option(help: "Scenario file (default: <pack>/scenarios/demo.yaml).") var scenario: String?

    func run() async throws {
        try await guarded(global) {
            let loaded = try global.loadPack()
            let path = scenario ?? (global.rulesPath as NSString).appendingPathComponent("scenarios/demo.yaml")
            let script = try ScenarioLoader.load(path: path)
            let dbPath: String
            if let db = global.chosenDB {
                dbPath = db
            } else {
                let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kesu-demo-\(UUID().uuidString.prefix(8))")
                try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
                dbPath = dir.appendingPathComponent("kesu.db").path
            }
            let store = try SQLiteStore(path: dbPath)
            let engine = try Engine(pack: loaded.pack, store: store, notifier: nil, snapshot: loaded.snapshot,
                                    resolver: StoredPackResolver(store: store), wording: ChineseNotificationWording())
            let r = CaseRenderer(engine: engine)
            let pack = loaded.pack
            if !global.json {
                print("Kesu demo: \(script.name)")
                print("rule pack: \(pack.info.name) (\(pack.info.id)), version \(pack.version.prefix(12))")
                print("database:  \(dbPath)\n")
            }
            var failures = 0
            var lastNumber: String?
            var steps: [JSON] = []
            let results = try await engine.run(script) { res in
                failures += res.failures.count
                if let n = res.state?.number { lastNumber = n }
                let who = res.step.as.flatMap { pack.person($0) }.map { "\($0.name)(\($0.id))" } ?? "系统"
                steps.append(.object([
                    "step": .int(res.index + 1), "at": .string(res.step.at), "as": .opt(res.step.as),
                    "state": .opt(res.state?.state), "handling_unit": .opt(res.state?.handlingUnit),
                    "refused": .opt(res.refusal?.message), "failures": .array(res.failures.map(JSON.string)),
                ]))
                guard !global.json else { return }
                print("── \(res.index + 1). \(res.step.at)  \(who)")
                if let say = res.step.say { print("   \(say)") }
                print("   $ \(commandLine(res.step, number: res.state?.number))")
                if let e = res.refusal { print("   refused (as the procedure requires): \(e.message)") }
                if let sweep = res.sweep {
                    for f in sweep.fired {
                        print("   fired \(f.type) \(f.violation ?? f.ruleID ?? "") → \(f.recipients.joined(separator: ", "))")
                    }
                    if sweep.fired.isEmpty { print("   nothing due") }
                }
                if let s = res.state {
                    let running = s.runningClocks.map { "\($0.run.clock) due \(r.time($0.dueAt))" }.joined(separator: "; ")
                    print("   → \(pack.state(s.state)?.name ?? s.state) (\(s.state)), 承办: \(r.label("handling_unit", s.handlingUnit))\(running.isEmpty ? "" : ", clocks: \(running)")")
                }
                for f in res.failures { print("   ✗ \(f)") }
            }
            if global.json {
                Output.json(["scenario": .string(script.name), "database": .string(dbPath), "case": .opt(lastNumber),
                             "steps": .array(steps), "failures": .int(failures)])
            } else if let number = lastNumber {
                let (state, events) = try await engine.history(number)
                print("\n" + (await r.text(state, events: events, at: results.last.flatMap { ISO8601.parse($0.step.at) } ?? state.updatedAt)))
                print("\n\(results.count) steps, \(failures) unmet expectation(s). Explore the case:")
                print("  kesu show \(number) --rules \(global.rulesPath) --db \(dbPath)")
            }
            if failures > 0 { throw ExitCode(1) }
        }
    }

    func commandLine(_ s: Scenario.Step, number: String?) -> String {
        let who = s.as.map { " --as \($0)" } ?? ""
        let fields = (s.intake ?? s.fields ?? [:]).sorted { $0.key < $1.key }.map { " --field \($0.key)=\(quote($0.value))" }.joined()
        if s.intake != nil { return "kesu intake\(who)\(fields)" }
        if let t = s.act { return "kesu act \(number ?? "CASE") \(t)\(who)\(fields)" }
        if let x = s.extend {
            return "kesu extend \(number ?? "CASE") --clock \(x.clock) \(x.days.map { "--days \($0)" } ?? "--hours \(x.hours ?? 0)") --reason \(quote(x.reason))\(who)"
        }
        return "kesu sweep --now \(s.at)"
    }

    func quote(_ v: String) -> String { v.contains(" ") || v.isEmpty ? "'\(v)'" : v }
}
