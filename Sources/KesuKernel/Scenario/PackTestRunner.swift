import Foundation

/// The outcome of one pack test: a scenario (a case's timeline with expectations) and/or
/// routing-table rows, run on a fresh in-memory store.
public struct PackTestResult: Sendable {
    public var name: String
    /// The file the test came from, as named on the command line.
    public var file: String
    public var steps: Int
    public var routes: Int
    /// One line per missed expectation: where (step or route row) and expected vs actual.
    public var failures: [String]
    public var passed: Bool { failures.isEmpty }
}

/// Runs a pack's tests (`tests/*.yaml`, `scenarios/*.yaml`). Every test gets its own store,
/// so tests never see each other's cases and their order does not matter.
public struct PackTestRunner: Sendable {
    public let pack: RulePack
    public let scorer: any Scorer

    public init(pack: RulePack, scorer: any Scorer = PointsScorer()) {
        self.pack = pack; self.scorer = scorer
    }

    public func run(_ test: Scenario, file: String) async -> PackTestResult {
        var result = PackTestResult(name: test.name, file: file, steps: test.steps.count, routes: test.routes.count, failures: [])
        if test.steps.isEmpty && test.routes.isEmpty {
            result.failures.append("the test has no steps and no routes: it checks nothing")
            return result
        }
        do {
            let engine = try Engine(pack: pack, store: MemoryStore(), scorer: scorer)
            result.failures += engine.check(routes: test.routes)
            if !test.steps.isEmpty {
                let steps = try await engine.run(test)
                for s in steps where !s.failures.isEmpty {
                    let what = Self.describe(s.step)
                    result.failures += s.failures.map { "step \(s.index + 1) (\(what) at \(s.step.at)): \($0)" }
                }
            }
        } catch {
            result.failures.append("could not run: \(error)")
        }
        return result
    }

    static func describe(_ step: Scenario.Step) -> String {
        if step.intake != nil { return "intake" }
        if let t = step.act { return "act \(t)" }
        if let x = step.extend { return "extend \(x.clock)" }
        if step.sweep == true { return "sweep" }
        return "step"
    }
}
