import Foundation
import KesuKernel
import KesuRendering
import KesuServer
import Testing

/// 报告 in the console: the quarterly summary and bulletin show QuarterlyReport's figures, with its charts.
@Suite("web console: quarterly report")
struct ConsoleQuarterlyTests {
    func t(_ s: String) -> Date { ISO8601.parse(s)! }

    /// Two cases in 2026Q3 and three in 2026Q4, in different categories.
    func cases(_ f: ServerFixture) async throws {
        let e = f.api.rules.engine
        let made: [(String, String)] = [
            ("2026-09-14T10:00:00+08:00", "marketing_service"), ("2026-09-15T10:00:00+08:00", "logistics_service"),
            ("2026-10-12T10:00:00+08:00", "marketing_service"), ("2026-10-13T10:00:00+08:00", "marketing_service"),
            ("2026-11-03T10:00:00+08:00", "logistics_service"),
        ]
        for (at, category) in made {
            _ = try await e.intake(fields: ["channel": "phone", "kind": "complaint", "complainant_type": "retailer", "category": category,
                                            "description": "送货晚了 <b>粗体</b>"], by: "zhao_min", at: t(at))
        }
    }

    @Test("the overview, the summary and the bulletin show the report's figures, the previous quarter's and the charts")
    func figures() async throws {
        let f = try await ConsoleTests.fixture(people: ["qian_jin", "li_na"])
        try await cases(f)
        f.clock.set("2026-11-20T09:00:00+08:00")
        let engine = f.api.rules.engine
        let report = try await engine.quarterlyReport(period: try Period.parse("2026Q4", calendar: engine.planner.calendar)).labelled
        #expect(report.opened == 3 && report.previousOpened == 2)
        try await ConsoleTests().run(f) { browser in
            let b = browser()
            _ = try await b.signIn("qian_jin", ConsoleTests.password)
            let overview = try await b.get("/console/quarterly")
            #expect(overview.status == 200 && overview.has(#"<option value="2026Q4" selected>2026年第四季度</option>"#))
            #expect(overview.has(#"<nav aria-label="报告""#) && overview.has(#"aria-current="page">报告"#))
            for fig in report.figures {
                #expect(overview.has(#"<th scope="row">\#(fig.label)</th><td class="n">\#(fig.currentText)</td><td class="n">\#(fig.previousText)</td>"#),
                        "figure \(fig.key)")
            }

            let summary = try await b.get("/console/quarterly/summary?quarter=2026q4")
            #expect(summary.status == 200 && summary.has("<h1>季度客户意见汇总表</h1>"))
            for br in report.breakdowns {
                for line in br.lines {
                    #expect(summary.has(#"<tr><th scope="row">\#(line.label)</th><td class="n">\#(line.count)</td><td class="n">\#(line.previous)</td>"#),
                            "\(br.field) \(line.id)")
                }
            }
            for u in report.units {
                #expect(summary.has(#"<th scope="row">\#(u.name)</th><td class="n">\#(u.received)</td>"#))
            }
            #expect(summary.has("对比上季度 2026年第三季度"))

            let bulletin = try await b.get("/console/quarterly/bulletin?quarter=2026Q4")
            #expect(bulletin.status == 200 && bulletin.has("<h1>客户投诉情况通报</h1>"))
            #expect(bulletin.has(report.bulletinSummary))
            #expect(bulletin.html.components(separatedBy: #"src="data:image/svg+xml;base64,"#).count - 1 == 4)
            // The category chart is ChartSVG's, byte for byte.
            let expected = Data(report.categoryChart.utf8).base64EncodedString()
            #expect(bulletin.has(expected) || bulletin.has(expected.replacingOccurrences(of: "=", with: "&#61;")))
            #expect(!bulletin.has("<b>粗体"))

            // The previous quarter by the chooser, and a quarter that is not one.
            let q3 = try await b.get("/console/quarterly/summary?quarter=2026Q3")
            #expect(q3.has(#"<option value="2026Q3" selected>"#))
            #expect(try await b.get("/console/quarterly?quarter=2026-10").status == 400)

            // Without `reports`: refused, and no menu entry.
            let liaison = browser()
            _ = try await liaison.signIn("li_na", ConsoleTests.password)
            #expect(try await liaison.get("/console/quarterly").status == 403)
            #expect(!(try await liaison.get("/console/")).has(#"href="/console/quarterly""#))
        }
    }
}
