import Foundation

// What the rules desk's templates read (the 规则 pages): the pack in force put into words.

/// The sub-menu of the rules desk, with the page open marked.
struct RulesNav {
    var items: [Chrome.Item]

    static func make(current: String) -> RulesNav {
        var items: [Chrome.Item] = [
            .init(href: "/console/rules", label: "概览", key: "overview"),
            .init(href: "/console/rules/organisation", label: "组织与角色", key: "organisation"),
            .init(href: "/console/rules/categories", label: "分类", key: "categories"),
            .init(href: "/console/rules/routing", label: "派单规则", key: "routing"),
            .init(href: "/console/rules/clocks", label: "时限与考核", key: "clocks"),
            .init(href: "/console/rules/calendar", label: "工作日历", key: "calendar"),
            .init(href: "/console/rules/try", label: "试算", key: "try"),
            .init(href: "/console/rules/changes", label: "变更与发布", key: "changes"),
            .init(href: "/console/rules/history", label: "版本记录", key: "history"),
        ]
        for i in items.indices { items[i].current = items[i].key == current }
        return RulesNav(items: items)
    }
}

struct RulesOverviewPage {
    struct Warning { var text: String; var at: String }
    struct Count { var label: String; var value: Int; var href: String }
    var chrome: Chrome
    var subnav: RulesNav
    var name: String
    var id: String
    var label: String?
    var version: String
    var fullVersion: String
    var loadedAt: String
    var warnings: [Warning]
    var hasWarnings: Bool
    var counts: [Count]
}

struct RulesOrganisationPage {
    struct UnitRow { var id: String; var name: String; var center: Bool; var liaison: String; var head: String; var people: Int; var at: String }
    struct PersonRow { var id: String; var name: String; var unit: String; var roles: String }
    struct RoleRow {
        var id: String
        var name: String
        var permissions: [String]
        var hasPermissions: Bool
        var scope: String
        var readOnly: Bool
        var transitions: [String]
        var hasTransitions: Bool
        var intake: Bool
        var people: String
        var at: String
    }
    var chrome: Chrome
    var subnav: RulesNav
    var units: [UnitRow]
    var people: [PersonRow]
    var roles: [RoleRow]
}

struct RulesCategoriesPage {
    struct Named { var id: String; var name: String }
    struct CategoryRow { var id: String; var name: String; var kinds: String; var keywords: [String]; var hasKeywords: Bool; var at: String }
    struct RegionRow { var id: String; var name: String; var unit: String }
    struct FieldRow { var id: String; var name: String; var type: String; var values: String; var personal: Bool }
    var chrome: Chrome
    var subnav: RulesNav
    var categories: [CategoryRow]
    var kinds: [Named]
    var levels: [Named]
    var complainantTypes: [Named]
    var channels: [Named]
    var regions: [RegionRow]
    var hasRegions: Bool
    var fields: [FieldRow]
    var hasFields: Bool
}

struct RulesRoutingPage {
    struct Row { var position: Int; var id: String; var name: String; var conditions: String; var target: String; var at: String; var fallback: Bool }
    var chrome: Chrome
    var subnav: RulesNav
    var rows: [Row]
    var hasFallback: Bool
}

struct RulesClocksPage {
    struct Step { var when: String; var what: String; var at: String }
    struct ClockRow {
        var id: String
        var name: String
        var length: String
        var when: String?
        var start: String
        var stop: String
        var pause: String?
        var resume: String?
        var owner: String
        var responsible: String
        var violation: String?
        var extensionText: String?
        var ladder: String?
        var steps: [Step]
        var hasSteps: Bool
        var at: String
    }
    struct ScoreRow { var id: String; var on: String; var when: String; var unit: String; var person: String; var at: String }
    struct ThresholdRow { var id: String; var subject: String; var period: String; var points: String; var penalty: String; var at: String }
    var chrome: Chrome
    var subnav: RulesNav
    var clocks: [ClockRow]
    var baseline: String
    var scores: [ScoreRow]
    var penalties: [String]
    var hasPenalties: Bool
    var thresholds: [ThresholdRow]
    var hasThresholds: Bool
}

struct RulesCalendarPage {
    struct Cell { var day: String; var cls: String; var title: String?; var mark: String?; var empty: Bool }
    struct Week { var cells: [Cell] }
    struct Month { var id: String; var title: String; var weeks: [Week] }
    struct Named { var date: String; var weekday: String; var kind: String; var name: String; var makeup: Bool }
    var chrome: Chrome
    var subnav: RulesNav
    var year: Int
    var prev: Int
    var next: Int
    var coverage: String
    var warning: String?
    var advice: String?
    var hours: String
    var weekend: String
    var months: [Month]
    var named: [Named]
    var hasNamed: Bool
}

struct RulesTryPage {
    struct Skipped { var id: String; var name: String; var why: String; var at: String }
    struct ClockResult {
        var name: String
        var length: String
        var starts: Bool
        /// Why it does not start at intake, or the condition it waits for.
        var note: String?
        var due: String?
        var calendar: String
        var days: [CasePage.Day]
        var hasWalk: Bool
        var at: String
    }
    struct Result {
        var at: String
        var unit: String?
        var ruleID: String?
        var ruleName: String
        var ruleAt: String
        var skipped: [Skipped]
        var hasSkipped: Bool
        var clocks: [ClockResult]
    }
    var chrome: Chrome
    var subnav: RulesNav
    var fields: [FieldControl]
    var at: String
    var result: Result?
}
