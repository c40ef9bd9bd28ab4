import Foundation
import KesuKernel
import KesuYAML
import Testing

/// `reporting.reports`: the periodic reports a procedure requires and when each falls due.
@Suite struct PeriodicReportsTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test func tobaccoPackDeclaresItsQuarterlyReports() throws {
        let pack = try RulePackLoader().load(directory: Self.root.appendingPathComponent("rules/tobacco-prefecture").path).pack
        let r = pack.reporting.reports
        #expect(r.map(\.id) == ["expectation_analysis", "quarterly_summary", "complaint_bulletin"])
        #expect(r.map(\.by) == [.unit, .center, .center])
        #expect(r.map(\.name).first == "客户期望分析报告")
        #expect(r[0].due(year: 2026, quarter: 3).description == "2026-09-15")
        #expect(r[1].due(year: 2026, quarter: 4).description == "2026-12-20")
        // A day past the month's end is its last day.
        #expect(PeriodicReportDef(id: "x", name: "x", by: .center, monthOfQuarter: 2, day: 31).due(year: 2026, quarter: 1).description == "2026-02-28")
    }

    @Test func badReportsAreRefusedWithTheirPlace() throws {
        let dir = try Fixture.write(["reporting.yaml": """
            reporting:
              reports:
                - {id: a, name: 报告甲, by: team, due: {month_of_quarter: 3, day: 15}}
                - {id: b, name: 报告乙, by: unit, due: {month_of_quarter: 4, day: 15}}
                - {id: b, name: 报告丙, by: center, due: {month_of_quarter: 1, day: 0}}
                - {id: c, name: 报告丁, by: center, due: {month: 3, day: 20}}

            """])
        let messages = Fixture.failures(dir).filter { $0.severity == .error }.map(\.description)
        func has(_ words: [String]) -> Bool { messages.contains { m in words.allSatisfy { m.contains($0) } } }
        #expect(has(["reporting.yaml:3:", "team"]), "\(messages)")
        #expect(has(["reporting.yaml:4:", "month_of_quarter 4 is not 1, 2 or 3"]), "\(messages)")
        #expect(has(["day 0 is not a day of a month"]), "\(messages)")
        #expect(has(["reporting.yaml:5:", "duplicate periodic report 'b'"]), "\(messages)")
        #expect(has(["reporting.yaml:6:", "unknown key 'month'"]), "\(messages)")
    }
}
