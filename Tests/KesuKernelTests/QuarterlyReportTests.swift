import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import KesuKernel
import KesuRendering
import KesuTestSupport
import Testing

/// The quarterly summary over 2026Q3/2026Q4 with National Day (Oct 1–7) between them. Every
/// expectation below is counted by hand from the fixture.
@Suite struct QuarterlyReportTests {
    func at(_ s: String) -> Date { TestPack.at(s) }

    /// P1 (Aug, service, unit_a, on time, satisfied) and A (Sep 30, dispatched to unit_a before
    /// the holiday; in Q4 answered in time, callback unsatisfied, re-dispatched to unit_b, satisfied)
    /// open in Q3. In Q4: C (Oct 9, inquiry answered on the spot at the center), B (Oct 12,
    /// extended, late, fault ours), D (Nov 2, delivery → unit_b: unsatisfied, re-dispatched, then
    /// satisfied), E (Dec 1, registered only, subject `<烟>&"x"`).
    static func fixture(_ pack: RulePack = TestPack.make()) async throws -> Engine {
        let e = try Engine(pack: pack, store: MemoryStore())
        func at(_ s: String) -> Date { TestPack.at(s) }
        func intake(_ time: String, _ fields: [String: String]) async throws -> String {
            try await e.intake(fields: ["channel": "phone", "kind": "complaint", "description": "x"].merging(fields) { $1 },
                               by: "clerk1", at: at(time)).state.number
        }
        let p1 = try await intake("2026-08-10T09:00", ["category": "service", "description": "态度差"])
        try await e.act(p1, transition: "dispatch", fields: ["category": "service"], by: "chief", at: at("2026-08-10T10:00"))
        try await e.act(p1, transition: "answer", fields: ["result": "已道歉"], by: "a_handler", at: at("2026-08-11T09:00"))
        try await e.act(p1, transition: "approve", by: "a_head", at: at("2026-08-11T10:00"))
        try await e.act(p1, transition: "callback", fields: ["satisfaction": "satisfied"], by: "clerk1", at: at("2026-08-12T10:00"))

        let a = try await intake("2026-09-30T10:00", ["category": "service"])
        try await e.act(a, transition: "dispatch", fields: ["category": "service"], by: "chief", at: at("2026-09-30T11:00"))
        try await e.act(a, transition: "answer", fields: ["result": "已道歉"], by: "a_handler", at: at("2026-10-08T09:00"))
        try await e.act(a, transition: "approve", by: "a_head", at: at("2026-10-08T10:00"))
        try await e.act(a, transition: "callback", fields: ["satisfaction": "unsatisfied"], by: "clerk1", at: at("2026-10-09T10:00"))
        try await e.act(a, transition: "redispatch", fields: ["handling_unit": "unit_b"], by: "clerk1", at: at("2026-10-09T11:00"))
        try await e.act(a, transition: "answer", fields: ["result": "已补送"], by: "b_liaison", at: at("2026-10-12T09:00"))
        try await e.act(a, transition: "approve", by: "b_head", at: at("2026-10-12T10:00"))
        try await e.act(a, transition: "callback", fields: ["satisfaction": "satisfied"], by: "clerk1", at: at("2026-10-12T15:00"))

        let c = try await intake("2026-10-09T09:00", ["kind": "inquiry", "category": "other", "subject": "咨询办证"])
        try await e.act(c, transition: "answer_on_spot", fields: ["result": "已解答"], by: "clerk1", at: at("2026-10-09T09:30"))

        let b = try await intake("2026-10-12T09:00", ["category": "service", "description": "客户经理不回电话"])
        try await e.act(b, transition: "dispatch", fields: ["category": "service"], by: "chief", at: at("2026-10-12T10:00"))
        try await e.extend(b, clock: "answer", by: .workingDays(1, .endOfDay), reason: "核实", approver: "chief", at: at("2026-10-14T10:00"))
        _ = try await e.sweep(at: at("2026-10-19T09:00"))
        try await e.act(b, transition: "answer", fields: ["result": "已处理", "fault": "ours"], by: "a_handler", at: at("2026-10-19T10:00"))
        try await e.act(b, transition: "approve", by: "a_head", at: at("2026-10-19T11:00"))

        let d = try await intake("2026-11-02T09:00", ["category": "delivery", "description": "送货晚了两天"])
        try await e.act(d, transition: "dispatch", fields: ["category": "delivery"], by: "chief", at: at("2026-11-02T10:00"))
        try await e.act(d, transition: "answer", fields: ["result": "已补送"], by: "b_liaison", at: at("2026-11-03T09:00"))
        try await e.act(d, transition: "approve", by: "b_head", at: at("2026-11-03T10:00"))
        try await e.act(d, transition: "callback", fields: ["satisfaction": "unsatisfied"], by: "clerk1", at: at("2026-11-04T10:00"))
        try await e.act(d, transition: "redispatch", by: "clerk1", at: at("2026-11-04T11:00"))
        try await e.act(d, transition: "answer", fields: ["result": "已道歉赔偿"], by: "b_liaison", at: at("2026-11-05T09:00"))
        try await e.act(d, transition: "approve", by: "b_head", at: at("2026-11-05T10:00"))
        try await e.act(d, transition: "callback", fields: ["satisfaction": "satisfied"], by: "clerk1", at: at("2026-11-06T10:00"))

        _ = try await intake("2026-12-01T09:00", ["category": "service", "subject": "<烟>&\"x\""])
        return e
    }

    func quarter(_ e: Engine, _ q: String) async throws -> QuarterlyReport {
        try await e.quarterlyReport(period: try Period.parse(q, calendar: e.planner.calendar))
    }

    @Test func countsByFieldAsTheyStoodAtQuarterEnd() async throws {
        let e = try await Self.fixture()
        let q4 = try await quarter(e, "2026Q4")
        #expect((q4.opened, q4.previousOpened) == (4, 2))
        #expect(q4.breakdown("kind")?.line("complaint").map { [$0.count, $0.previous, $0.change] } == [3, 2, 1])
        #expect(q4.breakdown("kind")?.line("inquiry")?.count == 1)
        let cat = try #require(q4.breakdown("category"))
        #expect(cat.lines.map(\.id) == ["service", "delivery", "license", "other"])
        #expect(cat.lines.map(\.count) == [2, 1, 0, 1])
        #expect(cat.lines.map(\.previous) == [2, 0, 0, 0])
        #expect(cat.line("service")?.name == "服务")
        let unit = try #require(q4.breakdown("handling_unit"))
        #expect(unit.line("unit_a").map { [$0.count, $0.previous] } == [2, 2], "A was unit_a's at the end of Q3")
        #expect(unit.line("unit_b")?.count == 1)
        #expect(unit.line("center")?.count == 1)
        #expect(q4.breakdown("channel")?.line("phone").map { [$0.count, $0.previous] } == [4, 2])
        #expect(q4.breakdown("complainant_type")?.lines.map(\.id) == [""], "nobody gave a complainant type")
        #expect(q4.breakdown("complainant_type")?.lines.first?.count == 4)
        let q3 = try await quarter(e, "2026Q3")
        #expect(q3.breakdown("handling_unit")?.line("unit_a")?.count == 2)
        #expect(q3.breakdown("handling_unit")?.line("unit_b")?.count == 0)
    }

    @Test func ratesAndComparison() async throws {
        let e = try await Self.fixture()
        let q4 = try await quarter(e, "2026Q4")
        // Answered in Q4: A by unit_a (in time over the holiday), A by unit_b, B late, D twice → 4 of 5.
        #expect(q4.figure("answered").map { [$0.current, $0.previous] } == [5, 1])
        #expect(q4.figure("on_time_rate").map { [$0.current, $0.previous, $0.change] } == [0.8, 1, -20])
        #expect(q4.figure("on_time_rate")?.changeText == "-20.0 pp")
        // Callbacks in Q4: A unsatisfied, A satisfied, D unsatisfied, D satisfied.
        #expect(q4.figure("satisfaction_rate").map { [$0.current, $0.previous, $0.change] } == [0.5, 1, -50])
        #expect(q4.figure("substantiated").map { [$0.current, $0.previous, $0.change] } == [1, 0, 1])
        #expect(q4.figure("opened")?.changeText == "+2")
        #expect(q4.figure("kind:inquiry").map { [$0.current, $0.previous] } == [1, 0])
        #expect(q4.figure("redispatched")?.current == 2)
        #expect(q4.figure("overdue")?.current == 1)
        #expect(q4.figure("extensions")?.current == 1)
        let a = try #require(q4.unit("unit_a")), b = try #require(q4.unit("unit_b"))
        #expect((a.answered, a.answeredOnTime) == (2, 1))
        #expect([a.onTimeRate, a.satisfactionRate, a.previousOnTimeRate] == [0.5, 0, 1])
        #expect((b.answered, b.answeredOnTime, b.callbacks, b.satisfied) == (3, 3, 3, 2))
        #expect(b.onTimeRate == 1)
        #expect(q4.unit("unit_b")?.previousOnTimeRate == nil)
    }

    @Test func monthlyTrendOverSixMonths() async throws {
        let q4 = try await quarter(try await Self.fixture(), "2026Q4")
        #expect(q4.months.map(\.label) == ["2026-07", "2026-08", "2026-09", "2026-10", "2026-11", "2026-12"])
        #expect(q4.months.map(\.count) == [0, 1, 1, 2, 1, 1])
        #expect(q4.months.map(\.inQuarter) == [false, false, false, true, true, true])
    }

    @Test func typicalCasesOrder() async throws {
        let e = try await Self.fixture()
        let q4 = try await quarter(e, "2026Q4")
        // Outcomes first (D re-dispatched once before B), then the earliest without: C; limit 3.
        #expect(q4.typicalCases.map(\.number) == ["T-2026-000005", "T-2026-000004", "T-2026-000003"])
        let d = q4.typicalCases[0]
        #expect([d.categoryName, d.unitName, d.excerpt] == ["送货", "乙部门", "送货晚了两天"])
        #expect(d.outcomes == ["unsatisfied_callback"] && d.redispatched == 1)
        #expect(d.outcomeNames == ["回访不满意"])
        #expect(d.stateName == "办结")
        #expect(q4.typicalCases[1].outcomes == ["fault_found"])
        #expect(q4.typicalCases[2].excerpt == "咨询办证", "the subject before the description")
        // Q3 as it stood at its end: A had no outcome yet and was still unit_a's.
        let q3 = try await quarter(e, "2026Q3")
        #expect(q3.typicalCases.map(\.number) == ["T-2026-000001", "T-2026-000002"])
        #expect(q3.typicalCases[1].outcomes.isEmpty)
        #expect(q3.typicalCases[1].unit == "unit_a")
        #expect(q3.typicalCases[1].state == "dispatched")
    }

    @Test func aClosedQuarterDoesNotDrift() async throws {
        let e = try await Self.fixture()
        let before = try await quarter(e, "2026Q3")
        _ = try await e.intake(fields: ["channel": "phone", "kind": "complaint", "description": "y", "category": "delivery"],
                               by: "clerk1", at: at("2027-01-04T09:00"))
        #expect(try await quarter(e, "2026Q3") == before)
    }

    @Test func refusesAPeriodThatIsNotAQuarter() async throws {
        let e = try await Self.fixture()
        await #expect(throws: KesuError.self) {
            try await e.quarterlyReport(period: try Period.parse("2026-10", calendar: e.planner.calendar))
        }
        #expect(try Period.parse("2026Q1", calendar: e.planner.calendar).previousQuarter(calendar: e.planner.calendar).label == "2025Q4")
    }

    // MARK: charts and documents

    final class SVGBars: NSObject, XMLParserDelegate {
        var bars: [(width: Double, value: Double)] = []
        var texts: [String] = []
        var inText = false
        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                    attributes: [String: String] = [:]) {
            if name == "rect", attributes["class"] == "bar" {
                bars.append((Double(attributes["width"] ?? "") ?? -1, Double(attributes["data-value"] ?? "") ?? -1))
            }
            if name == "text" || name == "title" { inText = true; texts.append("") }
        }
        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            if name == "text" || name == "title" { inText = false }
        }
        func parser(_ parser: XMLParser, foundCharacters string: String) { if inText { texts[texts.count - 1] += string } }
    }

    func parse(_ svg: String) -> (ok: Bool, SVGBars) {
        let p = XMLParser(data: Data(svg.utf8))
        let d = SVGBars()
        p.delegate = d
        return (p.parse(), d)
    }

    @Test func categoryChartIsWellFormedWithProportionalBarsAndEscapedText() async throws {
        var pack = TestPack.make()
        pack.categories[0].name = "服务<&>\"'"
        let q4 = try await quarter(try await Self.fixture(pack), "2026Q4")
        let svg = q4.categoryChart
        #expect(svg.contains("服务&lt;&amp;&gt;&quot;&#39;"))
        #expect(!svg.contains("服务<&"))
        let (ok, d) = parse(svg)
        #expect(ok)
        #expect(d.bars.map(\.value) == [2, 1, 0, 1], "one bar per category, in pack order")
        let unit = d.bars[0].width / 2
        #expect(unit > 0)
        for b in d.bars { #expect(abs(b.width - b.value * unit) < 0.11) }
        #expect(d.texts.contains("服务<&>\"'"))
        // Same data, same bytes.
        #expect(q4.categoryChart == svg)
    }

    @Test func otherChartsAreWellFormed() async throws {
        let q4 = try await quarter(try await Self.fixture(), "2026Q4")
        for svg in [q4.unitChart, q4.trendChart, q4.onTimeChart] {
            #expect(parse(svg).ok)
            #expect(svg.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox="))
            #expect(!svg.contains("http://") || !svg.replacingOccurrences(of: "http://www.w3.org/2000/svg", with: "").contains("http"))
        }
        let (_, onTime) = parse(q4.onTimeChart)
        // Percent bars on a fixed 0–100 scale: unit_a 50%, unit_b 100%.
        #expect(onTime.bars.map(\.value) == [50, 100])
        #expect(abs(onTime.bars[0].width * 2 - onTime.bars[1].width) < 0.11)
        let (_, trend) = parse(q4.trendChart)
        #expect(trend.texts.contains("2026-07") && trend.texts.contains("2026-12"))
        #expect(ChartSVG.bars(title: "空", []).contains("无数据"))
    }

    @Test func kernelKeepsKeysAndRenderingLabelsThem() async throws {
        let q4 = try await quarter(try await Self.fixture(), "2026Q4")
        // The kernel's own figures and the fields it counts by carry keys only; pack values their pack label.
        #expect(q4.figure("opened")?.name == nil && q4.figure("on_time_rate")?.name == nil)
        #expect(q4.figure("kind:complaint")?.name == "投诉")
        #expect(q4.breakdown("category")?.name == nil)
        #expect(q4.breakdown("category")?.line("service")?.name == "服务")
        let unset = try #require(q4.breakdown("complainant_type")?.line(""))
        #expect(unset.name == nil)
        // KesuRendering labels them, and `labelled` is what the JSON shows.
        #expect(q4.figure("opened")?.label == "受理总数" && q4.figure("on_time_rate")?.label == "按时办结率")
        #expect(q4.breakdown("category")?.label == "分类" && unset.label == "(未填)")
        let labelled = q4.labelled
        #expect(labelled.figures.allSatisfy { $0.name == $0.label && !$0.label.contains(":") })
        #expect(labelled.breakdowns.map(\.name) == ["类型", "分类", "承办单位", "渠道", "客户类型"])
        #expect(labelled.breakdown("complainant_type")?.line("")?.name == "(未填)")
    }

    @Test func htmlAndCSV() async throws {
        let e = try await Self.fixture()
        let q4 = try await quarter(e, "2026Q4")
        let html = q4.html(zone: TestPack.zone)
        #expect(html.contains("@page { size: A4; margin: 12mm }"))
        #expect(html.contains("page-break-before: always"))
        #expect(html.components(separatedBy: "<svg").count - 1 == 4)
        #expect(html.contains("甲部门") && html.contains("乙部门"))
        #expect(html.contains("T-2026-000005"))
        #expect(!html.contains("<link") && !html.contains("src="))
        #expect(!html.contains("<烟>"), "case text is escaped")
        let csv = q4.csv
        #expect(Array(csv.prefix(3)) == [0xEF, 0xBB, 0xBF])
        let text = String(decoding: csv.dropFirst(3), as: UTF8.self)
        let lines = text.components(separatedBy: "\r\n")
        #expect(lines[0] == "栏目,项目,本季度,上季度,增减")
        #expect(lines.contains("总体,受理总数,4,2,+2"))
        #expect(lines.contains("总体,按时办结率,80.0%,100.0%,-20.0 pp"))
        #expect(lines.contains("分类,送货,1,0,+1"))
        #expect(lines.contains("承办单位,甲部门,2,2,0"))
        #expect(lines.contains("月度,2026-10,2,0,+2"))
    }
}
