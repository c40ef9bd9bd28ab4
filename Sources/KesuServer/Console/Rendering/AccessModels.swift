import Foundation

// Page models of 账号与权限 and 外发通知 (issue 18).

/// The sub-menu of 账号与权限.
struct AccessNav {
    var items: [Chrome.Item]

    static func make(current: String) -> AccessNav {
        var items: [Chrome.Item] = [
            .init(href: "/console/logins", label: "登录账号", key: "logins"),
            .init(href: "/console/access/tokens", label: "API 令牌", key: "tokens"),
            .init(href: "/console/access/roles", label: "角色与权限", key: "roles"),
            .init(href: "/console/access/views", label: "个人信息查看记录", key: "views"),
        ]
        for i in items.indices { items[i].current = items[i].key == current }
        return AccessNav(items: items)
    }
}

struct LoginsPage {
    struct Row {
        var person: String
        var name: String
        var unit: String
        var roles: String
        var username: String?
        var disabled: Bool
        var created: String
        var suggested: String
    }
    var chrome: Chrome
    var accessNav: AccessNav
    var rows: [Row]
}

struct TokensPage {
    struct Row {
        var id: String
        var person: String
        var name: String
        var label: String
        var created: String
        var revoked: String?
        var revokeHref: String
    }
    var chrome: Chrome
    var accessNav: AccessNav
    var rows: [Row]
    var empty: Bool
    var people: [Choice]
    var label: String
}

struct TokenCreatedPage {
    var chrome: Chrome
    var accessNav: AccessNav
    var id: String
    var name: String
    var label: String
    var token: String
}

struct TokenRevokePage {
    var chrome: Chrome
    var accessNav: AccessNav
    var id: String
    var name: String
    var label: String
    var created: String
    var action: String
}

struct RolesPage {
    struct Row {
        var id: String
        var name: String
        var permissions: [String]
        var noPermissions: Bool
        var scope: String
        var readOnly: Bool
        var transitions: [String]
        var noTransitions: Bool
        var intake: Bool
        var people: String
    }
    var chrome: Chrome
    var accessNav: AccessNav
    var rows: [Row]
}

struct ViewsPage {
    struct Row { var at: String; var name: String; var person: String; var number: String; var href: String; var channel: String }
    var chrome: Chrome
    var accessNav: AccessNav
    var from: String
    var until: String
    var people: [Choice]
    var caseNumber: String
    var rows: [Row]
    var empty: Bool
    var total: Int
    var truncated: Bool
    var shown: Int
}

struct OutboxPage {
    struct Count { var status: String; var name: String; var count: Int }
    struct Row {
        var id: Int64
        var kind: String
        var number: String
        var href: String?
        var recipients: String
        var channel: String
        var attempts: Int
        var next: String
        var lastError: String?
        var created: String
        var delivered: String
    }
    struct Plugin { var channel: String; var kind: String; var plugin: String; var version: String; var health: String; var ok: Bool }
    var chrome: Chrome
    var counts: [Count]
    var pending: [Row]
    var failed: [Row]
    var delivered: [Row]
    var deliveredDays: Int
    var noPending: Bool
    var noFailed: Bool
    var noDelivered: Bool
    var hasFailed: Bool
    var prev: String?
    var next: String?
    var deliveredInfo: String
    var plugins: [Plugin]
    /// No notification channel is configured (the scorer is always listed).
    var noChannels: Bool
}
