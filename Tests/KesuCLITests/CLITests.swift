import Foundation
import Testing

/// The `kesu` command line, end to end: the names and JSON shapes scripts rely on.
@Suite struct CLITests {
    static let packs = ["tobacco-prefecture", "online-service", "after-sales", "county-example"]

    @Test(arguments: packs)
    func shippedPackValidates(_ pack: String) throws {
        let cli = try KesuCLI()
        let r = try cli.run(["rules", "validate", KesuCLI.pack(pack), "--json"])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.json["valid"] as? Bool == true)
        #expect((r.json["version"] as? String)?.count == 64)
        #expect(!FileManager.default.fileExists(atPath: cli.db), "validate must not create a database")
    }

    /// Each pack's scenario: a whole life from intake to close, with an unsatisfied callback and
    /// a re-dispatch, every expectation in the scenario file checked.
    @Test(arguments: packs)
    func shippedPackRunsItsWholeLife(_ pack: String) throws {
        let cli = try KesuCLI()
        let r = try cli.run(["demo", "--json"], rules: KesuCLI.pack(pack))
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.json["failures"] as? Int == 0)
        let steps = r.json["steps"] as? [[String: Any]] ?? []
        #expect(steps.last?["state"] as? String == "closed")
        let number = try #require(r.json["case"] as? String)
        let show = try cli.run(["show", number, "--json"], rules: KesuCLI.pack(pack))
        #expect(show.json["closed_at"] is String)
        let events = show.json["events"] as? [[String: Any]] ?? []
        #expect(events.contains { $0["type"] as? String == "outcome" && jsonText($0["body"]).contains("unsatisfied_callback") })
        #expect(events.filter { $0["type"] as? String == "routed" }.count >= 1)
    }

    @Test func intakeActShowListSweepScoresThroughTheCLI() throws {
        let cli = try KesuCLI()
        let intake = try cli.run([
            "intake", "--json", "--field", "channel=phone", "--field", "kind=complaint", "--field", "complainant_type=retailer",
            "--field", "category=logistics_service", "--field", "description=送货员送货不及时",
        ], now: "2026-09-30T10:00:00+08:00", as: "zhao_min")
        #expect(intake.status == 0, "\(intake.stderr)")
        let j = intake.json
        #expect(j["number"] as? String == "YC-2026-000001")
        #expect(j["state"] as? String == "registered")
        #expect(j["handling_unit"] as? String == "logistics_center")
        #expect(j["routing_rule"] as? String == "R2b-logistics")
        #expect(j["clocks"] is [Any])

        let sub = try cli.run(["act", "YC-2026-000001", "substantiate", "--json", "--field", "substantiated=yes",
                               "--field", "category=logistics_service", "--field", "level=important"],
                              now: "2026-09-30T10:10:00+08:00", as: "zhao_min")
        #expect(sub.json["state"] as? String == "awaiting_approval")
        let dispatch = try cli.run(["act", "YC-2026-000001", "approve_dispatch", "--json"], now: "2026-09-30T11:00:00+08:00", as: "qian_jin")
        let running = (dispatch.json["clocks"] as? [[String: Any]] ?? []).filter { $0["status"] as? String == "running" }
        #expect(running.contains { $0["id"] as? String == "answer" && $0["due_at"] as? String == "2026-10-10T18:00:00+08:00" })

        let accept = try cli.run(["act", "YC-2026-000001", "accept", "--json", "--field", "assignee=zhang_tao"],
                                 now: "2026-09-30T11:30:00+08:00", as: "liu_yang")
        #expect(accept.json["assignee"] as? String == "zhang_tao")
        // Overdue after the due time; nothing overdue before it.
        let before = try cli.run(["list", "--overdue", "--json"], now: "2026-10-09T09:00:00+08:00")
        #expect(before.json["total"] as? Int == 0)
        let after = try cli.run(["list", "--overdue", "--json"], now: "2026-10-12T09:00:00+08:00")
        #expect(after.json["total"] as? Int == 1)
        let byUnit = try cli.run(["list", "--unit", "logistics_center", "--json"])
        #expect(byUnit.json["total"] as? Int == 1)

        let sweep1 = try cli.run(["sweep", "--json"], now: "2026-10-12T09:00:00+08:00")
        let fired = sweep1.json["fired"] as? [[String: Any]] ?? []
        #expect(fired.contains { $0["violation"] as? String == "late_answer" })
        #expect(!fired.contains { $0["violation"] as? String == "late_acceptance" })
        let sweep2 = try cli.run(["sweep", "--json"], now: "2026-10-12T09:00:00+08:00")
        #expect((sweep2.json["fired"] as? [Any])?.isEmpty == true)

        let scores = try cli.run(["scores", "--period", "2026Q4", "--by", "unit", "--json"])
        let rows = scores.json["rows"] as? [[String: Any]] ?? []
        let logistics = try #require(rows.first { $0["id"] as? String == "logistics_center" })
        #expect(logistics["deducted"] as? Double == 1)   // the late answer
        #expect(logistics["score"] as? Double == 99)
        let items = logistics["items"] as? [[String: Any]] ?? []
        #expect(items.first?["case"] as? String == "YC-2026-000001")
        #expect(items.first?["cause"] as? String == "violation:late_answer")
        #expect(items.first?["occurred_at"] as? String == "2026-10-10T18:00:00+08:00")
        let people = try cli.run(["scores", "--period", "2026Q4", "--by", "person", "--json"])
        let zhang = (people.json["rows"] as? [[String: Any]] ?? []).first { $0["id"] as? String == "zhang_tao" }
        #expect(zhang?["deducted"] as? Double == 1)
        #expect(try cli.run(["scores", "--period", "2026Q3", "--json"]).json["rows"].map { rows in
            (rows as? [[String: Any]] ?? []).allSatisfy { $0["deducted"] as? Double == 0 }
        } == true)

        let history = try cli.run(["rules", "history", "--json"])
        #expect((history.json["versions"] as? [Any])?.count == 1)
    }

    @Test func aRefusedActionSaysWhyAndChangesNothing() throws {
        let cli = try KesuCLI()
        try cli.run(["intake", "--field", "channel=phone", "--field", "kind=complaint", "--field", "complainant_type=grower",
                     "--field", "description=收购人员压级压价"], now: "2026-09-30T10:00:00+08:00", as: "zhao_min")
        let before = try cli.run(["show", "YC-2026-000001", "--json"]).json["version"] as? Int
        let refused = try cli.run(["act", "YC-2026-000001", "approve_dispatch"], now: "2026-09-30T11:00:00+08:00", as: "zhao_min")
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("error:"))
        #expect(refused.stderr.contains("registered"))
        let typo = try cli.run(["act", "YC-2026-000001", "substantiat"], now: "2026-09-30T11:00:00+08:00", as: "zhao_min")
        #expect(typo.stderr.contains("did you mean 'substantiate'"))
        let missing = try cli.run(["act", "YC-2026-000001", "substantiate", "--json", "--field", "substantiated=yes"],
                                  now: "2026-09-30T11:00:00+08:00", as: "zhao_min")
        #expect((missing.json["error"] as? [String: Any])?["code"] as? String == "missing_field")
        let after = try cli.run(["show", "YC-2026-000001", "--json"]).json["version"] as? Int
        #expect(before != nil && before == after)
    }

    @Test func aBadPackIsRefusedWithEveryErrorLocatedAndTheStoreUntouched() throws {
        let cli = try KesuCLI()
        let bad = cli.dir.appendingPathComponent("bad-pack")
        try FileManager.default.copyItem(atPath: KesuCLI.pack("tobacco-prefecture"), toPath: bad.path)
        try FileManager.default.copyItem(atPath: KesuCLI.pack("calendars"), toPath: cli.dir.appendingPathComponent("calendars").path)
        let routing = bad.appendingPathComponent("routing.yaml")
        var text = try String(contentsOf: routing, encoding: .utf8)
        text = text.replacingOccurrences(of: "unit: marketing_center", with: "unit: marketing_centre")
        try text.write(to: routing, atomically: true, encoding: .utf8)
        let procedure = bad.appendingPathComponent("procedure.yaml")
        var p = try String(contentsOf: procedure, encoding: .utf8)
        p = p.replacingOccurrences(of: "to: answer_review", with: "to: answer_reveiw")
        try p.write(to: procedure, atomically: true, encoding: .utf8)

        let r = try cli.run(["rules", "validate", bad.path])
        #expect(r.status != 0)
        let lines = r.stderr.split(separator: "\n").filter { $0.contains(": error: ") }
        #expect(lines.count >= 2)
        #expect(lines.contains { $0.contains("routing.yaml:") && $0.contains("did you mean 'marketing_center'") })
        #expect(lines.contains { $0.contains("procedure.yaml:") && $0.contains("did you mean 'answer_review'") })
        #expect(lines.allSatisfy { $0.range(of: #"\.yaml:\d+:\d+: error: "#, options: .regularExpression) != nil })

        let intake = try cli.run(["intake", "--field", "channel=phone", "--field", "kind=complaint", "--field", "complainant_type=retailer",
                                  "--field", "description=x"], rules: bad.path, now: "2026-09-30T10:00:00+08:00", as: "zhao_min")
        #expect(intake.status != 0)
        #expect(!FileManager.default.fileExists(atPath: cli.db), "a refused pack must not touch the store")
    }
}
