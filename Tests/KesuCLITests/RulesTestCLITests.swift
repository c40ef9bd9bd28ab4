import Foundation
import Testing

/// `kesu rules test`: every shipped pack's own tests pass; a wrong expectation fails with expected
/// vs actual and exit 1; a mistyped key is refused with its location; `--json` gives the counts.
@Suite struct RulesTestCLITests {
    /// Every folder under rules/ that holds a pack.yaml, so a new pack is tested without editing this.
    static let shippedPacks: [String] = {
        let root = KesuCLI.packageRoot.appendingPathComponent("rules").path
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        return names.filter { FileManager.default.fileExists(atPath: "\(root)/\($0)/pack.yaml") }.sorted()
    }()

    /// A copy of a shipped pack in the CLI's temp folder, with the calendars it includes (`../calendars/…`).
    static func copy(_ pack: String, into cli: KesuCLI) throws -> String {
        let fm = FileManager.default
        let target = cli.dir.appendingPathComponent(pack).path
        try fm.copyItem(atPath: KesuCLI.pack(pack), toPath: target)
        try fm.copyItem(atPath: KesuCLI.pack("calendars"), toPath: cli.dir.appendingPathComponent("calendars").path)
        return target
    }

    @Test func everyShippedPackIsFound() {
        #expect(Self.shippedPacks.count >= 3)
        for pack in ["tobacco-prefecture", "online-service", "after-sales"] { #expect(Self.shippedPacks.contains(pack)) }
        #expect(!Self.shippedPacks.contains("calendars"))
    }

    @Test(arguments: shippedPacks)
    func shippedPackTestsPass(_ pack: String) throws {
        let cli = try KesuCLI()
        let rules = KesuCLI.pack(pack)
        let r = try cli.run(["rules", "test", rules], rules: rules)
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        let lines = r.stdout.split(separator: "\n").map(String.init)
        let results = lines.filter { $0.hasPrefix("PASS  ") || $0.hasPrefix("FAIL  ") }
        #expect(!results.isEmpty, "no test ran: \(r.stdout)\(r.stderr)")
        #expect(results.allSatisfy { $0.hasPrefix("PASS  ") }, "\(r.stdout)")
        #expect(!r.stdout.contains("✗"))
        let summary = try #require(lines.last)
        #expect(summary.hasPrefix("\(results.count) tests, \(results.count) passed, 0 failed"), "\(summary)")
        #expect(!FileManager.default.fileExists(atPath: cli.db), "pack tests run in memory and must not create a database")
    }

    @Test(arguments: shippedPacks)
    func shippedPackTestsAsJSON(_ pack: String) throws {
        let cli = try KesuCLI()
        let rules = KesuCLI.pack(pack)
        let r = try cli.run(["rules", "test", rules, "--json"], rules: rules)
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        let j = r.json
        #expect(j["pack"] as? String == pack)
        #expect((j["version"] as? String)?.count == 64)
        let tests = j["tests"] as? [[String: Any]] ?? []
        #expect(!tests.isEmpty)
        #expect(j["passed"] as? Int == tests.count)
        #expect(j["failed"] as? Int == 0)
        #expect(tests.allSatisfy { $0["passed"] as? Bool == true && ($0["failures"] as? [Any])?.isEmpty == true })
    }

    /// A copy of a pack with deliberately wrong expectations: the test fails, every miss is
    /// printed as expected vs actual, the other tests still pass, and the command exits 1.
    @Test func wrongExpectationFails() throws {
        let cli = try KesuCLI()
        let pack = try Self.copy("tobacco-prefecture", into: cli)
        let broken = """
            name: 故意写错的期望
            steps:
              - at: 2026-09-30T10:00:00+08:00
                as: zhao_min
                intake: {channel: phone, kind: complaint, complainant_type: retailer, category: logistics_service, description: 送货不及时}
                expect: {handling_unit: marketing_center, routing_rule: R2b-logistics}
              - at: 2026-09-30T10:10:00+08:00
                as: zhao_min
                act: substantiate
                fields: {substantiated: "yes", category: logistics_service, level: general}
              - at: 2026-09-30T11:00:00+08:00
                as: qian_jin
                act: approve_dispatch
                expect: {due: {answer: 2026-10-09T18:00:00+08:00}, points: {}}
            routes:
              - {name: 写错的一行, fields: {category: e_settlement, region: county_b}, handling_unit: finance, routing_rule: R4b-settlement}

            """
        try broken.write(toFile: pack + "/tests/zz_broken.yaml", atomically: true, encoding: .utf8)

        let r = try cli.run(["rules", "test", pack], rules: pack)
        #expect(r.status == 1, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("FAIL  故意写错的期望  (3 steps, 1 routes;"), "\(r.stdout)")
        #expect(r.stdout.contains("handling unit: expected marketing_center, got logistics_center"))
        #expect(r.stdout.contains("due of answer: expected 2026-10-09T18:00:00+08:00, got 2026-10-10T18:00:00+08:00"))
        #expect(r.stdout.contains("route 1 (写错的一行) [category=e_settlement region=county_b]: handling unit: expected finance, got county_b; routing rule: expected R4b-settlement, got R4a-settlement-county"))
        // Only this test fails: the pack's own tests in the copy still pass.
        let lines = r.stdout.split(separator: "\n").map(String.init)
        #expect(lines.filter { $0.hasPrefix("FAIL  ") }.count == 1)
        let passed = lines.filter { $0.hasPrefix("PASS  ") }.count
        #expect(passed > 0)
        #expect(lines.last?.hasPrefix("\(passed + 1) tests, \(passed) passed, 1 failed") == true, "\(lines.last ?? "")")

        let j = try cli.run(["rules", "test", pack, "--json"], rules: pack)
        #expect(j.status == 1)
        #expect(j.json["failed"] as? Int == 1)
        #expect(j.json["passed"] as? Int == passed)
        let failing = (j.json["tests"] as? [[String: Any]] ?? []).filter { $0["passed"] as? Bool == false }
        #expect(failing.count == 1)
        #expect(failing.first?["name"] as? String == "故意写错的期望")
        #expect((failing.first?["failures"] as? [String])?.count == 3)

        // --filter runs only the matching tests.
        let only = try cli.run(["rules", "test", pack, "--filter", "故意写错"], rules: pack)
        #expect(only.status == 1)
        #expect(only.stdout.split(separator: "\n").last?.hasPrefix("1 tests, 0 passed, 1 failed") == true, "\(only.stdout)")
    }

    /// A mistyped key is an error at its line and column, not an expectation silently skipped;
    /// nothing runs when a test file is broken.
    @Test func mistypedKeyIsRefusedWithItsLocation() throws {
        let cli = try KesuCLI()
        let pack = try Self.copy("after-sales", into: cli)
        let typo = """
            name: 拼错的键
            steps:
              - at: 2026-11-02T09:00:00+08:00
                as: liu_fang
                intake: {channel: phone, complainant_name: 某客户, description: 维修后仍漏水}
                expct: {state: registered}

            """
        let file = pack + "/tests/typo.yaml"
        try typo.write(toFile: file, atomically: true, encoding: .utf8)
        let r = try cli.run(["rules", "test", pack], rules: pack)
        #expect(r.status != 0)
        #expect(r.stderr.contains("\(file):6:5: error: unknown key 'expct' in a step"), "\(r.stderr)")
        #expect(r.stderr.contains("did you mean 'expect'"), "\(r.stderr)")
        #expect(!r.stdout.contains("PASS"), "no test may run when a test file is broken: \(r.stdout)")

        let j = try cli.run(["rules", "test", pack, "--json"], rules: pack)
        #expect(j.status != 0)
        let error = j.json["error"] as? [String: Any] ?? [:]
        let diagnostics = error["diagnostics"] as? [String] ?? []
        #expect(diagnostics.contains { $0.hasPrefix("\(file):6:5:") && $0.contains("did you mean 'expect'") }, "\(j.stdout)")
    }
}
