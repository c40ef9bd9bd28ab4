import Foundation
import HTTPTypes
import Hummingbird
import KesuKernel
import KesuRendering

extension Console {
    /// Pages for people and access: API tokens, what each role may do, the record of personal-data views (rules_admin).
    /// The logins page itself (GET/POST /console/logins) is registered in Console.register.
    func registerAccess(_ g: RouterGroup<KesuRequestContext>) {
        g.post("logins/:username/password", use: signedIn(loginPasswordPost))
        g.post("logins/:username/disable", use: signedIn { r, c, who in try await loginDisablePost(true, r, c, who) })
        g.post("logins/:username/enable", use: signedIn { r, c, who in try await loginDisablePost(false, r, c, who) })
        g.get("access", use: signedIn { _, _, _ in Self.redirect("/console/logins") })
        g.get("access/tokens", use: signedIn(tokensPage))
        g.post("access/tokens", use: signedIn(tokensPost))
        g.get("access/tokens/:id/revoke", use: signedIn(revokePage))
        g.post("access/tokens/:id/revoke", use: signedIn(revokePost))
        g.get("access/roles", use: signedIn(rolesPage))
        g.get("access/views", use: signedIn(viewsPage))
    }

    func personName(_ id: String) -> String { engine.pack.person(id)?.name ?? id }

    // MARK: 登录账号

    @Sendable func loginsPage(_ request: Request, context: KesuRequestContext, reader: Reader) async throws -> Response {
        try mustAdministerRules(reader, to: "管理账号与权限")
        let q = request.uri.queryParameters
        let login = q["login"].map(String.init) ?? ""
        let notice: String? = if let created = q["created"].map(String.init) { "已创建登录账号 \(created)。" } else {
            switch q["done"].map(String.init) {
            case "password"?: "已为 \(login) 设置新密码；该账号此前的登录会话已全部结束。"
            case "disabled"?: "已停用登录账号 \(login)；该账号已无法登录，现有会话已结束。"
            case "enabled"?: "已重新启用登录账号 \(login)。"
            default: nil
            }
        }
        return try await loginsResponse(reader, notice: notice, error: nil)
    }

    func loginsResponse(_ reader: Reader, notice: String?, error: String?, status: HTTPResponse.Status = .unprocessableContent) async throws -> Response {
        let pack = engine.pack
        let all = try await logins.list()
        let rows = pack.people.map { p -> LoginsPage.Row in
            // The live login if any, else the latest (a disabled one).
            let login = all.last { $0.person == p.id && !$0.disabled } ?? all.last { $0.person == p.id }
            return .init(person: p.id, name: p.name, unit: pack.unit(p.unit)?.name ?? p.unit,
                         roles: p.roles.compactMap { pack.role($0)?.name }.joined(separator: "、"),
                         username: login?.username, disabled: login?.disabled ?? false, created: time(login?.createdAt), suggested: p.id)
        }
        let page = LoginsPage(chrome: chrome("账号与权限 · 登录账号", reader, current: "logins", notice: notice, error: error),
                              accessNav: .make(current: "logins"), rows: rows)
        return Self.html(pages.render(page, "logins"), status: error == nil ? .ok : status)
    }

    @Sendable func loginsPost(_ request: Request, context: KesuRequestContext, reader: Reader) async throws -> Response {
        try mustAdministerRules(reader, to: "管理账号与权限")
        let form = try await self.form(request)
        do {
            let login = try await logins.add(username: form.text("username") ?? "", person: form.text("person") ?? "",
                                             password: form["password"] ?? "", pack: engine.pack, by: reader.id, at: api.now())
            api.logger.notice("console login created", metadata: ["login": "\(login.username)", "person": "\(login.person)", "by": "\(reader.id)"])
            return Self.redirect("/console/logins?created=\(login.username)")
        } catch let e as KesuError {
            return try await loginsResponse(reader, notice: nil, error: e.message, status: e.code == .conflict ? .conflict : .unprocessableContent)
        }
    }

    /// The login named in the path (404 when there is none).
    func namedLogin(_ context: KesuRequestContext) async throws -> Login {
        let name = try context.parameters.require("username")
        guard let login = try await logins.list().first(where: { $0.username == name }) else {
            throw ConsoleError(.notFound, "没有登录账号“\(name)”。")
        }
        return login
    }

    static func query(_ s: String) -> String { s.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "" }

    /// An administrator's reset: the new password, and every session of the login ends (the
    /// sessions carry the password version they signed in with).
    @Sendable func loginPasswordPost(_ request: Request, context: KesuRequestContext, reader: Reader) async throws -> Response {
        try mustAdministerRules(reader, to: "管理账号与权限")
        let login = try await namedLogin(context)
        let form = try await self.form(request)
        let password = form["password"] ?? ""
        guard password == (form["password_confirm"] ?? password) else {
            return try await loginsResponse(reader, notice: nil, error: "两次输入的新密码不一致，密码未修改。")
        }
        do {
            try await logins.setPassword(username: login.username, password: password, by: reader.id, at: api.now())
        } catch let e as KesuError {
            return try await loginsResponse(reader, notice: nil, error: "\(login.username) 的密码未修改：\(e.message)")
        }
        api.logger.notice("console password reset", metadata: ["login": "\(login.username)", "by": "\(reader.id)"])
        return Self.redirect("/console/logins?done=password&login=\(Self.query(login.username))")
    }

    @Sendable func loginDisablePost(_ disable: Bool, _ request: Request, _ context: KesuRequestContext, _ reader: Reader) async throws -> Response {
        try mustAdministerRules(reader, to: "管理账号与权限")
        let login = try await namedLogin(context)
        if disable && login.username == reader.session.username {
            return try await loginsResponse(reader, notice: nil, error: "不能停用自己正在使用的账号。", status: .conflict)
        }
        if !disable, try await logins.list().contains(where: { $0.person == login.person && !$0.disabled && $0.username != login.username }) {
            return try await loginsResponse(reader, notice: nil, error: "\(personName(login.person)) 已有另一个启用的登录账号，不能再启用 \(login.username)。",
                                            status: .conflict)
        }
        if login.disabled != disable {
            try await logins.setDisabled(disable, username: login.username, by: reader.id, at: api.now())
            api.logger.notice(disable ? "console login disabled" : "console login enabled", metadata: ["login": "\(login.username)", "by": "\(reader.id)"])
        }
        return Self.redirect("/console/logins?done=\(disable ? "disabled" : "enabled")&login=\(Self.query(login.username))")
    }

    // MARK: API 令牌

    var accounts: Accounts { api.accounts }

    @Sendable func tokensPage(_ request: Request, context: KesuRequestContext, reader: Reader) async throws -> Response {
        try mustAdministerRules(reader, to: "管理账号与权限")
        let q = request.uri.queryParameters
        let notice: String? = q["done"] == "revoked" ? "已吊销令牌 \(q["id"].map(String.init) ?? "")；使用它的请求将被拒绝（401）。" : nil
        return try await tokensResponse(reader, notice: notice, error: nil)
    }

    func tokensResponse(_ reader: Reader, notice: String?, error: String?, person: String? = nil, label: String = "") async throws -> Response {
        let list = try await accounts.list()
        let rows = list.reversed().map { a in
            TokensPage.Row(id: a.id, person: a.person, name: personName(a.person), label: a.label ?? "", created: time(a.createdAt),
                           revoked: a.revokedAt.map { time($0) }, revokeHref: "/console/access/tokens/\(a.id)/revoke")
        }
        let people = engine.pack.people.map { Choice(id: $0.id, label: "\($0.name)（\(engine.pack.unit($0.unit)?.name ?? $0.unit)）", selected: $0.id == person) }
        let page = TokensPage(chrome: chrome("账号与权限 · API 令牌", reader, current: "logins", notice: notice, error: error),
                              accessNav: .make(current: "tokens"), rows: Array(rows), empty: rows.isEmpty, people: people, label: label)
        return Self.html(pages.render(page, "access-tokens"), status: error == nil ? .ok : .unprocessableContent)
    }

    /// A new token is shown on this one page, once: only its SHA-256 is kept.
    @Sendable func tokensPost(_ request: Request, context: KesuRequestContext, reader: Reader) async throws -> Response {
        try mustAdministerRules(reader, to: "管理账号与权限")
        let form = try await self.form(request)
        let person = form.text("person") ?? ""
        let label = form.text("label") ?? ""
        guard engine.pack.person(person) != nil else {
            return try await tokensResponse(reader, notice: nil, error: "请选择令牌所属的人员。", label: label)
        }
        guard !label.isEmpty, label.count <= 80 else {
            return try await tokensResponse(reader, notice: nil, error: "请填写令牌的用途（80 字以内），例如“热线系统对接”。", person: person, label: label)
        }
        let (account, token) = try await accounts.add(person: person, label: label, pack: engine.pack, by: reader.id, at: api.now())
        api.logger.notice("api token created", metadata: ["account": "\(account.id)", "person": "\(person)", "by": "\(reader.id)"])
        let page = TokenCreatedPage(chrome: chrome("账号与权限 · 新令牌", reader, current: "logins"), accessNav: .make(current: "tokens"),
                                    id: account.id, name: personName(person), label: label, token: token)
        return Self.html(pages.render(page, "access-token-created"), status: .created)
    }

    func namedAccount(_ context: KesuRequestContext) async throws -> Account {
        let id = try context.parameters.require("id")
        guard let a = try await accounts.list().first(where: { $0.id == id }) else { throw ConsoleError(.notFound, "没有令牌 \(id)。") }
        return a
    }

    /// Revoking asks first: the integration using the token stops at once.
    @Sendable func revokePage(_ request: Request, context: KesuRequestContext, reader: Reader) async throws -> Response {
        try mustAdministerRules(reader, to: "管理账号与权限")
        let a = try await namedAccount(context)
        if a.isRevoked { return Self.redirect("/console/access/tokens?done=revoked&id=\(a.id)") }
        let page = TokenRevokePage(chrome: chrome("账号与权限 · 吊销令牌", reader, current: "logins"), accessNav: .make(current: "tokens"),
                                   id: a.id, name: personName(a.person), label: a.label ?? "", created: time(a.createdAt),
                                   action: "/console/access/tokens/\(a.id)/revoke")
        return Self.html(pages.render(page, "access-token-revoke"))
    }

    @Sendable func revokePost(_ request: Request, context: KesuRequestContext, reader: Reader) async throws -> Response {
        try mustAdministerRules(reader, to: "管理账号与权限")
        let a = try await namedAccount(context)
        try await accounts.revoke(id: a.id, by: reader.id, at: api.now())
        api.logger.notice("api token revoked", metadata: ["account": "\(a.id)", "by": "\(reader.id)"])
        return Self.redirect("/console/access/tokens?done=revoked&id=\(a.id)")
    }

    // MARK: 角色与权限

    @Sendable func rolesPage(_ request: Request, context: KesuRequestContext, reader: Reader) async throws -> Response {
        try mustAdministerRules(reader, to: "管理账号与权限")
        let pack = engine.pack
        let rows = pack.roles.map { r -> RolesPage.Row in
            let permissions = Permission.allCases.filter { r.permissions.contains($0) }.map(\.name)
            let transitions = r.readOnly ? [] : pack.procedure.transitions.filter { $0.roles.contains(r.id) }.map(\.name)
            let people = pack.people.filter { $0.roles.contains(r.id) }.map(\.name)
            return .init(id: r.id, name: r.name, permissions: permissions, noPermissions: permissions.isEmpty, scope: r.scope.name,
                         readOnly: r.readOnly, transitions: transitions, noTransitions: transitions.isEmpty,
                         intake: !r.readOnly && pack.procedure.intake.roles.contains(r.id),
                         people: people.isEmpty ? "（无）" : people.joined(separator: "、"))
        }
        let page = RolesPage(chrome: chrome("账号与权限 · 角色与权限", reader, current: "logins"), accessNav: .make(current: "roles"), rows: rows)
        return Self.html(pages.render(page, "access-roles"))
    }

    // MARK: 个人信息查看记录

    /// A `yyyy-MM-dd` date's first instant in the pack's zone.
    func day(_ raw: String?) -> Date? {
        guard let raw, !raw.isEmpty else { return nil }
        let p = raw.split(separator: "-").compactMap { Int($0) }
        var c = Calendar(identifier: .gregorian)
        c.timeZone = zone
        guard p.count == 3 else { return nil }
        return c.date(from: DateComponents(year: p[0], month: p[1], day: p[2]))
    }

    func dayText(_ d: Date) -> String {
        var c = Calendar(identifier: .gregorian)
        c.timeZone = zone
        let x = c.dateComponents([.year, .month, .day], from: d)
        return String(format: "%04d-%02d-%02d", x.year!, x.month!, x.day!)
    }

    static let viewsShown = 500

    @Sendable func viewsPage(_ request: Request, context: KesuRequestContext, reader: Reader) async throws -> Response {
        try mustAdministerRules(reader, to: "管理账号与权限")
        let q = request.uri.queryParameters
        var c = Calendar(identifier: .gregorian)
        c.timeZone = zone
        let today = c.startOfDay(for: api.now())
        let fromRaw = q["from"].map(String.init)
        let untilRaw = q["until"].map(String.init)
        var error: String?
        var from = c.date(byAdding: .day, value: -6, to: today)!
        var until = today
        if let raw = fromRaw, !raw.isEmpty { if let d = day(raw) { from = d } else { error = "起始日期“\(raw)”无效，请用 年-月-日。" } }
        if let raw = untilRaw, !raw.isEmpty { if let d = day(raw) { until = d } else { error = "截止日期“\(raw)”无效，请用 年-月-日。" } }
        let person = q["person"].map(String.init).flatMap { $0.isEmpty ? nil : $0 }
        let number = q["case"].map { String($0).trimmingCharacters(in: .whitespaces) }.flatMap { $0.isEmpty ? nil : $0 }
        if error == nil, until < from { error = "截止日期早于起始日期。" }
        var views: [PersonalDataView] = []
        if error == nil {
            let end = c.date(byAdding: .day, value: 1, to: until)!.addingTimeInterval(-0.001)
            do {
                views = try await PersonalDataViews(store: engine.store).list(from: from, to: end, person: person, caseNumber: number)
            } catch let e as KesuError { error = e.message }
        }
        let rows = views.prefix(Self.viewsShown).map { v in
            ViewsPage.Row(at: time(v.at), name: personName(v.person), person: v.person, number: v.caseNumber,
                          href: "/console/cases/\(Self.query(v.caseNumber))", channel: v.channel.name)
        }
        let viewers = engine.pack.people.filter { engine.pack.principal($0.id)?.has(.personalData) ?? false }
        let page = ViewsPage(
            chrome: chrome("账号与权限 · 个人信息查看记录", reader, current: "logins", error: error), accessNav: .make(current: "views"),
            from: dayText(from), until: dayText(until),
            people: viewers.map { Choice(id: $0.id, label: $0.name, selected: $0.id == person) },
            caseNumber: number ?? "", rows: Array(rows), empty: rows.isEmpty, total: views.count,
            truncated: views.count > rows.count, shown: rows.count)
        return Self.html(pages.render(page, "access-views"), status: error == nil ? .ok : .unprocessableContent)
    }
}
