import Foundation

/// The routing table's verdict: which unit handles the case, by which rule, and why every
/// earlier rule did not match (for `rules explain`).
public struct RoutingDecision: Sendable, Equatable {
    public struct Skipped: Sendable, Equatable {
        public var ruleID: String
        public var reasons: [String]
    }
    public var unit: String
    public var ruleID: String
    public var skipped: [Skipped]
}

/// First match wins, in the table's order.
public struct Router: Sendable {
    public let pack: RulePack

    public init(pack: RulePack) { self.pack = pack }

    public func route(_ fields: [String: String]) -> RoutingDecision? {
        var skipped: [RoutingDecision.Skipped] = []
        for rule in pack.routing {
            var reasons = rule.when.filter { !$0.holds(on: fields) }.map { $0.whyNot(on: fields) }
            var unit: String?
            switch rule.target {
            case let .unit(u): unit = u
            case .regionUnit:
                if let region = fields["region"], let def = pack.regions.first(where: { $0.id == region }) {
                    if let u = def.unit { unit = u } else { reasons.append("region '\(region)' names no unit") }
                } else {
                    reasons.append("region is missing, so unit_from: region has no unit")
                }
            }
            if reasons.isEmpty, let unit {
                return RoutingDecision(unit: unit, ruleID: rule.id, skipped: skipped)
            }
            skipped.append(.init(ruleID: rule.id, reasons: reasons))
        }
        return nil
    }

    /// The unit and rule `route` decides, without the reasons for the rules skipped: for screening
    /// many cases (`ReplayReach`), where building those reasons would cost most of the time.
    public func decide(_ fields: [String: String]) -> (unit: String, ruleID: String)? {
        for rule in pack.routing where rule.when.allHold(on: fields) {
            switch rule.target {
            case let .unit(u): return (u, rule.id)
            case .regionUnit:
                if let region = fields["region"], let unit = pack.regions.first(where: { $0.id == region })?.unit { return (unit, rule.id) }
            }
        }
        return nil
    }
}
