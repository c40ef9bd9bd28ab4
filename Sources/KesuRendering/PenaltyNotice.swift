import Foundation
import KesuKernel

/// The written notice of a penalty decision (处罚决定通知书): who, the period, the deductions behind
/// it case by case, what was recommended, what was decided and why, by whom and when, and how to
/// appeal. Built from the recorded decision (names and evidence as they stood), so the notice of
/// an old decision reads the same later. Rendered as plain text and as one self-contained HTML
/// file that prints on A4.
public struct PenaltyNotice: Sendable {
    public struct Line: Sendable, Equatable {
        public var label: String
        public var value: String
    }

    public var title: String
    public var number: String
    public var preamble: String
    public var subject: [Line]
    public var evidenceHeader: [String]
    public var evidence: [[String]]
    public var total: String
    public var decision: [Line]
    /// The appeal and its outcome, when there was one.
    public var appeal: [Line]
    /// How and until when the decision may be appealed, or that it is final.
    public var closing: String
    public var signatures: [String]

    /// The notice of `proceeding`'s decision; refused (`wrong_state`) before there is one.
    public init(_ proceeding: PenaltyProceeding, pack: RulePack) throws {
        guard let d = proceeding.decision, let decidedAt = proceeding.decidedAt else {
            throw KesuError(.wrongState, "penalty \(proceeding.id) is not decided yet: the written notice follows the decision "
                + "(kesu penalties decide \(proceeding.id) --decision … --reason …)")
        }
        let zone = TimeZone(identifier: pack.calendar.timeZone) ?? TimeZone(secondsFromGMT: 0)!
        func time(_ t: Date) -> String { Self.time(t, in: zone) }
        let person = d.subject.kind == .person
        let dismissed = d.isDismissal

        title = dismissed ? "不予处罚决定通知书" : "处罚决定通知书"
        number = proceeding.id.description
        preamble = "依据《\(pack.info.name)》及考核期间的扣分记录, 经审核, 对\(person ? "下列人员" : "下列单位")作出如下决定。"
        subject = [Line(label: person ? "当事人" : "当事单位", value: "\(d.subjectName) (\(d.subject.id))")]
        if person, let unit = d.unit {
            subject.append(Line(label: "所在单位", value: "\(d.unitName ?? unit) (\(unit))"))
        }
        let lastDay = Self.date(d.periodEnd.addingTimeInterval(-1), in: zone)
        subject += [
            Line(label: "考核期间", value: "\(Self.periodName(d.period)) (\(Self.date(d.periodStart, in: zone)) 至 \(lastDay))"),
            Line(label: "扣分合计", value: "\(Self.points(d.points)) 分 (基准分 \(Self.points(d.baseline)), 得分 \(Self.points(d.baseline - d.points)))"),
        ]
        evidenceHeader = ["序号", "案件编号", "扣分原因", "规则", "扣分", "发生时间"]
        evidence = d.evidence.enumerated().map { i, e in
            [String(i + 1), e.caseNumber, "\(e.causeName) (\(e.cause))", e.rule, Self.points(e.points), time(e.occurredAt)]
        }
        total = Self.points(d.points)
        decision = [
            Line(label: "建议处罚", value: "\(d.recommendedName) (\(d.recommended)): 本期扣分 \(Self.points(d.points)) 分, "
                + "达到阈值 \(d.threshold) (\(Self.points(d.thresholdPoints)) 分)"),
            Line(label: "处罚决定", value: "\(d.decisionLabel) (\(d.decision))"
                + (d.decision == d.recommended ? "" : dismissed ? ", 不采纳处罚建议" : ", 与建议不同")),
            Line(label: "决定理由", value: d.reason),
            Line(label: "决定人", value: "\(d.decidedByName) (\(d.decidedBy)), \(d.decidedAsName)"),
            Line(label: "决定时间", value: time(decidedAt)),
        ]
        appeal = []
        if let a = proceeding.appeal, let at = proceeding.appealedAt {
            appeal = [
                Line(label: "申诉人", value: "\(a.byName) (\(a.by))"),
                Line(label: "申诉时间", value: time(at)),
                Line(label: "申诉理由", value: a.reason),
            ]
            if let r = proceeding.appealDecision, let rat = proceeding.appealDecidedAt {
                let outcome = switch r.outcome {
                case .upheld: "维持原决定"
                case .changed: "变更为 \(r.decisionLabel) (\(r.decision))"
                case .revoked: "撤销处罚"
                }
                appeal += [
                    Line(label: "复核结果", value: "\(outcome) (\(r.outcome.rawValue))"),
                    Line(label: "复核理由", value: r.reason),
                    Line(label: "复核人", value: "\(r.decidedByName) (\(r.decidedBy))"),
                    Line(label: "复核时间", value: time(rat)),
                    Line(label: "现行处罚", value: "\(r.decisionLabel) (\(r.decision))"),
                ]
            } else {
                appeal.append(Line(label: "复核结果", value: "待复核"))
            }
        }
        let rule = pack.scoring.penaltyProcedure?.appeal
        if proceeding.appealDecision != nil {
            closing = "本复核决定为最终决定。"
        } else if proceeding.appeal != nil {
            closing = "申诉已提出, 待复核。"
        } else if dismissed {
            closing = "本决定为最终决定。"
        } else if let deadline = d.appealDeadline {
            let concerned = person ? "当事人" : "当事单位负责人"
            let who = rule.map { r in
                r.by.map { id -> String in
                    if id == PenaltyAppealRule.personConcerned { return concerned }
                    guard let role = pack.role(id) else { return id }
                    return role.scope == .handlingUnit ? (person ? "所在单位" : "本单位") + role.name : role.name
                }.joined(separator: "、")
            } ?? concerned
            let reviewer = rule.map { $0.decidedBy.map { pack.role($0)?.name ?? $0 }.joined(separator: "、") }
            closing = "如对本决定有异议, \(who)可于 \(time(deadline)) 前"
                + (d.appealWithinWorkingDays.map { " (决定后 \($0) 个工作日内)" } ?? "")
                + " 提出申诉\(reviewer.map { ", 由\($0)复核" } ?? ""); 逾期未申诉的, 本决定即为最终决定。"
        } else {
            closing = "本决定为最终决定。"
        }
        signatures = ["决定人 (签字)", person ? "当事人签收" : "当事单位签收"]
    }

    // MARK: Text

    public func text() -> String {
        var out: [String] = []
        let width = 72
        let pad = max(0, (width - Self.width(title)) / 2)
        out.append(String(repeating: " ", count: pad) + title)
        out.append("编号: \(number)")
        out.append("")
        out.append(preamble)
        out.append("")
        out += lines(subject)
        out.append("")
        out.append("扣分明细:")
        var rows = [evidenceHeader] + evidence
        rows.append(["合计", "", "", "", total, ""])
        let widths = (0..<evidenceHeader.count).map { c in rows.map { Self.width($0[c]) }.max() ?? 0 }
        for row in rows {
            let cells = row.enumerated().map { c, cell in
                c == 4 ? String(repeating: " ", count: widths[c] - Self.width(cell)) + cell
                       : cell + String(repeating: " ", count: widths[c] - Self.width(cell))
            }
            out.append(("  " + cells.joined(separator: "  ")).replacingOccurrences(of: #"\s+$"#, with: "", options: .regularExpression))
        }
        out.append("")
        out += lines(decision)
        if !appeal.isEmpty {
            out.append("")
            out.append("申诉与复核:")
            out += lines(appeal)
        }
        out.append("")
        out.append(closing)
        out.append("")
        let w = signatures.map(Self.width).max() ?? 0
        for s in signatures {
            out.append(s + ":" + String(repeating: " ", count: w - Self.width(s) + 1) + "____________________    日期: ____________")
        }
        return out.joined(separator: "\n") + "\n"
    }

    func lines(_ ls: [Line]) -> [String] {
        let w = ls.map { Self.width($0.label) }.max() ?? 0
        return ls.map { l in
            let indent = String(repeating: " ", count: w + 2)
            let value = l.value.split(separator: "\n", omittingEmptySubsequences: false).joined(separator: "\n" + indent)
            return l.label + ":" + String(repeating: " ", count: w - Self.width(l.label) + 1) + value
        }
    }

    // MARK: HTML

    /// One self-contained HTML file: no external resources, print CSS for A4, every text escaped.
    public func html() -> String {
        func e(_ s: String) -> String { Self.escape(s) }
        func table(_ ls: [Line], _ cls: String) -> String {
            "<table class=\"\(cls)\">\n" + ls.map { l in
                "  <tr><th>\(e(l.label))</th><td>\(e(l.value).replacingOccurrences(of: "\n", with: "<br>"))</td></tr>\n"
            }.joined() + "</table>\n"
        }
        var h = """
            <!DOCTYPE html>
            <html lang="zh-CN">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(e(title)) \(e(number))</title>
            <style>
            @page { size: A4; margin: 20mm }
            html { font-family: "Songti SC", "STSong", "SimSun", "Noto Serif CJK SC", "Source Han Serif SC", "Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", "WenQuanYi Micro Hei", serif; font-size: 12pt; line-height: 1.6; color: #000; background: #fff }
            body { max-width: 170mm; margin: 0 auto }
            h1 { text-align: center; font-size: 20pt; letter-spacing: 0.3em; margin: 0 0 2mm }
            h2 { font-size: 12pt; margin: 5mm 0 1mm }
            .number { text-align: right; margin: 0 0 5mm }
            table { width: 100%; border-collapse: collapse; margin: 2mm 0 }
            table.lines th { text-align: left; font-weight: bold; white-space: nowrap; width: 6em; vertical-align: top; padding: 0.5mm 2mm 0.5mm 0 }
            table.lines td { padding: 0.5mm 0; white-space: pre-wrap }
            table.evidence th, table.evidence td { border: 0.5pt solid #000; padding: 1mm 1.5mm; vertical-align: top; font-size: 10.5pt }
            table.evidence th { background: #eee }
            table.evidence td.points, table.evidence td.seq { text-align: right; white-space: nowrap }
            table.evidence tfoot td { font-weight: bold }
            thead { display: table-header-group }
            tr { break-inside: avoid; page-break-inside: avoid }
            .closing { margin: 5mm 0 }
            .signatures { margin-top: 12mm; break-inside: avoid; page-break-inside: avoid }
            .signatures p { margin: 8mm 0 0 }
            @media screen { body { margin: 15mm auto; padding: 0 10mm } }
            @media print { table.evidence th { background: none } }
            </style>
            </head>
            <body>
            <h1>\(e(title))</h1>
            <p class="number">编号: \(e(number))</p>
            <p>\(e(preamble))</p>

            """
        h += table(subject, "lines")
        h += "<h2>扣分明细</h2>\n<table class=\"evidence\">\n<thead><tr>"
            + evidenceHeader.map { "<th>\(e($0))</th>" }.joined() + "</tr></thead>\n<tbody>\n"
        for row in evidence {
            h += "<tr>" + row.enumerated().map { c, cell in
                "<td\(c == 0 ? " class=\"seq\"" : c == 4 ? " class=\"points\"" : "")>\(e(cell))</td>"
            }.joined() + "</tr>\n"
        }
        h += "</tbody>\n<tfoot><tr><td colspan=\"4\">合计</td><td class=\"points\">\(e(total))</td><td></td></tr></tfoot>\n</table>\n"
        h += "<h2>处理决定</h2>\n" + table(decision, "lines")
        if !appeal.isEmpty { h += "<h2>申诉与复核</h2>\n" + table(appeal, "lines") }
        h += "<p class=\"closing\">\(e(closing))</p>\n<div class=\"signatures\">\n"
        for s in signatures {
            h += "<p>\(e(s)): ______________________&emsp;日期: ______________</p>\n"
        }
        h += "</div>\n</body>\n</html>\n"
        return h
    }

    // MARK: Formatting

    public static func escape(_ s: String) -> String { Markup.escape(s) }

    /// `2026年第三季度`, `2026年10月`, `2026年度`.
    public static func periodName(_ label: String) -> String {
        let c = Array(label)
        guard c.count >= 4 else { return label }
        let year = String(c.prefix(4))
        if c.count == 4 { return "\(year)年度" }
        if c.count == 6, c[4] == "Q", let q = Int(String(c[5])), (1...4).contains(q) {
            return "\(year)年第\(["一", "二", "三", "四"][q - 1])季度"
        }
        if c.count == 7, let m = Int(String(c[5...])) { return "\(year)年\(m)月" }
        return label
    }

    /// `2026-10-12 18:00` in the pack's zone.
    public static func time(_ t: Date, in zone: TimeZone) -> String { format(t, zone, "yyyy-MM-dd HH:mm") }
    static func date(_ t: Date, in zone: TimeZone) -> String { format(t, zone, "yyyy-MM-dd") }

    static func format(_ t: Date, _ zone: TimeZone, _ pattern: String) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.calendar = Calendar(identifier: .gregorian)
        f.timeZone = zone
        f.dateFormat = pattern
        return f.string(from: t)
    }

    /// `3`, `2.5`, `1.25`: points without trailing zeros.
    public static func points(_ x: Double) -> String {
        x == x.rounded() ? String(Int(x)) : String(format: "%.2f", x).replacingOccurrences(of: #"0+$"#, with: "", options: .regularExpression)
    }

    /// Columns a terminal gives the text: East Asian wide characters take two.
    static func width(_ s: String) -> Int {
        s.unicodeScalars.reduce(0) { n, u in
            let v = u.value
            let wide = (0x1100...0x115F).contains(v) || (0x2E80...0xA4CF).contains(v) || (0xAC00...0xD7A3).contains(v)
                || (0xF900...0xFAFF).contains(v) || (0xFE30...0xFE4F).contains(v) || (0xFF00...0xFF60).contains(v)
                || (0xFFE0...0xFFE6).contains(v) || (0x20000...0x3FFFD).contains(v)
            return n + (wide ? 2 : 1)
        }
    }
}
