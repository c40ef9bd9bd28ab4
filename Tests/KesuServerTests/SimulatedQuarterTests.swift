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
/// no open case stuck without a way out; at the end, nothing due is left unfired.
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
        print("simulated quarter: \(registered) cases, \(taken) transitions, \(refused) refusals, \(fired) reminders/escalations/violations")
        #expect(registered > cases / 2 && taken > registered && fired > 0)
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
                case let .reminder(run, step, _, _): "reminder \(run) \(step)"
                case let .escalation(run, step, _, _): "escalation \(run) \(step)"
                case let .violation(id, run, _, _, _): "violation \(id) \(run)"
                case let .deduction(cause, subject, _, at): "deduction \(cause) \(subject.kind) \(subject.id) \(e.ruleID ?? "") \(at.timeIntervalSince1970)"
                default: nil
                }
                if let key { #expect(seen.insert(key).inserted, "\(s.number): \(key) written twice") }
            }
        }
    }
}
