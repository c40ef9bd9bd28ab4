import Foundation
import Testing

/// Through the CLI: a case registered under one version of a pack goes on under it after the
/// folder is edited, from the sources the store kept; `rules history` shows both versions.
@Suite struct PinningCLITests {
    @Test func aCaseKeepsItsRulesWhenThePackFolderChanges() throws {
        let cli = try KesuCLI()
        let pack = try RulesDiffCLITests.copyOfRules(into: cli.dir.appendingPathComponent("live"))
        let intake = try cli.run(["intake", "--json", "--field", "channel=phone", "--field", "kind=complaint", "--field", "complainant_type=retailer",
                                  "--field", "category=logistics_service", "--field", "description=送货慢"],
                                 rules: pack, now: "2026-10-12T09:00:00+08:00", as: "zhao_min")
        let number = try #require(intake.json["number"] as? String)
        let sub = try cli.run(["act", number, "substantiate", "--field", "substantiated=yes", "--field", "category=logistics_service",
                               "--field", "level=general"], rules: pack, now: "2026-10-12T10:00:00+08:00", as: "zhao_min")
        #expect(sub.status == 0, "\(sub.stderr)")

        // The administrator shortens the answer deadline to 2 working days and deploys.
        let clocks = URL(fileURLWithPath: pack).appendingPathComponent("clocks.yaml")
        let text = try String(contentsOf: clocks, encoding: .utf8)
        try text.replacingOccurrences(of: "    working_days: 3\n    ends: end_of_day\n    start: [approve_dispatch, redispatch]",
                                      with: "    working_days: 2\n    ends: end_of_day\n    start: [approve_dispatch, redispatch]")
            .write(to: clocks, atomically: true, encoding: .utf8)

        let old = try cli.run(["act", number, "approve_dispatch", "--json"], rules: pack, now: "2026-10-12T11:00:00+08:00", as: "qian_jin")
        #expect(old.status == 0, "\(old.stderr)")
        let due = (old.json["clocks"] as? [[String: Any]] ?? []).first { $0["id"] as? String == "answer" && $0["status"] as? String == "running" }?["due_at"] as? String
        #expect(due == "2026-10-15T18:00:00+08:00", "the case keeps its 3 working days")

        let fresh = try cli.run(["intake", "--json", "--field", "channel=phone", "--field", "kind=complaint", "--field", "complainant_type=retailer",
                                 "--field", "category=logistics_service", "--field", "description=送货慢"],
                                rules: pack, now: "2026-10-12T09:30:00+08:00", as: "zhao_min")
        let n2 = try #require(fresh.json["number"] as? String)
        _ = try cli.run(["act", n2, "substantiate", "--field", "substantiated=yes", "--field", "category=logistics_service",
                         "--field", "level=general"], rules: pack, now: "2026-10-12T10:30:00+08:00", as: "zhao_min")
        let new = try cli.run(["act", n2, "approve_dispatch", "--json"], rules: pack, now: "2026-10-12T11:00:00+08:00", as: "qian_jin")
        let due2 = (new.json["clocks"] as? [[String: Any]] ?? []).first { $0["id"] as? String == "answer" && $0["status"] as? String == "running" }?["due_at"] as? String
        #expect(due2 == "2026-10-14T18:00:00+08:00", "a new case follows the new rules")

        let history = try cli.run(["rules", "history", "--json"], rules: pack)
        let versions = history.json["versions"] as? [[String: Any]] ?? []
        #expect(versions.count == 2)
        #expect(versions.map { $0["cases"] as? Int } == [1, 1])
        #expect(versions.allSatisfy { $0["sources_held"] as? Bool == true })
        #expect(versions.map { $0["current"] as? Bool } == [false, true])

        // The version the first case runs under, compared from the store with the folder in force.
        let oldVersion = try #require(versions.first?["version"] as? String)
        let diff = try cli.run(["rules", "diff", "@" + oldVersion.prefix(10), pack, "--replay", "--json"], rules: pack,
                               now: "2026-10-13T09:00:00+08:00")
        #expect(diff.status == 0, "\(diff.stderr)")
        #expect((diff.json["changes"] as? [[String: Any]] ?? []).map { $0["id"] as? String } == ["answer"])
        let cases = (diff.json["replay"] as? [String: Any])?["cases"] as? [[String: Any]] ?? []
        #expect(Set(cases.compactMap { $0["number"] as? String }) == [number, n2], "both cases' answer clocks differ between the versions")
        let unknown = try cli.run(["rules", "diff", "@ffff", pack], rules: pack)
        #expect(unknown.status == 1)
        #expect(unknown.stderr.contains("no stored pack version @ffff"))
    }
}
