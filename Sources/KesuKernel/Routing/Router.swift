import Foundation

/// The routing table's verdict: which unit handles the case, by which rule, and why every
/// earlier rule did not match (for `rules explain`).
public struct RoutingDecision: Sendable, Equatable {
    public struct Skipped: Sendable, Equatable {
        public var ruleID: String
        public var reasons: [String]
        /// The same reasons as values, for pages that word them in the reader's language.
        public var misses: [RouteMiss] = []
    }
    public var unit: String
    public var ruleID: String
    public var skipped: [Skipped]
}

/// Why one row of the routing table did not match.
public enum RouteMiss: Sendable, Equatable {
    /// A condition of the row failed; `actual` is the field's value (nil: not filled in).
    case condition(FieldCondition, actual: String?)
    /// The row routes to the region's unit (`unit_from: region`) and the case has no region.
    case regionMissing
    /// The row routes to the region's unit and this region names none.
    case regionHasNoUnit(String)

    /// Each failed condition of a row, as values.
    static func failed(_ conditions: [FieldCondition], on fields: [String: String]) -> [RouteMiss] {
        conditions.filter { !$0.holds(on: fields) }.map { .condition($0, actual: fields[$0.field].flatMap { $0.isEmpty ? nil : $0 }) }
    }
}

/// First match wins, in the table's order.
public struct Router: Sendable {
    public let pack: RulePack

    public init(pack: RulePack) { self.pack = pack }

    public func route(_ fields: [String: String]) -> RoutingDecision? {
        var skipped: [RoutingDecision.Skipped] = []
        for rule in pack.routing {
            var reasons = rule.when.filter { !$0.holds(on: fields) }.map { $0.whyNot(on: fields) }
            var misses = RouteMiss.failed(rule.when, on: fields)
            var unit: String?
            switch rule.target {
            case let .unit(u): unit = u
            case .regionUnit:
                if let region = fields["region"], let def = pack.regions.first(where: { $0.id == region }) {
                    if let u = def.unit { unit = u } else {
                        reasons.append("region '\(region)' names no unit"); misses.append(.regionHasNoUnit(region))
                    }
                } else {
                    reasons.append("region is missing, so unit_from: region has no unit"); misses.append(.regionMissing)
                }
            }
            if reasons.isEmpty, let unit {
                return RoutingDecision(unit: unit, ruleID: rule.id, skipped: skipped)
            }
            skipped.append(.init(ruleID: rule.id, reasons: reasons, misses: misses))
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
