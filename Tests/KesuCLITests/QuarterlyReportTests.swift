import Foundation
import Testing

/// `kesu report quarterly` on the tobacco pack: one case in 2026Q3 (substantiated, on time,
/// satisfied), two in 2026Q4 after National Day (a grower's complaint answered in time but
/// unsatisfied and re-dispatched; an inquiry answered on the spot).
@Suite struct QuarterlyReportCLITests {
    static func fixture() throws -> KesuCLI {
        let cli = try KesuCLI()
        func run(_ args: [String], _ now: String, _ user: String) throws {
            let r = try cli.run(args, now: now + ":00+08:00", as: user)
            #expect(r.status == 0, "\(args): \(r.stderr)")
        }
        let four = ["--field", "handled_by=承办人", "--field", "handled_at=2026-09-29T09:00:00+08:00", "--field", "process=核实", "--field", "result=已处理"]
        try run(["intake", "--field", "channel=phone", "--field", "kind=complaint", "--field", "complainant_type=retailer",
                 "--field", "category=logistics_service", "--field", "description=送货员送货不及时"], "2026-09-28T09:00", "zhao_min")
        try run(["act", "YC-2026-000001", "substantiate", "--field", "substantiated=yes", "--field", "category=logistics_service",
                 "--field", "level=general"], "2026-09-28T09:10", "zhao_min")
        try run(["act", "YC-2026-000001", "approve_dispatch"], "2026-09-28T10:00", "qian_jin")
        try run(["act", "YC-2026-000001", "accept", "--field", "assignee=zhang_tao"], "2026-09-28T10:30", "liu_yang")
        try run(["act", "YC-2026-000001", "answer", "--field", "fault=ours"] + four, "2026-09-29T09:00", "zhang_tao")
        try run(["act", "YC-2026-000001", "approve_answer"], "2026-09-29T10:00", "huang_wei")
        try run(["act", "YC-2026-000001", "callback", "--field", "satisfaction=satisfied"], "2026-09-30T09:00", "zhao_min")

        try run(["intake", "--field", "channel=visit", "--field", "kind=complaint", "--field", "complainant_type=grower",
                 "--field", "category=leaf_production", "--field", "region=county_a", "--field", "description=烟叶收购压级"],
                "2026-10-09T09:00", "zhao_min")
        try run(["act", "YC-2026-000002", "substantiate", "--field", "substantiated=yes", "--field", "category=leaf_production",
                 "--field", "level=general"], "2026-10-09T09:10", "zhao_min")
        try run(["act", "YC-2026-000002", "approve_dispatch"], "2026-10-09T10:00", "qian_jin")
        try run(["act", "YC-2026-000002", "accept", "--field", "assignee=gao_peng"], "2026-10-09T10:30", "ma_lin")
        try run(["act", "YC-2026-000002", "answer"] + four, "2026-10-12T09:00", "gao_peng")
        try run(["act", "YC-2026-000002", "approve_answer"], "2026-10-12T10:00", "luo_jun")
        try run(["act", "YC-2026-000002", "callback", "--field", "satisfaction=unsatisfied"], "2026-10-13T09:00", "zhao_min")
        try run(["act", "YC-2026-000002", "redispatch"], "2026-10-13T10:00", "zhao_min")

        try run(["intake", "--field", "channel=phone", "--field", "kind=inquiry", "--field", "complainant_type=consumer",
                 "--field", "category=marketing_service", "--field", "description=咨询卷烟价格"], "2026-11-03T09:00", "zhao_min")
        try run(["act", "YC-2026-000003", "answer_on_spot", "--field", "reply=按公示价格"], "2026-11-03T09:20", "zhao_min")
        return cli
    }

    @Test func jsonHTMLAndCSV() throws {
        let cli = try Self.fixture()
        let json = try cli.run(["report", "quarterly", "--period", "2026Q4", "--format", "json"])
        #expect(json.status == 0, "\(json.stderr)")
        let j = json.json
        #expect(j["opened"] as? Int == 2)
        #expect(j["previous_opened"] as? Int == 1)
        let figures = j["figures"] as? [[String: Any]] ?? []
        func figure(_ key: String) -> [String: Any] { figures.first { $0["key"] as? String == key } ?? [:] }
        #expect(figure("on_time_rate")["current"] as? Double == 1)
        #expect(figure("on_time_rate")["change"] as? Double == 0)
        #expect(figure("satisfaction_rate")["current"] as? Double == 0)
        #expect(figure("satisfaction_rate")["change"] as? Double == -100)
        #expect(figure("substantiated")["current"] as? Double == 1)
        #expect(figure("redispatched")["current"] as? Double == 1)
        let breakdowns = j["breakdowns"] as? [[String: Any]] ?? []
        let units = (breakdowns.first { $0["field"] as? String == "handling_unit" }?["lines"] as? [[String: Any]]) ?? []
        func line(_ id: String) -> (Int?, Int?) {
            let l = units.first { $0["id"] as? String == id }
            return (l?["count"] as? Int, l?["previous"] as? Int)
        }
        #expect(line("county_a") == (1, 0))
        #expect(line("marketing_center") == (1, 0))
        #expect(line("logistics_center") == (0, 1))
        let typical = j["typical_cases"] as? [[String: Any]] ?? []
        #expect(typical.map { $0["number"] as? String } == ["YC-2026-000002"])
        #expect(typical.first?["outcomes"] as? [String] == ["unsatisfied_callback"])
        #expect(typical.first?["opened_at"] as? String == "2026-10-09T09:00:00+08:00")
        #expect((j["months"] as? [[String: Any]])?.map { $0["count"] as? Int } == [0, 0, 1, 1, 1, 0])

        let deadlines = j["deadlines"] as? [[String: Any]] ?? []
        #expect(deadlines.map { $0["due"] as? String } == ["2026-12-15", "2026-12-20", "2026-12-20"])
        #expect(deadlines.first?["name"] as? String == "客户期望分析报告")

        let html = try cli.run(["report", "quarterly", "--period", "2026Q4"])
        #expect(html.status == 0)
        #expect(html.stdout.contains("@page"))
        #expect(html.stdout.contains("<svg"))
        #expect(html.stdout.contains("甲县烟草专卖局(分公司)(产烟县)"))
        #expect(html.stdout.contains("卷烟营销中心"))
        #expect(html.stdout.contains("YC-2026-000002"))
        #expect(html.stdout.contains("烟叶收购压级"))

        let file = cli.dir.appendingPathComponent("q4.csv").path
        let csv = try cli.run(["report", "quarterly", "--period", "2026Q4", "--format", "csv", "--out", file])
        #expect(csv.status == 0, "\(csv.stderr)")
        let data = try Data(contentsOf: URL(fileURLWithPath: file))
        #expect(Array(data.prefix(3)) == [0xEF, 0xBB, 0xBF])
        let text = String(decoding: data.dropFirst(3), as: UTF8.self)
        #expect(text.hasPrefix("栏目,项目,本季度,上季度,增减\r\n"))
        #expect(text.contains("\r\n总体,回访满意率,0.0%,100.0%,-100.0 pp\r\n"))
    }

    @Test func reportsDueInTheQuarterOfNow() throws {
        let cli = try KesuCLI()
        let r = try cli.run(["report", "due", "--json"], now: "2026-12-16T09:00:00+08:00")
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.json["period"] as? String == "2026Q4")
        let reports = r.json["reports"] as? [[String: Any]] ?? []
        // Every unit with a 督察考评员 owes the analysis by 12-15; the center owes the summary and the bulletin by 12-20.
        let owed = reports.map { "\($0["report"] as? String ?? "?") \($0["unit"] as? String ?? "?") \($0["status"] as? String ?? "?")" }
        #expect(owed == [
            "expectation_analysis county_a late", "expectation_analysis county_b late", "expectation_analysis finance late",
            "expectation_analysis logistics_center late", "expectation_analysis marketing_center late",
            "complaint_bulletin enterprise_mgmt open", "quarterly_summary enterprise_mgmt open",
        ])
        #expect(reports.first?["due"] as? String == "2026-12-15T18:00:00+08:00")
        let text = try cli.run(["report", "due", "--period", "2026Q3"], now: "2026-09-01T09:00:00+08:00")
        #expect(text.stdout.contains("2026-09-15T18:00:00+08:00  《客户期望分析报告》(expectation_analysis)  甲县烟草专卖局(分公司)(产烟县)(county_a)  未报"))
    }

    @Test func refusals() throws {
        let cli = try KesuCLI()
        let month = try cli.run(["report", "quarterly", "--period", "2026-10", "--json"])
        #expect(month.status != 0)
        #expect(month.stdout.contains("needs a quarter"))
        let xlsx = try cli.run(["report", "quarterly", "--period", "2026Q4", "--format", "xlsx"])
        #expect(xlsx.status != 0)
        #expect(xlsx.stderr.contains("--out"))
        let bad = try cli.run(["report", "quarterly", "--period", "2026Q4", "--format", "pdf"])
        #expect(bad.status != 0)
    }

    @Test func xlsxReadsBackWithOpenpyxl() throws {
        let cli = try Self.fixture()
        let file = cli.dir.appendingPathComponent("q4.xlsx").path
        let r = try cli.run(["report", "quarterly", "--period", "2026Q4", "--format", "xlsx", "--out", file])
        #expect(r.status == 0, "\(r.stderr)")
        let script = """
        import json, subprocess, sys
        try:
            import openpyxl
        except ImportError:
            subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "openpyxl"], check=True)
            import openpyxl
        wb = openpyxl.load_workbook(sys.argv[1])
        out = {"sheets": wb.sheetnames}
        ws = wb["按承办单位"]
        out["units"] = {r[0]: [r[1], r[2], r[3]] for r in ws.iter_rows(min_row=2, values_only=True)}
        ws = wb["总体比率"]
        out["rates"] = {r[0].value: [r[1].value, r[1].number_format, r[3].value] for r in ws.iter_rows(min_row=2)}
        ws = wb["典型案例"]
        out["cases"] = [r[0] for r in ws.iter_rows(min_row=2, values_only=True)]
        print(json.dumps(out, ensure_ascii=False))
        """
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", script, file]
        let pipe = Pipe(), err = Pipe()
        p.standardOutput = pipe
        p.standardError = err
        try p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        let errText = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationStatus == 0, "\(errText)")
        let j = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let sheets = j["sheets"] as? [String] ?? []
        for s in ["总体情况", "总体比率", "按分类", "按承办单位", "各单位", "月度", "典型案例"] { #expect(sheets.contains(s), "\(s)") }
        let units = j["units"] as? [String: [Any]] ?? [:]
        #expect(units["甲县烟草专卖局(分公司)(产烟县)"]?.compactMap { ($0 as? NSNumber)?.intValue } == [1, 0, 1])
        #expect(units["物流中心"]?.compactMap { ($0 as? NSNumber)?.intValue } == [0, 1, -1])
        let rates = j["rates"] as? [String: [Any]] ?? [:]
        #expect((rates["回访满意率"]?[0] as? NSNumber)?.doubleValue == 0)
        #expect(rates["回访满意率"]?[1] as? String == "0.0%")
        #expect((rates["回访满意率"]?[2] as? NSNumber)?.doubleValue == -100)
        #expect((rates["按时办结率"]?[0] as? NSNumber)?.doubleValue == 1)
        #expect(j["cases"] as? [String] == ["YC-2026-000002"])
    }
}
