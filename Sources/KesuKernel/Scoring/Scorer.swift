import Foundation

/// A violation or outcome that may cost points.
public struct ScoringFact: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case violation(String)
        case outcome(String)
        public var cause: String {
            switch self {
            case let .violation(id): "violation:\(id)"
            case let .outcome(id): "outcome:\(id)"
            }
        }
    }
    public var kind: Kind
    /// The unit that answers for it.
    public var unit: String?
    /// The person responsible, when known.
    public var person: String?
    public var occurredAt: Date
    /// The case's fields at the time, for rules that depend on level, fault, ….
    public var fields: [String: String]

    public init(kind: Kind, unit: String?, person: String?, occurredAt: Date, fields: [String: String]) {
        self.kind = kind; self.unit = unit; self.person = person; self.occurredAt = occurredAt; self.fields = fields
    }
}

public struct Deduction: Sendable, Equatable {
    public var ruleID: String
    public var subject: ScoreSubject
    public var points: Double
    public init(ruleID: String, subject: ScoreSubject, points: Double) {
        self.ruleID = ruleID; self.subject = subject; self.points = points
    }
}

/// Decides what a fact costs. The engine records every deduction as an event when the fact
/// happens, so a period's figures never drift when reports are rerun.
public protocol Scorer: Sendable {
    func deductions(for fact: ScoringFact, pack: RulePack) throws -> [Deduction]
    /// What the scorer is, for the administrator's plugin list.
    var about: DriverInfo { get }
    /// Checks the scorer could score now (a plugin answers `health`), giving up after `timeout`;
    /// nil when there is nothing to check.
    func checkHealth(timeout: Duration) async throws -> String?
}

extension Scorer {
    public var about: DriverInfo { DriverInfo(kind: String(describing: Self.self)) }
    public func checkHealth(timeout: Duration) async throws -> String? { nil }
}

/// The pack's own scoring rules: every rule whose trigger and conditions match applies.
public struct PointsScorer: Scorer {
    public init() {}
    public var about: DriverInfo { DriverInfo(kind: "points", target: "规则包的计分规则") }

    public func deductions(for fact: ScoringFact, pack: RulePack) throws -> [Deduction] {
        var out: [Deduction] = []
        for rule in pack.scoring.rules where rule.when.allHold(on: fact.fields) {
            switch (rule.on, fact.kind) {
            case let (.violation(a), .violation(b)) where a == b: break
            case let (.outcome(a), .outcome(b)) where a == b: break
            default: continue
            }
            if rule.unitPoints != 0, let unit = fact.unit {
                out.append(Deduction(ruleID: rule.id, subject: ScoreSubject(.unit, unit), points: rule.unitPoints))
            }
            let person: String? = switch rule.person {
            case .responsible: fact.person
            case let .field(f): fact.fields[f]
            }
            if rule.personPoints != 0, let person, !person.isEmpty {
                out.append(Deduction(ruleID: rule.id, subject: ScoreSubject(.person, person), points: rule.personPoints))
            }
        }
        return out
    }
}
