import Foundation
import Hummingbird
import KesuKernel
import KesuRendering

extension Console {
    /// Pages for the quarterly summary and bulletin (reports).
    func registerQuarterly(_ g: RouterGroup<KesuRequestContext>) {
        g.get("quarterly", use: signedIn { r, c, who in try await quarterlyPage(.overview, r, who) })
        g.get("quarterly/summary", use: signedIn { r, c, who in try await quarterlyPage(.summary, r, who) })
        g.get("quarterly/bulletin", use: signedIn { r, c, who in try await quarterlyPage(.bulletin, r, who) })
    }

    enum QuarterlyPart: String { case overview, summary, bulletin }

    func quarterlyPage(_ part: QuarterlyPart, _ request: Request, _ reader: Reader) async throws -> Response {
        try reader.principal.require(.reports, for: "read the quarterly report")
        let now = api.now()
        let current = try engine.period(containing: now, kind: .quarter)
        let asked = request.uri.queryParameters["quarter"].map { String($0).trimmingCharacters(in: .whitespaces).uppercased() }
        var quarter = current
        if let asked, !asked.isEmpty {
            let parsed = try? Period.parse(asked, calendar: engine.planner.calendar)
            guard let parsed, parsed.kind == .quarter else {
                throw ConsoleError(.badRequest, "季度“\(asked)”无效：请写成 2026Q4 这样的季度。")
            }
            quarter = parsed
        }
        let r = try await engine.quarterlyReport(period: quarter).labelled
        let q = r.period.label
        let query = "?quarter=\(q)"
        func change(_ c: Double?) -> String { c.map { $0 > 0 ? "up" : $0 < 0 ? "down" : "" } ?? "" }
        func row(_ f: QuarterlyReport.Figure) -> QuarterlyPage.Row {
            .init(label: f.label, current: f.currentText, previous: f.previousText, change: f.changeText, changeClass: change(f.change))
        }
        func count(_ label: String, _ now: Int, _ before: Int) -> QuarterlyPage.Row {
            let d = Double(now - before)
            return .init(label: label, current: String(now), previous: String(before),
                         change: QuarterlyReport.Figure.changeText(d, rate: false), changeClass: change(d))
        }
        let tables = r.breakdowns.map { b in
            QuarterlyPage.Table(id: "by-\(b.field)", title: "按\(b.label)", head: b.label,
                                rows: b.lines.map { count($0.label, $0.count, $0.previous) }, total: count("合计", r.opened, r.previousOpened))
        }
        let units = r.units.map { u -> QuarterlyPage.Unit in
            let on = QuarterlyReport.Figure(key: "", isRate: true, current: u.onTimeRate, previous: u.previousOnTimeRate)
            let sat = QuarterlyReport.Figure(key: "", isRate: true, current: u.satisfactionRate, previous: u.previousSatisfactionRate)
            return .init(name: u.name, received: u.received, answered: u.answered, onTime: u.answeredOnTime, overdue: u.overdue,
                         onTimeRate: on.currentText, previousOnTimeRate: on.previousText, callbacks: u.callbacks, satisfied: u.satisfied,
                         satisfactionRate: sat.currentText, previousSatisfactionRate: sat.previousText)
        }
        // Charts as images of ChartSVG's SVG (data: URLs, which the CSP allows): the page's markup stays
        // escaped text throughout, and the same data gives the same picture as the CLI's document.
        func chart(_ id: String, _ alt: String, _ svg: String) -> QuarterlyPage.Chart {
            .init(id: id, alt: alt, src: "data:image/svg+xml;base64," + Data(svg.utf8).base64EncodedString())
        }
        let trend = chart("chart-trend", "月度受理趋势（\(r.previousPeriod.label)–\(q)）", r.trendChart)
        let charts = [
            chart("chart-category", "按分类受理量（\(q)）", r.categoryChart),
            chart("chart-unit", "按承办单位受理量（\(q)）", r.unitChart),
        ]
        let onTime = chart("chart-on-time", "各单位按时办结率（\(q)）", r.onTimeChart)
        let day: (Date) -> String = { d in
            var c = Calendar(identifier: .gregorian)
            c.timeZone = self.zone
            let x = c.dateComponents([.year, .month, .day], from: d)
            return "\(x.year!)年\(x.month!)月\(x.day!)日"
        }
        let cases = r.typicalCases.map { c in
            QuarterlyPage.Case(number: c.number, href: "/console/cases/\(c.number)", opened: day(c.openedAt),
                               category: c.categoryName ?? c.category ?? "—", unit: c.unitName ?? c.unit ?? "—", excerpt: c.excerpt,
                               outcome: (c.outcomeNames.isEmpty ? "—" : c.outcomeNames.joined(separator: "、"))
                                   + (c.redispatched > 0 ? "（重新派单 \(c.redispatched) 次）" : ""),
                               state: c.stateName)
        }
        var quarters: [Choice] = []
        for back in 0..<8 {
            let p = try engine.period(containing: now, kind: .quarter, back: back)
            quarters.append(Choice(id: p.label, label: PenaltyNotice.periodName(p.label), selected: p.label == q))
        }
        if !quarters.contains(where: \.selected) { quarters.append(Choice(id: q, label: PenaltyNotice.periodName(q), selected: true)) }
        let heading = switch part {
        case .overview: "报告：\(PenaltyNotice.periodName(q))"
        case .summary: "季度客户意见汇总表"
        case .bulletin: "客户投诉情况通报"
        }
        let tabs: [QuarterlyPage.Tab] = [
            .init(href: "/console/quarterly" + query, label: "概览", current: part == .overview),
            .init(href: "/console/quarterly/summary" + query, label: "季度客户意见汇总表", current: part == .summary),
            .init(href: "/console/quarterly/bulletin" + query, label: "客户投诉情况通报", current: part == .bulletin),
        ]
        let lastDay = day(r.period.end.addingTimeInterval(-1))
        let page = QuarterlyPage(
            chrome: chrome(part == .overview ? "报告" : "\(heading) \(q)", reader, current: "quarterly"), heading: heading, quarter: q,
            meta: "\(r.packName) · \(PenaltyNotice.periodName(q))（\(day(r.period.start)) 至 \(lastDay)） · 对比上季度 \(PenaltyNotice.periodName(r.previousPeriod.label))",
            deadlines: r.deadlines.isEmpty ? nil
                : "报送时限：" + r.deadlines.map { "\($0.name)（\($0.by == "unit" ? "各单位" : "中心")）\($0.due) 前" }.joined(separator: "；"),
            quarters: quarters, action: "/console/quarterly" + (part == .overview ? "" : "/\(part.rawValue)"), tabs: tabs,
            figures: r.figures.map(row), breakdowns: tables,
            months: r.months.map { .init(label: $0.label, count: $0.count, previousQuarter: !$0.inQuarter) },
            units: units, charts: charts, trend: trend, onTime: onTime, summaryText: r.bulletinSummary, cases: cases, hasCases: !cases.isEmpty,
            casesNote: r.typicalCasesNote, summaryHref: "/console/quarterly/summary" + query, bulletinHref: "/console/quarterly/bulletin" + query)
        let template = switch part {
        case .overview: "quarterly"
        case .summary: "quarterly-summary"
        case .bulletin: "quarterly-bulletin"
        }
        return Self.html(pages.render(page, template))
    }
}
