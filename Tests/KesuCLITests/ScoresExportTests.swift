import Foundation
import KesuKernel
import KesuRendering
import Testing
@testable import kesu

/// `kesu scores --format csv|xlsx`: files read back by independent readers (an RFC 4180 parser
/// here, Python's openpyxl for Excel) carry the same figures as `--format json`.
@Suite struct ScoresExportTests {
    /// A case's whole life (the pack's demo): deductions for county_a and its handler in 2026Q4.
    func demo() throws -> KesuCLI {
        let cli = try KesuCLI()
        let r = try cli.run(["demo", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        return cli
    }

    func data(_ cli: KesuCLI, _ name: String) throws -> Data {
        try Data(contentsOf: cli.dir.appendingPathComponent(name))
    }

    @Test func csvCarriesTheSameFiguresAsJSON() throws {
        let cli = try demo()
        let json = try cli.run(["scores", "--period", "2026Q4", "--by", "unit", "--format", "json"])
        #expect(json.status == 0, "\(json.stderr)")
        let rows = json.json["rows"] as? [[String: Any]] ?? []
        let county = try #require(rows.first { $0["id"] as? String == "county_a" })
        #expect(county["deducted"] as? Double == 2.5)
        #expect(county["on_time_rate"] as? Double == 0.5)
        #expect(rows.first { $0["id"] as? String == "finance" }?["on_time_rate"] is NSNull, "no denominator: null")

        let r = try cli.run(["scores", "--period", "2026Q4", "--by", "unit", "--format", "csv", "--out", "q4.csv"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.isEmpty)
        #expect(r.stderr.contains("q4.csv") && r.stderr.contains("q4-明细.csv"), "\(r.stderr)")
        let summaryBytes = try data(cli, "q4.csv"), itemBytes = try data(cli, "q4-明细.csv")
        #expect(Array(summaryBytes.prefix(3)) == [0xEF, 0xBB, 0xBF])
        #expect(Array(itemBytes.prefix(3)) == [0xEF, 0xBB, 0xBF])
        let summary = RFC4180.parse(String(decoding: summaryBytes.dropFirst(3), as: UTF8.self))
        let header = summary[0]
        #expect(header.prefix(5) == ["单位编号", "单位名称", "基础分", "扣分合计", "得分"])
        #expect(summary.count - 1 == rows.count)
        func col(_ title: String) throws -> Int { try #require(header.firstIndex(of: title)) }
        for (csvRow, jsonRow) in zip(summary.dropFirst(), rows) {
            #expect(csvRow[try col("单位编号")] == jsonRow["id"] as? String)
            #expect(Double(csvRow[try col("扣分合计")]) == jsonRow["deducted"] as? Double)
            #expect(Double(csvRow[try col("得分")]) == jsonRow["score"] as? Double)
            #expect(Int(csvRow[try col("按时办结件数")]) == jsonRow["answered_on_time"] as? Int)
            #expect(Int(csvRow[try col("逾期件数")]) == jsonRow["overdue"] as? Int)
            let rate = csvRow[try col("按时办结率")]
            if let j = jsonRow["on_time_rate"] as? Double {
                #expect(abs(Double(rate)! - j) < 0.00005)
            } else {
                #expect(rate.isEmpty)
            }
        }
        let items = RFC4180.parse(String(decoding: itemBytes.dropFirst(3), as: UTF8.self))
        #expect(items[0] == ["单位编号", "单位名称", "案件编号", "扣分原因类型", "扣分原因编号", "扣分原因", "考评规则", "扣分", "发生时间", "规则包版本"])
        let jsonItems = (county["items"] as? [[String: Any]] ?? [])
        #expect(items.count - 1 == jsonItems.count)
        #expect(items.dropFirst().map { $0[2] } == jsonItems.map { $0["case"] as? String ?? "" })
        #expect(items.dropFirst().map { $0[6] } == jsonItems.map { $0["rule_id"] as? String ?? "" })
        #expect(items.dropFirst().compactMap { Double($0[7]) }.reduce(0, +) == 2.5)
        #expect(items[1][8] == "2026-10-12 10:00:00")
        #expect(jsonItems.first?["occurred_at"] as? String == "2026-10-12T10:00:00+08:00")

        // A rerun gives the same bytes.
        #expect(try cli.run(["scores", "--period", "2026Q4", "--by", "unit", "--format", "csv", "--out", "q4.csv"]).status == 0)
        #expect(try data(cli, "q4.csv") == summaryBytes)
        #expect(try data(cli, "q4-明细.csv") == itemBytes)

        // Without --out: both tables on stdout, an empty line between; English headers with --lang en.
        let en = try cli.run(["scores", "--period", "2026Q4", "--by", "person", "--format", "csv", "--lang", "en"])
        #expect(en.stdout.hasPrefix("\u{FEFF}Person ID,Name,Unit ID,Unit,Baseline,Deducted,Score,"))
        #expect(en.stdout.contains("\r\n\r\nPerson ID,Name,Case,Cause type,"))
        let again = try cli.run(["scores", "--period", "2026Q4", "--by", "person", "--format", "csv", "--lang", "en"])
        #expect(again.stdout == en.stdout)
    }

    @Test func xlsxReadBackByOpenpyxl() throws {
        let cli = try demo()
        let json = try cli.run(["scores", "--period", "2026Q4", "--by", "person", "--json"]).json
        let rows = json["rows"] as? [[String: Any]] ?? []
        let refused = try cli.run(["scores", "--period", "2026Q4", "--format", "xlsx"])
        #expect(refused.status != 0 && refused.stderr.contains("--out"))
        let r = try cli.run(["scores", "--period", "2026Q4", "--by", "person", "--format", "xlsx", "--out", "q4.xlsx"])
        #expect(r.status == 0, "\(r.stderr)")
        let out = try Python.run("""
            import json, sys, datetime, openpyxl
            wb = openpyxl.load_workbook(sys.argv[1])
            s, i = wb["汇总"], wb["明细"]
            head = [c.value for c in s[1]]
            ihead = [c.value for c in i[1]]
            rows = [[c.value for c in r] for r in s.iter_rows(min_row=2)]
            items = [[c.value for c in r] for r in i.iter_rows(min_row=2)]
            rate = head.index("按时办结率")
            print(json.dumps({
              "sheets": wb.sheetnames, "head": head, "ihead": ihead,
              "ids": [r[0] for r in rows], "deducted": [r[head.index("扣分合计")] for r in rows],
              "numbers": all(isinstance(r[head.index("得分")], (int, float)) and isinstance(r[head.index("受理件数")], int) for r in rows),
              "rates": [r[rate] for r in rows],
              "rate_format": next((s.cell(row=n + 2, column=rate + 1).number_format for n, r in enumerate(rows) if r[rate] is not None), None),
              "dates": all(isinstance(r[ihead.index("发生时间")], datetime.datetime) for r in items),
              "first_time": items[0][ihead.index("发生时间")].isoformat() if items else None,
              "points": sum(r[ihead.index("扣分")] for r in items), "cases": [r[2] for r in items],
            }, ensure_ascii=False))
            """, cli.dir.appendingPathComponent("q4.xlsx").path)
        let x = try #require(try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: Any])
        #expect(x["sheets"] as? [String] == ["汇总", "明细"])
        #expect((x["head"] as? [String])?.prefix(4) == ["人员编号", "姓名", "所属单位编号", "所属单位"])
        #expect((x["ihead"] as? [String])?.contains("规则包版本") == true)
        #expect(x["ids"] as? [String] == rows.map { $0["id"] as? String ?? "" })
        #expect(x["deducted"] as? [Double] == rows.map { $0["deducted"] as? Double ?? -1 })
        #expect(x["numbers"] as? Bool == true)
        #expect(x["dates"] as? Bool == true)
        #expect((x["rate_format"] as? String)?.contains("%") == true)
        let rates = x["rates"] as? [Any] ?? []
        for (xr, jr) in zip(rates, rows) {
            #expect((xr as? Double) == (jr["on_time_rate"] as? Double), "rate of \(jr["id"] ?? "")")
        }
        let jsonItems = rows.flatMap { $0["items"] as? [[String: Any]] ?? [] }
        #expect(!jsonItems.isEmpty)
        #expect(x["points"] as? Double == jsonItems.compactMap { $0["points"] as? Double }.reduce(0, +))
        #expect(x["cases"] as? [String] == jsonItems.map { $0["case"] as? String ?? "" })
        // Excel has no zones: wall-clock time in the pack's zone.
        let first = try #require(jsonItems.first?["occurred_at"] as? String)
        #expect(x["first_time"] as? String == String(first.prefix(19)))
    }

    /// 200,000 line items: nothing is capped, in Excel or in CSV.
    @Test func aLargeExportIsNotCapped() throws {
        let count = 200_000
        let zone = TimeZone(identifier: "Asia/Shanghai")!
        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = zone
        let start = cal.date(from: DateComponents(year: 2026, month: 1, day: 1))!
        let period = try Period.parse("2026", calendar: try BusinessCalendar(CalendarRules(businessHours: [MinuteRange((9, 0), (17, 0))])))
        let items = (0..<count).map { (n: Int) -> ScoreExport.Item in
            let digits = String(n + 1 + 1_000_000).dropFirst()
            return ScoreExport.Item(
                subject: ScoreSubject(.person, "p\(n % 50)"), subjectName: "人员\(n % 50)", caseNumber: "YC-2026-\(digits)",
                cause: "violation:late_answer", causeKind: "violation", causeID: "late_answer", causeName: "未按时处理",
                ruleID: "S2-late-answer", points: 0.5, occurredAt: start.addingTimeInterval(Double(n) * 60), packVersion: "v1")
        }
        let rows = (0..<50).map { p in
            ScoreExport.Row(subject: ScoreSubject(.person, "p\(p)"), name: "人员\(p)", unit: "u", unitName: "单位", baseline: 100,
                            deducted: 2000, score: -1900, itemCount: count / 50, measures: Measures(),
                            recommendation: nil, recommendationName: nil, thresholdID: nil)
        }
        let export = ScoreExport(period: period, by: .person, timeZone: zone, rows: rows, items: items)
        let dir = try KesuCLI().dir
        let xlsx = dir.appendingPathComponent("big.xlsx").path
        try ScoresXLSX.write(export, lang: .en, to: xlsx)
        let csv = export.csvFiles(lang: .en)
        let csvPath = dir.appendingPathComponent("big-items.csv").path
        try csv.items.write(to: URL(fileURLWithPath: csvPath))
        let out = try Python.run("""
            import csv, sys, openpyxl
            wb = openpyxl.load_workbook(sys.argv[1], read_only=True)
            ws = wb["Line items"]
            with open(sys.argv[2], encoding="utf-8-sig", newline="") as f:
                rows = list(csv.reader(f))
            print(wb.sheetnames, ws.max_row - 1, len(rows) - 1, rows[-1][2])
            """, xlsx, csvPath)
        #expect(out.trimmingCharacters(in: .whitespacesAndNewlines) == "['Summary', 'Line items'] \(count) \(count) YC-2026-200000")
    }
}

/// A reader for RFC 4180 CSV: quoted fields may hold commas, doubled quotes and line breaks.
enum RFC4180 {
    static func parse(_ text: String) -> [[String]] {
        var records: [[String]] = [], record: [String] = [], field = ""
        var quoted = false, afterQuote = false
        var it = Array(text.unicodeScalars).makeIterator()
        var pending: Unicode.Scalar? = nil
        func next() -> Unicode.Scalar? { if let p = pending { pending = nil; return p }; return it.next() }
        while let c = next() {
            if quoted {
                if c == "\"" {
                    if let n = next() {
                        if n == "\"" { field.unicodeScalars.append("\"") } else { quoted = false; afterQuote = true; pending = n }
                    } else { quoted = false }
                } else { field.unicodeScalars.append(c) }
                continue
            }
            switch c {
            case "\"" where field.isEmpty && !afterQuote: quoted = true
            case ",": record.append(field); field = ""; afterQuote = false
            case "\r": break
            case "\n": record.append(field); records.append(record); record = []; field = ""; afterQuote = false
            default: field.unicodeScalars.append(c)
            }
        }
        if !field.isEmpty || !record.isEmpty { record.append(field); records.append(record) }
        return records
    }
}

/// Python 3 with openpyxl (installed with pip when missing), for reading what Kesu writes.
enum Python {
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

    static func run(_ script: String, _ args: String...) throws -> String {
        if try exec(["-c", "import openpyxl"]).0 != 0 {
            if try exec(["-m", "pip", "install", "--quiet", "openpyxl"]).0 != 0 {
                _ = try exec(["-m", "pip", "install", "--quiet", "--break-system-packages", "openpyxl"])
            }
        }
        let (status, out, err) = try exec(["-c", script] + args)
        #expect(status == 0, "\(err)")
        return out
    }
}
