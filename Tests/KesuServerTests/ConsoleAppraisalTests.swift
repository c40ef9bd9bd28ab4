import Foundation
import KesuKernel
import KesuRendering
import KesuServer
import KesuViews
import KesuYAML
import Testing

/// 考核: the scores page and its drill-down, the downloads, 报送 and the 台账, as the appraisal office uses them.
@Suite("web console: 考核 (scores, report duties, the case register)")
struct ConsoleAppraisalTests {
    static let people = ["qian_jin", "deng_qing", "wu_jing", "li_na", "ma_lin", "zhao_min"]

    /// The pack's demo case (YC-2026-000001, county_a, deductions in October 2026), the clock in December.
    static func fixture() async throws -> ServerFixture {
        let f = try await ConsoleTests.fixture(people: people)
        let scenario = try ScenarioLoader.load(path: Paths.pack("tobacco-prefecture") + "/scenarios/demo.yaml")
        let results = try await f.api.rules.engine.run(scenario)
        #expect(results.allSatisfy { $0.failures.isEmpty })
        f.clock.set(ISO8601.parse("2026-12-07T10:00:00+08:00")!)
        return f
    }

    func run(_ f: ServerFixture, _ body: @escaping @Sendable (@Sendable () -> Browser) async throws -> Void) async throws {
        try await ConsoleTests().run(f, body)
    }

    /// The HTML of the table row with this id.
    static func row(_ html: String, _ id: String) -> String? {
        guard let start = html.range(of: #"id="\#(id)""#) else { return nil }
        guard let end = html.range(of: "</tr>", range: start.upperBound..<html.endIndex) else { return nil }
        return String(html[start.lowerBound..<end.lowerBound])
    }

    /// The texts of a row's `<td>` cells.
    static func cells(_ row: String) -> [String] {
        let regex = try! NSRegularExpression(pattern: #"<td[^>]*>([^<]*)</td>"#)
        return regex.matches(in: row, range: NSRange(row.startIndex..., in: row)).map { String(row[Range($0.range(at: 1), in: row)!]) }
    }

    @Test("the scores page shows the same figures as ScoreExport for the period, by unit and by person")
    func figuresMatchTheExport() async throws {
        let f = try await Self.fixture()
        let engine = f.api.rules.engine
        try await run(f) { browser in
            let b = browser()
            #expect(try await b.signIn("qian_jin", ConsoleTests.password).status == 303)
            let page = try await b.get("/console/scores")
            #expect(page.status == 200)
            #expect(page.has("<h1>考核得分 · 2026年第4季度</h1>"), "the current quarter by default")
            #expect(page.has(#"<nav class="submenu" aria-label="考核">"#))
            #expect(page.has(#"id="download-csv""#) && page.has(#"id="download-xlsx""#))
            for by in [ScoreSubject.Kind.unit, .person] {
                let html = by == .unit ? page.html : try await b.get("/console/scores?period=2026Q4&by=person").html
                let export = try await engine.scoreExport(period: try Period.parse("2026Q4", calendar: engine.planner.calendar), by: by)
                let table = export.summaryTable
                let shown = table.columns.indices.filter { !["id", "name", "unit", "baseline", "recommendation", "threshold"].contains(table.columns[$0].key) }
                for (r, values) in zip(export.rows, table.rows) {
                    let row = try #require(Self.row(html, "subject-\(r.subject.id)"), "a row for \(r.subject.id)")
                    #expect(row.contains(">\(r.name)</a>"))
                    let expected = shown.map { i -> String in
                        switch values[i] {
                        case let .rate(x?): String(format: "%.1f%%", x * 100)
                        case .rate(nil), .none: "—"
                        case let .text(s): s
                        case let .integer(n): String(n)
                        case let .decimal(x): ScoreExport.number(x)
                        case .dateTime: ""
                        }
                    }
                    #expect(Self.cells(row) == expected, "\(r.subject.id)")
                }
            }
            let county = try #require(Self.row(page.html, "subject-county_a"))
            #expect(county.contains("97.5") && county.contains("2.5") && county.contains("50.0%"))
            // A month without deductions: everyone at the baseline.
            let sep = try await b.get("/console/scores?period=2026-09")
            #expect(sep.has("2026年9月") && !(Self.row(sep.html, "subject-county_a") ?? "").contains("97.5"))
            #expect(try await b.get("/console/scores?period=2026Q5").status == 400)
        }
    }

    @Test("the drill-down lists each deduction with its rule and the case behind it")
    func drillDown() async throws {
        let f = try await Self.fixture()
        try await run(f) { browser in
            let b = browser()
            _ = try await b.signIn("deng_qing", ConsoleTests.password)
            let page = try await b.get("/console/scores")
            #expect(page.has(#"href="/console/scores/unit/county_a?period=2026Q4""#))
            let detail = try await b.get("/console/scores/unit/county_a?period=2026Q4")
            #expect(detail.status == 200)
            #expect(detail.has("甲县烟草专卖局(分公司)(产烟县) · 2026年第4季度扣分明细"))
            for rule in ["S7-unsatisfied-callback", "S2-late-answer", "S6a-fault-general"] { #expect(detail.has(rule)) }
            #expect(detail.has("未按时处理") && detail.has("2026年10月15日 18:00") && detail.has("−1"))
            #expect(detail.has(#"<a href="/console/cases/YC-2026-000001">YC-2026-000001</a>"#))
            let person = try await b.get("/console/scores/person/gao_peng?period=2026Q4")
            #expect(person.status == 200 && person.has("高鹏") && person.has("S2-late-answer") && person.has("所属单位"))
            let none = try await b.get("/console/scores/unit/finance?period=2026Q4")
            #expect(none.status == 200 && none.has("本期没有扣分"))
            #expect(try await b.get("/console/scores/unit/nobody?period=2026Q4").status == 404)
        }
    }

    @Test("CSV and XLSX downloads are the bytes `kesu scores` writes, as attachments with a Chinese file name")
    func downloads() async throws {
        let f = try await Self.fixture()
        let engine = f.api.rules.engine
        let export = try await engine.scoreExport(period: try Period.parse("2026Q4", calendar: engine.planner.calendar), by: .unit)
        try await run(f) { browser in
            let b = browser()
            _ = try await b.signIn("wu_jing", ConsoleTests.password)
            let csv = try await b.get("/console/scores/download?period=2026Q4&by=unit&format=csv")
            #expect(csv.status == 200)
            #expect(csv.headers[.contentType] == "text/csv; charset=utf-8")
            let disposition = csv.headers[.contentDisposition] ?? ""
            #expect(disposition.hasPrefix("attachment;"))
            #expect(disposition.contains("filename*=UTF-8''" + "考核得分-2026Q4-按单位.csv".addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-.")))!))
            #expect(csv.bytes == export.csvCombined(lang: .zh))

            let xlsx = try await b.get("/console/scores/download?period=2026Q4&by=unit&format=xlsx")
            #expect(xlsx.status == 200)
            #expect(xlsx.headers[.contentType] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
            #expect(Array(xlsx.bytes.prefix(2)) == [0x50, 0x4B], "a zip")
            let path = try Paths.temp("kesu-appraisal").appendingPathComponent("q4.xlsx")
            try xlsx.bytes.write(to: path)
            let out = try XLSXReader.read(path.path)
            #expect(out["sheets"] as? [String] == ["汇总", "明细"])
            let rows = out["汇总"] as? [[Any]] ?? []
            #expect((rows.first as? [String])?.prefix(5) == ["单位编号", "单位名称", "基础分", "扣分合计", "得分"])
            #expect(rows.dropFirst().map { $0[0] as? String ?? "" } == export.rows.map(\.subject.id))
            #expect(rows.dropFirst().map { ($0[3] as? NSNumber)?.doubleValue ?? -1 } == export.rows.map(\.deducted))
            let items = out["明细"] as? [[Any]] ?? []
            #expect(items.dropFirst().map { $0[2] as? String ?? "" } == export.items.map(\.caseNumber))
        }
    }

    @Test("people without `reports` get 403 on every 考核 page; the menu shows 考核 only to those with it")
    func refusals() async throws {
        let f = try await Self.fixture()
        try await run(f) { browser in
            let b = browser()
            _ = try await b.signIn("li_na", ConsoleTests.password)
            #expect(!(try await b.get("/console/").has(#"href="/console/scores""#)))
            for path in ["/console/scores", "/console/scores/unit/county_a?period=2026Q4", "/console/scores/download?format=csv",
                         "/console/scores/duties", "/console/scores/register?from=2026-09-01&until=2026-12-31&format=csv"] {
                let p = try await b.get(path)
                #expect(p.status == 403, "\(path)")
                #expect(p.has("无权操作"), "\(path)")
            }
        }
    }

    @Test("报送: every unit's duties with due time and status; the center's people record a submission, once; the auditor cannot")
    func duties() async throws {
        let f = try await Self.fixture()
        try await run(f) { browser in
            let b = browser()
            _ = try await b.signIn("qian_jin", ConsoleTests.password)
            let page = try await b.get("/console/scores/duties?quarter=2026Q4")
            #expect(page.status == 200)
            #expect(page.has("<h1>报送 · 2026年第4季度</h1>"))
            #expect(page.has("《客户期望分析报告》") && page.has("卷烟营销中心") && page.has("2026年12月15日 18:00"))
            #expect(page.has(#"id="submit-quarterly_summary-enterprise_mgmt""#), "the center's own report: a form")
            #expect(!page.has(#"id="submit-expectation_analysis-county_a""#), "another unit's: none")
            // A post without the token changes nothing.
            let forged = try await b.post("/console/scores/duties", ["quarter": "2026Q4", "report": "quarterly_summary"])
            #expect(forged.status == 403)
            // Another unit's report is refused, on the page, and nothing is recorded.
            let other = try await b.post("/console/scores/duties", ["csrf": page.csrf!, "quarter": "2026Q4", "report": "expectation_analysis", "unit": "county_a"])
            #expect(other.status == 403 && other.has(#"role="alert""#) && other.has("只有本单位的人员可以登记本单位的报送"))
            #expect(try await f.api.rules.engine.reportDuties(quarter: try Period.parse("2026Q4", calendar: f.api.rules.engine.planner.calendar))
                .allSatisfy { $0.submittedAt == nil })
            let done = try await b.post("/console/scores/duties", ["csrf": page.csrf!, "quarter": "2026Q4", "report": "quarterly_summary", "note": "已送州局"])
            #expect(done.status == 303 && done.location == "/console/scores/duties?quarter=2026Q4&done=submitted")
            let after = try await b.get(done.location!)
            #expect(after.has("已登记报送") && after.has("钱进") && after.has("已送州局") && after.has("2026年12月7日 10:00"))
            #expect(!after.has(#"id="submit-quarterly_summary-enterprise_mgmt""#), "submitted: no form")
            let again = try await b.post("/console/scores/duties", ["csrf": page.csrf!, "quarter": "2026Q4", "report": "quarterly_summary"])
            #expect(again.status == 409 && again.has("不能重复登记"))
            // Past the due time an unsubmitted duty is late.
            f.clock.set(ISO8601.parse("2026-12-21T09:00:00+08:00")!)
            let later = browser()
            _ = try await later.signIn("qian_jin", ConsoleTests.password)
            let late = try await later.get("/console/scores/duties?quarter=2026Q4")
            #expect(late.has("逾期未报") && late.has(#"class="status overdue""#))

            let auditor = browser()
            _ = try await auditor.signIn("deng_qing", ConsoleTests.password)
            let read = try await auditor.get("/console/scores/duties?quarter=2026Q4")
            #expect(read.status == 200 && !read.has(#"id="submit-complaint_bulletin-enterprise_mgmt""#), "read-only: no form")
            let refused = try await auditor.post("/console/scores/duties", ["csrf": read.csrf!, "quarter": "2026Q4", "report": "complaint_bulletin"])
            #expect(refused.status == 403 && refused.has("只能查看"))
            let duties = try await f.api.rules.engine.reportDuties(quarter: try Period.parse("2026Q4", calendar: f.api.rules.engine.planner.calendar))
            #expect(duties.filter { $0.submittedAt != nil }.map(\.reportID) == ["quarterly_summary"])
        }
    }

    @Test("台账: one row per case opened in the window, the phone masked without personal_data, as CSV and XLSX")
    func register() async throws {
        let f = try await Self.fixture()
        try await run(f) { browser in
            let b = browser()
            _ = try await b.signIn("wu_jing", ConsoleTests.password)
            let form = try await b.get("/console/scores/register")
            #expect(form.status == 200 && form.has(#"id="register""#) && form.has("姓名和电话已遮蔽"))
            let bad = try await b.get("/console/scores/register?from=2026-12-31&until=2026-10-01&format=csv")
            #expect(bad.status == 400 && bad.has(#"role="alert""#))
            let csv = try await b.get("/console/scores/register?from=2026-09-01&until=2026-12-31&format=csv")
            #expect(csv.status == 200 && csv.headers[.contentType] == "text/csv; charset=utf-8")
            #expect((csv.headers[.contentDisposition] ?? "").contains("filename*=UTF-8''%E5%8F%B0%E8%B4%A6-2026-09-01"))
            #expect(Array(csv.bytes.prefix(3)) == [0xEF, 0xBB, 0xBF])
            let lines = csv.html.dropFirst().split(separator: "\r\n").map(String.init)
            try #require(lines.count == 2, "the header and the demo case")
            let header = lines[0].split(separator: ",").map(String.init)
            #expect(header.prefix(4) == ["案件编号", "登记时间", "渠道", "类型"])
            #expect(header.contains("承办答复时限是否按时") && header.contains("回访满意度"))
            let row = lines[1].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            #expect(row[0] == "YC-2026-000001")
            #expect(row[header.firstIndex(of: "承办答复时限是否按时")!] == "逾期")
            #expect(row[header.firstIndex(of: "回访满意度")!] == "满意")
            #expect(row[header.firstIndex(of: "状态")!] == "已办结")
            let phone = row[header.firstIndex(of: "联系电话")!]
            #expect(phone.contains("****"), "wu_jing has no personal_data: \(phone)")
            // Outside the window: no case.
            let empty = try await b.get("/console/scores/register?from=2026-11-01&until=2026-11-30&format=csv")
            #expect(empty.html.dropFirst().split(separator: "\r\n").count == 1)

            let clear = browser()
            _ = try await clear.signIn("qian_jin", ConsoleTests.password)
            let unmasked = try await clear.get("/console/scores/register?from=2026-09-01&until=2026-12-31&format=csv")
            #expect(!unmasked.html.contains("****"), "the center head has personal_data")
            // The unmasked register is in the personal-data view log, case by case; wu_jing's masked one is not.
            let viewLog = PersonalDataViews(store: f.store)
            let logged = try await viewLog.list(from: f.clock.now.addingTimeInterval(-86_400), to: f.clock.now)
            #expect(logged.map(\.person) == ["qian_jin"] && logged.first?.caseNumber == "YC-2026-000001" && logged.first?.channel == .console)
            let xlsx = try await clear.get("/console/scores/register?from=2026-09-01&until=2026-12-31&format=xlsx")
            #expect(xlsx.headers[.contentType] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
            let path = try Paths.temp("kesu-register").appendingPathComponent("r.xlsx")
            try xlsx.bytes.write(to: path)
            let out = try XLSXReader.read(path.path)
            #expect(out["sheets"] as? [String] == ["台账"])
            let rows = out["台账"] as? [[Any]] ?? []
            #expect(rows.count == 2)
            #expect(rows.last?.first as? String == "YC-2026-000001")
        }
    }
}

@Suite("API: GET /v1/register")
struct RegisterAPITests {
    @Test("the register over the API: the console's bytes, masked without personal_data, refused without reports")
    func register() async throws {
        let f = try await ConsoleAppraisalTests.fixture()
        let engine = f.api.rules.engine
        let window = try CaseRegister.window(from: "2026-09-01", until: "2026-12-31", calendar: engine.planner.calendar)
        try await f.test { client in
            let csv = try await client.call(.get, "/v1/register?from=2026-09-01&until=2026-12-31", as: "wu_jing")
            #expect(csv.status == 200 && csv.headers[.contentType] == "text/csv; charset=utf-8")
            #expect((csv.headers[.contentDisposition] ?? "").hasPrefix("attachment;"))
            let masked = try await CaseRegister.build(engine: engine, from: window.from, until: window.until,
                                                      viewer: engine.pack.principal("wu_jing"), now: f.clock.now)
            #expect(csv.body == masked.sheet(pack: engine.pack).csv)
            #expect(csv.text.contains("138****5678") && !csv.text.contains("13812345678"))
            let clear = try await client.call(.get, "/v1/register?from=2026-09-01&until=2026-12-31", as: "feng_jianguo")
            #expect(clear.text.contains("13812345678"))
            let logged = try await PersonalDataViews(store: f.store).list(from: f.clock.now.addingTimeInterval(-86_400), to: f.clock.now)
            #expect(logged == [PersonalDataView(person: "feng_jianguo", caseNumber: "YC-2026-000001", at: f.clock.now, channel: .api)])
            let xlsx = try await client.call(.get, "/v1/register?from=2026-09-01&until=2026-12-31&format=xlsx", as: "qian_jin")
            #expect(xlsx.status == 200 && Array(xlsx.body.prefix(2)) == [0x50, 0x4B])
            #expect(try await client.call(.get, "/v1/register?from=2026-09-01&until=2026-12-31", as: "li_na").status == 403)
            let bad = try await client.call(.get, "/v1/register?from=2026-09-01&until=2026-02-30", as: "qian_jin")
            #expect(bad.status == 400 && bad.errorField == "?until")
            #expect(try await client.call(.get, "/v1/register?until=2026-12-31", as: "qian_jin").status == 400)
        }
    }
}

/// Reads an .xlsx back with Python's openpyxl (an independent reader): sheet names and each sheet's values.
enum XLSXReader {
    static func exec(_ args: [String]) throws -> (Int32, String, String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3"] + args
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }

    static func read(_ path: String) throws -> [String: Any] {
        if try exec(["-c", "import openpyxl"]).0 != 0 {
            if try exec(["-m", "pip", "install", "--quiet", "openpyxl"]).0 != 0 {
                _ = try exec(["-m", "pip", "install", "--quiet", "--break-system-packages", "openpyxl"])
            }
        }
        let script = """
            import json, sys, openpyxl
            wb = openpyxl.load_workbook(sys.argv[1])
            out = {"sheets": wb.sheetnames}
            for ws in wb.worksheets:
                out[ws.title] = [[c if isinstance(c, (int, float, str)) or c is None else str(c) for c in r] for r in ws.iter_rows(values_only=True)]
            print(json.dumps(out, ensure_ascii=False))
            """
        let (status, out, err) = try exec(["-c", script, path])
        #expect(status == 0, "\(err)")
        return try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: Any] ?? [:]
    }
}
