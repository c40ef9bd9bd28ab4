import Foundation

/// A scripted timeline of commands on one case, with what each step should produce. The guided
/// demo runs one; pack tests are built from them. Lives beside a pack in `scenarios/`.
public struct Scenario: Sendable, Codable, Equatable {
    public var name: String
    public var description: String?
    public var steps: [Step]
    /// Rows of the routing table to check without a case: these fields → this unit, by this rule.
    public var routes: [RouteCheck]

    public init(name: String, description: String? = nil, steps: [Step] = [], routes: [RouteCheck] = []) {
        self.name = name; self.description = description; self.steps = steps; self.routes = routes
    }

    public enum CodingKeys: String, CodingKey, CaseIterable { case name, description, steps, routes }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        description = try c.decodeIfPresent(String.self, forKey: .description)
        steps = try c.decodeIfPresent([Step].self, forKey: .steps) ?? []
        routes = try c.decodeIfPresent([RouteCheck].self, forKey: .routes) ?? []
    }

    /// One routing-table row: the fields a case would have, and where it must go.
    public struct RouteCheck: Sendable, Codable, Equatable {
        public var name: String?
        public var fields: [String: String]
        /// The handling unit, or `none` when no rule may match.
        public var handling_unit: String
        public var routing_rule: String?
        public enum CodingKeys: String, CodingKey, CaseIterable { case name, fields, handling_unit, routing_rule }
        public init(name: String? = nil, fields: [String: String], handling_unit: String, routing_rule: String? = nil) {
            self.name = name; self.fields = fields; self.handling_unit = handling_unit; self.routing_rule = routing_rule
        }
    }

    public struct Step: Sendable, Codable, Equatable {
        /// ISO-8601 instant the step happens at.
        public var at: String
        /// The acting person.
        public var `as`: String?
        /// What a person reads while the demo runs.
        public var say: String?
        public var intake: [String: String]?
        public var act: String?
        public var fields: [String: String]?
        public var extend: ExtendStep?
        public var sweep: Bool?
        public var expect: Expect?

        public enum CodingKeys: String, CodingKey, CaseIterable { case at, `as`, say, intake, act, fields, extend, sweep, expect }

        public init(at: String, as actor: String? = nil, say: String? = nil, intake: [String: String]? = nil,
                    act: String? = nil, fields: [String: String]? = nil, extend: ExtendStep? = nil,
                    sweep: Bool? = nil, expect: Expect? = nil) {
            self.at = at; self.as = actor; self.say = say; self.intake = intake; self.act = act
            self.fields = fields; self.extend = extend; self.sweep = sweep; self.expect = expect
        }
    }

    public struct ExtendStep: Sendable, Codable, Equatable {
        public var clock: String
        public var days: Int?
        public var hours: Int?
        public var reason: String
        public enum CodingKeys: String, CodingKey, CaseIterable { case clock, days, hours, reason }
    }

    public struct Expect: Sendable, Codable, Equatable {
        public var state: String?
        public var handling_unit: String?
        public var routing_rule: String?
        /// Clock id → due time (ISO-8601) of its current run.
        public var due: [String: String]?
        /// Violation ids recorded on the case so far, in order.
        public var violations: [String]?
        /// How many reminders, escalations and violations this sweep fires.
        public var fired: Int?
        /// The step must be refused with this error code (e.g. `forbidden`, `missing_field`).
        public var refused: String?
        public var closed: Bool?
        /// Ladder steps (`ladder#n`) that reminded / escalated on this case so far, in order.
        public var reminders: [String]?
        public var escalations: [String]?
        /// Scoring rules that took points off on this case so far, in order.
        public var deductions: [String]?
        /// Points taken off so far on this case, by unit or person id.
        public var points: [String: Double]?

        public enum CodingKeys: String, CodingKey, CaseIterable {
            case state, handling_unit, routing_rule, due, violations, fired, refused, closed, reminders, escalations, deductions, points
        }

        public init(
            state: String? = nil, handling_unit: String? = nil, routing_rule: String? = nil, due: [String: String]? = nil,
            violations: [String]? = nil, fired: Int? = nil, refused: String? = nil, closed: Bool? = nil,
            reminders: [String]? = nil, escalations: [String]? = nil, deductions: [String]? = nil, points: [String: Double]? = nil
        ) {
            self.state = state; self.handling_unit = handling_unit; self.routing_rule = routing_rule; self.due = due
            self.violations = violations; self.fired = fired; self.refused = refused; self.closed = closed
            self.reminders = reminders; self.escalations = escalations; self.deductions = deductions; self.points = points
        }
    }
}

extension Scenario.Expect {
    var needsEvents: Bool { reminders != nil || escalations != nil || deductions != nil || points != nil }
}

/// What happened at one step, and any expectation it missed.
public struct ScenarioStepResult: Sendable {
    public var index: Int
    public var step: Scenario.Step
    public var state: CaseState?
    public var sweep: Engine.SweepReport?
    public var refusal: KesuError?
    public var failures: [String]
}

extension Engine {
    /// Runs a scenario step by step; `onStep` sees each result as it happens. A step that is
    /// refused unexpectedly, or misses an expectation, is reported in `failures`; the run goes on.
    public func run(_ scenario: Scenario, onStep: (ScenarioStepResult) -> Void = { _ in }) async throws -> [ScenarioStepResult] {
        var results: [ScenarioStepResult] = []
        var caseRef: String?
        for (i, step) in scenario.steps.enumerated() {
            guard let now = ISO8601.parse(step.at) else {
                throw KesuError(.invalidInput, "scenario '\(scenario.name)' step \(i + 1): '\(step.at)' is not an ISO-8601 time")
            }
            var result = ScenarioStepResult(index: i, step: step, failures: [])
            do {
                if let fields = step.intake {
                    let r = try await intake(fields: fields, by: step.as ?? "", at: now)
                    caseRef = r.state.number
                    result.state = r.state
                } else if let t = step.act {
                    guard let ref = caseRef else { throw KesuError(.invalidInput, "step \(i + 1) acts before any intake") }
                    result.state = try await act(ref, transition: t, fields: step.fields ?? [:], by: step.as ?? "", at: now)
                } else if let x = step.extend {
                    guard let ref = caseRef else { throw KesuError(.invalidInput, "step \(i + 1) extends before any intake") }
                    let length: ClockLength = x.days.map { .workingDays($0, .endOfDay) } ?? .workingMinutes((x.hours ?? 0) * 60)
                    result.state = try await extend(ref, clock: x.clock, by: length, reason: x.reason, approver: step.as ?? "", at: now)
                } else if step.sweep == true {
                    result.sweep = try await sweep(at: now)
                    if let ref = caseRef { result.state = try await find(ref) }
                } else {
                    throw KesuError(.invalidInput, "scenario step \(i + 1) does nothing: give intake, act, extend or sweep")
                }
                if let code = step.expect?.refused {
                    result.failures.append("expected the step to be refused (\(code)), but it was accepted")
                }
            } catch let e as KesuError {
                result.refusal = e
                if let ref = caseRef { result.state = try? await find(ref) }
                if step.expect?.refused == nil {
                    result.failures.append("refused: \(e.message)")
                } else if step.expect?.refused != e.code.rawValue {
                    result.failures.append("expected refusal \(step.expect!.refused!), got \(e.code.rawValue): \(e.message)")
                }
            }
            if let expect = step.expect, let s = result.state {
                let events = expect.needsEvents ? try await store.events(caseID: s.id) : []
                result.failures += check(expect, state: s, events: events, sweep: result.sweep)
            }
            onStep(result)
            results.append(result)
        }
        return results
    }

    func check(_ x: Scenario.Expect, state s: CaseState, events: [Event], sweep: SweepReport?) -> [String] {
        var f: [String] = []
        func cmp(_ what: String, _ expected: String?, _ actual: String?) {
            if let expected, expected != actual { f.append("\(what): expected \(expected), got \(actual ?? "none")") }
        }
        cmp("state", x.state, s.state)
        cmp("handling unit", x.handling_unit, s.handlingUnit)
        cmp("routing rule", x.routing_rule, s.routingRule)
        for (clock, due) in (x.due ?? [:]).sorted(by: { $0.key < $1.key }) {
            let actual = s.clocks[clock].map { ISO8601.format($0.dueAt, in: planner.calendar.timeZone) }
            if ISO8601.parse(due) != s.clocks[clock]?.dueAt { f.append("due of \(clock): expected \(due), got \(actual ?? "no such clock")") }
        }
        if let v = x.violations, v != s.violations.map(\.id) {
            f.append("violations: expected \(v), got \(s.violations.map(\.id))")
        }
        if let n = x.fired, n != (sweep?.fired.count ?? 0) { f.append("fired: expected \(n), got \(sweep?.fired.count ?? 0)") }
        if let c = x.closed, c != s.isClosed { f.append("closed: expected \(c), got \(s.isClosed)") }
        func steps(_ type: String) -> [String] { events.filter { $0.type == type }.compactMap(\.ruleID) }
        if let r = x.reminders, r != steps("reminder") { f.append("reminders: expected \(r), got \(steps("reminder"))") }
        if let r = x.escalations, r != steps("escalation") { f.append("escalations: expected \(r), got \(steps("escalation"))") }
        if let r = x.deductions, r != steps("deduction") { f.append("deductions: expected \(r), got \(steps("deduction"))") }
        if let expected = x.points {
            var actual: [String: Double] = [:]
            for e in events { if case let .deduction(_, subject, points, _) = e.body { actual[subject.id, default: 0] += points } }
            for (who, points) in expected.sorted(by: { $0.key < $1.key }) where abs((actual[who] ?? 0) - points) > 1e-9 {
                f.append("points of \(who): expected \(Self.points(points)), got \(Self.points(actual[who] ?? 0))")
            }
            for (who, points) in actual.sorted(by: { $0.key < $1.key }) where expected[who] == nil {
                f.append("points of \(who): expected none, got \(Self.points(points))")
            }
        }
        return f
    }

    /// Points as people write them: `1`, `0.5`.
    static func points(_ p: Double) -> String { p == p.rounded() ? String(Int(p)) : String(p) }

    /// Checks routing-table rows against the router; one failure line per row that misses.
    public func check(routes: [Scenario.RouteCheck]) -> [String] {
        let router = Router(pack: pack)
        return routes.enumerated().compactMap { i, row in
            let label = "route \(i + 1)" + (row.name.map { " (\($0))" } ?? "")
            let given = row.fields.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            // A mistyped field or value would quietly fall through to the fallback and could pass.
            var bad: [String] = []
            for (field, value) in row.fields.sorted(by: { $0.key < $1.key }) {
                if !pack.allFieldIDs.contains(field) {
                    bad.append("unknown field '\(field)'\(Suggest.hint(for: field, in: pack.allFieldIDs))")
                } else if let allowed = pack.allowedValues(of: field), !allowed.contains(value) {
                    bad.append("'\(value)' is not a value of \(field)\(Suggest.hint(for: value, in: allowed))")
                }
            }
            if !bad.isEmpty { return "\(label): " + bad.joined(separator: "; ") }
            guard let d = router.route(row.fields) else {
                return row.handling_unit == "none" ? nil : "\(label) [\(given)]: expected \(row.handling_unit), but no rule matched"
            }
            var misses: [String] = []
            if d.unit != row.handling_unit { misses.append("handling unit: expected \(row.handling_unit), got \(d.unit)") }
            if let rule = row.routing_rule, rule != d.ruleID { misses.append("routing rule: expected \(rule), got \(d.ruleID)") }
            return misses.isEmpty ? nil : "\(label) [\(given)]: " + misses.joined(separator: "; ")
        }
    }
}
