import Foundation
import KesuKernel
import KesuSQLite
import KesuTestSupport
import KesuYAML
import Testing

/// A simulated quarter (issue 7, item 4): complaints arrive at random through a quarter that
/// crosses National Day and Mid-Autumn; people take random available transitions after random
/// delays (often late); the sweep runs every simulated hour. After every simulated day the
/// invariants hold: no case lost, no reminder, escalation, violation or deduction written twice,
/// no open case stuck without a way out; at the end, nothing due is left unfired, every ladder step
/// that fell due fired once, and every violation was recorded and scored once.
@Suite("Simulated quarter")
struct SimulatedQuarterTests {
    struct Run {
        let engine: Engine
        var rng: SplitMix
        var pack: RulePack { engine.pack }
        let zone: TimeZone

        mutating func pick<T>(_ xs: [T]) -> T { xs[Int(rng.next() % UInt64(xs.count))] }
        mutating func chance(_ p: Double) -> Bool { Double(rng.next() % 10_000) / 10_000 < p }

        /// A value the pack accepts for `field`, for a case handled by `unit`.
        mutating func value(_ field: String, unit: String?, at now: Date) -> String {
            if CaseField.kind(of: field) == .person {
                let local = pack.people.filter { $0.unit == unit }
                return pick(local.isEmpty ? pack.people : local).id
            }
            if let allowed = pack.allowedValues(of: field), !allowed.isEmpty { return pick(allowed) }
            if CaseField.kind(of: field) == .datetime || pack.fields.first(where: { $0.id == field })?.type == .datetime {
                return ISO8601.format(now, in: zone)
            }
            if pack.fields.first(where: { $0.id == field })?.type == .number { return "1" }
            return "模拟 \(field)"
        }
    }

    @Test("a quarter of random complaints and random handling keeps every invariant")
    func quarter() async throws {
        let loaded = try RulePackLoader().load(directory: Paths.pack("tobacco-prefecture"))
        // The logic under test is the engine's; the in-memory store keeps the quarter to seconds
        // (the stores' own guarantees are the conformance kit's and the crash tests').
        let store = MemoryStore()
        let engine = try Engine(pack: loaded.pack, store: store, snapshot: loaded.snapshot)
        var run = Run(engine: engine, rng: SplitMix(seed: 20261129), zone: engine.planner.calendar.timeZone)
        let pack = engine.pack
        let planner = engine.planner
        let start = ISO8601.parse("2026-09-14T00:00:00+08:00")!
        let end = ISO8601.parse("2026-12-14T00:00:00+08:00")!
        let cases = Int(ProcessInfo.processInfo.environment["KESU_SIM_CASES"] ?? "") ?? 1500

        // Arrivals spread over the quarter (office hours and nights alike).
        var arrivals = (0..<cases).map { _ in start.addingTimeInterval(Double(run.rng.next() % UInt64(end.timeIntervalSince(start) - 86_400 * 14))) }
        arrivals.sort()
        let clerks = pack.people.filter { planner.mayAct($0, roles: pack.procedure.intake.roles, handlingUnit: nil) }
        var nextAction: [String: Date] = [:]
        var registered = 0, taken = 0, refused = 0, fired = 0
        var now = start
        var arrival = 0
        while now < end {
            // New complaints this hour.
            while arrival < arrivals.count && arrivals[arrival] < now.addingTimeInterval(3600) {
                var fields: [String: String] = ["subject": "模拟投诉 \(arrival)", "description": "送货不及时, 服务态度差", "complainant_phone": "13800000000"]
                for f in pack.procedure.intake.requires where fields[f] == nil { fields[f] = run.value(f, unit: nil, at: now) }
                do {
                    let r = try await engine.intake(fields: fields, by: run.pick(clerks).id, at: now, idempotencyKey: "sim-\(arrival)")
                    registered += 1
                    nextAction[r.state.number] = now.addingTimeInterval(Double(run.rng.next() % 8 * 3600))
                } catch let e as KesuError where e.code == .noRoute || e.code == .invalidValue {
                    // A random combination the routing table does not take: refused, nothing written.
                    refused += 1
                }
                arrival += 1
            }
            // People act on the cases whose turn it is: a random transition they may take.
            for (number, at) in nextAction where at <= now {
                let state = try await engine.find(number)
                if state.isClosed { nextAction[number] = nil; continue }
                let options = planner.available(for: state).compactMap { t -> (TransitionDef, PersonDef)? in
                    let people = pack.people.filter { planner.mayAct($0, roles: t.roles, handlingUnit: state.handlingUnit) }
                    return people.isEmpty ? nil : (t, run.pick(people))
                }
                #expect(!options.isEmpty, "\(number) is stuck in \(state.state): no transition anybody may take")
                guard !options.isEmpty else { nextAction[number] = nil; continue }
                let (t, who) = run.pick(options)
                var fields: [String: String] = [:]
                for f in t.requires { fields[f] = run.value(f, unit: state.handlingUnit, at: now) }
                let before = state.version
                do {
                    try await engine.act(number, transition: t.id, fields: fields, by: who.id, at: now, expectedVersion: before)
                    taken += 1
                } catch is KesuError {
                    refused += 1
                    #expect(try await engine.find(number).version == before, "a refused \(t.id) on \(number) wrote something")
                }
                // The next step after 0–6 working days' worth of hours: often in time, sometimes late.
                nextAction[number] = now.addingTimeInterval(Double(1 + run.rng.next() % (run.chance(0.2) ? 240 : 48)) * 3600)
            }
            fired += try await engine.sweep(at: now).fired.count
            now = now.addingTimeInterval(3600)
            if Int(now.timeIntervalSince(start)) % 86_400 == 0 { try await Self.invariants(store, registered: registered, at: now) }
        }
        try await Self.invariants(store, registered: registered, at: end)
        // Nothing due is left unfired: the planner has nothing more to do for any case at the end.
        for s in try await store.list(CaseQuery(limit: 100_000)) {
            let state = try await engine.state(of: s.id)
            #expect(try planner.planSweep(on: state, at: end).isEmpty, "\(s.number) still has something due")
        }
        let audit = try await Self.everyStepAndViolation(store, planner: planner, start: start, end: end)
        print("simulated quarter: \(registered) cases, \(taken) transitions, \(refused) refusals, \(fired) reminders/escalations/violations; "
            + "checked \(audit.steps) ladder steps fired, \(audit.violations) violations and \(audit.deductions) deductions")
        #expect(registered > cases / 2 && taken > registered && fired > 0)
        #expect(audit.steps > 0 && audit.violations > 0 && audit.deductions > audit.violations)
    }

    /// From each case's history alone (not from the planner's sweep): every ladder step that fell
    /// due while its clock ran fired exactly once, as the pack's reminder or escalation, at the
    /// first hourly sweep at or after its instant; every clock that ran late has its violation
    /// exactly once (and a step's violation is there exactly when the step fired); every violation
    /// and outcome is scored exactly once — the deductions the pack's scoring rules give it, no
    /// more, no fewer, and no deduction without its cause. Returns how many of each were checked.
    static func everyStepAndViolation(
        _ store: any CaseStore, planner: Planner, start: Date, end: Date
    ) async throws -> (steps: Int, violations: Int, deductions: Int) {
        let pack = planner.pack
        // The simulation sweeps at every hour from `start` (after that hour's actions) until `end`.
        func firstSweep(atOrAfter t: Date) -> Date {
            start.addingTimeInterval((t.timeIntervalSince(start) / 3600).rounded(.up) * 3600)
        }
        var steps = 0, violations = 0, deductions = 0
        for s in try await store.list(CaseQuery(limit: 100_000)) {
            var state = CaseState()
            var runs: [(ClockState, stoppedAt: Date?)] = []
            var fired: [String: [(at: Date, due: Date, escalation: Bool)]] = [:]
            var recorded: [String: Int] = [:]
            var scored: [String: Int] = [:], deducted: [String: Int] = [:]
            func score(_ kind: ScoringFact.Kind, unit: String?, person: String?, at: Date, fields: [String: String]) throws {
                let fact = ScoringFact(kind: kind, unit: unit, person: person, occurredAt: at, fields: fields)
                for x in try planner.scorer.deductions(for: fact, pack: pack) {
                    scored["\(kind.cause) \(x.subject.kind) \(x.subject.id) \(x.points) \(x.ruleID) \(at.timeIntervalSince1970)", default: 0] += 1
                }
            }
            for e in try await store.events(caseID: s.id) {
                state.apply(e)
                switch e.body {
                case let .clockStarted(run, _, _):
                    runs.append((state.clocks[run.clock]!, stoppedAt: nil))
                case let .clockStopped(run, _):
                    if let i = runs.lastIndex(where: { $0.0.run == run }) { runs[i].stoppedAt = e.at }
                case .clockPaused, .clockResumed, .clockExtended:
                    Issue.record("\(s.number): \(e.type): this check assumes clocks run from start to stop unchanged (the simulation neither pauses nor extends)")
                case let .reminder(run, step, due, _):
                    fired["\(run) \(step)", default: []].append((at: e.at, due: due, escalation: false))
                case let .escalation(run, step, due, _):
                    fired["\(run) \(step)", default: []].append((at: e.at, due: due, escalation: true))
                case let .violation(id, run, unit, person, occurredAt):
                    recorded["\(id) \(run?.description ?? "-")", default: 0] += 1
                    violations += 1
                    try score(.violation(id), unit: unit, person: person, at: occurredAt, fields: state.fields)
                case let .outcome(id, unit, person):
                    try score(.outcome(id), unit: unit, person: person, at: e.at, fields: state.fields)
                case let .deduction(cause, subject, points, occurredAt):
                    deducted["\(cause) \(subject.kind) \(subject.id) \(points) \(e.ruleID ?? "-") \(occurredAt.timeIntervalSince1970)", default: 0] += 1
                    deductions += 1
                default: break
                }
            }
            // What each clock run called for, from its start, due time and stop alone.
            var expectedViolations = Set<String>()
            for (clock, stoppedAt) in runs {
                guard let def = pack.clock(clock.run.clock) else { continue }
                // A sweep at hour H saw the run running when H came before its stop (a stop in that
                // hour is an action, taken before the sweep) or, never stopped, before the end.
                let seenRunning = { (h: Date) in h < (stoppedAt ?? end) }
                if let ladder = def.ladder.flatMap(pack.ladder) {
                    for (i, step) in ladder.steps.enumerated() {
                        let instant = try planner.stepInstant(step, clock: clock)
                        let sweep = firstSweep(atOrAfter: instant)
                        let got = fired["\(clock.run) \(i)"] ?? []
                        if seenRunning(sweep) {
                            steps += 1
                            #expect(got.count == 1, "\(s.number): \(clock.run) step \(i + 1) fell due at \(instant), fired \(got.count) times")
                            if let f = got.first {
                                #expect(f.at == sweep && f.due == instant, "\(s.number): \(clock.run) step \(i + 1) due \(instant) fired at \(f.at) (the sweep at \(sweep) should have)")
                                #expect(f.escalation == !step.escalateTo.isEmpty, "\(s.number): \(clock.run) step \(i + 1) fired as the wrong kind")
                            }
                            if let v = step.violation { expectedViolations.insert("\(v) \(clock.run)") }
                        } else {
                            #expect(got.isEmpty, "\(s.number): \(clock.run) step \(i + 1) fired though its clock stopped before it fell due")
                        }
                    }
                }
                if let v = def.violation {
                    // Late: stopped after its due time, or still running at a sweep after it.
                    let late = stoppedAt.map { $0 > clock.dueAt } ?? seenRunning(firstSweep(atOrAfter: clock.dueAt))
                    if late { expectedViolations.insert("\(v) \(clock.run)") }
                }
            }
            for key in expectedViolations where recorded[key] != 1 {
                Issue.record("\(s.number): violation \(key) recorded \(recorded[key] ?? 0) times, once expected")
            }
            for (key, n) in recorded where !expectedViolations.contains(key) {
                Issue.record("\(s.number): violation \(key) recorded \(n) times though its clock was never late")
            }
            #expect(scored == deducted, "\(s.number): deductions \(deducted.sorted { $0.key < $1.key }), the scoring rules give \(scored.sorted { $0.key < $1.key })")
        }
        return (steps, violations, deductions)
    }

    /// No case lost; nothing written twice; every case's events numbered without gaps.
    static func invariants(_ store: any CaseStore, registered: Int, at now: Date) async throws {
        let all = try await store.list(CaseQuery(limit: 100_000))
        #expect(all.count == registered, "cases lost or duplicated at \(now)")
        for s in all {
            let events = try await store.events(caseID: s.id)
            #expect(events.map(\.seq) == Array(1...max(1, events.count)) && events.count == s.version, "\(s.number): events and version disagree")
            var seen = Set<String>()
            for e in events {
                let key: String? = switch e.body {
                // A ladder step fires once, as a reminder or an escalation, never both.
                case let .reminder(run, step, _, _), let .escalation(run, step, _, _): "ladder step \(run) \(step)"
                case let .violation(id, run, _, _, _): "violation \(id) \(run)"
                case let .deduction(cause, subject, _, at): "deduction \(cause) \(subject.kind) \(subject.id) \(e.ruleID ?? "") \(at.timeIntervalSince1970)"
                default: nil
                }
                if let key { #expect(seen.insert(key).inserted, "\(s.number): \(key) written twice") }
            }
        }
    }
}
