import Foundation
import Testing

/// `kesu register`: the case register (台账) as CSV and Excel, masked for a viewer without personal_data.
@Suite struct RegisterCLITests {
    func demo() throws -> KesuCLI {
        let cli = try KesuCLI()
        let r = try cli.run(["demo", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        return cli
    }

    @Test func csvOneRowPerCaseOpenedInTheWindow() throws {
        let cli = try demo()
        let r = try cli.run(["register", "--from", "2026-09-01", "--until", "2026-12-31"], now: "2026-12-07T10:00:00+08:00")
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.hasPrefix("\u{FEFF}案件编号,登记时间,渠道,类型,分类,等级,内容摘要,客户姓名,联系电话,承办单位,状态,办结时间,"))
        let lines = r.stdout.split(separator: "\r\n")
        try #require(lines.count == 2)
        #expect(lines[1].hasPrefix("YC-2026-000001,2026-09-30 10:00:00,"))
        #expect(lines[1].contains("张某") && lines[1].contains("13812345678"), "the operator sees everything")
        #expect(lines[1].contains("甲县烟草专卖局(分公司)(产烟县),已办结,2026-10-16 15:00:00,"))
        #expect(lines[1].hasSuffix(",满意"))
        // The same rows twice: the same bytes.
        #expect(try cli.run(["register", "--from", "2026-09-01", "--until", "2026-12-31"], now: "2026-12-07T10:00:00+08:00").stdout == r.stdout)
        // Outside the window: the header alone.
        let none = try cli.run(["register", "--from", "2026-11-01", "--until", "2026-11-30"])
        #expect(none.status == 0 && none.stdout.split(separator: "\r\n").count == 1)
    }

    @Test func maskedWithoutPersonalDataAndRefusedWithoutReports() throws {
        let cli = try demo()
        let masked = try cli.run(["register", "--from", "2026-09-01", "--until", "2026-12-31"], as: "wu_jing")
        #expect(masked.status == 0, "\(masked.stderr)")
        #expect(masked.stdout.contains("张*") && masked.stdout.contains("138****5678") && !masked.stdout.contains("13812345678"))
        let clear = try cli.run(["register", "--from", "2026-09-01", "--until", "2026-12-31"], now: "2026-12-07T10:00:00+08:00", as: "qian_jin")
        #expect(clear.stdout.contains("13812345678"))
        // The unmasked register is recorded in the personal-data view log; wu_jing's masked one is not.
        let views = try cli.run(["access", "views", "--from", "2026-12-07", "--to", "2026-12-07", "--json"], now: "2026-12-07T11:00:00+08:00")
        let logged = try #require(views.json["views"] as? [[String: Any]])
        #expect(logged.map { $0["person"] as? String } == ["qian_jin"])
        #expect(logged.first?["case"] as? String == "YC-2026-000001" && logged.first?["channel"] as? String == "cli")
        let refused = try cli.run(["register", "--from", "2026-09-01", "--until", "2026-12-31"], as: "li_na")
        #expect(refused.status != 0 && refused.stderr.contains("reports"))
        let bad = try cli.run(["register", "--from", "2026-10-32", "--until", "2026-12-31"])
        #expect(bad.status != 0 && bad.stderr.contains("--from"))
        let noOut = try cli.run(["register", "--from", "2026-09-01", "--until", "2026-12-31", "--format", "xlsx"])
        #expect(noOut.status != 0 && noOut.stderr.contains("--out"))
    }

    @Test func xlsxReadBackByOpenpyxl() throws {
        let cli = try demo()
        let r = try cli.run(["register", "--from", "2026-09-01", "--until", "2026-12-31", "--format", "xlsx", "--out", "台账.xlsx"], as: "qian_jin")
        #expect(r.status == 0, "\(r.stderr)")
        let out = try Python.run("""
            import json, sys, datetime, openpyxl
            wb = openpyxl.load_workbook(sys.argv[1])
            ws = wb["台账"]
            rows = [[c.value for c in r] for r in ws.iter_rows()]
            print(json.dumps({"sheets": wb.sheetnames, "head": rows[0], "number": rows[1][0],
                              "opened": rows[1][1].isoformat() if isinstance(rows[1][1], datetime.datetime) else None,
                              "count": len(rows) - 1}, ensure_ascii=False))
            """, cli.dir.appendingPathComponent("台账.xlsx").path)
        let x = try #require(try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: Any])
        #expect(x["sheets"] as? [String] == ["台账"])
        #expect((x["head"] as? [String])?.prefix(3) == ["案件编号", "登记时间", "渠道"])
        #expect(x["number"] as? String == "YC-2026-000001")
        #expect((x["opened"] as? String)?.hasPrefix("2026-09-30T10:00") == true, "a date cell in the pack's zone")
        #expect(x["count"] as? Int == 1)
    }
}
