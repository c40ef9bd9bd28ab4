import Foundation
import KesuRendering

// What the 处罚 templates read (penalties.mustache, penalty.mustache, penalty-notice.mustache).

/// 处罚: the recommendations of recent periods and what became of them.
struct PenaltiesPage {
    struct Row {
        var ref: String
        var href: String
        var subject: String
        var unit: String
        var period: String
        var recommended: String
        var deducted: String
        var status: String
        var statusKey: String
        var inForce: String
    }
    var chrome: Chrome
    var heading: String
    var explanation: String
    var periods: [Choice]
    var rows: [Row]
    var empty: Bool
}

/// One recommendation: its evidence, the decision, the appeal, and the forms the reader may use now.
struct PenaltyPage {
    struct Evidence { var number: String; var href: String; var cause: String; var rule: String; var points: String; var at: String }
    struct Fact { var label: String; var value: String }
    struct Record { var at: String; var who: String; var what: String }
    var chrome: Chrome
    var ref: String
    var heading: String
    var status: String
    var statusKey: String
    var facts: [Fact]
    var evidenceCaption: String
    var evidence: [Evidence]
    var total: String
    var decision: [Fact]
    var appeal: [Fact]
    var noticeHref: String?
    /// The decision form: the ladder (the recommended penalty chosen), then 不予处罚.
    var decide: Bool
    var choices: [Choice]
    /// Why nobody may decide yet, or who may.
    var decideNote: String?
    var appealForm: Bool
    var appealNote: String?
    var decideAppeal: Bool
    var outcomes: [Choice]
    var ladder: [Choice]
    var records: [Record]
    var reason: String
    // Stored, not computed: mustache reads stored properties only.
    var hasDecision = false
    var hasAppeal = false
    var hasRecords = false
}

/// 处罚决定通知书 inside the console's frame, laid out for A4 (KesuRendering's PenaltyNotice).
struct PenaltyNoticePage {
    /// `cls`: `n` for numbers (right-aligned), `nowrap` for case numbers and times, which must not break.
    struct Cell { var text: String; var cls: String }
    struct Row { var cells: [Cell] }
    var chrome: Chrome
    var back: String
    var title: String
    var number: String
    var preamble: String
    var subject: [PenaltyNotice.Line]
    var header: [String]
    var evidence: [Row]
    var total: String
    var decision: [PenaltyNotice.Line]
    var appeal: [PenaltyNotice.Line]
    var hasAppeal: Bool
    var closing: String
    var signatures: [String]
}
