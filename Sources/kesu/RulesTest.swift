import ArgumentParser
import Foundation
import KesuKernel
import KesuYAML

/// `kesu rules test`: runs a pack's own tests (`tests/*.yaml` and `scenarios/*.yaml`) on
/// in-memory stores; prints each test's name and, on failure, expected vs actual.
struct RulesTest: KesuCommand {
    static let configuration = CommandConfiguration(
        commandName: "test",
        abstract: "Run the pack's tests (tests/*.yaml, scenarios/*.yaml); exit 1 if any fails.",
        discussion: "Each test is a case's timeline with expectations, or rows of the routing table. See docs/rule-packs.md.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The pack folder (default: --rules).") var pack: String?
    @Option(help: "Run only tests whose name contains this text.") var filter: String?

    func run() async throws {
        let opts = global.with(pack: pack)
        try await guarded(opts) {
            let loaded = try opts.loadPack()
            let files = ScenarioLoader.packTestFiles(in: opts.rulesPath)
            guard !files.isEmpty else {
                throw KesuError(.invalidInput, "pack '\(opts.rulesPath)' has no tests: add tests/*.yaml (see docs/rule-packs.md, \"Pack tests\")")
            }
            // Every file is read before anything runs, so a broken file is reported with the others.
            var tests: [(Scenario, String)] = []
            var problems: [Diagnostic] = []
            for file in files {
                do { tests += try ScenarioLoader.loadAll(path: file).map { ($0, file) } } catch let e as RulePackError {
                    problems += e.diagnostics
                }
            }
            if !problems.isEmpty { throw RulePackError(problems) }
            if let filter { tests = tests.filter { $0.0.name.contains(filter) } }
            let runner = PackTestRunner(pack: loaded.pack)
            var results: [PackTestResult] = []
            for (test, file) in tests {
                let r = await runner.run(test, file: file)
                results.append(r)
                guard !opts.json else { continue }
                let size = [r.steps > 0 ? "\(r.steps) steps" : nil, r.routes > 0 ? "\(r.routes) routes" : nil].compactMap { $0 }.joined(separator: ", ")
                print("\(r.passed ? "PASS" : "FAIL")  \(r.name)  (\(size); \(r.file))")
                for f in r.failures { print("      ✗ \(f)") }
            }
            let failed = results.filter { !$0.passed }.count
            if opts.json {
                Output.json([
                    "pack": .string(loaded.pack.info.id), "version": .string(loaded.pack.version),
                    "passed": .int(results.count - failed), "failed": .int(failed),
                    "tests": .array(results.map { r in
                        .object(["name": .string(r.name), "file": .string(r.file), "passed": .bool(r.passed),
                                 "steps": .int(r.steps), "routes": .int(r.routes), "failures": .array(r.failures.map(JSON.string))])
                    }),
                ])
            } else {
                print("\(results.count) tests, \(results.count - failed) passed, \(failed) failed — \(loaded.pack.info.name) (\(loaded.pack.info.id)) \(loaded.pack.version.prefix(12))")
            }
            if failed > 0 { throw ExitCode(1) }
        }
    }
}
