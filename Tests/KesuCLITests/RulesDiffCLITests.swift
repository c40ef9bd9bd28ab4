import Foundation
import Testing

/// `kesu rules diff`: a route and a deadline are edited in a copy of the prefecture pack; the
/// static diff names them and the replay finds exactly the stored cases they change.
@Suite struct RulesDiffCLITests {
    /// A copy of rules/ (the pack includes ../calendars) in which `edit` rewrites files of the tobacco pack.
    static func copyOfRules(into dir: URL, edit: [String: (String) -> String] = [:]) throws -> String {
        let rules = dir.appendingPathComponent("rules")
        try FileManager.default.copyItem(at: KesuCLI.packageRoot.appendingPathComponent("rules"), to: rules)
        let pack = rules.appendingPathComponent("tobacco-prefecture")
        for (file, change) in edit {
            let url = pack.appendingPathComponent(file)
            let text = try String(contentsOf: url, encoding: .utf8)
            let changed = change(text)
            #expect(changed != text, "the edit of \(file) must change it")
            try changed.write(to: url, atomically: true, encoding: .utf8)
        }
        return pack.path
    }

    @Test func replayFindsTheCasesAnEditedRouteAndDeadlineChange() throws {
        let cli = try KesuCLI()
        let old = try Self.copyOfRules(into: cli.dir.appendingPathComponent("old"))
        // R4a now sends only county_b's settlement complaints to the county; the answer deadline drops to 2 working days.
        let new = try Self.copyOfRules(into: cli.dir.appendingPathComponent("new"), edit: [
            "routing.yaml": { $0.replacingOccurrences(of: "when: {category: e_settlement, region: {one_of: [county_a, county_b]}}",
                                                      with: "when: {category: e_settlement, region: {one_of: [county_b]}}") },
            "clocks.yaml": { $0.replacingOccurrences(of: "    working_days: 3\n    ends: end_of_day\n    start: [approve_dispatch, redispatch]",
                                                     with: "    working_days: 2\n    ends: end_of_day\n    start: [approve_dispatch, redispatch]") },
        ])
        func intake(_ category: String, _ region: String?, at time: String) throws -> String {
            var args = ["intake", "--json", "--field", "channel=phone", "--field", "kind=complaint", "--field", "complainant_type=retailer",
                        "--field", "category=\(category)", "--field", "description=测试投诉"]
            if let region { args += ["--field", "region=\(region)"] }
            let r = try cli.run(args, rules: old, now: time, as: "zhao_min")
            #expect(r.status == 0, "\(r.stderr)")
            return r.json["number"] as? String ?? "?"
        }
        func dispatch(_ number: String, _ category: String, at minutes: Int) throws {
            let s = try cli.run(["act", number, "substantiate", "--field", "substantiated=yes", "--field", "category=\(category)",
                                 "--field", "level=general"], rules: old, now: "2026-10-12T10:\(minutes):00+08:00", as: "zhao_min")
            #expect(s.status == 0, "\(s.stderr)")
            let d = try cli.run(["act", number, "approve_dispatch"], rules: old, now: "2026-10-12T11:\(minutes):00+08:00", as: "qian_jin")
            #expect(d.status == 0, "\(d.stderr)")
        }
        let c1 = try intake("marketing_service", "county_a", at: "2026-10-12T09:00:00+08:00")
        let c2 = try intake("marketing_service", "county_b", at: "2026-10-12T09:01:00+08:00")
        let c3 = try intake("e_settlement", "county_a", at: "2026-10-12T09:02:00+08:00")
        let c4 = try intake("e_settlement", "county_b", at: "2026-10-12T09:03:00+08:00")
        let c5 = try intake("logistics_service", nil, at: "2026-10-12T09:04:00+08:00")
        let c6 = try intake("e_settlement", "county_a", at: "2026-10-12T09:05:00+08:00")
        try dispatch(c3, "e_settlement", at: 10)
        try dispatch(c5, "logistics_service", at: 20)
        let before = try cli.run(["show", c3, "--json"], rules: old)

        let r = try cli.run(["rules", "diff", old, new, "--replay", "--json"], rules: old, now: "2026-10-13T09:00:00+08:00")
        #expect(r.status == 0, "\(r.stderr)")
        let changes = r.json["changes"] as? [[String: Any]] ?? []
        #expect(changes.contains { $0["section"] as? String == "routing" && $0["id"] as? String == "R4a-settlement-county" && $0["kind"] as? String == "changed" })
        #expect(changes.contains { $0["section"] as? String == "clocks" && $0["id"] as? String == "answer"
            && ($0["details"] as? [String] ?? []).contains { $0.contains("3 working day") && $0.contains("2 working day") } })
        #expect(changes.count == 2, "only the two edits: \(changes)")

        let replay = try #require(r.json["replay"] as? [String: Any])
        // Only the cases the edits reach are replayed: c3 and c6 route differently, c3 and c5 were dispatched (the answer clock).
        #expect(replay["considered"] as? Int == 6)
        #expect(replay["examined"] as? Int == 3)
        #expect(replay["scope"] as? String == "affected")
        #expect(replay["selection"] as? String == "routing, clock answer changed: 3 of 6 cases route differently or take a transition that reaches a changed clock or scoring rule")
        let cases = replay["cases"] as? [[String: Any]] ?? []
        #expect(Set(cases.compactMap { $0["number"] as? String }) == [c3, c5, c6], "\(cases)")
        func kinds(_ n: String) -> Set<String> { Set(cases.first { $0["number"] as? String == n }?["kinds"] as? [String] ?? []) }
        #expect(kinds(c3).isSuperset(of: ["handling_unit", "due"]))
        #expect(kinds(c5).contains("due") && !kinds(c5).contains("handling_unit"))
        #expect(kinds(c6) == ["handling_unit"])
        let c6Changes = cases.first { $0["number"] as? String == c6 }?["changes"] as? [[String: Any]] ?? []
        #expect(c6Changes.first?["old"] as? String == "county_a (R4a-settlement-county)")
        #expect(c6Changes.first?["new"] as? String == "finance (R4b-settlement)")
        #expect((replay["by_kind"] as? [String: Int])?["handling_unit"] == 2)
        #expect((replay["by_kind"] as? [String: Int])?["due"] == 2)
        #expect((replay["by_unit"] as? [String: Int])?["finance"] == 2)
        _ = (c1, c2, c4)

        // The replay only read the store.
        let after = try cli.run(["show", c3, "--json"], rules: old)
        #expect(after.stdout == before.stdout)
        #expect(try cli.run(["list", "--json"], rules: old).json["total"] as? Int == 6)

        let text = try cli.run(["rules", "diff", old, new, "--replay"], rules: old, now: "2026-10-13T09:00:00+08:00")
        #expect(text.stdout.contains("3 of 6 cases replayed under both packs; 3 would come out differently"))
        #expect(text.stdout.contains("selection: routing, clock answer changed: 3 of 6 cases"))
        // Every case replayed: the same cases differ.
        let all = try cli.run(["rules", "diff", old, new, "--replay", "--scope", "all", "--json"], rules: old, now: "2026-10-13T09:00:00+08:00")
        let allReplay = try #require(all.json["replay"] as? [String: Any])
        #expect(allReplay["examined"] as? Int == 6 && allReplay["scope"] as? String == "all")
        #expect(Set((allReplay["cases"] as? [[String: Any]] ?? []).compactMap { $0["number"] as? String }) == [c3, c5, c6])
        #expect(text.stdout.contains("handling unit: county_a (R4a-settlement-county) → finance (R4b-settlement)"))
        #expect(text.stdout.contains("the store was not modified"))
    }

    @Test func identicalPacksShowNoChange() throws {
        let cli = try KesuCLI()
        let r = try cli.run(["rules", "diff", KesuCLI.pack("tobacco-prefecture"), KesuCLI.pack("tobacco-prefecture")])
        #expect(r.status == 0)
        #expect(r.stdout.contains("no change in the rules' effect"))
    }

    @Test func replayWithoutAStoreSaysWhatToPass() throws {
        let cli = try KesuCLI()
        let p = KesuCLI.pack("tobacco-prefecture")
        let r = try cli.run(["rules", "diff", p, p, "--replay", "--since", "2026-13-01"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("--since '2026-13-01' is not a date"))
    }
}
