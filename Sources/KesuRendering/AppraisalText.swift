import KesuKernel

extension ReportDuty.Status {
    /// How the office says where a periodic report stands.
    public var chinese: String {
        switch self {
        case .open: "未报"
        case .late: "逾期未报"
        case .submitted: "已报"
        case .submittedLate: "逾期后补报"
        }
    }

    /// Late, submitted or not.
    public var isLate: Bool { self == .late || self == .submittedLate }
}

extension Period {
    /// `2026年第4季度`, `2026年10月`, `2026年`.
    public var chineseName: String { Period.chineseName(label) }

    public static func chineseName(_ label: String) -> String {
        let t = label.uppercased()
        if t.count == 6, t.dropFirst(4).first == "Q" { return "\(t.prefix(4))年第\(t.suffix(1))季度" }
        if t.count == 7, t.dropFirst(4).first == "-", let m = Int(t.suffix(2)) { return "\(t.prefix(4))年\(m)月" }
        return t.count == 4 ? "\(t)年" : label
    }
}
