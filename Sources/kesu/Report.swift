import ArgumentParser
import Foundation
import KesuKernel
import KesuRendering
import KesuXLSX

struct Report: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Periodic reports: the quarterly summary and complaint bulletin.", subcommands: [Quarterly.self, Due.self, Submit.self, Facts.self])

    struct Quarterly: KesuCommand {
        static let configuration = CommandConfiguration(
            abstract: "季度客户意见汇总表 and 客户投诉情况通报 for a quarter, with the previous quarter for comparison.",
            discussion: """
            Formats: html (one self-contained file with charts; prints on three A4 pages: the 汇总表, then the 通报), json (the figures), \
            csv (UTF-8 with BOM: section, item, this quarter, previous, change), xlsx (needs --out).
            Example: kesu report quarterly --period 2026Q3 --format html --out 2026Q3.html
            """)
        @OptionGroup var global: GlobalOptions
        @Option(help: "The quarter, e.g. 2026Q3.") var period: String
        @Option(help: "The document's form (--json alone means json).") var format: Format = .html
        @Option(help: "Write to this file instead of standard output (required for xlsx).") var out: String?

        enum Format: String, CaseIterable, ExpressibleByArgument { case html, csv, json, xlsx }

        /// --format, with --json standing for json when no other format is asked for.
        var chosen: Format { global.json && format == .html ? .json : format }

        func validate() throws {
            try global.validateValues()
            try validatePeriod(period)
            if chosen == .xlsx && out == nil { throw ValidationError("--format xlsx writes a file: pass --out FILE.xlsx") }
        }

        func run() async throws {
            try await guarded(global) {
                let fmt = chosen
                let engine = try global.engine()
                let p = try Period.parse(period, calendar: engine.planner.calendar)
                let report = try await engine.quarterlyReport(period: p).labelled
                let zone = engine.planner.calendar.timeZone
                let data: Data
                switch fmt {
                case .html: data = Data(report.html(zone: zone).utf8)
                case .csv: data = report.csv
                case .json: data = try Self.json(report, zone: zone)
                case .xlsx:
                    try Self.xlsx(report, path: out!, zone: zone)
                    Output.err("wrote \(out!)")
                    return
                }
                if let out {
                    do { try data.write(to: URL(fileURLWithPath: out)) } catch {
                        throw KesuError(.invalidInput, "cannot write '\(out)': \(error.localizedDescription)")
                    }
                    Output.err("wrote \(out)")
                } else {
                    FileHandle.standardOutput.write(data)
                }
            }
        }

        static func json(_ report: QuarterlyReport, zone: TimeZone) throws -> Data {
            let enc = JSONEncoder()
            enc.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            enc.keyEncodingStrategy = .convertToSnakeCase
            enc.dateEncodingStrategy = .custom { d, encoder in
                var c = encoder.singleValueContainer()
                try c.encode(ISO8601.format(d, in: zone))
            }
            return try enc.encode(report) + Data("\n".utf8)
        }

        static func xlsx(_ r: QuarterlyReport, path: String, zone: TimeZone) throws {
            typealias C = XLSXWorkbook.Column
            func num(_ x: Double?) -> XLSXWorkbook.Cell { x.map { .number($0) } ?? .empty }
            func int(_ x: Int) -> XLSXWorkbook.Cell { .number(Double(x)) }
            do {
                let wb = try XLSXWorkbook(path: path)
                let total = try wb.addTable("总体情况", columns: [C("项目", width: 16), C("本季度", .decimal), C("上季度", .decimal), C("增减", .decimal)])
                let rates = try wb.addTable("总体比率", columns: [C("项目", width: 16), C("本季度", .percent), C("上季度", .percent), C("增减(百分点)", .decimal)])
                for f in r.figures where !f.isRate {
                    try total.append([.text(f.label), num(f.current), num(f.previous), num(f.change)])
                }
                for f in r.figures where f.isRate {
                    try rates.append([.text(f.label), num(f.current), num(f.previous), num(f.change)])
                }
                for b in r.breakdowns {
                    let t = try wb.addTable("按" + b.label, columns: [C(b.label, width: 40), C("本季度", .integer), C("上季度", .integer), C("增减", .integer)])
                    for l in b.lines { try t.append([.text(l.label), int(l.count), int(l.previous), int(l.change)]) }
                }
                let u = try wb.addTable("各单位", columns: [
                    C("单位", width: 24), C("接收", .integer), C("办结", .integer), C("按时", .integer), C("超时", .integer),
                    C("按时办结率", .percent), C("上季度按时办结率", .percent), C("回访", .integer), C("满意", .integer),
                    C("满意率", .percent), C("上季度满意率", .percent), C("投诉成立", .integer), C("重新派单", .integer),
                ])
                for x in r.units {
                    try u.append([.text(x.name), int(x.received), int(x.answered), int(x.answeredOnTime), int(x.overdue),
                                  num(x.onTimeRate), num(x.previousOnTimeRate), int(x.callbacks), int(x.satisfied),
                                  num(x.satisfactionRate), num(x.previousSatisfactionRate), int(x.substantiated), int(x.redispatched)])
                }
                let m = try wb.addTable("月度", columns: [C("月份"), C("受理", .integer), C("季度")])
                for x in r.months { try m.append([.text(x.label), int(x.count), .text(x.inQuarter ? r.period.label : r.previousPeriod.label)]) }
                let t = try wb.addTable("典型案例", columns: [
                    C("编号", width: 20), C("受理时间", .dateTime, width: 18), C("类型"), C("分类", width: 30), C("承办单位", width: 20),
                    C("内容摘要", width: 60), C("结果", width: 24), C("重新派单", .integer), C("状态"),
                ])
                for c in r.typicalCases {
                    try t.append([.text(c.number), .date(c.openedAt, zone), .text(c.kindName ?? c.kind ?? ""),
                                  .text(c.categoryName ?? c.category ?? ""), .text(c.unitName ?? c.unit ?? ""), .text(c.excerpt),
                                  .text(c.outcomeNames.joined(separator: "、")), int(c.redispatched), .text(c.stateName)])
                }
                try wb.close()
            } catch let e as XLSXError {
                throw KesuError(.invalidInput, e.description)
            }
        }
    }

    struct Facts: KesuCommand {
        static let configuration = CommandConfiguration(
            abstract: "The reports' read model: whether it is built, and building it from the case histories.",
            discussion: """
            Reports count report facts written with the events. A store upgraded with cases already in it has none for \
            them until they are built from the histories; its reports fold histories meanwhile (slower). `kesu serve` \
            builds them by itself in the background; this command does it now, e.g. before a quarter's reports.
            Example: kesu report facts --build
            """)
        @OptionGroup var global: GlobalOptions
        @Flag(help: "Build them (again) from every case's history; safe while servers run.") var build = false

        func run() async throws {
            try await guarded(global) {
                let engine = try global.engine()
                if build {
                    let start = ContinuousClock.now
                    let cases = try await engine.buildReportFacts { done in
                        if done % 50_000 == 0 { Output.err("\(done) cases…") }
                    }
                    let elapsed = (ContinuousClock.now - start).components
                    let seconds = Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18
                    if global.json {
                        Output.json(["ready": .bool(true), "cases": .number(Double(cases)), "seconds": .number((seconds * 10).rounded() / 10)])
                    } else {
                        print("read model built from \(cases) cases in \(String(format: "%.1f", seconds)) s; reports read it from now on")
                    }
                    return
                }
                let ready = try await engine.reportFactsReady()
                if global.json {
                    Output.json(["ready": .bool(ready)])
                } else {
                    print(ready ? "the read model is built: reports read it"
                                : "the read model is not built: reports fold every case's history until `kesu report facts --build` (or `kesu serve`) builds it")
                }
            }
        }
    }

    struct Due: KesuCommand {
        static let configuration = CommandConfiguration(
            abstract: "Periodic reports owed in a quarter (reporting.reports): each unit's due time and whether it was handed in.",
            discussion: "Example: kesu report due --now 2026-12-10T09:00:00+08:00   (the quarter of --now unless --period is given)")
        @OptionGroup var global: GlobalOptions
        @Option(help: "The quarter, e.g. 2026Q4 (default: the quarter of --now).") var period: String?

        func validate() throws {
            try global.validateValues()
            if let period { try validatePeriod(period) }
        }

        func run() async throws {
            try await guarded(global) {
                let engine = try global.engine()
                let now = try global.currentTime()
                let quarter = try Report.quarter(period, engine: engine, now: now)
                let duties = try await engine.reportDuties(quarter: quarter, at: now)
                let r = CaseRenderer(engine: engine)
                if global.json {
                    Output.json(["period": .string(quarter.label), "reports": .array(duties.map { d in
                        .object(["report": .string(d.reportID), "name": .string(d.reportName), "unit": .string(d.unit),
                                 "due": r.timeJSON(d.due), "status": .string(d.status.rawValue), "reminded": .bool(d.reminded),
                                 "submitted_at": r.timeJSON(d.submittedAt), "submitted_by": .opt(d.submittedBy), "note": .opt(d.note)])
                    })])
                } else {
                    if duties.isEmpty { print("the pack declares no periodic reports (reporting.reports)") }
                    for d in duties {
                        let status = switch d.status {
                        case .open: "未报" + (d.reminded ? " (已提醒)" : "")
                        case .late: "逾期未报"
                        case .submitted: "已报 \(r.time(d.submittedAt)) \(d.submittedBy ?? "")"
                        case .submittedLate: "逾期后补报 \(r.time(d.submittedAt)) \(d.submittedBy ?? "")"
                        }
                        print("\(r.time(d.due))  《\(d.reportName)》(\(d.reportID))  \(r.label("handling_unit", d.unit))  \(status)")
                    }
                }
            }
        }
    }

    struct Submit: KesuCommand {
        static let configuration = CommandConfiguration(
            abstract: "Record that a unit handed in a periodic report (by one of its people, --as).",
            discussion: "Example: kesu report submit --report expectation_analysis --as ma_lin --note 已上报企业管理科")
        @OptionGroup var global: GlobalOptions
        @Option(help: "The report id (reporting.reports).") var report: String
        @Option(help: "The quarter (default: the quarter of --now).") var period: String?
        @Option(help: "The unit handing it in (default: the acting person's unit).") var unit: String?
        @Option(help: "A note: where the document is, what it covers.") var note: String?

        func validate() throws {
            try global.validateValues()
            if let period { try validatePeriod(period) }
        }

        func run() async throws {
            try await guarded(global) {
                let engine = try global.engine()
                let now = try global.currentTime()
                let quarter = try Report.quarter(period, engine: engine, now: now)
                let d = try await engine.submitReport(report, quarter: quarter, unit: unit, note: note, by: try global.actor(), at: now)
                let r = CaseRenderer(engine: engine)
                if global.json {
                    Output.json(["report": .string(d.reportID), "unit": .string(d.unit), "period": .string(d.quarter),
                                 "due": r.timeJSON(d.due), "status": .string(d.status.rawValue), "submitted_at": r.timeJSON(d.submittedAt)])
                } else {
                    print("《\(d.reportName)》 \(d.quarter) \(r.label("handling_unit", d.unit)): " + (d.status == .submittedLate ? "逾期后补报" : "已报")
                        + ", 到期 \(r.time(d.due))")
                }
            }
        }
    }

    /// The quarter given, or the one `now` falls in.
    static func quarter(_ text: String?, engine: Engine, now: Date) throws -> Period {
        try engine.reportQuarter(text, at: now)
    }

}
