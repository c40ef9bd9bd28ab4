import Foundation
import KesuKernel
import KesuTestSupport
import Testing

@Suite struct PackTestRunnerTests {
    let runner = PackTestRunner(pack: TestPack.make())

    @Test func routeRowsReportExpectedAgainstActualAndCatchTypos() async {
        let test = Scenario(name: "routes", routes: [
            .init(fields: ["category": "service"], handling_unit: "unit_a", routing_rule: "R2"),
            .init(name: "wrong unit", fields: ["category": "delivery"], handling_unit: "unit_a"),
            .init(name: "typo", fields: ["category": "servise"], handling_unit: "center", routing_rule: "R9"),
            .init(name: "field typo", fields: ["categroy": "service"], handling_unit: "center"),
        ])
        let r = await runner.run(test, file: "t.yaml")
        #expect(r.failures == [
            "route 2 (wrong unit) [category=delivery]: handling unit: expected unit_a, got unit_b",
            "route 3 (typo): 'servise' is not a value of category; did you mean 'service'?",
            "route 4 (field typo): unknown field 'categroy'; did you mean 'category'?",
        ])
    }

    @Test func aTestThatChecksNothingFails() async {
        let r = await runner.run(Scenario(name: "empty"), file: "t.yaml")
        #expect(!r.passed)
        #expect(r.failures == ["the test has no steps and no routes: it checks nothing"])
    }

    @Test func stepFailuresSayWhichStepAndWhat() async {
        let test = Scenario(name: "timeline", steps: [
            .init(at: "2026-09-30T10:00:00+08:00", as: "clerk1",
                  intake: ["channel": "phone", "kind": "complaint", "description": "x", "category": "service"],
                  expect: .init(handling_unit: "unit_b")),
        ])
        let r = await runner.run(test, file: "t.yaml")
        #expect(r.failures == ["step 1 (intake at 2026-09-30T10:00:00+08:00): handling unit: expected unit_b, got unit_a"])
    }
}
