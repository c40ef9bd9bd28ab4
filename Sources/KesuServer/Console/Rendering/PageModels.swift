import Foundation

// What each console template reads: the shared views of KesuViews put into words (Chinese times,
// names, countdowns). Mustache reads these by property name.

/// The frame around every page.
struct Chrome {
    struct Item { var href: String; var label: String; var key: String; var current = false }
    var title: String
    var signedIn: Bool
    var whoami: String
    var csrf: String
    var nav: [Item]
    var notice: String?
    var error: String?
    /// Seconds after which the page reloads itself (a running job's progress), without JavaScript.
    var refresh: Int? = nil
}

struct ErrorPage { var chrome: Chrome; var status: Int; var message: String }

struct LoginPage { var chrome: Chrome; var next: String; var username: String; var formToken: String }

struct SetupPage {
    struct Option { var id: String; var label: String }
    var chrome: Chrome
    var token: String
    var formToken: String
    var admins: [Option]
    var username: String
}

/// One option of a select.
struct Choice { var id: String; var label: String; var selected: Bool }

/// A queue page: 我的待办, 回访, 审批.
struct QueuePage {
    struct Row {
        var number: String
        var href: String
        var state: String
        var unit: String
        var category: String
        var opened: String
        var due: String
        /// `overdue`, `soon` or `ok`; empty without a running clock.
        var dueClass: String
        var countdown: String
        var calendarMark: String
    }
    struct Filters {
        var scopeMine: Bool
        var scopeUnit: Bool
        var showScope: Bool
        var states: [Choice]
        var units: [Choice]
        var categories: [Choice]
        var overdue: Bool
        var from: String
        var until: String
        var q: String
    }
    var chrome: Chrome
    var heading: String
    var action: String
    var explanation: String
    var filters: Filters
    var rows: [Row]
    var total: Int
    var empty: Bool
    var prev: String?
    var next: String?
    var pageInfo: String
}

/// A form control for a field of the pack.
struct FieldControl {
    var id: String
    var name: String
    var required: Bool
    var isSelect: Bool
    var isTextarea: Bool
    var isDatetime: Bool
    var options: [Choice]
    var value: String
    var hint: String?
}

struct IntakePage {
    var chrome: Chrome
    var fields: [FieldControl]
    var earlier: [CasePage.Earlier]
    var showEarlier: Bool
}

struct CasePage {
    struct Field { var id: String; var name: String; var value: String }
    struct Entry { var at: String; var who: String; var what: String; var rule: String? }
    struct Day { var date: String; var weekday: String; var kind: String; var role: String; var ordinal: String; var due: Bool }
    struct ClockBox {
        var name: String
        var status: String
        var started: String
        var due: String
        var dueClass: String
        var countdown: String
        var calendar: String
        var basis: String?
        var days: [Day]
        var hasWalk: Bool
        /// The clock's id, for the extension forms.
        var id: String
        /// A pending request for more time, in words.
        var pendingRequest: String?
        /// The reader may grant an extension (the requested days proposed), decline the request, or ask for one.
        var canApprove: Bool
        var approveDays: Int
        var canDecline: Bool
        var canRequest: Bool
    }
    struct Action { var id: String; var name: String; var href: String }
    struct Attachment { var name: String; var href: String; var size: String; var type: String; var added: String }
    struct Earlier { var number: String; var href: String; var opened: String; var state: String }
    var chrome: Chrome
    var number: String
    var state: String
    var unit: String
    var assignee: String
    var opened: String
    var closed: String?
    var overdue: Bool
    var fields: [Field]
    var clocks: [ClockBox]
    var hasClocks: Bool
    var actions: [Action]
    var hasActions: Bool
    var timeline: [Entry]
    var attachments: [Attachment]
    var canUpload: Bool
    var uploadAction: String
    var version: Int
    var earlier: [Earlier]
    var showEarlier: Bool
    var violations: [String]
    var hasViolations: Bool
}

struct ActPage {
    var chrome: Chrome
    var number: String
    var caseHref: String
    var transition: String
    var action: String
    var fields: [FieldControl]
    var version: Int
}

struct SupervisionPage {
    struct UnitRow { var unit: String; var overdue: Int; var dueToday: Int; var open: Int; var href: String; var late: Bool }
    struct Escalation { var at: String; var number: String; var href: String; var what: String }
    var chrome: Chrome
    var units: [UnitRow]
    /// The same counts by the procedure's states (the open ones), and for every open case.
    var states: [UnitRow]
    var total: UnitRow
    var escalations: [Escalation]
    var days: Int
    var noEscalations: Bool
}

// The many small values of a page (queue rows, options, timeline entries, due days) answer mustache's
// lookups directly: reflection per name per row was most of a queue page's time (docs/performance.md).
import Mustache

extension QueuePage.Row: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "number": number
        case "href": href
        case "state": state
        case "unit": unit
        case "category": category
        case "opened": opened
        case "due": due
        case "dueClass": dueClass
        case "countdown": countdown.isEmpty ? nil : countdown
        case "calendarMark": calendarMark
        default: nil
        }
    }
}

extension Choice: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "id": id
        case "label": label
        case "selected": selected
        default: nil
        }
    }
}

extension CasePage.Entry: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "at": at
        case "who": who
        case "what": what
        case "rule": rule
        default: nil
        }
    }
}

extension CasePage.Day: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "date": date
        case "weekday": weekday
        case "kind": kind
        case "role": role
        case "ordinal": ordinal
        case "due": due
        default: nil
        }
    }
}
