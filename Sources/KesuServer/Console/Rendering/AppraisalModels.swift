import Foundation

// What the 考核 templates read (scores, drill-down, 报送, 台账): the kernel's scores, duties and
// register put into words.

/// The sub-menu of the area, on each of its pages.
struct AppraisalMenu {
    struct Link { var href: String; var label: String; var current: Bool }
    var links: [Link]

    static func make(_ current: String) -> AppraisalMenu {
        AppraisalMenu(links: [
            .init(href: "/console/scores", label: "考核得分", current: current == "scores"),
            .init(href: "/console/scores/duties", label: "报送", current: current == "duties"),
            .init(href: "/console/scores/register", label: "台账", current: current == "register"),
        ])
    }
}

/// One figure in a table: numbers are right-aligned.
struct FigureCell { var text: String; var numeric: Bool }

struct ScoresPage {
    struct Row {
        var id: String
        var name: String
        var href: String
        var cells: [FigureCell]
        /// Points were deducted: the row is marked.
        var deducted: Bool
    }
    var chrome: Chrome
    var menu: AppraisalMenu
    var periodLabel: String
    var periodSpan: String
    var periods: [Choice]
    var byUnit: Bool
    var subjectHeader: String
    var headers: [String]
    var rows: [Row]
    var csvHref: String
    var xlsxHref: String
    var totalItems: Int
}

struct ScoreDetailPage {
    struct Item { var at: String; var cause: String; var rule: String; var points: String; var number: String; var href: String }
    struct Figure { var label: String; var value: String }
    var chrome: Chrome
    var menu: AppraisalMenu
    var heading: String
    var periodLabel: String
    var backHref: String
    var figures: [Figure]
    var items: [Item]
    var empty: Bool
}

struct DutiesPage {
    struct Row {
        var report: String
        var reportID: String
        var unit: String
        var due: String
        var status: String
        var late: Bool
        var submittedAt: String
        var submittedBy: String
        var note: String
        /// The reader may record the submission here (a person of the owing unit, not read-only).
        var canSubmit: Bool
        var formID: String
    }
    var chrome: Chrome
    var menu: AppraisalMenu
    var quarter: String
    /// `2026Q4`, posted back by the forms.
    var quarterID: String
    var quarters: [Choice]
    var rows: [Row]
    var empty: Bool
}

struct RegisterPage {
    var chrome: Chrome
    var menu: AppraisalMenu
    var from: String
    var until: String
    var xlsx: Bool
    var masked: Bool
}
