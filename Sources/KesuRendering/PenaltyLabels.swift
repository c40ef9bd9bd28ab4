import KesuKernel

extension PenaltyProceeding.Status {
    /// The label people read.
    public var name: String {
        switch self {
        case .open: "待决定"
        case .decided: "已决定"
        case .appealed: "申诉中"
        case .final: "已生效"
        }
    }
}

extension PenaltyDecision {
    /// The name of `no_penalty`.
    public static let dismissedName = "不予处罚"

    /// The decided penalty's label: as recorded, else the name of `no_penalty`, else its id.
    public var decisionLabel: String { decisionName ?? (isDismissal ? Self.dismissedName : decision) }

    /// The decision with its label filled in: what the JSON shows.
    public var labelled: PenaltyDecision {
        var d = self
        d.decisionName = decisionLabel
        return d
    }
}

extension PenaltyAppealDecision {
    /// The penalty in force after the appeal, labelled like `PenaltyDecision.decisionLabel`.
    public var decisionLabel: String {
        decisionName ?? (decision == PenaltyDecision.dismissed ? PenaltyDecision.dismissedName : decision)
    }

    public var labelled: PenaltyAppealDecision {
        var d = self
        d.decisionName = decisionLabel
        return d
    }
}

extension PenaltyProceeding {
    /// The label of the penalty in force (nil: open).
    public var penaltyInForceName: String? { appealDecision?.decisionLabel ?? decision?.decisionLabel }
}
