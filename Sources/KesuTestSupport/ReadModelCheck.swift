import Foundation
import KesuKernel

/// The read model's promise, checked on any store: reports from the report facts written with the
/// events equal the reports folded from the histories, and so do those from facts built again from
/// the histories (`Engine.buildReportFacts`, what an upgraded store runs).
///
/// The store gets a generated half-year of `TestPack` cases (2026Q3–Q4, National Day between):
/// answered on the spot, answered and called back, unsatisfied and re-dispatched to another unit,
/// extended and answered late with a fault found (deductions), left open and overdue, registered
/// only — interleaved in time with daily sweeps, as a hotline sees them.
public enum ReadModelCheck {
    public struct Mismatch: Error, CustomStringConvertible {
        public var description: String
    }

    /// One action of the generated half-year, at its time.
    struct Step {
        var at: Date
        var order: Int
        var run: @Sendable (Engine, inout [Int: String]) async throws -> Void
    }

    /// Fills `store` (empty) and returns the engine over it, with how many cases and actions it made.
    public static func generate(into store: any CaseStore, cases: Int = 120, seed: UInt64 = 7) async throws -> (Engine, Int) {
        let engine = try Engine(pack: TestPack.make(), store: store)
        var rng = SplitMix(seed: seed)
        let start = TestPack.at("2026-07-01T09:00"), span: Double = 170 * 86_400
        var steps: [Step] = []
        func hours(_ h: Double) -> Double { h * 3_600 }
        for i in 0..<cases {
            let opened = start.addingTimeInterval(Double(rng.next() % UInt64(span)))
            let path = Int(rng.next() % 6)
            let category = ["service", "delivery", "service", "delivery", "other"][Int(rng.next() % 5)]
            let level = rng.next() % 4 == 0 ? "major" : "general"
            let kind = path == 0 ? "inquiry" : "complaint"
            var t = opened
            var k = 0
            func step(after h: Double, _ run: @escaping @Sendable (Engine, String, Date) async throws -> Void) {
                t = t.addingTimeInterval(hours(h))
                k += 1
                let at = t
                steps.append(Step(at: at, order: i * 100 + k) { e, numbers in
                    guard let number = numbers[i] else { return }
                    try await run(e, number, at)
                })
            }
            let at0 = opened
            steps.append(Step(at: at0, order: i * 100) { e, numbers in
                let fields = ["channel": i % 3 == 0 ? "web" : "phone", "kind": kind, "description": "生成的第\(i)件",
                              "category": category, "level": level, "respondent_person": "a_handler"]
                numbers[i] = try await e.intake(fields: fields, by: "clerk1", at: at0).state.number
            })
            let gap = Double(1 + rng.next() % 30)
            switch path {
            case 0:
                step(after: 0.5) { e, n, at in try await e.act(n, transition: "answer_on_spot", fields: ["result": "已解答"], by: "clerk1", at: at) }
            case 1, 2, 3:
                step(after: 1) { e, n, at in try await e.act(n, transition: "dispatch", fields: ["category": category], by: "chief", at: at) }
                if path == 3 {
                    step(after: 20) { e, n, at in
                        try await e.extend(n, clock: "answer", by: .workingDays(1, .endOfDay), reason: "核实", approver: "chief", at: at)
                    }
                }
                step(after: path == 3 ? 24 * 9 : gap) { e, n, at in
                    try await e.act(n, transition: "answer", fields: ["result": "已处理", "fault": path == 3 ? "ours" : "none"],
                                    by: try await handler(e, n), at: at)
                }
                step(after: 2) { e, n, at in try await e.act(n, transition: "approve", by: try await head(e, n), at: at) }
                let unsatisfied = path == 2
                step(after: 20) { e, n, at in
                    try await e.act(n, transition: "callback", fields: ["satisfaction": unsatisfied ? "unsatisfied" : "satisfied"],
                                    by: "clerk1", at: at)
                }
                if unsatisfied {
                    let other = category == "service" ? "unit_b" : "unit_a"
                    step(after: 1) { e, n, at in
                        try await e.act(n, transition: "redispatch", fields: ["handling_unit": other], by: "clerk1", at: at)
                    }
                    step(after: gap) { e, n, at in
                        try await e.act(n, transition: "answer", fields: ["result": "已补办"], by: try await handler(e, n), at: at)
                    }
                    step(after: 2) { e, n, at in try await e.act(n, transition: "approve", by: try await head(e, n), at: at) }
                    step(after: 5) { e, n, at in
                        try await e.act(n, transition: "callback", fields: ["satisfaction": "satisfied"], by: "clerk1", at: at)
                    }
                }
            case 4:
                step(after: 2) { e, n, at in try await e.act(n, transition: "dispatch", fields: ["category": category], by: "chief", at: at) }
            default:
                break   // registered only
            }
        }
        // A sweep every working morning of the half-year.
        var day = start
        while day < start.addingTimeInterval(span + 10 * 86_400) {
            let at = day
            steps.append(Step(at: at, order: -1) { e, _ in _ = try await e.sweep(at: at) })
            day = day.addingTimeInterval(86_400)
        }
        steps.sort { ($0.at, $0.order) < ($1.at, $1.order) }
        var numbers: [Int: String] = [:]
        var done = 0
        for s in steps {
            do {
                try await s.run(engine, &numbers)
                done += 1
            } catch is KesuError {
                // A step the generated timing makes impossible (the case moved on): the case goes on without it.
            }
        }
        return (engine, done)
    }

    static func handler(_ e: Engine, _ n: String) async throws -> String {
        try await e.find(n).handlingUnit == "unit_b" ? "b_liaison" : "a_handler"
    }
    static func head(_ e: Engine, _ n: String) async throws -> String {
        try await e.find(n).handlingUnit == "unit_b" ? "b_head" : "a_head"
    }

    /// Compares every report the read model answers with the folded one; throws the first difference.
    public static func compare(_ engine: Engine, label: String) async throws {
        let calendar = engine.planner.calendar
        for q in ["2026Q3", "2026Q4"] {
            let p = try Period.parse(q, calendar: calendar)
            let facts = try await engine.quarterlyReport(period: p, source: .readModel)
            let folded = try await engine.quarterlyReport(period: p, source: .histories)
            if facts != folded { throw Mismatch(description: "\(label): quarterly \(q) differs:\n facts \(facts)\n folded \(folded)") }
        }
        for label2 in ["2026-07", "2026-08", "2026-09", "2026-10", "2026-11", "2026-12", "2026Q3", "2026Q4", "2026"] {
            let p = try Period.parse(label2, calendar: calendar)
            for by in [ScoreSubject.Kind.unit, .person] {
                let facts = try await engine.measures(period: p, by: by, source: .readModel)
                let folded = try await engine.measures(period: p, by: by, source: .histories)
                if facts != folded { throw Mismatch(description: "\(label): measures \(label2) by \(by) differ:\n facts \(facts)\n folded \(folded)") }
                let fs = try await engine.scores(period: p, by: by, source: .readModel)
                let hs = try await engine.scores(period: p, by: by, source: .histories)
                if fs != hs { throw Mismatch(description: "\(label): scores \(label2) by \(by) differ:\n facts \(fs)\n folded \(hs)") }
            }
        }
    }
}
