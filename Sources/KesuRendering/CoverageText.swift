import Foundation
import KesuKernel

/// The words that flag a due time counted through a year whose holidays are not officially known (issue 16):
/// one place, so the CLI, `rules explain` and the web console say the same thing.
public enum CoverageText {
    /// Follows a due time: `（暂定日历）`, `（日历未覆盖）`, nothing for an official calendar.
    public static func mark(_ coverage: YearCoverage?) -> String {
        switch coverage {
        case .provisional?: "（暂定日历）"
        case .uncovered?: "（日历未覆盖）"
        case .official?, nil: ""
        }
    }

    /// The mark for a view's `due_calendar` string (`official`, `provisional`, `uncovered`).
    public static func mark(_ raw: String?) -> String { mark(raw.flatMap(YearCoverage.init(rawValue:))) }

    /// What the flag means for one year; nil for an official year.
    public static func meaning(_ coverage: YearCoverage, year: Int) -> String? {
        switch coverage {
        case .official: nil
        case .provisional: "暂定日历：\(year)年只有法定节假日，调休上班日尚未公布，期限可能变动，以国务院办公厅通知为准"
        case .uncovered: "日历未覆盖：\(year)年的节假日尚未录入，只跳过周末，期限可能有误，以国务院办公厅通知为准"
        }
    }

    /// How a year's holidays are known, as a heading reads it.
    public static func label(_ coverage: YearCoverage) -> String {
        switch coverage {
        case .official: "正式（国务院办公厅通知）"
        case .provisional: "暂定（草案，仅法定节假日，无调休）"
        case .uncovered: "未覆盖（仅跳过周末）"
        }
    }

    /// What the administrator does about a year not officially known, and how deadlines are counted meanwhile;
    /// nil for an official year. `kesu calendar show` and the coverage notice say the same.
    public static func advice(_ coverage: YearCoverage, year: Int) -> String? {
        switch coverage {
        case .official:
            nil
        case .provisional:
            "国务院办公厅发布\(year)年部分节假日安排的通知后，请用 kesu calendar import 导入，加入各规则包的 calendar.include 并移除草案；"
                + "在此之前，\(year)年的时限按暂定日历计算（仅法定节假日，无调休上班日），并标注“暂定日历”。"
        case .uncovered:
            "国务院办公厅发布\(year)年部分节假日安排的通知后，请用 kesu calendar import 导入，加入各规则包的 calendar.include；"
                + "在此之前，\(year)年的时限只跳过周末（可先用 kesu calendar draft \(year) 生成暂定日历）。"
        }
    }
}
