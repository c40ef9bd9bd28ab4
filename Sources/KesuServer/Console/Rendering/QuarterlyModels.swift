import Foundation

// What the 报告 templates read (quarterly.mustache, quarterly-summary.mustache, quarterly-bulletin.mustache).

/// The quarterly report's pages: one model, each page showing its part.
struct QuarterlyPage {
    struct Row { var label: String; var current: String; var previous: String; var change: String; var changeClass: String }
    struct Table { var id: String; var title: String; var head: String; var rows: [Row]; var total: Row }
    struct Month { var label: String; var count: Int; var previousQuarter: Bool }
    struct Unit {
        var name: String; var received: Int; var answered: Int; var onTime: Int; var overdue: Int
        var onTimeRate: String; var previousOnTimeRate: String; var callbacks: Int; var satisfied: Int
        var satisfactionRate: String; var previousSatisfactionRate: String
    }
    struct Chart { var id: String; var alt: String; var src: String }
    struct Case { var number: String; var href: String; var opened: String; var category: String; var unit: String; var excerpt: String; var outcome: String; var state: String }
    struct Tab { var href: String; var label: String; var current: Bool }

    var chrome: Chrome
    var heading: String
    var quarter: String
    var meta: String
    var deadlines: String?
    var quarters: [Choice]
    var action: String
    var tabs: [Tab]
    var figures: [Row]
    var breakdowns: [Table]
    var months: [Month]
    var units: [Unit]
    var charts: [Chart]
    var trend: Chart
    var onTime: Chart
    var summaryText: String
    var cases: [Case]
    var hasCases: Bool
    var casesNote: String
    var summaryHref: String
    var bulletinHref: String
}
