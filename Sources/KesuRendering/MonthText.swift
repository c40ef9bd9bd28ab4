import Foundation
import KesuKernel
import KesuViews

/// A month of the business calendar as people read it (`kesu calendar show 2026-10`): a Monday-first grid
/// with each day marked, a legend, the month's named days, and how well its year is known.
///
///     2026年10月
///       一   二   三   四   五   六   日
///                       1假  2假  3假  4假
///      5假  6假  7假  8    9   10班 11休
///     …
public enum MonthText {
    public static let weekdays = ["一", "二", "三", "四", "五", "六", "日"]

    /// The mark after a day's number; an ordinary working day has none.
    public static func mark(_ kind: MonthView.Day.Kind) -> String? {
        switch kind {
        case .working: nil
        case .weekend: "休"
        case .holiday: "假"
        case .adjustedWorkday: "班"
        }
    }

    public static let legend = "图例：休 周末　假 节假日　班 调休上班日　无标记 工作日"

    /// `2026-10-01 四 假 国庆节`; a 调休 working day says so: `2026-10-10 六 班 国庆节（调休上班）`.
    public static func namedLine(_ d: MonthView.Day) -> String {
        let what = d.label.flatMap { $0.isEmpty ? nil : $0 } ?? d.name ?? ""
        let suffix = d.kind == .adjustedWorkday ? "（调休上班）" : ""
        return "\(d.date) \(weekdays[d.weekday - 1]) \(mark(d.kind) ?? "") \(what)\(suffix)"
    }

    /// The grid: a cell is the day number in two columns and its mark (a CJK character, two columns wide).
    public static func grid(_ view: MonthView) -> [String] {
        var lines = [weekdays.map { "  " + $0 }.joined(separator: " ")]
        for week in view.weeks {
            let cells = week.map { day -> String in
                guard let day else { return "    " }
                return String(format: "%2d", day.date.day) + (mark(day.kind) ?? "  ")
            }
            lines.append(trimmingTrailingSpaces(cells.joined(separator: " ")))
        }
        return lines
    }

    public static func lines(_ view: MonthView) -> [String] {
        var lines = ["\(view.year)年\(view.month)月"] + grid(view)
        lines.append("")
        lines.append(legend)
        let named = view.namedDays
        if !named.isEmpty {
            lines.append("")
            lines.append("本月节假日与调休：")
            lines += named.map { "  " + namedLine($0) }
        }
        lines.append("")
        lines.append("\(view.year)年日历：\(CoverageText.label(view.coverage))")
        if let advice = CoverageText.advice(view.coverage, year: view.year) { lines.append(advice) }
        return lines
    }

    private static func trimmingTrailingSpaces(_ s: String) -> String {
        var s = s
        while s.hasSuffix(" ") { s.removeLast() }
        return s
    }
}
