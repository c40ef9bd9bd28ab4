import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdAuth
import KesuKernel
import KesuRendering
import KesuViews

/// How the console signs people in and keeps them signed in.
public struct ConsoleSettings: Sendable {
    /// A session unused this long ends.
    public var idleTimeout: Duration
    /// Cookies only over HTTPS (set behind a TLS proxy).
    public var secureCookies: Bool
    /// How long the first-run setup link works.
    public var setupLinkLifetime: TimeInterval
    /// 我的待办, 审批 and 回访 merge at most this many earliest-due cases; beyond, the page says so and filters narrow it.
    public var queueWindow: Int

    public init(idleTimeout: Duration = .seconds(30 * 60), secureCookies: Bool = false, setupLinkLifetime: TimeInterval = 3600,
                queueWindow: Int = 500) {
        self.idleTimeout = idleTimeout; self.secureCookies = secureCookies; self.setupLinkLifetime = setupLinkLifetime
        self.queueWindow = max(1, queueWindow)
    }
}

/// What a signed-in browser carries: who, and the token every form must post back (CSRF).
struct ConsoleSession: Codable, Sendable {
    var username: String
    var person: String
    var csrf: String
    var lastSeen: Date
    /// The login's password version at sign-in (nil in sessions from before resets ended sessions: 0).
    var passwordVersion: Int?
}

/// The signed-in person on one request.
struct Reader {
    var session: ConsoleSession
    var principal: Principal
    var id: String { principal.id }
}

/// The web console (issue 17): server-rendered Chinese pages over the same engine, views and
/// access rules as the JSON API. Forms post and redirect; nothing needs JavaScript.
struct Console: Sendable {
    let api: KesuAPI
    let pages: ConsolePages
    let sessions: SessionStorage<ConsoleSession>
    let logins: Logins
    let setup: SetupLinks

    static let sessionCookie = "kesu_session"
    static let preCSRFCookie = "kesu_form"

    init(api: KesuAPI) {
        self.api = api
        self.pages = ConsolePages.shared
        let driver = StoreSessionDriver(store: api.rules.engine.store, now: api.now)
        self.sessions = SessionStorage(driver, configuration: .init(
            sessionCookieParameters: .init(name: Self.sessionCookie, path: "/", secure: api.settings.console.secureCookies, sameSite: .lax),
            keyPrefix: ""))
        self.logins = Logins(store: api.rules.engine.store, cache: api.loginsCache)
        self.setup = SetupLinks(store: api.rules.engine.store)
    }

    var engine: Engine { api.rules.engine }
    /// An upload's body: the largest attachment and the multipart framing around it.
    var attachmentBodyLimit: Int { api.settings.attachmentLimits.maxBytes + CaseRoutes.multipartOverhead }
    var zone: TimeZone { engine.planner.calendar.timeZone }
    func time(_ d: Date?) -> String { d.map { ChineseTime.format($0, in: zone) } ?? "" }

    func register(on router: Hummingbird.Router<KesuRequestContext>) {
        router.get("/") { _, _ in Self.redirect("/console/") }
        let g = router.group("console")
        g.get("assets/:file", use: asset)
        g.get("login", use: wrap(loginPage))
        g.post("login", use: wrap(loginPost))
        g.post("logout", use: wrap(logout))
        g.get("setup", use: wrap(setupPage))
        g.post("setup", use: wrap(setupPost))
        g.get("logins", use: signedIn(loginsPage))
        g.post("logins", use: signedIn(loginsPost))
        g.get("", use: signedIn(todo))
        g.get("callbacks", use: signedIn { r, c, who in try await worklist(.callback, r, c, who) })
        g.get("approvals", use: signedIn { r, c, who in try await worklist(.approval, r, c, who) })
        g.get("supervision", use: signedIn(supervision))
        g.get("intake", use: signedIn(intakePage))
        g.post("intake", use: signedIn(intakePost))
        g.get("cases/:number", use: signedIn(casePage))
        g.get("cases/:number/act/:transition", use: signedIn(actPage))
        g.post("cases/:number/act/:transition", use: signedIn(actPost))
        g.post("cases/:number/extensions", use: signedIn(extendPost))
        g.post("cases/:number/extension-requests", use: signedIn(requestExtensionPost))
        g.post("cases/:number/extension-requests/decline", use: signedIn(declineExtensionPost))
        g.post("cases/:number/attachments", use: signedIn(uploadPost))
        g.get("cases/:number/attachments/:sha256", use: signedIn(download))
        // Part 2 (issue 18): each area registers its own pages, in its own file under Pages/.
        registerRulesDesk(g)
        registerPackChanges(g)
        registerAccess(g)
        registerOutbox(g)
        registerAppraisal(g)
        registerPenalties(g)
        registerQuarterly(g)
        // Any other address under /console: a page saying so, not the API's JSON.
        g.get("**", use: wrap { _, _ in throw ConsoleError(.notFound, "没有这个页面。请从菜单进入。") })
    }

    // MARK: Responses

    static func redirect(_ location: String) -> Response {
        var headers = HTTPFields()
        headers[.location] = location
        headers[.cacheControl] = "no-store"
        return Response(status: .seeOther, headers: headers)
    }

    /// Every page: HTML that names its charset, never cached, never framed, scripts only from here.
    static func html(_ body: String, status: HTTPResponse.Status = .ok, cookies: [Cookie] = []) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/html; charset=utf-8"
        headers[.cacheControl] = "no-store"
        headers[.contentSecurityPolicy] = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
        headers[HTTPField.Name("X-Frame-Options")!] = "DENY"
        headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        headers[HTTPField.Name("Referrer-Policy")!] = "same-origin"
        for c in cookies { headers.append(HTTPField(name: .setCookie, value: c.description)) }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    typealias Handler = @Sendable (Request, KesuRequestContext) async throws -> Response
    typealias ReaderHandler = @Sendable (Request, KesuRequestContext, Reader) async throws -> Response

    /// Turns any refusal into a Chinese page with its status (the API's reading of kernel errors).
    func wrap(_ handler: @escaping Handler) -> Handler {
        { request, context in
            do { return try await handler(request, context) } catch {
                return errorPage(error, reader: nil)
            }
        }
    }

    func errorPage(_ error: any Error, reader: Reader?) -> Response {
        let status: HTTPResponse.Status
        let message: String
        if let e = error as? ConsoleError {
            status = e.status; message = e.message
        } else {
            let e = APIError.from(error)
            status = e.status
            message = switch (error, status.code) {
            case (is KesuError, _): ConsoleWording(pack: engine.pack).message(error)
            case (_, 403): "您无权查看或办理此项。（\(e.message)）"
            case (_, 404): "没有找到。（\(e.message)）"
            default: e.message
            }
        }
        let title = switch status.code {
        case 403: "无权操作"
        case 404: "未找到"
        case 409: "已被他人修改"
        case 400, 422: "请求无效"
        default: status.code >= 500 ? "服务器出错" : "请求无效"
        }
        let page = ErrorPage(chrome: chrome(title, reader, current: ""), status: status.code, message: message)
        return Self.html(pages.render(page, "error"), status: status)
    }

    /// Pages behind sign-in: an expired or missing session goes to the sign-in page (and back after).
    func signedIn(_ handler: @escaping ReaderHandler) -> Handler {
        { request, context in
            let reader: Reader
            do {
                guard let r = try await currentReader(request) else {
                    if request.method == .get {
                        let next = request.uri.path + (request.uri.query.map { "?" + $0 } ?? "")
                        return Self.redirect("/console/login?next=" + (next.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""))
                    }
                    throw ConsoleError(.unauthorized, "登录已过期，请重新登录后再提交")
                }
                reader = r
            } catch {
                return errorPage(error, reader: nil)
            }
            do {
                var request = request
                if request.method == .post {
                    // Read the body once and keep it, so the handler reads the same bytes again.
                    let limit = request.uri.path.hasSuffix("/attachments") ? attachmentBodyLimit
                        : request.uri.path == "/console/rules/changes/upload" ? Self.packUploadLimit + CaseRoutes.multipartOverhead
                        : api.settings.maxBodyBytes
                    let buffer: ByteBuffer
                    do { buffer = try await request.collectBody(upTo: limit) } catch {
                        throw ConsoleError(.contentTooLarge, "提交的内容过大（上限 \(limit / 1024) KB）")
                    }
                    try checkCSRF(request, buffer, reader)
                }
                return try await handler(request, context, reader)
            } catch {
                return errorPage(error, reader: reader)
            }
        }
    }

    /// The session's reader, its idle clock refreshed (at most every minute, not on every request).
    func currentReader(_ request: Request) async throws -> Reader? {
        guard var s = try await sessions.load(request: request) else { return nil }
        guard let principal = engine.pack.principal(s.person) else { return nil }
        guard let login = try await logins.list().first(where: { $0.username == s.username }), !login.disabled,
              login.passwordVersion == (s.passwordVersion ?? 0) else { return nil }
        let now = api.now()
        let idle = api.settings.console.idleTimeout
        // At most once a minute (a twentieth of a short timeout): one small record, the latest read by index.
        let refresh = min(60, Double(idle.components.seconds) / 20)
        if now.timeIntervalSince(s.lastSeen) >= refresh {
            s.lastSeen = now
            try await sessions.update(session: s, expiresIn: idle, request: request)
        }
        return Reader(session: s, principal: principal)
    }

    /// A form's `csrf` must equal the session's token: a field of the posted form, urlencoded or
    /// multipart (an upload), never the URL (where logs and Referer headers would keep it).
    func checkCSRF(_ request: Request, _ body: ByteBuffer, _ reader: Reader) throws {
        let type = request.headers[.contentType] ?? ""
        let sent: String? = if type.lowercased().hasPrefix("multipart/form-data") {
            (try? MultipartForm.parse(Data(body.readableBytesView), contentType: type,
                                      maxBytes: max(attachmentBodyLimit, Self.packUploadLimit + CaseRoutes.multipartOverhead)))?.text("csrf")
        } else {
            FormBody.parse(String(buffer: body))["csrf"]
        }
        guard let sent, Self.constantTimeEqual(sent, reader.session.csrf) else {
            throw ConsoleError(.forbidden, "请求无效：表单已过期或来源不明（缺少 CSRF 令牌）。请返回页面刷新后重试。")
        }
    }

    func form(_ request: Request) async throws -> FormBody {
        try await FormBody.read(request, limit: api.settings.maxBodyBytes)
    }

    /// An empty secret never matches (a form without its token).
    static func constantTimeEqual(_ a: String, _ b: String) -> Bool { !a.isEmpty && Accounts.constantTimeEqual(a, b) }

    static func randomToken() -> String { Accounts.randomSecret() }

    // MARK: Chrome

    /// The frame of every page: the menu the reader's roles open, who is signed in, the CSRF token.
    func chrome(_ title: String, _ reader: Reader?, current: String, notice: String? = nil, error: String? = nil) -> Chrome {
        guard let reader else { return Chrome(title: title, signedIn: false, whoami: "", csrf: "", nav: [], notice: notice, error: error) }
        let p = reader.principal
        let pack = engine.pack
        var nav: [Chrome.Item] = [.init(href: "/console/", label: "我的待办", key: "todo")]
        if pack.procedure.intake.roles.contains(where: { r in p.person.roles.contains(r) }) && !p.readOnly {
            nav.append(.init(href: "/console/intake", label: "受理登记", key: "intake"))
        }
        for list in Worklist.allCases where !statesActable(by: p, in: list).isEmpty {
            nav.append(list == .approval ? .init(href: "/console/approvals", label: "审批", key: "approvals")
                                         : .init(href: "/console/callbacks", label: "回访", key: "callbacks"))
        }
        if p.seesAllCases { nav.append(.init(href: "/console/supervision", label: "督办", key: "supervision")) }
        if p.has(.rulesAdmin) {
            nav.append(.init(href: "/console/rules", label: "规则", key: "rules"))
            nav.append(.init(href: "/console/logins", label: "账号与权限", key: "logins"))
            nav.append(.init(href: "/console/outbox", label: "外发通知", key: "outbox"))
        }
        if p.has(.reports) {
            nav.append(.init(href: "/console/scores", label: "考核", key: "scores"))
        }
        // 处罚 also for those the pack's penalty procedure lets decide or appeal (a unit head, the person concerned).
        if engine.takesPartInPenalties(p.id) { nav.append(.init(href: "/console/penalties", label: "处罚", key: "penalties")) }
        if p.has(.reports) { nav.append(.init(href: "/console/quarterly", label: "报告", key: "quarterly")) }
        for i in nav.indices { nav[i].current = nav[i].key == current }
        let unit = pack.unit(p.unit)?.name ?? p.unit
        let roles = p.roles.map(\.name).joined(separator: "、")
        return Chrome(title: title, signedIn: true, whoami: "\(p.person.name)（\(unit) · \(roles)）", csrf: reader.session.csrf, nav: nav,
                      notice: notice, error: error)
    }

    /// The states of a work list in which this person may take some transition.
    func statesActable(by p: Principal, in list: Worklist?) -> [String] {
        let pack = engine.pack
        return pack.procedure.states.filter { s in
            !s.isFinal && (list == nil || s.worklist == list) && pack.procedure.transitions.contains { t in
                t.from.contains(s.id) && p.roles.contains { r in t.roles.contains(r.id) && !r.readOnly }
            }
        }.map(\.id)
    }

    // MARK: Assets

    @Sendable func asset(_ request: Request, context: KesuRequestContext) async throws -> Response {
        let name = try context.parameters.require("file")
        guard let (data, type) = pages.asset(name) else { throw APIError(.notFound, "not_found", "no asset '\(name)'") }
        var headers = HTTPFields()
        headers[.contentType] = type
        headers[.cacheControl] = "public, max-age=3600"
        headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
