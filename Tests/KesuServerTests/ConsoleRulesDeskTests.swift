import Foundation
import KesuKernel
import KesuServer
import Testing

/// 规则: the administrator reads the pack in force and tries a complaint; nobody else may.
@Suite("web console: the rules desk (the pack in force, 试算)")
struct ConsoleRulesDeskTests {
    let password = ConsoleTests.password

    func run(_ body: @escaping @Sendable (ServerFixture, Browser, Browser) async throws -> Void) async throws {
        let f = try await ConsoleTests.fixture(people: ["wu_jing", "zhao_min", "qian_jin"])
        try await f.app.test(.router) { client in
            let admin = Browser(client), clerk = Browser(client)
            _ = try await admin.signIn("wu_jing", password)
            _ = try await clerk.signIn("zhao_min", password)
            try await body(f, admin, clerk)
        }
    }

    /// The rows of `table#routing` in order, by their `data-rule`.
    static func routingRows(_ html: String) -> [String] {
        let table = html.range(of: #"<table id="routing">[\s\S]*?</table>"#, options: .regularExpression).map { String(html[$0]) } ?? ""
        return table.matches(of: /<tr data-rule="([^"]+)"/).map { String($0.1) }
    }

    @Test("the overview names the pack, its version and load time, and links every page of the desk")
    func overview() async throws {
        try await run { f, admin, _ in
            let page = try await admin.get("/console/rules")
            #expect(page.status == 200)
            #expect(page.text(id: "pack-name") == "州烟草专卖局(公司)客户投诉管理实施办法")
            let version = f.api.rules.info.version
            #expect(page.text(id: "pack-version") == String(version.prefix(12)))
            #expect(page.text(id: "loaded-at") == "2026年10月12日 09:00")
            #expect(page.has(#"<nav class="subnav" aria-label="规则">"#))
            for href in ["organisation", "categories", "routing", "clocks", "calendar", "try", "changes", "history"] {
                #expect(page.has(#"href="/console/rules/\#(href)""#), "links \(href)")
            }
            #expect(page.has(#"<a href="/console/rules" aria-current="page">规则</a>"#), "the main menu marks 规则")
        }
    }

    @Test("the overview lists the warnings the pack loaded with, each with its file:line")
    func overviewWarnings() async throws {
        // A copy of the pack with a row that can never match (an earlier row takes all its cases).
        let root = try Paths.temp("kesu-desk").appendingPathComponent("rules")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        for name in ["tobacco-prefecture", "calendars"] {
            try FileManager.default.copyItem(atPath: Paths.pack(name), toPath: root.appendingPathComponent(name).path)
        }
        let routing = root.appendingPathComponent("tobacco-prefecture/routing.yaml")
        let text = try String(contentsOf: routing, encoding: .utf8)
        try text.replacingOccurrences(of: "  - id: R6-fallback", with: "  - {id: R7-never, when: {category: e_settlement}, unit: finance}\n  - id: R6-fallback")
            .write(to: routing, atomically: true, encoding: .utf8)
        let f = try await ServerFixture.make(pack: root.appendingPathComponent("tobacco-prefecture").path, at: "2026-10-12T09:00:00+08:00")
        try await Logins(store: f.store).add(username: "wu_jing", person: "wu_jing", password: password, pack: f.api.rules.engine.pack,
                                             by: "test", at: f.clock.now)
        try await f.app.test(.router) { client in
            let admin = Browser(client)
            _ = try await admin.signIn("wu_jing", password)
            let page = try await admin.get("/console/rules")
            #expect(page.status == 200 && !page.has(#"id="no-warnings""#))
            let warnings = try #require(page.html.range(of: #"<ul id="warnings"[\s\S]*?</ul>"#, options: .regularExpression).map { String(page.html[$0]) })
            #expect(warnings.contains("R7-never") && warnings.contains("routing.yaml:39"))
        }
    }

    @Test("organisation: units with their liaison and head by name, people, and what each role may do")
    func organisation() async throws {
        try await run { _, admin, _ in
            let page = try await admin.get("/console/rules/organisation")
            #expect(page.status == 200)
            let html = page.html
            #expect(html.contains(#"<tr data-unit="enterprise_mgmt"><th scope="row">企业管理科</th><td>是</td><td>周红</td><td>钱进</td>"#))
            #expect(html.contains(#"<tr data-unit="marketing_center"><th scope="row">卷烟营销中心</th><td>否</td><td>李娜</td><td>陈刚</td>"#))
            #expect(html.contains(#"<tr data-person="wang_lei"><th scope="row">王磊</th><td>卷烟营销中心</td><td>承办人</td></tr>"#))
            let admin = try #require(Self.row(html, #"data-role="center_admin""#))
            #expect(admin.contains("管理规则与账号") && admin.contains("查看考核、处罚与报告") && admin.contains("吴静"))
            let clerk = try #require(Self.row(html, #"data-role="clerk""#))
            #expect(clerk.contains("查看客户个人信息") && clerk.contains("<td>可以</td>") && clerk.contains("全部案件"))
            let handler = try #require(Self.row(html, #"data-role="handler""#))
            #expect(handler.contains("本单位承办的案件") && handler.contains("<td>不可以</td>"))
            let auditor = try #require(Self.row(html, #"data-role="auditor""#))
            #expect(auditor.contains("<td>是</td>") && auditor.contains("<td>—</td>"), "a read-only role takes no step")
        }
    }

    static func row(_ html: String, _ marker: String) -> String? {
        guard let start = html.range(of: "<tr " + marker) else { return nil }
        guard let end = html.range(of: "</tr>", range: start.upperBound..<html.endIndex) else { return nil }
        return String(html[start.lowerBound..<end.upperBound])
    }

    @Test("categories with their keywords, and the regions with the unit each routes to")
    func categories() async throws {
        try await run { _, admin, _ in
            let page = try await admin.get("/console/rules/categories")
            #expect(page.status == 200)
            let logistics = try #require(Self.row(page.html, #"data-category="logistics_service""#))
            #expect(logistics.contains("<li>霉变</li>") && logistics.contains("classification.yaml:"))
            #expect(Self.row(page.html, #"data-category="other""#)?.contains("（无，需手动选择）") == true)
            #expect(Self.row(page.html, #"data-region="city""#)?.contains("（无所属单位）") == true)
            #expect(Self.row(page.html, #"data-region="county_a""#)?.contains("甲县烟草专卖局(分公司)(产烟县)") == true)
        }
    }

    @Test("routing: the table's rows in order, conditions in words, the unit, file:line, the fallback marked")
    func routing() async throws {
        try await run { _, admin, _ in
            let page = try await admin.get("/console/rules/routing")
            #expect(page.status == 200)
            #expect(page.has("第一条符合的规则生效"))
            #expect(Self.routingRows(page.html) == [
                "R1a-marketing-county", "R1b-marketing", "R2a-logistics-county", "R2b-logistics", "R3-license-county",
                "R4a-settlement-county", "R4b-settlement", "R5-leaf-county", "R6-fallback",
            ])
            let first = try #require(Self.row(page.html, #"data-rule="R1a-marketing-county""#))
            #expect(first.contains("分类为“客户经理、电话订货员服务及货源供应、卷烟价格”，且区域为“甲县”、“乙县”之一"))
            #expect(first.contains("案件所在区域的单位（甲县→甲县烟草专卖局(分公司)(产烟县)"))
            #expect(first.contains("routing.yaml:7"))
            let fallback = try #require(Self.row(page.html, #"data-rule="R6-fallback" class="fallback""#))
            #expect(fallback.contains("兜底") && fallback.contains("其余所有情况") && fallback.contains("企业管理科") && fallback.contains("routing.yaml:39"))
        }
    }

    @Test("clocks: what starts and stops each, its limit, the ladder's steps; scoring and penalties")
    func clocks() async throws {
        try await run { _, admin, _ in
            let page = try await admin.get("/console/rules/clocks")
            #expect(page.status == 200)
            let html = page.html
            #expect(html.contains("承办答复时限") && html.contains("3个工作日，第3个工作日下班时（18:00）到期"))
            #expect(html.contains("4个工作小时"))
            #expect(html.contains("仅当渠道为“省局(公司)客户投诉中心派单”时计时"))
            #expect(html.contains("<th scope=\"row\">逾期后8个工作小时</th><td>升级至企业管理科负责人、主管领导，记违规“拖延推诿”</td>"))
            #expect(html.contains("<th scope=\"row\">时限过半时</th><td>提醒督察考评员、承办人</td>"))
            #expect(html.contains("可延期：由企业管理科负责人批准，每次计时最多 1 次，每次最多2个工作日"))
            #expect(html.contains("clocks.yaml:"))
            #expect(html.contains(#"<tr data-rule="S6b-fault-important">"#) && html.contains("4（被投诉人）"))
            #expect(html.contains("<li>口头警告</li>") && html.contains("≥ 3"))
        }
    }

    @Test("calendar: twelve months, 国庆节 as holidays, the 调休 Saturday, and the warning on a year not officially known")
    func calendar() async throws {
        try await run { _, admin, _ in
            let page = try await admin.get("/console/rules/calendar?year=2026")
            #expect(page.status == 200)
            #expect(page.html.matches(of: /<table class="month"/).count == 12)
            #expect(page.has(#"<td class="holiday" title="国庆节（放假）">1<span class="mark">假</span>"#))
            #expect(page.has(#"<td class="makeup" title="国庆节调休上班">10<span class="mark">班</span>"#))
            #expect(page.has("正式（国务院办公厅通知）") && !page.has("coverage-warning"))
            let draft = try await admin.get("/console/rules/calendar?year=2027")
            #expect(draft.has(#"id="coverage-warning""#) && draft.has("暂定日历：2027年只有法定节假日"))
            let none = try await admin.get("/console/rules/calendar?year=2031")
            #expect(none.has("日历未覆盖：2031年的节假日尚未录入") && none.has("本年没有录入节假日或调休"))
            // Without a year: this year, in the pack's zone.
            #expect(try await admin.get("/console/rules/calendar").has("<h1>工作日历 2026年</h1>"))
            #expect(try await admin.get("/console/rules/calendar?year=abc").status == 400)
        }
    }

    @Test("试算: the route, why each earlier row did not match, each clock's due walk; nothing is written")
    func tryAComplaint() async throws {
        try await run { f, admin, _ in
            let before = try await f.store.count(CaseQuery())
            let form = try await admin.get("/console/rules/try")
            #expect(form.status == 200 && form.has(#"<form id="try""#) && form.has(#"name="at""#) && form.has(#"value="2026-10-12T09:00""#))
            let result = try await admin.post("/console/rules/try", [
                "csrf": form.csrf!, "channel": "provincial", "kind": "complaint", "complainant_type": "retailer",
                "category": "logistics_service", "region": "city", "description": "送货不及时", "at": "2026-09-30T16:00",
            ])
            #expect(result.status == 200)
            let route = try #require(result.html.range(of: #"<p id="route"[\s\S]*?</p>"#, options: .regularExpression).map { String(result.html[$0]) })
            #expect(route.contains("物流中心") && route.contains("R2b-logistics") && route.contains("routing.yaml:"))
            let trace = result.html.matches(of: /<li data-rule="([^"]+)">([^\n]*?)<\/li>/).map { (String($0.1), String($0.2)) }
            #expect(trace.map(\.0) == ["R1a-marketing-county", "R1b-marketing", "R2a-logistics-county"])
            #expect(trace.first?.1.contains("分类是“送货员服务、送货不及时、卷烟质量”，不是“客户经理、电话订货员服务及货源供应、卷烟价格”；区域是“州府城区”，不在“甲县”、“乙县”之中 <span") == true,
                    "a failed region condition already says why the region's unit is no help")
            #expect(trace.last?.1.contains("区域是“州府城区”，不在“甲县”、“乙县”之中") == true)
            // The provincial clock starts at intake: 5 working days over 国庆节 and the 调休 Saturday, due 2026-10-13 18:00.
            #expect(result.has("登记即开始计时，到期：<strong class=\"due-at\">2026年10月13日 18:00</strong>"))
            #expect(result.has("节假日（国庆节）"))
            // The answer clock starts later: its walk is counted from the tried time, said so.
            #expect(result.has("登记时不开始计时，在“审批并派单、重新派单”时开始"))
            #expect(try await f.store.count(CaseQuery()) == before, "a try registers nothing")
            // A value the pack does not know is refused in words, nothing written.
            let bad = try await admin.post("/console/rules/try", ["csrf": form.csrf!, "category": "no_such", "at": "2026-09-30T16:00"])
            #expect(bad.status == 422 && bad.has(#"class="error" role="alert""#))
            let badTime = try await admin.post("/console/rules/try", ["csrf": form.csrf!, "at": "yesterday"])
            #expect(badTime.status == 422 && badTime.has("时间无效"))
            #expect(try await f.store.count(CaseQuery()) == before)
        }
    }

    @Test("people without rules_admin get 403 on every page of the desk, the try included")
    func othersAreRefused() async throws {
        try await run { f, admin, clerk in
            for path in ["", "/organisation", "/categories", "/routing", "/clocks", "/calendar?year=2026", "/try"] {
                let page = try await clerk.get("/console/rules" + path)
                #expect(page.status == 403, "GET /console/rules\(path)")
                #expect(page.has("无权"))
            }
            let home = try await clerk.get("/console/")
            #expect(!home.has(#"href="/console/rules""#), "the menu has no 规则 for a clerk")
            let head = Browser(admin.client)
            _ = try await head.signIn("qian_jin", password)
            #expect(try await head.get("/console/rules/routing").status == 403, "reports without rules_admin is not enough")
            let before = try await f.store.count(CaseQuery())
            let refused = try await clerk.post("/console/rules/try", ["csrf": home.csrf!, "category": "logistics_service"])
            #expect(refused.status == 403)
            #expect(try await f.store.count(CaseQuery()) == before)
        }
    }
}
