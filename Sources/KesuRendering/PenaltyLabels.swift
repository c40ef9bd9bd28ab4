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
