import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import KesuKernel
import KesuPostgresTestSupport
import KesuServer
import KesuSQLite
import Logging
import Testing

/// A browser over the router: keeps cookies, posts forms, does not follow redirects.
final class Browser: @unchecked Sendable {
    let client: any TestClientProtocol
    private let lock = NSLock()
    private var cookies: [String: String] = [:]
    /// The Set-Cookie lines last received, to check their attributes.
    private(set) var lastSetCookies: [String] = []

    init(_ client: any TestClientProtocol) { self.client = client }

    /// A cookie line carried from one server to another.
    final class Jar: @unchecked Sendable { var line = "" }

    struct Page: Sendable {
        var status: Int
        var headers: HTTPFields
        var html: String
        /// The body's bytes as sent (a download).
        var bytes = Data()
        var location: String? { headers[.location] }
        /// The value of the first input with this name.
        func input(_ name: String) -> String? {
            guard let r = html.range(of: #"name="\#(name)" value="[^"]*""#, options: .regularExpression) else { return nil }
            return String(html[r].dropFirst(#"name="\#(name)" value=""#.count).dropLast())
        }
        var csrf: String? { input("csrf") }
        var version: String? { input("expected_version") }
        /// Text inside the element with this id (tags stripped).
        func text(id: String) -> String? {
            guard let r = html.range(of: #"id="\#(id)"[^>]*>[^<]*"#, options: .regularExpression) else { return nil }
            return String(html[r].split(separator: ">", maxSplits: 1).last ?? "")
        }
        func has(_ s: String) -> Bool { html.contains(s) }
    }

    func get(_ uri: String) async throws -> Page { try await send(.get, uri, body: nil) }

    func post(_ uri: String, _ form: [String: String]) async throws -> Page {
        let body = form.map { k, v in "\(Self.enc(k))=\(Self.enc(v))" }.joined(separator: "&")
        return try await send(.post, uri, body: body)
    }

    static func enc(_ s: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return s.addingPercentEncoding(withAllowedCharacters: allowed) ?? s
    }

    /// Posts a multipart form (an upload), as a browser does.
    func post(_ uri: String, multipart: MultipartBody) async throws -> Page {
        try await send(.post, uri, body: nil, raw: (ByteBuffer(bytes: multipart.closed()), multipart.contentType))
    }

    func send(_ method: HTTPRequest.Method, _ uri: String, body: String?, raw: (ByteBuffer, String)? = nil) async throws -> Page {
        var headers = HTTPFields()
        let jar = lock.withLock { cookies }
        if !jar.isEmpty { headers[.cookie] = jar.map { "\($0.key)=\($0.value)" }.joined(separator: "; ") }
        if body != nil { headers[.contentType] = "application/x-www-form-urlencoded" }
        if let raw { headers[.contentType] = raw.1 }
        let page = try await client.execute(uri: uri, method: method, headers: headers, body: raw?.0 ?? body.map { ByteBuffer(string: $0) }) { r in
            Page(status: Int(r.status.code), headers: r.headers, html: String(buffer: r.body), bytes: Data(r.body.readableBytesView))
        }
        let set = page.headers[values: .setCookie]
        lock.withLock {
            lastSetCookies = set
            for line in set {
                let first = line.split(separator: ";")[0]
                let kv = first.split(separator: "=", maxSplits: 1)
                guard kv.count == 2 else { continue }
                let expired = line.contains("Max-Age=0") || line.range(of: "Expires=[^;]*1970", options: .regularExpression) != nil
                    || (line.range(of: #"Expires=([^;]+)"#, options: .regularExpression).flatMap { r -> Date? in
                        let s = line[r].dropFirst("Expires=".count)
                        let f = DateFormatter(); f.locale = Locale(identifier: "en_US_POSIX"); f.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
                        return f.date(from: String(s))
                    }.map { $0 < Date() } ?? false)
                if expired { cookies[String(kv[0])] = nil } else { cookies[String(kv[0])] = String(kv[1]) }
            }
        }
        return page
    }

    func signIn(_ username: String, _ password: String) async throws -> Page {
        let form = try await get("/console/login")
        return try await post("/console/login", ["csrf": form.csrf ?? "", "username": username, "password": password, "next": "/console/"])
    }

    /// Opens a transition's form and posts it with these fields.
    func act(_ number: String, _ transition: String, _ fields: [String: String] = [:]) async throws -> Page {
        let form = try await get("/console/cases/\(number)/act/\(transition)")
        guard form.status == 200 else { return form }
        var body = fields
        body["csrf"] = form.csrf ?? ""
        body["expected_version"] = form.version ?? ""
        return try await post("/console/cases/\(number)/act/\(transition)", body)
    }
}

@Suite("web console: sign-in, sessions, CSRF, scope and masking")
struct ConsoleTests {
    static let password = "Pw-console-1"

    /// A server whose store has a login (user name = person id) for each of `people`, and the setup link used.
    static func fixture(people: [String] = ["zhao_min", "qian_jin", "li_na", "wang_lei", "chen_gang", "ma_lin"],
                        store: (any CaseStore)? = nil) async throws -> ServerFixture {
        let f = try await ServerFixture.make(store: store, at: "2026-10-12T09:00:00+08:00")
        let logins = Logins(store: f.store)
        for p in people {
            try await logins.add(username: p, person: p, password: password, pack: f.api.rules.engine.pack, by: "test", at: f.clock.now)
        }
        return f
    }

    func run(_ f: ServerFixture, _ body: @escaping @Sendable (@Sendable () -> Browser) async throws -> Void) async throws {
        try await f.app.test(.router) { client in
            try await body { Browser(client) }
        }
    }

    @Test("first run: the setup link lets one administrator in, once, and the link then stops working")
    func firstRun() async throws {
        let f = try await ServerFixture.make(at: "2026-10-12T09:00:00+08:00")
        let link = try #require(try await f.api.consoleSetupLink())
        #expect(link.hasPrefix("http://127.0.0.1:8080/console/setup?token="))
        let path = String(link.dropFirst("http://127.0.0.1:8080".count))
        try await run(f) { browser in
            let b = browser()
            let before = try await b.get("/console/login")
            #expect(before.has("首次设置"))
            #expect(try await b.get("/console/setup?token=wrong").status == 403)
            let form = try await b.get(path)
            #expect(form.status == 200)
            #expect(form.has(#"<option value="wu_jing">"#), "only rules_admin people are offered")
            #expect(!form.has(#"<option value="zhao_min">"#))
            let mismatch = try await b.post("/console/setup", ["csrf": form.csrf!, "token": String(path.split(separator: "=").last!),
                                                               "person": "wu_jing", "username": "admin", "password": "Admin-pass-1", "password_confirm": "other"])
            #expect(mismatch.status == 422 && mismatch.has("两次输入的密码不一致"))
            let done = try await b.post("/console/setup", ["csrf": form.csrf!, "token": String(path.split(separator: "=").last!),
                                                           "person": "wu_jing", "username": "admin", "password": "Admin-pass-1", "password_confirm": "Admin-pass-1"])
            #expect(done.status == 303 && done.location == "/console/logins?created=admin")
            let logins = try await b.get("/console/logins")
            #expect(logins.status == 200 && logins.has(#"data-person="zhao_min""#))
            // The admin creates a login for a clerk, who can then sign in.
            let created = try await b.post("/console/logins", ["csrf": logins.csrf!, "person": "zhao_min", "username": "zhaomin", "password": "Clerk-pass-1"])
            #expect(created.status == 303)
            #expect(try await browser().signIn("zhaomin", "Clerk-pass-1").status == 303)
            // The link is spent.
            #expect(try await browser().get(path).status == 410)
        }
        #expect(try await f.api.consoleSetupLink() == nil)
    }

    @Test("a wrong password is refused without saying which part was wrong; five failures lock the login for 15 minutes")
    func lockout() async throws {
        let f = try await Self.fixture(people: ["zhao_min"])
        try await run(f) { browser in
            let b = browser()
            let wrong = try await b.signIn("zhao_min", "nope-nope-1")
            #expect(wrong.status == 401 && wrong.has("用户名或密码不正确"))
            let unknown = try await b.signIn("nobody", "nope-nope-1")
            #expect(unknown.status == 401 && unknown.has("用户名或密码不正确"))
            for _ in 0..<3 { _ = try await b.signIn("zhao_min", "nope-nope-1") }
            let locked = try await b.signIn("zhao_min", "nope-nope-1")
            #expect(locked.has("已锁定"))
            // Locked: the right password is refused too.
            let right = try await b.signIn("zhao_min", Self.password)
            #expect(right.status == 401 && right.has("已锁定"))
            f.clock.set(f.clock.now.addingTimeInterval(16 * 60))
            #expect(try await b.signIn("zhao_min", Self.password).status == 303)
        }
    }

    @Test("the session cookie is HttpOnly and SameSite; an idle session ends; signing out ends it")
    func sessions() async throws {
        let f = try await Self.fixture(people: ["zhao_min"])
        try await run(f) { browser in
            let b = browser()
            let signed = try await b.signIn("zhao_min", Self.password)
            #expect(signed.status == 303 && signed.location == "/console/")
            let cookie = try #require(b.lastSetCookies.first { $0.hasPrefix("kesu_session=") })
            #expect(cookie.contains("HttpOnly"))
            #expect(cookie.contains("SameSite=Lax"))
            #expect(!cookie.contains("Secure"))
            // Behind TLS (--secure-cookies) the same cookie is Secure.
            var tls = f.api.settings
            tls.console.secureCookies = true
            let secure = KesuAPI(rules: f.api.rules, settings: tls, logger: f.api.logger, now: f.api.now)
            try await Application(router: secure.router(), logger: secure.logger).test(.router) { client in
                let other = Browser(client)
                _ = try await other.signIn("zhao_min", Self.password)
                #expect(other.lastSetCookies.first { $0.hasPrefix("kesu_session=") }?.contains("Secure") == true)
            }
            let home = try await b.get("/console/")
            #expect(home.status == 200 && home.text(id: "whoami")?.contains("赵敏") == true)
            let missing = try await b.get("/console/no/such/page")
            #expect(missing.status == 404 && missing.headers[.contentType]?.hasPrefix("text/html") == true && missing.has("没有这个页面"))
            #expect(try await b.get("/console/cases/YC-2026-999999").status == 404)
            // 29 minutes later the session is still alive (and its idle clock restarts).
            f.clock.set(f.clock.now.addingTimeInterval(29 * 60))
            #expect(try await b.get("/console/").status == 200)
            f.clock.set(f.clock.now.addingTimeInterval(31 * 60))
            let expired = try await b.get("/console/")
            #expect(expired.status == 303 && expired.location?.hasPrefix("/console/login") == true)
            // Sign in again, then sign out: the session is gone.
            _ = try await b.signIn("zhao_min", Self.password)
            let page = try await b.get("/console/")
            #expect(try await b.post("/console/logout", ["csrf": page.csrf!]).location == "/console/login")
            #expect(try await b.get("/console/").status == 303)
        }
    }

    @Test("two servers on one store share sessions: a browser signed in on one is signed in on the other", arguments: ["sqlite", "postgres"])
    func sharedSessions(_ kind: String) async throws {
        var schema: TestSchema?
        if kind == "postgres" { schema = try await TestSchema.make() }
        defer { if let schema { Task { await schema.drop() } } }
        let f = try await Self.fixture(people: ["zhao_min"], store: try schema?.store(poolSize: 2))
        let second = KesuAPI(rules: f.api.rules, settings: f.api.settings, logger: f.api.logger, now: f.api.now)
        let jar = Browser.Jar()
        try await run(f) { browser in
            let b = browser()
            _ = try await b.signIn("zhao_min", Self.password)
            jar.line = b.lastSetCookies.first { $0.hasPrefix("kesu_session=") }!.split(separator: ";")[0].description
        }
        let line = jar.line
        try await Application(router: second.router(), logger: second.logger).test(.router) { client in
            var headers = HTTPFields()
            headers[.cookie] = line
            let status = try await client.execute(uri: "/console/", method: .get, headers: headers) { Int($0.status.code) }
            #expect(status == 200)
            // Signing out on the second ends the session on the first too.
            let page = try await client.execute(uri: "/console/", method: .get, headers: headers) { String(buffer: $0.body) }
            let token = page.range(of: #"name="csrf" value="[^"]*""#, options: .regularExpression).map { String(page[$0].dropFirst(19).dropLast()) } ?? ""
            var post = headers
            post[.contentType] = "application/x-www-form-urlencoded"
            let out = try await client.execute(uri: "/console/logout", method: .post, headers: post, body: ByteBuffer(string: "csrf=\(token)")) { Int($0.status.code) }
            #expect(out == 303)
        }
        try await f.app.test(.router) { client in
            var headers = HTTPFields()
            headers[.cookie] = line
            let after = try await client.execute(uri: "/console/", method: .get, headers: headers) { Int($0.status.code) }
            #expect(after == 303)
        }
    }

    @Test("a post without the session's CSRF token is refused and changes nothing")
    func csrf() async throws {
        let f = try await Self.fixture(people: ["zhao_min"])
        try await run(f) { browser in
            let b = browser()
            _ = try await b.signIn("zhao_min", Self.password)
            let form = try await b.get("/console/intake")
            let fields = ["channel": "phone", "kind": "complaint", "complainant_type": "retailer", "description": "送货晚了"]
            let refused = try await b.post("/console/intake", fields)
            #expect(refused.status == 403 && refused.has("请求无效"))
            var forged = fields
            forged["csrf"] = "forged"
            #expect(try await b.post("/console/intake", forged).status == 403)
            #expect(try await f.store.count(CaseQuery()) == 0)
            var good = fields
            good["csrf"] = form.csrf!
            let made = try await b.post("/console/intake", good)
            #expect(made.status == 303 && made.location?.hasPrefix("/console/cases/") == true)
            #expect(try await f.store.count(CaseQuery()) == 1)
            // The sign-in form needs its own token too (a cookie set with the form).
            let fresh = browser()
            let noToken = try await fresh.post("/console/login", ["username": "zhao_min", "password": Self.password])
            #expect(noToken.status == 403)
        }
    }

    @Test("what each person sees: the phone masked without personal_data, only their unit's cases, only their own steps")
    func scopeAndMasking() async throws {
        let f = try await Self.fixture()
        try await run(f) { browser in
            let clerk = browser()
            _ = try await clerk.signIn("zhao_min", Self.password)
            let form = try await clerk.get("/console/intake")
            let made = try await clerk.post("/console/intake", [
                "csrf": form.csrf!, "channel": "phone", "kind": "complaint", "complainant_type": "retailer",
                "description": "<script>alert(1)</script><img src=x onerror=alert(2)> 送货晚了", "complainant_phone": "13812345678", "complainant_name": "张三",
            ])
            let number = String(try #require(made.location).split(separator: "/").last!.split(separator: "?")[0])
            let page = try await clerk.get("/console/cases/\(number)")
            #expect(page.text(id: "field-complainant_phone") == "13812345678")
            // The clerk finds it by the phone written any way.
            #expect(try await clerk.get("/console/?q=%2B86%20138-1234-5678").has(#"data-case="\#(number)""#))
            // The description renders as text: no live script or image tag.
            #expect(!page.has("<script>alert") && !page.has("<img src=x"))
            #expect(page.has("&lt;script&gt;alert(1)&lt;/script&gt;"))
            #expect(page.has(#"data-transition="substantiate""#))
            #expect(try await clerk.act(number, "substantiate", ["substantiated": "yes", "category": "marketing_service", "level": "general"]).status == 303)

            let head = browser()
            _ = try await head.signIn("qian_jin", Self.password)
            let approvals = try await head.get("/console/approvals")
            #expect(approvals.has(#"data-case="\#(number)""#))
            #expect(try await head.act(number, "approve_dispatch").status == 303)

            let liaison = browser()
            _ = try await liaison.signIn("li_na", Self.password)
            let seen = try await liaison.get("/console/cases/\(number)")
            #expect(seen.text(id: "case-state") == "已派单")
            #expect(seen.text(id: "field-complainant_phone") == "138****5678")
            #expect(seen.has(#"data-transition="accept""#))
            #expect(!seen.has(#"data-transition="transfer""#), "transfer is the center's step")
            let queue = try await liaison.get("/console/")
            #expect(queue.has(#"data-case="\#(number)""#))
            // Searching a case number opens the case; a phone-like search is not a phone search for her (no personal_data).
            #expect(try await liaison.get("/console/?q=\(number)").location == "/console/cases/\(number)")
            #expect(!(try await liaison.get("/console/?q=13812345678")).has(#"data-case="\#(number)""#))
            // A step she may not take: no form, and a forged post is refused.
            #expect(try await liaison.get("/console/cases/\(number)/act/transfer").status == 403)
            let forged = try await liaison.post("/console/cases/\(number)/act/transfer", ["csrf": seen.csrf!, "expected_version": seen.version ?? "0", "handling_unit": "county_a", "review_comment": "x"])
            #expect(forged.status == 403)
            #expect(try await liaison.act(number, "accept", ["assignee": "wang_lei"]).status == 303)
            // Assigned to wang_lei, the answer is his job: no longer on her 我的待办, still on 本单位待办.
            #expect(!(try await liaison.get("/console/")).has(#"data-case="\#(number)""#))
            #expect(try await liaison.get("/console/?scope=unit").has(#"data-case="\#(number)""#))
            let handler = browser()
            _ = try await handler.signIn("wang_lei", Self.password)
            #expect(try await handler.get("/console/").has(#"data-case="\#(number)""#))
            // The pack's multiline fields (处理过程) get a text area, its short ones (经手人员) a line.
            let answerForm = try await handler.get("/console/cases/\(number)/act/answer")
            #expect(answerForm.has(#"<textarea id="field-process""#) && answerForm.has(#"<input id="field-handled_by""#))
            #expect(try await handler.act(number, "answer", ["handled_by": "wang_lei", "handled_at": "2026-10-12T15:00", "process": "核实", "result": "已补送"]).status == 303)
            // The review is the unit head's own step: on his list although the case is assigned to wang_lei.
            let unitHead = browser()
            _ = try await unitHead.signIn("chen_gang", Self.password)
            #expect(try await unitHead.get("/console/").has(#"data-case="\#(number)""#))
            #expect(try await unitHead.act(number, "approve_answer").status == 303)
            // The call back is the clerk's: on her list, assigned or not.
            #expect(try await clerk.get("/console/").has(#"data-case="\#(number)""#))

            // Another unit's liaison cannot open the case.
            let other = browser()
            _ = try await other.signIn("ma_lin", Self.password)
            #expect(try await other.get("/console/cases/\(number)").status == 403)
            #expect(!(try await other.get("/console/")).has(#"data-case="\#(number)""#))
        }
    }

    @Test("a repeat caller: the intake form and the case page list earlier cases from the same phone, for personal_data readers only")
    func repeatCaller() async throws {
        let f = try await Self.fixture(people: ["zhao_min", "li_na"])
        try await run(f) { browser in
            let clerk = browser()
            _ = try await clerk.signIn("zhao_min", Self.password)
            var form = try await clerk.get("/console/intake")
            let first = try await clerk.post("/console/intake", [
                "csrf": form.csrf!, "channel": "phone", "kind": "complaint", "complainant_type": "retailer",
                "description": "送货晚了", "complainant_phone": "13812345678",
            ])
            let number = String(try #require(first.location).split(separator: "/").last!.split(separator: "?")[0])
            f.clock.set(f.clock.now.addingTimeInterval(3 * 86400))
            _ = try await clerk.signIn("zhao_min", Self.password)   // three days idle: signed out meanwhile
            form = try await clerk.get("/console/intake")
            // The same phone written another way, before registering: the hint shows the earlier case.
            let hint = try await clerk.post("/console/intake", [
                "csrf": form.csrf!, "channel": "phone", "kind": "complaint", "complainant_type": "retailer",
                "description": "又一次送货晚了", "complainant_phone": "+86 138-1234-5678", "propose": "1",
            ])
            #expect(hint.status == 200 && hint.has(#"id="repeat-callers""#) && hint.has(number))
            #expect(try await f.store.count(CaseQuery()) == 1, "proposing registers nothing")
            let second = try await clerk.post("/console/intake", [
                "csrf": form.csrf!, "channel": "phone", "kind": "complaint", "complainant_type": "retailer",
                "description": "又一次送货晚了", "complainant_phone": "+86 138-1234-5678",
            ])
            let page = try await clerk.get(try #require(second.location))
            #expect(page.has(#"id="repeat-callers""#) && page.has(#"href="/console/cases/\#(number)""#))
        }
    }

    @Test("a refused form says in Chinese which field, keeps what was typed and writes nothing")
    func refusalsInChinese() async throws {
        let f = try await Self.fixture(people: ["zhao_min"])
        try await run(f) { browser in
            let clerk = browser()
            _ = try await clerk.signIn("zhao_min", Self.password)
            let form = try await clerk.get("/console/intake")
            let missing = try await clerk.post("/console/intake", [
                "csrf": form.csrf!, "channel": "phone", "kind": "complaint", "complainant_type": "retailer", "subject": "送货",
            ])
            #expect(missing.status == 422)
            #expect(missing.has("请填写“"), "names the missing field")
            #expect(missing.has(#"value="送货""#), "keeps what was typed")
            // The complaint's text gets a text area; a short built-in field a line.
            #expect(form.has(#"<textarea id="field-description""#) && form.has(#"<input id="field-subject""#))
            let wrong = try await clerk.post("/console/intake", [
                "csrf": form.csrf!, "channel": "fax", "kind": "complaint", "complainant_type": "retailer", "description": "送货晚了",
            ])
            #expect(wrong.status == 422 && wrong.has("无效") && wrong.has("可选："))
            #expect(try await f.store.count(CaseQuery()) == 0)
        }
    }

    @Test("申请延期: the handler asks for more time, the center head sees the request and declines or grants it")
    func extensionRequests() async throws {
        let f = try await Self.fixture(people: ["zhao_min", "qian_jin", "li_na", "wang_lei"])
        try await run(f) { browser in
            func signedIn(_ who: String) async throws -> Browser {
                let b = browser()
                _ = try await b.signIn(who, Self.password)
                return b
            }
            let clerk = try await signedIn("zhao_min")
            let form = try await clerk.get("/console/intake")
            let made = try await clerk.post("/console/intake", [
                "csrf": form.csrf!, "channel": "phone", "kind": "complaint", "complainant_type": "retailer", "description": "送货晚了",
            ])
            let number = String(try #require(made.location).split(separator: "/").last!.split(separator: "?")[0])
            _ = try await clerk.act(number, "substantiate", ["substantiated": "yes", "category": "marketing_service", "level": "general"])
            let head = try await signedIn("qian_jin")
            _ = try await head.act(number, "approve_dispatch")
            _ = try await (try await signedIn("li_na")).act(number, "accept", ["assignee": "wang_lei"])

            let handler = try await signedIn("wang_lei")
            var page = try await handler.get("/console/cases/\(number)")
            #expect(page.has(#"id="request-answer""#), "the handler may ask")
            #expect(!page.has(#"id="extend-answer""#), "but not grant")
            let asked = try await handler.post("/console/cases/\(number)/extension-requests",
                                               ["csrf": page.csrf!, "expected_version": page.version!, "clock": "answer", "days": "2", "reason": "需到现场核实"])
            #expect(asked.status == 303)
            page = try await handler.get("/console/cases/\(number)")
            #expect(page.has("申请延期 2个工作日") && !page.has(#"id="request-answer""#), "one request at a time")

            var approver = try await head.get("/console/cases/\(number)")
            #expect(approver.has("需到现场核实") && approver.has(#"id="decline-answer""#) && approver.has(#"id="extend-answer""#))
            let declined = try await head.post("/console/cases/\(number)/extension-requests/decline",
                                               ["csrf": approver.csrf!, "expected_version": approver.version!, "clock": "answer", "reason": "时限内可以完成"])
            #expect(declined.status == 303)
            approver = try await head.get("/console/cases/\(number)")
            #expect(!approver.has(#"id="decline-answer""#) && approver.has("不批准延期"))

            page = try await handler.get("/console/cases/\(number)")
            _ = try await handler.post("/console/cases/\(number)/extension-requests",
                                       ["csrf": page.csrf!, "expected_version": page.version!, "clock": "answer", "days": "2", "reason": "客户出差"])
            let before = try #require(try await f.api.rules.engine.history(number).0.clocks["answer"]?.dueAt)
            approver = try await head.get("/console/cases/\(number)")
            let granted = try await head.post("/console/cases/\(number)/extensions",
                                              ["csrf": approver.csrf!, "expected_version": approver.version!, "clock": "answer", "days": "2", "reason": "同意"])
            #expect(granted.status == 303)
            let state = try await f.api.rules.engine.history(number).0
            #expect(state.clocks["answer"]!.dueAt > before)
            #expect(state.clocks["answer"]!.pendingRequest == nil, "the grant settles the request")
        }
    }

    @Test("a queue longer than its window shows the earliest due and says there are more, rather than a wrong total")
    func queueWindow() async throws {
        let f = try await Self.fixture(people: ["zhao_min"])
        for i in 0..<3 {
            _ = try await f.api.rules.engine.intake(fields: ["channel": "phone", "kind": "complaint", "complainant_type": "retailer",
                                                             "description": "送货晚了 \(i)"], by: "zhao_min", at: f.clock.now)
        }
        var settings = f.api.settings
        settings.console.queueWindow = 2
        let small = KesuAPI(rules: f.api.rules, settings: settings, logger: f.api.logger, now: f.api.now)
        try await Application(router: small.router(), logger: small.logger).test(.router) { client in
            let b = Browser(client)
            _ = try await b.signIn("zhao_min", Self.password)
            let page = try await b.get("/console/")
            #expect(page.html.components(separatedBy: "data-case=").count - 1 == 2)
            #expect(page.has("显示最早到期的 2 件（符合条件的案件更多"))
        }
        try await run(f) { browser in
            let b = browser()
            _ = try await b.signIn("zhao_min", Self.password)
            let page = try await b.get("/console/")
            #expect(page.html.components(separatedBy: "data-case=").count - 1 == 3)
            #expect(page.has("共 3 件"))
        }
    }
}
