import Foundation

/// Which stored cases a change between two packs can reach: those `rules diff --replay` must
/// replay for its report to be the one replaying every case gives.
///
/// A case is replayed under both packs from the same commands, so the two replays part only where
/// the packs differ and the case meets the difference. The reach says where that can happen:
/// - a routing change: at a routing decision. The screen follows the case's commands under the old
///   pack's planner (no store, no sweep: sweeps never change state, fields or unit) and asks both
///   routing tables at every point the procedure routes; until they disagree the replays are equal;
/// - a clock (or its ladder, or a scoring rule on a violation it records): only once the clock runs,
///   which only a transition in its `start` (either pack's) can do, or when the case extends it;
/// - a scoring rule on an outcome: only when a transition giving that outcome is taken;
/// - names, labels, penalties, thresholds and reports: never (the replay does not read them);
/// - anything else (calendar, procedure, fields, people, roles, regions, …): every case.
public struct ReplayReach: Sendable {
    /// The changes that make every case reachable (`calendar`, `procedure.transitions`, …); empty when the screen can narrow.
    public let everything: [String]
    /// The routing table differs (a row changed, added, removed or moved).
    public let routing: Bool
    /// Clocks that differ in effect (their own definition, their ladder, a scoring rule on a violation they record).
    public let clocks: Set<String>
    /// Transitions (`intake` for registration) whose taking may start one of `clocks` or give an outcome a changed rule scores.
    public let transitions: Set<String>
    /// Outcomes a changed scoring rule is on.
    public let outcomes: Set<String>
    /// The clock ids differ between the packs: an extension of a clock neither has is refused with other words.
    let clockIDsDiffer: Bool
    let commonClocks: Set<String>
    let oldPlanner: Planner
    let newRouter: Router

    /// Nothing in effect differs: no case can come out differently.
    public var isEmpty: Bool { everything.isEmpty && !routing && clocks.isEmpty && transitions.isEmpty }

    /// What changed, in a few words (`routing`, `clock answer`, `scoring`), for the report's reason line.
    public var summary: String {
        if !everything.isEmpty { return everything.joined(separator: ", ") }
        var parts: [String] = []
        if routing { parts.append("routing") }
        if !clocks.isEmpty { parts.append("clock\(clocks.count == 1 ? "" : "s") \(clocks.sorted().joined(separator: ", "))") }
        if !outcomes.isEmpty { parts.append("scoring of \(outcomes.sorted().joined(separator: ", "))") }
        return parts.isEmpty ? "nothing in effect" : parts.joined(separator: ", ")
    }

    /// Event types the screen reads: the commands.
    public static let commandTypes: Set<String> = ["intake", "transition", "clock_extended"]

    public init(old: RulePack, new: RulePack) throws {
        oldPlanner = try Planner(pack: old)
        newRouter = Router(pack: new)
        func same(_ a: Any, _ b: Any) -> Bool { Canonical.dump(a) == Canonical.dump(b) }
        /// Ids whose items differ (added, removed or changed); items sharing an id are compared together.
        func changed<T>(_ a: [T], _ b: [T], id: (T) -> String) -> Set<String> {
            let x = Dictionary(grouping: a, by: id), y = Dictionary(grouping: b, by: id)
            return Set(Set(x.keys).union(y.keys).filter { !same(x[$0] ?? [], y[$0] ?? []) })
        }

        // Everything the screen cannot narrow must be equal, order included: compared whole, so that a
        // property nobody listed here still counts.
        var everything: [String] = []
        if !same(Self.rest(old), Self.rest(new)) {
            let narrowed: Set<String> = ["pack", "routing", "clocks", "ladders", "scoring.rules", "scoring.baseline", "scoring.violations",
                                         "scoring.outcomes", "scoring.penalties", "scoring.thresholds", "scoring.penalty_procedure"]
            var sections: [String] = []
            for c in PackDiff(old: old, new: new).changes where !narrowed.contains(c.section) && !sections.contains(c.section) {
                sections.append(c.section)
            }
            everything = sections.isEmpty ? ["the packs' other rules"] : sections
        }
        // Clocks act in the pack's order (which starts, stops and records first).
        let oldIDs = old.clocks.map(\.id), newIDs = new.clocks.map(\.id)
        if oldIDs.filter(newIDs.contains) != newIDs.filter(oldIDs.contains) { everything.append("clock order") }
        self.everything = everything
        routing = !same(old.routing, new.routing)

        let ladders = changed(old.ladders, new.ladders, id: \.id)
        var clocks = changed(old.clocks, new.clocks, id: \.id)
        var violations: Set<String> = [], outcomes: Set<String> = []
        let rules = changed(old.scoring.rules, new.scoring.rules, id: \.id)
        for rule in old.scoring.rules + new.scoring.rules where rules.contains(rule.id) {
            switch rule.on {
            case let .violation(v): violations.insert(v)
            case let .outcome(o): outcomes.insert(o)
            }
        }
        for pack in [old, new] {
            for clock in pack.clocks {
                let ladder = clock.ladder.flatMap(pack.ladder)
                if let l = clock.ladder, ladders.contains(l) { clocks.insert(clock.id) }
                if let v = clock.violation, violations.contains(v) { clocks.insert(clock.id) }
                if ladder?.steps.contains(where: { $0.violation.map(violations.contains) ?? false }) == true { clocks.insert(clock.id) }
            }
        }
        var transitions: Set<String> = []
        for pack in [old, new] {
            for clock in pack.clocks where clocks.contains(clock.id) { transitions.formUnion(clock.start) }
            for t in pack.procedure.transitions where t.to.contains(where: { !outcomes.isDisjoint(with: $0.outcomes) }) {
                transitions.insert(t.id)
            }
        }
        self.clocks = clocks
        self.outcomes = outcomes
        self.transitions = transitions
        clockIDsDiffer = oldIDs != newIDs
        commonClocks = Set(oldIDs).intersection(newIDs)
    }

    /// The pack without what the reach narrows or the replay never reads.
    static func rest(_ pack: RulePack) -> RulePack {
        var p = pack
        p.version = ""
        p.info = PackInfo(id: "", name: "", caseNumberPrefix: "")
        p.routing = []; p.clocks = []; p.ladders = []
        p.scoring = ScoringDef()
        p.reporting = ReportingDef()
        return p
    }

    /// Whether the case whose command events (`commandTypes`, in sequence order) these are can come
    /// out differently under the two packs. False only when it cannot.
    public func reaches(_ events: [Event]) -> Bool {
        if !everything.isEmpty { return true }
        for e in events {
            switch e.body {
            case .intake: if transitions.contains(IntakeDef.transitionID) { return true }
            case let .transition(id, _, _, _): if transitions.contains(id) { return true }
            case let .clockExtended(run, _, _, _, _):
                if clocks.contains(run.clock) || (clockIDsDiffer && !commonClocks.contains(run.clock)) { return true }
            default: break
            }
        }
        return routing && routesDifferently(events)
    }

    /// Whether both routing tables decide alike wherever the case is routed under the old pack.
    func routesDifferently(_ events: [Event]) -> Bool {
        events.allSatisfy { $0.packVersion == oldPlanner.pack.version } ? storedRoutesDifferently(events) : followedRoutesDifferently(events)
    }

    func differ(_ fields: [String: String]) -> Bool {
        let a = oldPlanner.router.decide(fields), b = newRouter.decide(fields)
        return a?.unit != b?.unit || a?.ruleID != b?.ruleID
    }

    /// Every command was planned by the old pack itself: its replay takes them all, the same way, so the
    /// fields at each routing point are those the stored events give (a refused command was never stored).
    func storedRoutesDifferently(_ events: [Event]) -> Bool {
        let pack = oldPlanner.pack
        var fields: [String: String] = [:]
        for e in events {
            switch e.body {
            case let .intake(_, _, given):
                fields = given
                if pack.procedure.intake.route, differ(fields) { return true }
            case let .transition(id, _, _, given):
                for (k, v) in given { fields[k] = v.isEmpty ? nil : v }
                if given["handling_unit"] == nil, pack.transition(id)?.route == true, differ(fields) { return true }
            default:
                continue
            }
        }
        return false
    }

    /// Follows the commands under the old pack (history written under other rules) and asks both routing
    /// tables wherever it routes. A refused command changes nothing, as in the replay; the fields asked about
    /// are those the router would see.
    func followedRoutesDifferently(_ events: [Event]) -> Bool {
        let planner = oldPlanner, pack = oldPlanner.pack
        var state: CaseState?
        for e in events {
            switch e.body {
            case let .intake(_, _, given):
                guard state == nil else { continue }
                let intake = pack.procedure.intake
                guard let planned = try? planner.planIntake(fields: given, by: e.actor, at: e.at) else {
                    // Refused: perhaps by the old table (no rule matched) where the new one would route.
                    if intake.route, let fields = try? planner.checkFields(given, requires: intake.requires, accepts: intake.accepts,
                                                                             step: "intake", current: [:]), differ(fields) { return true }
                    return false
                }
                var s = CaseState()
                for p in planned.events { s.apply(p) }
                if intake.route, differ(s.fields) { return true }
                state = s
            case let .transition(id, _, _, given):
                guard var s = state, let t = pack.transition(id) else { continue }
                guard let planned = try? planner.planTransition(id, fields: given, on: s, by: e.actor, at: e.at) else {
                    if t.route, let fields = try? planner.checkFields(given, requires: t.requires, accepts: t.accepts, step: t.id, current: s.fields),
                       fields["handling_unit"] == nil, differ(s.fields.merging(fields) { $1 }) { return true }
                    continue
                }
                var checked: [String: String] = [:]
                for p in planned {
                    if case let .transition(_, _, _, f) = p.body { checked = f; for (k, v) in f { s.fields[k] = v.isEmpty ? nil : v } }
                }
                if t.route, checked["handling_unit"] == nil, differ(s.fields) { return true }
                for p in planned { s.apply(p) }
                state = s
            default:
                continue
            }
        }
        return false
    }
}
