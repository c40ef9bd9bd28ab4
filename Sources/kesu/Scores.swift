import ArgumentParser
import Foundation
import KesuKernel
import KesuRendering
import KesuXLSX

/// `kesu scores`: each unit's or person's points and appraisal measures for a period, with the
/// line items behind every point, as text, JSON, CSV or Excel. Same data and period, same bytes.
struct Scores: KesuCommand {
    static let configuration = CommandConfiguration(
        abstract: "Points and appraisal measures per unit or person for a month, quarter or year.",
        discussion: """
        --format csv writes UTF-8 with a byte-order mark. With --out FILE.csv the summary goes to FILE.csv \
        and the line items to FILE-明细.csv (FILE-items.csv with --lang en); without --out both go to \
        stdout: the summary, an empty line, then the line items. --format xlsx needs --out and writes \
        two sheets, 汇总 and 明细 (Summary and Line items with --lang en).
        """)
    @OptionGroup var global: GlobalOptions
    @Option(help: "2026-10, 2026Q3 or 2026.") var period: String
    @Option(help: "Points of each unit or of each person.") var by: ScoreSubject.Kind = .unit
    @Option(help: "text (default), json, csv or xlsx.") var format: Format?
    @Option(help: "Write to this file instead of stdout (required for xlsx).") var out: String?
    @Option(help: "Column headers and sheet names.") var lang: ScoreExport.Language = .zh

    enum Format: String, CaseIterable, ExpressibleByArgument { case text, json, csv, xlsx }

    /// --format, else json with --json, else text.
    var chosen: Format { format ?? (global.json ? .json : .text) }

    func validate() throws {
        try global.validateValues()
        try validatePeriod(period)
        if let format, global.json && format != .json {
            throw ValidationError("--json and --format \(format.rawValue) disagree; pass one of them")
        }
        if chosen == .xlsx && out == nil {
            throw ValidationError("--format xlsx writes a file: pass --out FILE.xlsx")
        }
    }

    func run() async throws {
        try await guarded(global) {
            let chosen = chosen
            let kind = by
            let language = lang
            let engine = try global.engine()
            let p = try Period.parse(period, calendar: engine.planner.calendar)
            let export = try await engine.scoreExport(period: p, by: kind)
            switch chosen {
            case .text:
                try emit(Data(ScoresText.render(export, baseline: engine.pack.scoring.baseline, lang: language).utf8))
            case .json:
                let enc = JSONEncoder()
                enc.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                let data = try enc.encode(JSON.object(ScoresJSON.document(export, renderer: CaseRenderer(engine: engine))))
                try emit(data + Data("\n".utf8))
            case .csv:
                if let out {
                    let files = export.csvFiles(lang: language)
                    let itemsPath = ScoresFiles.itemsPath(for: out, lang: language)
                    try write(files.summary, to: out)
                    try write(files.items, to: itemsPath)
                    Output.err("wrote \(out) (summary, \(export.rows.count) rows) and \(itemsPath) (line items, \(export.items.count) rows)")
                } else {
                    FileHandle.standardOutput.write(export.csvCombined(lang: language))
                }
            case .xlsx:
                let path = out!
                do {
                    try ScoresXLSX.write(export, lang: language, to: path)
                } catch let e as XLSXError {
                    throw KesuError(.invalidInput, e.description)
                }
                Output.err("wrote \(path): \(ScoreExport.summaryName(language)) (\(export.rows.count) rows), "
                    + "\(ScoreExport.itemsName(language)) (\(export.items.count) rows)")
            }
        }
    }

    func emit(_ data: Data) throws {
        if let out {
            try write(data, to: out)
        } else {
            FileHandle.standardOutput.write(data)
        }
    }

    func write(_ data: Data, to path: String) throws {
        do {
            try data.write(to: URL(fileURLWithPath: path))
        } catch {
            throw KesuError(.invalidInput, "cannot write \(path): \(error.localizedDescription)")
        }
    }
}

enum ScoresFiles {
    /// `scores.csv` → `scores-明细.csv` (`scores-items.csv` in English); no extension → `.csv` added.
    static func itemsPath(for path: String, lang: ScoreExport.Language) -> String {
        let ns = path as NSString
        let ext = ns.pathExtension.isEmpty ? "csv" : ns.pathExtension
        return ns.deletingPathExtension + "-" + ScoreExport.itemsFileSuffix(lang) + "." + ext
    }
}

enum ScoresJSON {
    static func value(_ v: ScoreExport.Value, renderer: CaseRenderer) -> JSON {
        switch v {
        case let .text(s): .string(s)
        case let .integer(n): .int(n)
        case let .decimal(x): .number(x)
        case let .rate(r): r.map(JSON.number) ?? .null
        case let .dateTime(d): renderer.timeJSON(d)
        case .none: .null
        }
    }

    /// The summary columns as keys (rates as numbers, null without a denominator), with the line items under each row.
    static func document(_ export: ScoreExport, renderer r: CaseRenderer) -> [String: JSON] {
        let summary = export.summaryTable
        let itemColumns = ScoreExport.itemColumns(by: export.by)
        var itemsBySubject: [ScoreSubject: [JSON]] = [:]
        for i in export.items {
            var o: [String: JSON] = [:]
            for (c, v) in zip(itemColumns, ScoreExport.itemValues(i)) where c.key != "id" && c.key != "name" {
                o[c.key] = value(v, renderer: r)
            }
            o["cause"] = .string(i.cause)   // `violation:late_answer`, as the events say
            o["cause_id"] = .string(i.causeID)
            itemsBySubject[i.subject, default: []].append(.object(o))
        }
        return [
            "period": .string(export.period.label), "by": .string(export.by.rawValue),
            "from": r.timeJSON(export.period.start), "until": r.timeJSON(export.period.end),
            "time_zone": .string(export.timeZone.identifier),
            "rows": .array(zip(export.rows, summary.rows).map { row, values in
                var o: [String: JSON] = [:]
                for (c, v) in zip(summary.columns, values) { o[c.key] = value(v, renderer: r) }
                o["items"] = .array(itemsBySubject[row.subject] ?? [])
                return .object(o)
            }),
            "totals": .object([
                "deducted": .number(export.rows.reduce(0) { $0 + $1.deducted }), "items": .int(export.items.count),
            ]),
        ]
    }
}

enum ScoresText {
    /// Columns on a terminal: a CJK character takes two cells.
    static func width(_ s: String) -> Int {
        s.unicodeScalars.reduce(0) { $0 + ($1.value >= 0x2E80 ? 2 : 1) }
    }

    static func pad(_ s: String, _ w: Int, right: Bool) -> String {
        let fill = String(repeating: " ", count: max(0, w - width(s)))
        return right ? fill + s : s + fill
    }

    static func render(_ export: ScoreExport, baseline: Double, lang: ScoreExport.Language) -> String {
        let t = export.summaryTable
        let shown = t.columns.indices.filter { !["baseline", "item_count", "recommendation", "threshold", "unit"].contains(t.columns[$0].key) }
        func cell(_ v: ScoreExport.Value) -> String {
            switch v {
            case let .rate(r): r.map { String(format: "%.1f%%", $0 * 100) } ?? "-"
            case .none: "-"
            default: export.csvText(v)
            }
        }
        let header = shown.map { t.columns[$0].title(lang) }
        let body = t.rows.map { row in shown.map { cell(row[$0]) } }
        let widths = shown.indices.map { i in ([header[i]] + body.map { $0[i] }).map(width).max() ?? 0 }
        func line(_ cells: [String]) -> String {
            "  " + cells.enumerated().map { i, c in
                pad(c, widths[i], right: t.columns[shown[i]].kind != .text)
            }.joined(separator: "  ").replacingOccurrences(of: #"\s+$"#, with: "", options: .regularExpression)
        }
        let zone = export.timeZone
        var lines = ["\(export.period.label) by \(export.by.rawValue): baseline \(fmt(baseline)), "
            + "\(ScoreExport.localTime(export.period.start, in: zone)) – \(ScoreExport.localTime(export.period.end, in: zone)) (\(zone.identifier))"]
        lines.append(line(header))
        var itemsBySubject: [ScoreSubject: [ScoreExport.Item]] = [:]
        for i in export.items { itemsBySubject[i.subject, default: []].append(i) }
        for (row, cells) in zip(export.rows, body) {
            lines.append(line(cells))
            for i in itemsBySubject[row.subject] ?? [] {
                lines.append("      \(i.caseNumber) \(i.cause) \(i.causeName) \(i.ruleID) −\(fmt(i.points)) at "
                    + "\(ScoreExport.localTime(i.occurredAt, in: zone)) (pack \(i.packVersion.prefix(12)))")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

enum ScoresXLSX {
    /// Two sheets, summary and line items (the same workbook the API and the console send).
    static func write(_ export: ScoreExport, lang: ScoreExport.Language, to path: String) throws {
        try ExportXLSX.write(export.sheets(lang: lang), to: path)
    }
}
