import Foundation

/// The pack's penalty procedure (`scoring.penalty_procedure`): who decides a penalty the thresholds
/// recommend, and whether and how a decision may be appealed. The written procedures say: the facts
/// are reported in writing to a superior, who decides the kind and degree of the penalty; the
/// person concerned is notified in writing and the records are kept.
public struct PenaltyProcedure: Sendable {
    /// Roles that may decide. A `handling_unit`-scoped role decides only for its own unit's people
    /// (or that unit itself).
    public var decidedBy: [String]
    /// Absent: decisions are final once recorded.
    public var appeal: PenaltyAppealRule?
    public var location: SourceLocation

    public init(decidedBy: [String], appeal: PenaltyAppealRule? = nil, location: SourceLocation = .code()) {
        self.decidedBy = decidedBy; self.appeal = appeal; self.location = location
    }
}

/// Who may appeal a decision, for how long, and who decides the appeal.
public struct PenaltyAppealRule: Sendable {
    /// Roles that may appeal, or `person_concerned` (the person penalised; for a unit, its head).
    public var by: [String]
    /// Working days after the decision, on the pack's business calendar (until the end of the last one).
    public var withinWorkingDays: Int
    /// Roles that decide an appeal.
    public var decidedBy: [String]
    public var location: SourceLocation

    /// The word in `by` for the person a decision concerns.
    public static let personConcerned = "person_concerned"

    public init(by: [String], withinWorkingDays: Int, decidedBy: [String], location: SourceLocation = .code()) {
        self.by = by; self.withinWorkingDays = withinWorkingDays; self.decidedBy = decidedBy; self.location = location
    }
}
