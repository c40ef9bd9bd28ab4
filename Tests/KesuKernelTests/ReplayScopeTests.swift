import Foundation
import KesuKernel
import KesuTestSupport
import Testing

/// `rules diff --replay` replaying only the cases a change can reach: for every kind of change the
/// report equals the one replaying every case, on any number of workers.
@Suite struct ReplayScopeTests {
    static func at(_ s: String) -> Date { TestPack.at(s) }
    static let horizon = at("2026-12-18T18:00")
    static let time: @Sendable (Date) -> String = { ISO8601.format($0, in: TestPack.zone) }

    /// 90 seeded cases under the test pack: every category and region, manual dispatches, late answers,
    /// extensions, faults, unsatisfied callbacks and re-dispatches, inquiries answered on the spot, and
    /// cases routed to the center, whose answer nobody there may give (refused, so left open).
    static func fixture(cases: Int = 90, seed: UInt64 = 18) async throws -> MemoryStore {
        let store = MemoryStore()
        let engine = try Engine(pack: TestPack.make(), store: store)
        var rng = SplitMix(seed: seed)
        func pick<T>(_ xs: [T]) -> T { xs[Int(rng.next() % UInt64(xs.count))] }
        func chance(_ p: Double) -> Bool { Double(rng.next() % 1_000) < p * 1_000 }
        let handler = ["unit_a": "a_handler", "unit_b": "b_liaison", "county": "k_liaison", "center": "clerk1"]
        let head = ["unit_a": "a_head", "unit_b": "b_head", "county": "k_liaison", "center": "chief"]
        var t = at("2026-10-12T09:00")
        for _ in 0..<cases {
            t += Double(35 + Int(rng.next() % 240)) * 60
            var fields = ["channel": "phone", "kind": chance(0.15) ? "inquiry" : "complaint", "description": "测试"]
            if let c = pick(["service", "delivery", "license", "other", nil] as [String?]) { fields["category"] = c }
            if let r = pick(["north", "city", nil] as [String?]) { fields["region"] = r }
            if let l = pick(["general", "major", nil] as [String?]) { fields["level"] = l }
            if chance(0.3) { fields["respondent_person"] = "a_handler" }
            guard fields["kind"] != "inquiry" || fields["category"] != "delivery",
                  let number = try? await engine.intake(fields: fields, by: "clerk1", at: t).state.number else { continue }
            var now = t
            func step(_ hours: Int) -> Date { now += Double(hours) * 3600; return now }
            if fields["kind"] == "inquiry" {
                _ = try? await engine.act(number, transition: "answer_on_spot", fields: ["result": "已答复"], by: "clerk1", at: step(1))
                continue
            }
            var dispatch = ["category": pick(["service", "delivery", "license", "other"])]
            if chance(0.15) { dispatch["handling_unit"] = pick(["unit_a", "unit_b", "county"]) }
            if chance(0.3) { dispatch["level"] = "major" }
            guard (try? await engine.act(number, transition: "dispatch", fields: dispatch, by: "chief", at: step(1 + Int(rng.next() % 6)))) != nil
            else { continue }
            for round in 0..<2 {
                let unit = try await engine.find(number).handlingUnit ?? "center"
                if chance(0.25) {
                    _ = try? await engine.extend(number, clock: "answer", by: .workingDays(1 + Int(rng.next() % 2), .endOfDay),
                                                 reason: "需核实", approver: "chief", at: step(10))
                }
                if chance(0.2) { break }   // still being worked on at the horizon: the ladder and the violation fire in the replay
                var answer = ["result": "已处理"]
                if chance(0.4) { answer["fault"] = pick(["ours", "none"]) }
                guard (try? await engine.act(number, transition: "answer", fields: answer, by: handler[unit]!, at: step(20 + Int(rng.next() % 140)))) != nil
                else { break }
                _ = try? await engine.act(number, transition: "approve", by: head[unit]!, at: step(2 + Int(rng.next() % 60)))
                if chance(0.15) { break }   // the callback clock runs out
                let unsatisfied = chance(0.35)
                _ = try? await engine.act(number, transition: "callback", fields: ["satisfaction": unsatisfied ? "unsatisfied" : "satisfied"],
                                          by: "clerk1", at: step(4 + Int(rng.next() % 60)))
                guard unsatisfied, round == 0 else { break }
                let redispatch = chance(0.5) ? ["handling_unit": pick(["unit_a", "unit_b", "county"])] : [:]
                _ = try? await engine.act(number, transition: "redispatch", fields: redispatch, by: "clerk1", at: step(3))
            }
        }
        return store
    }

    static func run(_ store: MemoryStore, _ old: RulePack, _ new: RulePack, _ scope: ReplayScope, workers: Int = 1,
                    from: Date? = nil) async throws -> ReplayReport {
        try await ReplayReport.run(store: store, old: old, new: new, openedFrom: from, horizon: horizon, time: time,
                                   scope: scope, workers: workers)
    }

    /// The changes tested: each returns the new pack from the old one.
    static let changes: [(String, @Sendable (inout RulePack) -> Void)] = [
        ("route row changed", { $0.routing[2].target = .unit("county") }),
        ("route row added", { $0.routing.insert(RouteRule(id: "R4", when: [FieldCondition(field: "region", test: .equals("city"))],
                                                          target: .unit("unit_b")), at: 3) }),
        ("route row removed", { $0.routing.remove(at: 1) }),
        ("route rows moved", { $0.routing.swapAt(1, 2) }),
        ("region unit route", { $0.routing[0].when = [FieldCondition(field: "region", test: .missing(false))] }),
        ("clock limit", { $0.clocks[0].length = .workingDays(2, .endOfDay) }),
        ("intake clock limit", { $0.clocks[2].length = .workingMinutes(120) }),
        ("clock extension rule", { $0.clocks[0].extensionRule?.maxLength = .workingDays(1, .endOfDay) }),
        ("ladder step", { $0.ladders[0].steps[2] = LadderStep(at: .afterDue(minutes: 240), escalateTo: ["center_head"], violation: "stalling") }),
        ("scoring rule on a violation", { $0.scoring.rules[1].unitPoints = 3 }),
        ("scoring rule on an outcome", { $0.scoring.rules[3].unitPoints = 2 }),
        ("scoring rule added", { $0.scoring.rules.append(ScoringRule(id: "S6", on: .violation("stalling"), unitPoints: 1)) }),
        ("route and clock", { $0.routing[1].target = .unit("unit_b"); $0.clocks[1].length = .workingDays(1, .endOfDay) }),
        ("labels and thresholds only", { $0.info.label = "2026.2"; $0.scoring.thresholds[0].points = 4 }),
        ("calendar", { $0.calendar.holidays.append(DatedDay(date: LocalDate(year: 2026, month: 10, day: 20), name: "x", label: "假")) }),
        ("procedure", { $0.procedure.transitions[1].requires = [] }),
    ]

    @Test func affectedOnlyGivesTheFullReportForEveryKindOfChange() async throws {
        let store = try await Self.fixture()
        let base = TestPack.make()
        var seen = 0
        for (name, change) in Self.changes {
            var new = base
            change(&new)
            new.version = "new"
            // Both directions: the stored history was written by the base pack; replayed old → new and new → old.
            for (old, newer) in [(base, new), (new, base)] {
                let full = try await Self.run(store, old, newer, .all)
                let affected = try await Self.run(store, old, newer, .affected, workers: 3)
                #expect(affected.differences == full.differences, "\(name): \(affected.selectionReason)")
                #expect(affected.considered == full.considered && full.examined == full.considered, "\(name)")
                #expect(affected.examined <= full.examined, "\(name)")
                #expect(affected.scope == .affected && full.scope == .all)
                seen += full.differences.count
            }
        }
        #expect(seen > 100, "the fixture must make the changes matter")
    }

    @Test func whatTheSelectionNarrowsTo() async throws {
        let store = try await Self.fixture()
        let base = TestPack.make()
        func report(_ name: String) async throws -> (ReplayReport, ReplayReport) {
            var new = base
            Self.changes.first { $0.0 == name }!.1(&new)
            return (try await Self.run(store, base, new, .affected), try await Self.run(store, base, new, .all))
        }
        let (route, routeFull) = try await report("route row changed")
        #expect(route.examined < route.considered / 2, "\(route.selectionReason)")
        #expect(route.examined >= route.differences.count && !route.differences.isEmpty)
        #expect(route.differences.count == routeFull.differences.count)
        #expect(route.selectionReason == "routing changed only: \(route.examined) of \(route.considered) cases route differently")
        let (moved, _) = try await report("route rows moved")
        #expect(moved.examined == 0 && moved.differences.isEmpty, "R2 and R3 match no case in common: \(moved.selectionReason)")
        let (clock, _) = try await report("clock limit")
        #expect(clock.examined < clock.considered && clock.selectionReason.hasPrefix("clock answer changed"), "\(clock.selectionReason)")
        let (labels, _) = try await report("labels and thresholds only")
        #expect(labels.examined == 0 && labels.selectionReason.hasPrefix("nothing in effect changed"))
        let (calendar, _) = try await report("calendar")
        #expect(calendar.examined == calendar.considered, "not narrowed")
        #expect(calendar.selectionReason == "calendar.holidays changed: every case replayed (\(calendar.considered))")

        // The window applies before the selection.
        let from = Self.at("2026-10-20T00:00")
        var new = base
        new.routing[2].target = .unit("county")
        let windowed = try await Self.run(store, base, new, .affected, from: from)
        let windowedFull = try await Self.run(store, base, new, .all, from: from)
        #expect(windowed.considered < route.considered && windowed.differences == windowedFull.differences)
    }

    @Test func workersKeepTheSequentialOrder() async throws {
        let store = try await Self.fixture()
        var new = TestPack.make()
        new.clocks[0].length = .workingDays(2, .endOfDay)
        new.routing[2].target = .unit("county")
        let one = try await Self.run(store, TestPack.make(), new, .all, workers: 1)
        let four = try await Self.run(store, TestPack.make(), new, .all, workers: 4)
        #expect(one.differences.count > 10)
        #expect(four.differences.map(\.number) == one.differences.map(\.number))
        #expect(four.differences == one.differences)
        // Listing order: newest first.
        #expect(one.differences.map(\.caseID) == one.differences.map(\.caseID).sorted(by: >))
    }

    @Test func progressReachesTheTotal() async throws {
        let store = try await Self.fixture(cases: 40)
        var new = TestPack.make()
        new.clocks[0].length = .workingDays(2, .endOfDay)
        let seen = ProgressRecorder()
        let report = try await ReplayReport.run(store: store, old: TestPack.make(), new: new, horizon: Self.horizon, time: Self.time,
                                                scope: .all, workers: 2, progress: { seen.add($0) })
        let all = seen.values
        #expect(all.last == ReplayProgress(done: report.examined, total: report.examined))
        #expect(all.map(\.done) == all.map(\.done).sorted(), "never backwards within the replay")
        #expect(all.count >= report.examined / 2, "every 1% (here: every case)")
    }

    @Test func aCancelledReplayEndsPromptly() async throws {
        let store = try await Self.fixture(cases: 120)
        var new = TestPack.make()
        new.clocks[0].length = .workingDays(2, .endOfDay)
        let started = ProgressRecorder()
        let task = Task {
            try await ReplayReport.run(store: store, old: TestPack.make(), new: new, horizon: Self.horizon, time: Self.time,
                                       scope: .all, workers: 2, progress: { started.add($0) })
        }
        while started.values.last.map({ $0.done < 3 }) ?? true { try await Task.sleep(for: .milliseconds(5)) }
        task.cancel()
        await #expect(throws: CancellationError.self) { _ = try await task.value }
        #expect((started.values.last?.done ?? 0) < (started.values.last?.total ?? 0), "it stopped before the end")
    }
}

/// Progress values as a replay reports them from its tasks.
final class ProgressRecorder: @unchecked Sendable {
    private let lock = NSLock()
    private var list: [ReplayProgress] = []
    func add(_ p: ReplayProgress) { lock.lock(); list.append(p); lock.unlock() }
    var values: [ReplayProgress] { lock.lock(); defer { lock.unlock() }; return list }
}
