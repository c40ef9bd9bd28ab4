import Foundation
import KesuKernel

extension QuarterlyReport {
    /// Rows of the summary as (section, item, count, previous, change), the shape of the CSV.
    public var summaryRows: [[String]] {
        var rows: [[String]] = []
        for f in figures {
            rows.append(["总体", f.label, f.currentText, f.previousText, f.changeText])
        }
        for b in breakdowns {
            for l in b.lines {
                rows.append([b.label, l.label, String(l.count), String(l.previous), Figure.changeText(Double(l.change), rate: false)])
            }
        }
        for u in units where u.answered > 0 || u.callbacks > 0 || u.previousOnTimeRate != nil || u.previousSatisfactionRate != nil {
            let on = Figure(key: "", name: "", isRate: true, current: u.onTimeRate, previous: u.previousOnTimeRate)
            rows.append(["按时办结率", u.name, on.currentText, on.previousText, on.changeText])
            let sat = Figure(key: "", name: "", isRate: true, current: u.satisfactionRate, previous: u.previousSatisfactionRate)
            rows.append(["回访满意率", u.name, sat.currentText, sat.previousText, sat.changeText])
        }
        let mine = months.filter(\.inQuarter), before = months.filter { !$0.inQuarter }
        for (i, m) in mine.enumerated() {
            let p = i < before.count ? before[i].count : 0
            rows.append(["月度", m.label, String(m.count), String(p), Figure.changeText(Double(m.count - p), rate: false)])
        }
        return rows
    }

    public static let csvHeader = ["栏目", "项目", "本季度", "上季度", "增减"]

    /// UTF-8 with a byte-order mark (so Excel reads the Chinese), CRLF line ends.
    public var csv: Data {
        func field(_ s: String) -> String {
            s.contains(where: { ",\"\r\n".contains($0) }) ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
        }
        let lines = ([Self.csvHeader] + summaryRows).map { $0.map(field).joined(separator: ",") }
        return Data([0xEF, 0xBB, 0xBF]) + Data((lines.joined(separator: "\r\n") + "\r\n").utf8)
    }

    /// One self-contained HTML file that prints on three A4 pages: page 1 the summary tables
    /// (季度客户意见汇总表, the small tables in two columns), page 2 the bulletin (客户投诉情况通报)
    /// with its overview, monthly trend and the category and unit charts, page 3 the on-time chart
    /// and the typical cases. Each part starts its own page, so a busy quarter moves nothing.
    public func html(zone: TimeZone) -> String {
        let e = ChartSVG.escape
        func time(_ d: Date) -> String {
            var c = Calendar(identifier: .gregorian)
            c.timeZone = zone
            let x = c.dateComponents([.year, .month, .day], from: d)
            return String(format: "%04d-%02d-%02d", x.year!, x.month!, x.day!)
        }
        func changeClass(_ c: Double?) -> String { c.map { $0 > 0 ? "up" : $0 < 0 ? "down" : "" } ?? "" }
        let lastDay = Date(timeInterval: -1, since: period.end)
        var h = """
        <!DOCTYPE html>
        <html lang="zh-CN">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(e(packName)) \(e(period.label)) 季度客户意见汇总表 · 客户投诉情况通报</title>
        <style>
        @page { size: A4; margin: 12mm }
        html { font-family: \(ChartSVG.fontStack); color: #222; }
        body { max-width: 186mm; margin: 0 auto; font-size: 9pt; line-height: 1.3; }
        h1 { font-size: 15pt; text-align: center; margin: 0 0 1mm; }
        h2 { font-size: 10pt; margin: 0 0 1mm; border-bottom: 1px solid #999; break-after: avoid; page-break-after: avoid; }
        p.meta { text-align: center; color: #555; margin: 0 0 2mm; }
        table { border-collapse: collapse; width: 100%; margin: 0 0 3mm; }
        th, td { border: 1px solid #999; padding: 0.2mm 1.2mm; text-align: left; vertical-align: top; }
        th { background: #eef3fa; font-weight: 600; white-space: nowrap; }
        td.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
        td.up { color: #b00020; } td.down { color: #1b7a35; }
        td.nowrap { white-space: nowrap; }
        .columns { column-count: 2; column-gap: 5mm; }
        .block, tr, .chart, .case { page-break-inside: avoid; break-inside: avoid; }
        thead { display: table-header-group; }
        .chart { margin: 2mm 0; }
        .chart svg { display: block; width: 100%; height: auto; }
        section.bulletin { font-size: 10pt; line-height: 1.45; }
        section.bulletin h2 { font-size: 11pt; margin: 3mm 0 1mm; }
        section.bulletin, .page { page-break-before: always; break-before: page; }
        @media screen { section.bulletin, .page { border-top: 2px dashed #bbb; margin-top: 10mm; padding-top: 6mm; } }
        </style>
        </head>
        <body>
        <section class="summary">
        <h1>季度客户意见汇总表</h1>
        <p class="meta">\(e(packName)) · \(e(period.label)) (\(time(period.start)) 至 \(time(lastDay))) · 对比 \(e(previousPeriod.label))</p>
        \(deadlines.isEmpty ? "" : "<p class=\"meta\">报送时限: " + deadlines.map { "\(e($0.name)) (\($0.by == "unit" ? "各单位" : "中心")) \($0.due) 前" }.joined(separator: "; ") + "</p>")
        <div class="columns">
        <div class="block"><h2>一、总体情况</h2>
        <table><thead><tr><th>项目</th><th>本季度</th><th>上季度</th><th>增减</th></tr></thead><tbody>

        """
        for f in figures {
            h += "<tr><td>\(e(f.label))</td><td class=\"n\">\(f.currentText)</td><td class=\"n\">\(f.previousText)</td>"
                + "<td class=\"n \(changeClass(f.change))\">\(e(f.changeText))</td></tr>\n"
        }
        h += "</tbody></table></div>\n"
        let numerals = ["二", "三", "四", "五", "六", "七", "八", "九", "十"]
        var section = 0
        for b in breakdowns {
            h += "<div class=\"block\"><h2>\(numerals[section])、按\(e(b.label))</h2>\n"
            section += 1
            h += "<table><thead><tr><th>\(e(b.label))</th><th>本季度</th><th>上季度</th><th>增减</th></tr></thead><tbody>\n"
            for l in b.lines {
                h += "<tr><td>\(e(l.label))</td><td class=\"n\">\(l.count)</td><td class=\"n\">\(l.previous)</td>"
                    + "<td class=\"n \(changeClass(Double(l.change)))\">\(e(Figure.changeText(Double(l.change), rate: false)))</td></tr>\n"
            }
            h += "<tr><th>合计</th><td class=\"n\">\(opened)</td><td class=\"n\">\(previousOpened)</td>"
                + "<td class=\"n\">\(e(Figure.changeText(Double(opened - previousOpened), rate: false)))</td></tr>\n"
            h += "</tbody></table></div>\n"
        }
        h += "<div class=\"block\"><h2>\(numerals[section])、月度受理</h2>\n"
        section += 1
        h += "<table><thead><tr><th>月份</th><th>受理</th></tr></thead><tbody>\n"
        for m in months {
            h += "<tr><td>\(e(m.label))\(m.inQuarter ? "" : " (上季度)")</td><td class=\"n\">\(m.count)</td></tr>\n"
        }
        h += "</tbody></table></div>\n</div>\n"
        h += "<h2>\(numerals[section])、各单位办理情况</h2>\n"
        section += 1
        h += "<table><thead><tr><th>单位</th><th>接收</th><th>办结</th><th>按时</th><th>超时</th><th>按时办结率</th><th>上季度</th>"
            + "<th>回访</th><th>满意</th><th>满意率</th><th>上季度</th></tr></thead><tbody>\n"
        for u in units {
            let on = Figure(key: "", name: "", isRate: true, current: u.onTimeRate, previous: u.previousOnTimeRate)
            let sat = Figure(key: "", name: "", isRate: true, current: u.satisfactionRate, previous: u.previousSatisfactionRate)
            h += "<tr><td>\(e(u.name))</td><td class=\"n\">\(u.received)</td><td class=\"n\">\(u.answered)</td>"
                + "<td class=\"n\">\(u.answeredOnTime)</td><td class=\"n\">\(u.overdue)</td><td class=\"n\">\(on.currentText)</td>"
                + "<td class=\"n\">\(on.previousText)</td><td class=\"n\">\(u.callbacks)</td><td class=\"n\">\(u.satisfied)</td>"
                + "<td class=\"n\">\(sat.currentText)</td><td class=\"n\">\(sat.previousText)</td></tr>\n"
        }
        h += "</tbody></table>\n</section>\n"

        // The bulletin.
        let total = figure("opened"), onTime = figure("on_time_rate"), sat = figure("satisfaction_rate"), sub = figure("substantiated")
        h += """
        <section class="bulletin">
        <h1>客户投诉情况通报</h1>
        <p class="meta">\(e(packName)) · \(e(period.label))</p>
        <h2>一、基本情况</h2>
        <p>本季度共受理客户意见 \(total?.currentText ?? "0") 件 (上季度 \(total?.previousText ?? "-") 件, 增减 \(e(total?.changeText ?? "-")))\
        \(pack(kinds: figures))。投诉成立 \(sub?.currentText ?? "0") 件; 按时办结率 \(onTime?.currentText ?? "-") \
        (\(e(onTime?.changeText ?? "-"))); 回访满意率 \(sat?.currentText ?? "-") (\(e(sat?.changeText ?? "-")))。</p>
        <div class="chart">\(trendChart)</div>
        <h2>二、分类与承办单位</h2>
        <div class="chart">\(categoryChart)</div>
        <div class="chart">\(unitChart)</div>
        <div class="page">
        <h2>三、各单位按时办结率</h2>
        <div class="chart">\(onTimeChart)</div>
        <h2>四、典型案例</h2>

        """
        if typicalCases.isEmpty {
            h += "<p>\(typicalRule ? "本季度无符合条件的典型案例。" : "规则包未定义典型案例规则 (reporting.typical_cases)。")</p>\n"
        } else {
            h += "<table class=\"cases\"><thead><tr><th>编号</th><th>受理日期</th><th>分类</th><th>承办单位</th><th>内容摘要</th>"
                + "<th>结果</th><th>状态</th></tr></thead><tbody>\n"
            for c in typicalCases {
                h += "<tr class=\"case\"><td class=\"nowrap\">\(e(c.number))</td><td class=\"nowrap\">\(time(c.openedAt))</td><td>\(e(c.categoryName ?? c.category ?? "-"))</td>"
                    + "<td>\(e(c.unitName ?? c.unit ?? "-"))</td><td>\(e(c.excerpt))</td>"
                    + "<td>\(e(c.outcomeNames.isEmpty ? "-" : c.outcomeNames.joined(separator: "、")))"
                    + "\(c.redispatched > 0 ? e(" (重新派单 \(c.redispatched) 次)") : "")</td><td class=\"nowrap\">\(e(c.stateName))</td></tr>\n"
            }
            h += "</tbody></table>\n"
        }
        h += "</div>\n</section>\n</body>\n</html>\n"
        return h
    }

    /// `, 其中投诉 3 件、咨询 1 件` from the kind figures.
    func pack(kinds figures: [Figure]) -> String {
        let parts = figures.filter { $0.key.hasPrefix("kind:") }.map { "\(ChartSVG.escape($0.label)) \($0.currentText) 件" }
        return parts.isEmpty ? "" : ", 其中" + parts.joined(separator: "、")
    }
}
