import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdAuth
import KesuKernel
import KesuRendering

/// Sign-in, sign-out and first-run setup (the logins page is in AccessPages.swift).
extension Console {
    /// Forms shown before sign-in carry a token that must match a cookie set with the form
    /// (double submit), so another site cannot post them in the reader's name.
    func preFormToken(_ request: Request) -> (token: String, cookie: Cookie?) {
        if let existing = request.cookies[Self.preCSRFCookie]?.value, existing.count >= 32 { return (String(existing), nil) }
        let token = Self.randomToken()
        return (token, Cookie(name: Self.preCSRFCookie, value: token, path: "/console", secure: api.settings.console.secureCookies,
                              httpOnly: true, sameSite: .strict))
    }

    func checkPreForm(_ request: Request, _ form: FormBody) throws {
        guard let cookie = request.cookies[Self.preCSRFCookie]?.value, let sent = form["csrf"],
              Self.constantTimeEqual(String(cookie), sent) else {
            throw ConsoleError(.forbidden, "请求无效：表单已过期或来源不明（缺少 CSRF 令牌）。请重新打开登录页。")
        }
    }

    /// Only same-site paths: `next` never sends the reader elsewhere.
    static func safeNext(_ raw: String?) -> String {
        guard let raw, raw.hasPrefix("/console"), !raw.hasPrefix("//"), !raw.contains("\\"), !raw.contains("://") else { return "/console/" }
        return raw
    }

    @Sendable func loginPage(_ request: Request, context: KesuRequestContext) async throws -> Response {
        if try await currentReader(request) != nil { return Self.redirect("/console/") }
        if try await logins.isEmpty() {
            return Self.html(pages.render(ErrorPage(chrome: chrome("尚未设置", nil, current: ""), status: 200,
                message: "还没有任何登录账号。请使用 kesu serve 启动时输出的“首次设置”链接设置管理员账号。"), "error"))
        }
        let (token, cookie) = preFormToken(request)
        let next = Self.safeNext(request.uri.queryParameters["next"].map(String.init))
        let page = LoginPage(chrome: chrome("登录", nil, current: ""), next: next, username: "", formToken: token)
        return Self.html(pages.render(page, "login"), cookies: cookie.map { [$0] } ?? [])
    }

    @Sendable func loginPost(_ request: Request, context: KesuRequestContext) async throws -> Response {
        let form = try await self.form(request)
        try checkPreForm(request, form)
        let username = form.text("username") ?? ""
        let next = Self.safeNext(form["next"])
        let now = api.now()
        let outcome = try await logins.signIn(username: username, password: form["password"] ?? "", at: now)
        let message: String
        switch outcome {
        case let .signedIn(login):
            let session = ConsoleSession(username: login.username, person: login.person, csrf: Self.randomToken(), lastSeen: now,
                                         passwordVersion: login.passwordVersion)
            let cookie = try await sessions.save(session: session, expiresIn: api.settings.console.idleTimeout)
            api.logger.info("console sign-in", metadata: ["user": "\(login.person)", "login": "\(login.username)"])
            var response = Self.redirect(next)
            response.headers.append(HTTPField(name: .setCookie, value: cookie.description))
            return response
        case .refused: message = "用户名或密码不正确。"
        case let .locked(until): message = "连续登录失败次数过多，账号已锁定，请于 \(time(until)) 之后再试。"
        case .disabled: message = "此账号已停用，请联系系统管理员。"
        }
        api.logger.notice("console sign-in refused", metadata: ["login": "\(username)", "outcome": "\(outcome)"])
        let (token, cookie) = preFormToken(request)
        let page = LoginPage(chrome: chrome("登录", nil, current: "", error: message), next: next, username: username, formToken: token)
        return Self.html(pages.render(page, "login"), status: .unauthorized, cookies: cookie.map { [$0] } ?? [])
    }

    @Sendable func logout(_ request: Request, context: KesuRequestContext) async throws -> Response {
        var response = Self.redirect("/console/login")
        if let s = try await sessions.load(request: request) {
            // Signing out needs the session's own token, so another site cannot sign the reader out.
            let form = try await self.form(request)
            guard let sent = form["csrf"], Self.constantTimeEqual(sent, s.csrf) else {
                throw ConsoleError(.forbidden, "请求无效：表单已过期或来源不明（缺少 CSRF 令牌）。")
            }
            let cookie = try await sessions.delete(request: request)
            response.headers.append(HTTPField(name: .setCookie, value: cookie.description))
        }
        return response
    }

    // MARK: First run

    /// The people who may run setup: those whose roles grant `rules_admin`.
    var administrators: [PersonDef] {
        let pack = engine.pack
        return pack.people.filter { p in pack.principal(p.id)?.has(.rulesAdmin) ?? false }
    }

    func setupPageResponse(_ request: Request, token: String, error: String?, username: String = "") -> Response {
        let (formToken, cookie) = preFormToken(request)
        let page = SetupPage(
            chrome: chrome("首次设置", nil, current: "", error: error), token: token, formToken: formToken,
            admins: administrators.map { .init(id: $0.id, label: "\($0.name)（\(engine.pack.unit($0.unit)?.name ?? $0.unit)）") },
            username: username)
        return Self.html(pages.render(page, "setup"), status: error == nil ? .ok : .unprocessableContent, cookies: cookie.map { [$0] } ?? [])
    }

    func requireSetupToken(_ token: String?) async throws -> String {
        guard try await logins.isEmpty() else {
            throw ConsoleError(.gone, "首次设置已完成，此链接不再有效。请登录。")
        }
        guard let token, try await setup.isValid(token, at: api.now()) else {
            throw ConsoleError(.forbidden, "设置链接无效或已过期（一小时内有效）。重新启动 kesu serve 可获得新的链接。")
        }
        return token
    }

    @Sendable func setupPage(_ request: Request, context: KesuRequestContext) async throws -> Response {
        let token = try await requireSetupToken(request.uri.queryParameters["token"].map(String.init))
        guard !administrators.isEmpty else {
            throw ConsoleError(.unprocessableContent, "规则包中没有拥有 rules_admin 权限的人员，无法设置管理员。请在规则包的 roles 中授予 rules_admin。")
        }
        return setupPageResponse(request, token: token, error: nil)
    }

    @Sendable func setupPost(_ request: Request, context: KesuRequestContext) async throws -> Response {
        let form = try await self.form(request)
        try checkPreForm(request, form)
        let token = try await requireSetupToken(form["token"])
        let username = form.text("username") ?? ""
        guard let person = form.text("person"), administrators.contains(where: { $0.id == person }) else {
            return setupPageResponse(request, token: token, error: "请选择一位系统管理员。", username: username)
        }
        guard form["password"] == form["password_confirm"] else {
            return setupPageResponse(request, token: token, error: "两次输入的密码不一致。", username: username)
        }
        let now = api.now()
        let login: Login
        do {
            login = try await logins.add(username: username, person: person, password: form["password"] ?? "", pack: engine.pack, by: person, at: now)
        } catch let e as KesuError {
            return setupPageResponse(request, token: token, error: e.message, username: username)
        }
        try await setup.markUsed(by: person, at: now)
        let session = ConsoleSession(username: login.username, person: person, csrf: Self.randomToken(), lastSeen: now)
        let cookie = try await sessions.save(session: session, expiresIn: api.settings.console.idleTimeout)
        api.logger.notice("console set up", metadata: ["user": "\(person)", "login": "\(login.username)"])
        var response = Self.redirect("/console/logins?created=\(login.username)")
        response.headers.append(HTTPField(name: .setCookie, value: cookie.description))
        return response
    }

    /// Prints the first-run link when nobody can sign in yet; nil once logins exist.
    public static func setupLinkIfNeeded(api: KesuAPI) async throws -> String? {
        let console = Console(api: api)
        guard try await console.logins.isEmpty() else { return nil }
        let token = try await console.setup.issue(at: api.now(), lifetime: api.settings.console.setupLinkLifetime)
        let host = api.settings.host == "0.0.0.0" || api.settings.host == "::" ? "127.0.0.1" : api.settings.host
        return "http://\(host):\(api.settings.port)/console/setup?token=\(token)"
    }
}
