import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import KesuKernel
import KesuPostgresTestSupport
import KesuServer
import KesuSQLite
import KesuTestSupport
import KesuYAML
import Logging
import Testing

/// 账号与权限 and 外发通知 (issue 18): what the administrator sees and does, and that others cannot.
@Suite("web console: people & access, the personal-data view log, the outbox")
struct ConsoleAccessTests {
    static let password = ConsoleTests.password
    static let people = ["wu_jing", "zhao_min", "li_na", "qian_jin"]

    func run(_ f: ServerFixture, _ body: @escaping @Sendable (@Sendable () -> Browser, Client) async throws -> Void) async throws {
        try await f.app.test(.router) { client in
            try await body({ Browser(client) }, Client(inner: client, tokens: f.tokens))
        }
    }

    /// A case the clerk registers with a phone and a name.
    static func register(_ clerk: Browser) async throws -> String {
        let form = try await clerk.get("/console/intake")
        let made = try await clerk.post("/console/intake", [
            "csrf": form.csrf!, "channel": "phone", "kind": "complaint", "complainant_type": "retailer",
            "description": "送货晚了", "complainant_phone": "13812345678", "complainant_name": "张三",
        ])
        return String(try #require(made.location).split(separator: "/").last!.split(separator: "?")[0])
    }

    @Test("only rules_admin opens 账号与权限 and 外发通知; the others get 403 and their posts change nothing")
    func onlyAdministrators() async throws {
        let f = try await ConsoleTests.fixture(people: Self.people)
        try await run(f) { browser, _ in
            let clerk = browser()
            _ = try await clerk.signIn("zhao_min", Self.password)
            let csrf = try #require(try await clerk.get("/console/").csrf)
            for path in ["/console/logins", "/console/access/tokens", "/console/access/roles", "/console/access/views", "/console/outbox"] {
                let page = try await clerk.get(path)
                #expect(page.status == 403, "\(path)")
                #expect(page.has("无权"))
            }
            #expect(try await clerk.post("/console/logins/li_na/disable", ["csrf": csrf]).status == 403)
            #expect(try await clerk.post("/console/access/tokens", ["csrf": csrf, "person": "zhao_min", "label": "mine"]).status == 403)
            #expect(try await clerk.post("/console/outbox/retry-all", ["csrf": csrf]).status == 403)
            #expect(try await Logins(store: f.store).list().allSatisfy { !$0.disabled })
            #expect(try await Accounts(store: f.store).list().count == f.tokens.count)
            // The menu does not offer them either.
            #expect(!(try await clerk.get("/console/")).has("/console/outbox"))
        }
    }

    @Test("every post of the administrator's and the appraisal office's pages is refused without the session's CSRF token, and changes nothing")
    func administratorPostsNeedTheToken() async throws {
        let f = try await ConsoleTests.fixture(people: Self.people)
        let folder = Paths.pack("tobacco-prefecture")
        try await run(f) { browser, _ in
            let admin = browser()
            _ = try await admin.signIn("wu_jing", Self.password)
            let posts: [(String, [String: String])] = [
                ("/console/logins", ["person": "chen_gang", "username": "chengang", "password": "Pw-console-2"]),
                ("/console/logins/zhao_min/password", ["password": "Pw-console-3", "password_confirm": "Pw-console-3"]),
                ("/console/logins/zhao_min/disable", [:]), ("/console/logins/zhao_min/enable", [:]),
                ("/console/access/tokens", ["person": "zhao_min", "label": "forged"]), ("/console/access/tokens/1/revoke", [:]),
                ("/console/outbox/retry", ["id": "1"]), ("/console/outbox/retry-all", [:]),
                ("/console/rules/changes/folder", ["path": folder]), ("/console/rules/changes/x/replay", [:]),
                ("/console/rules/changes/x/replay/cancel", [:]), ("/console/rules/changes/x/deploy", ["reason": "r", "confirm": "yes"]),
                ("/console/rules/history/x", ["reason": "r", "confirm": "yes"]), ("/console/rules/try", ["category": "logistics_service"]),
                ("/console/penalties/2026Q3-person-gao_peng/decide", ["decision": "no_penalty", "reason": "r"]),
                ("/console/penalties/2026Q3-person-gao_peng/appeal", ["reason": "r"]),
                ("/console/penalties/2026Q3-person-gao_peng/decide-appeal", ["outcome": "upheld", "reason": "r"]),
                ("/console/scores/duties", ["report": "expectation_analysis", "period": "2026Q3"]),
            ]
            let loginsBefore = try await Logins(store: f.store).list()
            for (path, fields) in posts {
                // Refused as a forgery (请求无效), before any role or record is looked at.
                let bare = try await admin.post(path, fields)
                #expect(bare.status == 403 && bare.has("请求无效"), "\(path) without a token")
                var forged = fields
                forged["csrf"] = "forged"
                let fake = try await admin.post(path, forged)
                #expect(fake.status == 403 && fake.has("请求无效"), "\(path) with a forged token")
            }
            #expect(try await Logins(store: f.store).list() == loginsBefore)
            #expect(try await Accounts(store: f.store).list().count == f.tokens.count)
            #expect(try await RulesDeskRecords(store: f.store).candidates().isEmpty)
            #expect(try await RulesDeskRecords(store: f.store).deployments().isEmpty)
            // And the same session with its token gets through (here: a login created).
            let page = try await admin.get("/console/logins")
            #expect(try await admin.post("/console/logins", ["csrf": page.csrf!, "person": "chen_gang", "username": "chengang",
                                                              "password": "Pw-console-2"]).status == 303)
        }
    }

    @Test("reset password ends the person's sessions and the old password stops working; a disabled login cannot sign in")
    func resetAndDisable() async throws {
        let f = try await ConsoleTests.fixture(people: Self.people)
        try await run(f) { browser, _ in
            let admin = browser()
            _ = try await admin.signIn("wu_jing", Self.password)
            let liaison = browser()
            #expect(try await liaison.signIn("li_na", Self.password).status == 303)
            #expect(try await liaison.get("/console/").status == 200)

            let logins = try await admin.get("/console/logins")
            #expect(logins.status == 200)
            #expect(logins.has(#"<nav class="subnav" aria-label="账号与权限">"#))
            #expect(logins.has(#"action="/console/logins/li_na/password""#))
            #expect(logins.has(#"action="/console/logins/li_na/disable""#))

            // A weak password is refused and nothing changes.
            let weak = try await admin.post("/console/logins/li_na/password", ["csrf": logins.csrf!, "password": "short"])
            #expect(weak.status == 422 && weak.has(#"class="error" role="alert""#) && weak.has("至少 8 个字符"))
            #expect(try await liaison.get("/console/").status == 200)

            let reset = try await admin.post("/console/logins/li_na/password", ["csrf": logins.csrf!, "password": "New-pass-2026"])
            #expect(reset.status == 303)
            #expect(try await admin.get(reset.location!).has("已为 li_na 设置新密码"))
            // The session opened with the old password has ended.
            #expect(try await liaison.get("/console/").status == 303)
            let fresh = browser()
            #expect(try await fresh.signIn("li_na", Self.password).status == 401)
            #expect(try await fresh.signIn("li_na", "New-pass-2026").status == 303)
            #expect(try await fresh.get("/console/").status == 200)

            // Disabling ends that session at once, and sign-in is refused.
            let disable = try await admin.post("/console/logins/li_na/disable", ["csrf": logins.csrf!])
            #expect(disable.status == 303)
            let after = try await admin.get(disable.location!)
            #expect(after.has("已停用登录账号 li_na"))
            #expect(after.has(#"action="/console/logins/li_na/enable""#))
            #expect(try await fresh.get("/console/").status == 303)
            let refused = try await browser().signIn("li_na", "New-pass-2026")
            #expect(refused.status == 401 && refused.has("此账号已停用"))
            // The administrator cannot lock themself out.
            let selfDisable = try await admin.post("/console/logins/wu_jing/disable", ["csrf": logins.csrf!])
            #expect(selfDisable.status == 409)
            #expect(try await Logins(store: f.store).list().first { $0.username == "wu_jing" }?.disabled == false)

            #expect(try await admin.post("/console/logins/li_na/enable", ["csrf": logins.csrf!]).status == 303)
            #expect(try await browser().signIn("li_na", "New-pass-2026").status == 303)
            #expect(try await admin.post("/console/logins/nobody/disable", ["csrf": logins.csrf!]).status == 404)
        }
    }

    @Test("an API token is shown once, works on /v1/me, and after a confirmed revoke gets 401")
    func tokens() async throws {
        let f = try await ConsoleTests.fixture(people: Self.people)
        try await run(f) { browser, api in
            let admin = browser()
            _ = try await admin.signIn("wu_jing", Self.password)
            let page = try await admin.get("/console/access/tokens")
            #expect(page.status == 200)
            #expect(page.has(#"<table id="tokens""#))
            let missing = try await admin.post("/console/access/tokens", ["csrf": page.csrf!, "person": "zhao_min", "label": ""])
            #expect(missing.status == 422 && missing.has("用途"))
            let created = try await admin.post("/console/access/tokens", ["csrf": page.csrf!, "person": "zhao_min", "label": "热线系统对接"])
            #expect(created.status == 201)
            #expect(created.has("只显示这一次"))
            let token = try #require(created.html.range(of: #"kesu_[A-Za-z0-9_-]{43}"#, options: .regularExpression).map { String(created.html[$0]) })
            let me = try await api.call(.get, "/v1/me", token: token)
            #expect(me.status == 200)
            #expect(me.text.contains("zhao_min"))

            let list = try await admin.get("/console/access/tokens")
            #expect(!list.has(token), "the token is never shown again")
            let id = try #require(try await Accounts(store: f.store).list().last?.id)
            #expect(list.has(#"data-token="\#(id)" data-person="zhao_min""#))
            #expect(list.has("赵敏") && list.has("热线系统对接"))

            // Revoking asks first; the question changes nothing.
            let confirm = try await admin.get("/console/access/tokens/\(id)/revoke")
            #expect(confirm.status == 200 && confirm.has("确认吊销") && confirm.has("赵敏"))
            #expect(try await api.call(.get, "/v1/me", token: token).status == 200)
            let revoked = try await admin.post("/console/access/tokens/\(id)/revoke", ["csrf": confirm.csrf!])
            #expect(revoked.status == 303)
            #expect(try await admin.get(revoked.location!).has("已吊销令牌 \(id)"))
            #expect(try await api.call(.get, "/v1/me", token: token).status == 401)
        }
    }

    @Test("the roles page: each role's permissions in Chinese, scope, read-only, steps and people")
    func roles() async throws {
        let f = try await ConsoleTests.fixture(people: Self.people)
        try await run(f) { browser, _ in
            let admin = browser()
            _ = try await admin.signIn("wu_jing", Self.password)
            let page = try await admin.get("/console/access/roles")
            #expect(page.status == 200)
            let clerk = try #require(Self.row(page.html, #"data-role="clerk""#))
            #expect(clerk.contains("查看投诉人个人信息") && clerk.contains("全部案件") && clerk.contains("赵敏") && clerk.contains("孙丽"))
            let admins = try #require(Self.row(page.html, #"data-role="center_admin""#))
            #expect(admins.contains("管理规则与账号") && admins.contains("查看考核与报告") && admins.contains("吴静"))
            let liaison = try #require(Self.row(page.html, #"data-role="liaison""#))
            #expect(liaison.contains("本单位承办的案件") && liaison.contains("李娜"))
            let auditor = try #require(Self.row(page.html, #"data-role="auditor""#))
            #expect(auditor.contains("<td>是</td>"), "read-only")
        }
    }

    static func row(_ html: String, _ marker: String) -> String? {
        guard let start = html.range(of: marker) else { return nil }
        let rest = html[start.lowerBound...]
        return rest.range(of: "</tr>").map { String(rest[..<$0.lowerBound]) }
    }

    @Test("个人信息查看记录: unmasked views in the console and the API are recorded; masked readers leave none", arguments: ["sqlite", "postgres"])
    func personalDataViews(_ kind: String) async throws {
        var schema: TestSchema?
        if kind == "postgres" { schema = try await TestSchema.make() }
        defer { if let schema { Task { await schema.drop() } } }
        let f = try await ConsoleTests.fixture(people: Self.people, store: try schema?.store(poolSize: 2))
        try await run(f) { browser, api in
            let clerk = browser()
            _ = try await clerk.signIn("zhao_min", Self.password)
            let number = try await Self.register(clerk)
            let page = try await clerk.get("/console/cases/\(number)")
            #expect(page.text(id: "field-complainant_phone") == "13812345678")
            #expect(try await api.call(.get, "/v1/cases/\(number)", as: "zhao_min").status == 200)
            // Readers without personal_data see the phone masked and leave no record.
            let admin = browser()
            _ = try await admin.signIn("wu_jing", Self.password)
            let masked = try await admin.get("/console/cases/\(number)")
            #expect(masked.status == 200 && masked.text(id: "field-complainant_phone") == "138****5678")
            let auditor = try await api.call(.get, "/v1/cases/\(number)", as: "deng_qing")
            #expect(auditor.status == 200 && (auditor.json["fields"] as? [String: Any])?["complainant_phone"] as? String == "138****5678")

            let views = try await PersonalDataViews(store: f.store).list(from: f.clock.now.addingTimeInterval(-3600), to: f.clock.now)
            // The clerk's case page, then the API; nobody else's.
            #expect(views.map(\.person) == Array(repeating: "zhao_min", count: views.count))
            #expect(views.filter { $0.channel == .console }.count == 1)
            #expect(views.filter { $0.channel == .api }.count == 1)
            #expect(Set(views.map(\.caseNumber)) == [number])

            let log = try await admin.get("/console/access/views")
            #expect(log.status == 200)
            #expect(log.has(#"<table id="views""#))
            #expect(log.has(#"data-person="zhao_min" data-case="\#(number)""#))
            #expect(log.has("赵敏") && log.has("网页工作台") && log.has("API"))
            #expect(!log.has(#"data-person="wu_jing""#) && !log.has(#"data-person="deng_qing""#))
            // Filters: another person, another case, a day before.
            #expect(!(try await admin.get("/console/access/views?person=qian_jin")).has("data-case="))
            #expect(!(try await admin.get("/console/access/views?case=NOPE")).has("data-case="))
            #expect(!(try await admin.get("/console/access/views?from=2026-10-01&until=2026-10-11")).has("data-case="))
            #expect(try await admin.get("/console/access/views?from=2026-10-12&until=2026-10-12&case=\(number)").has(#"data-case="\#(number)""#))
            #expect(try await admin.get("/console/access/views?from=bad").status == 422)
        }
    }

    @Test("if the view cannot be recorded, the unmasked data is not shown")
    func unrecordedViewShowsNothing() async throws {
        let base = try SQLiteStore(path: try Paths.temp("kesu-pd").appendingPathComponent("kesu.db").path)
        let store = RefusingViewsStore(base)
        let f = try await ConsoleTests.fixture(people: Self.people, store: store)
        try await run(f) { browser, api in
            let clerk = browser()
            _ = try await clerk.signIn("zhao_min", Self.password)
            let number = try await Self.register(clerk)
            let page = try await clerk.get("/console/cases/\(number)")
            #expect(page.status >= 500)
            #expect(!page.has("13812345678"))
            let reply = try await api.call(.get, "/v1/cases/\(number)", as: "zhao_min")
            #expect(reply.status >= 500)
            #expect(!reply.text.contains("13812345678"))
            // A reader who sees it masked is not affected.
            let masked = try await api.call(.get, "/v1/cases/\(number)", as: "deng_qing")
            #expect(masked.status == 200)
        }
    }

    @Test("外发通知: counts, failed and pending tables with names, retry one and retry all, channel health")
    func outbox() async throws {
        let f = try await ConsoleTests.fixture(people: Self.people)
        let now = f.clock.now
        let ids = try await f.store.enqueueNotifications([
            OutboxEntry(caseID: 0, channel: "hotline", notification: KesuKernel.Notification(kind: .reminder, caseNumber: "ZX-1", recipients: ["li_na"], at: now)),
            OutboxEntry(caseID: 0, channel: "hotline", notification: KesuKernel.Notification(kind: .escalation, caseNumber: "ZX-2", recipients: ["qian_jin"], at: now)),
            OutboxEntry(caseID: 0, channel: "hotline", notification: KesuKernel.Notification(kind: .violation, caseNumber: "ZX-3", recipients: ["zhao_min"], at: now)),
        ])
        try await f.store.markFailed(id: ids[0], error: "webhook http://127.0.0.1:9/ failed: connection refused", nextAttemptAt: now, giveUp: true)
        try await f.store.markFailed(id: ids[1], error: "timed out", nextAttemptAt: now, giveUp: true)
        try await run(f) { browser, _ in
            let admin = browser()
            _ = try await admin.signIn("wu_jing", Self.password)
            let page = try await admin.get("/console/outbox")
            #expect(page.status == 200)
            #expect(page.has(#"<li data-status="failed"><span class="count-name">发送失败</span> <strong class="count">2</strong>"#))
            #expect(page.has(#"<li data-status="pending"><span class="count-name">待发送</span> <strong class="count">1</strong>"#))
            let failed = try #require(Self.row(page.html, #"<tr data-id="\#(ids[0])">"#))
            #expect(failed.contains("到期提醒") && failed.contains("李娜") && failed.contains("connection refused"))
            #expect(page.has(#"<form class="retry" data-id="\#(ids[0])""#))
            #expect(page.has(#"id="retry-all""#))
            #expect(page.has("钱进") && page.has("赵敏"))
            #expect(page.has("没有配置通知渠道"))

            let one = try await admin.post("/console/outbox/retry", ["csrf": page.csrf!, "id": "\(ids[0])"])
            #expect(one.status == 303)
            #expect(try await f.store.outbox(status: .failed, limit: 10).map(\.id) == [ids[1]])
            let all = try await admin.post("/console/outbox/retry-all", ["csrf": page.csrf!])
            #expect(all.status == 303)
            #expect(try await f.store.outbox(status: .failed, limit: 10).isEmpty)
            let after = try await admin.get(all.location!)
            #expect(after.has("重新排入待发送") && after.has("没有发送失败的通知"))
            // Without the CSRF token nothing is retried.
            try await f.store.markFailed(id: ids[2], error: "x", nextAttemptAt: now, giveUp: true)
            #expect(try await admin.post("/console/outbox/retry-all", [:]).status == 403)
            #expect(try await f.store.outbox(status: .failed, limit: 10).count == 1)
        }
    }

    @Test("channel health: each configured channel is checked with a short timeout, a dead webhook shown as failing")
    func channelHealth() async throws {
        let store = try SQLiteStore(path: try Paths.temp("kesu-health").appendingPathComponent("kesu.db").path)
        let clock = TestClock(ISO8601.parse("2026-10-12T09:00:00+08:00")!)
        let pack = Paths.pack("tobacco-prefecture")
        let rules = try LiveRules(rulesPath: pack, at: clock.now) { loaded in
            try Engine(pack: loaded.pack, store: store, notifiers: ["ok": HealthyNotifier(), "slow": SlowNotifier(), "down": DownNotifier()],
                       snapshot: loaded.snapshot, resolver: StoredPackResolver(store: store))
        }
        var logger = Logger(label: "kesu-test")
        logger.logLevel = .error
        let api = KesuAPI(rules: rules, settings: ServerSettings(rulesPath: pack), logger: logger, now: { clock.now })
        let f = ServerFixture(api: api, clock: clock, store: store, tokens: [:])
        try await Logins(store: store).add(username: "wu_jing", person: "wu_jing", password: Self.password, pack: rules.engine.pack,
                                           by: "test", at: clock.now)
        try await run(f) { browser, _ in
            let admin = browser()
            _ = try await admin.signIn("wu_jing", Self.password)
            let started = Date()
            let page = try await admin.get("/console/outbox")
            // The slow channel answers after 30 s; the page gives each check 2 s. A loaded CI machine needs slack, the
            // point needs only the gap between the two.
            #expect(Date().timeIntervalSince(started) < 15, "a slow channel does not hold the page")
            let ok = try #require(Self.row(page.html, #"data-channel="ok""#))
            #expect(ok.contains("正常") && ok.contains("test-plugin") && ok.contains("1.2.3"))
            #expect(try #require(Self.row(page.html, #"data-channel="down""#)).contains("异常"))
            #expect(try #require(Self.row(page.html, #"data-channel="slow""#)).contains("秒内无响应"))
            // The scorer is listed too: the pack's own points, nothing to check.
            #expect(try #require(Self.row(page.html, #"data-channel="评分""#)).contains("points"))
        }
    }
}

struct HealthyNotifier: Notifier {
    func deliver(_ notification: KesuKernel.Notification) async throws {}
    var about: DriverInfo { DriverInfo(kind: "exec", plugin: "test-plugin", version: "1.2.3") }
    func checkHealth(timeout: Duration) async throws -> String? { "ok" }
}

struct SlowNotifier: Notifier {
    func deliver(_ notification: KesuKernel.Notification) async throws {}
    func checkHealth(timeout: Duration) async throws -> String? {
        // Ignores cancellation, as a blocked plugin call would.
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            Thread.detachNewThread { Thread.sleep(forTimeInterval: 30); c.resume() }
        }
        return "late"
    }
}

struct DownNotifier: Notifier {
    struct Down: Error, CustomStringConvertible { var description: String { "connection refused" } }
    func deliver(_ notification: KesuKernel.Notification) async throws { throw Down() }
    func checkHealth(timeout: Duration) async throws -> String? { throw Down() }
}

/// A store that cannot write the personal-data view log (a full disk, a lost connection).
actor RefusingViewsStore: ForwardingCaseStore {
    nonisolated let base: any CaseStore
    init(_ base: any CaseStore) { self.base = base }
    struct Refused: Error {}

    func appendRecords(stream: String, expectedVersion: Int, events: [RecordEvent], outbox: [OutboxEntry]) async throws {
        if stream.hasPrefix(PersonalDataViews.streamPrefix) { throw Refused() }
        try await base.appendRecords(stream: stream, expectedVersion: expectedVersion, events: events, outbox: outbox)
    }
}
