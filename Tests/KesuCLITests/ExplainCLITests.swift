import Foundation
import Testing

/// `kesu rules explain`, run as the built executable: intake fields and a stored case.
@Suite struct ExplainCLITests {
    static let provincialFields = [
        "--field", "channel=provincial", "--field", "kind=complaint", "--field", "complainant_type=retailer",
        "--field", "category=logistics_service",
    ]

    @Test func intakeFieldsInText() throws {
        let cli = try KesuCLI()
        let r = try cli.run(["rules", "explain"] + Self.provincialFields + ["--at", "2026-09-30T10:00"])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(plain(r.stdout).contains("R1b-marketing: skipped — category is 'logistics_service', not 'marketing_service'"))
        #expect(plain(r.stdout).contains("R2b-logistics: matched"))
        #expect(plain(r.stdout).contains("provincial_feedback 省局派单反馈时限 #1 — started 2026-09-30T10:00:00+08:00; 5 working days, due at end of day (18:00)"))
        #expect(r.stdout.contains("2026-10-01 Thursday: holiday 国庆节 (national_day)"))
        #expect(r.stdout.contains("2026-10-10 Saturday: 调休 working day (国庆节), counted (3 of 5)"))
        #expect(r.stdout.contains("2026-10-11 Sunday: weekend"))
        #expect(r.stdout.contains("due 2026-10-13T18:00:00+08:00"))
        #expect(r.stdout.contains("answer 承办答复时限: starts on approve_dispatch, redispatch, not at intake"))
        #expect(!FileManager.default.fileExists(atPath: cli.db), "explaining fields must not create a database")
    }

    @Test func intakeFieldsInJSON() throws {
        let cli = try KesuCLI()
        // No --at: --now is the intake time.
        let r = try cli.run(["rules", "explain", "--json"] + Self.provincialFields, now: "2026-09-30T10:00:00+08:00")
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        let routing = try #require(r.json["routing"] as? [String: Any])
        #expect(routing["matched"] as? String == "R2b-logistics")
        #expect(routing["unit"] as? String == "logistics_center")
        let skipped = routing["skipped"] as? [[String: Any]] ?? []
        #expect(skipped.map { $0["rule"] as? String } == ["R1a-marketing-county", "R1b-marketing", "R2a-logistics-county"])
        #expect(skipped.allSatisfy { !(($0["reasons"] as? [String]) ?? []).isEmpty })
        let clocks = r.json["clocks"] as? [[String: Any]] ?? []
        let clock = try #require(clocks.first)
        #expect(clocks.count == 1)
        #expect(clock["clock"] as? String == "provincial_feedback")
        #expect(clock["run"] as? Int == 1)
        #expect(clock["started_at"] as? String == "2026-09-30T10:00:00+08:00")
        #expect(clock["due_at"] as? String == "2026-10-13T18:00:00+08:00")
        #expect((clock["length_rule"] as? [String: Any])?["working_days"] as? Int == 5)
        let days = clock["days"] as? [[String: Any]] ?? []
        #expect(days.count == 14)
        let holiday = try #require(days.first { $0["date"] as? String == "2026-10-01" })
        #expect(holiday["kind"] as? String == "holiday")
        #expect(holiday["holiday_name"] as? String == "national_day")
        #expect(holiday["holiday_label"] as? String == "国庆节")
        #expect(holiday["counted"] as? Bool == false)
        #expect(holiday["weekday"] as? String == "Thursday")
        let adjusted = try #require(days.first { $0["date"] as? String == "2026-10-10" })
        #expect(adjusted["kind"] as? String == "adjusted_workday")
        #expect(adjusted["counted"] as? Bool == true)
        #expect(adjusted["business_minutes"] as? Double == 420)
        #expect(days.first { $0["date"] as? String == "2026-10-11" }?["kind"] as? String == "weekend")
        #expect(days.filter { $0["counted"] as? Bool == true }.count == 5)
        #expect(r.json["case"] is NSNull)
    }

    @Test func aStoredCaseWithAnExtension() throws {
        let cli = try KesuCLI()
        func ok(_ r: KesuCLI.Result) { #expect(r.status == 0, "\(r.stdout)\(r.stderr)") }
        ok(try cli.run(["intake", "--field", "channel=phone", "--field", "kind=complaint", "--field", "complainant_type=retailer",
                        "--field", "category=logistics_service", "--field", "description=送货不及时"],
                       now: "2026-09-30T10:00:00+08:00", as: "zhao_min"))
        ok(try cli.run(["act", "YC-2026-000001", "substantiate", "--field", "substantiated=yes",
                        "--field", "category=logistics_service", "--field", "level=general"],
                       now: "2026-09-30T10:10:00+08:00", as: "zhao_min"))
        ok(try cli.run(["act", "YC-2026-000001", "approve_dispatch"], now: "2026-09-30T16:20:00+08:00", as: "qian_jin"))
        ok(try cli.run(["extend", "YC-2026-000001", "--clock", "answer", "--days", "1", "--reason", "等待现场核实"],
                       now: "2026-10-09T10:00:00+08:00", as: "qian_jin"))

        let text = try cli.run(["rules", "explain", "--case", "YC-2026-000001"], now: "2026-10-14T09:00:00+08:00")
        ok(text)
        #expect(text.stdout.contains("Case YC-2026-000001"))
        #expect(plain(text.stdout).contains("R2b-logistics: matched"))
        #expect(text.stdout.contains("recorded: R2b-logistics → logistics_center 物流中心 (the same as the current pack decides)"))
        #expect(text.stdout.contains("2026-10-01 Thursday: holiday 国庆节 (national_day)"))
        #expect(text.stdout.contains("working day, started 16:20, 1 h 40 min left that day, counted 16:20–18:00 (1 h 40 min)"))
        #expect(text.stdout.contains("extended 2026-10-09T10:00:00+08:00 by qian_jin 钱进, reason: 等待现场核实; due 2026-10-10T18:00:00+08:00 → 2026-10-12T18:00:00+08:00"))
        #expect(text.stdout.contains("running — OVERDUE"))

        let json = try cli.run(["rules", "explain", "--case", "YC-2026-000001", "--json"], now: "2026-10-14T09:00:00+08:00")
        ok(json)
        #expect(json.json["case"] as? String == "YC-2026-000001")
        let routing = try #require(json.json["routing"] as? [String: Any])
        #expect(routing["matched"] as? String == "R2b-logistics")
        #expect(routing["recorded_rule"] as? String == "R2b-logistics")
        #expect(routing["differs"] as? Bool == false)
        let clocks = json.json["clocks"] as? [[String: Any]] ?? []
        #expect(clocks.map { $0["clock"] as? String } == ["acceptance", "answer"])
        let answer = try #require(clocks.first { $0["clock"] as? String == "answer" })
        #expect(answer["started_at"] as? String == "2026-09-30T16:20:00+08:00")
        #expect(answer["due_at"] as? String == "2026-10-12T18:00:00+08:00")
        #expect(answer["status"] as? String == "running")
        #expect(answer["overdue"] as? Bool == true)
        let ext = try #require((answer["extensions"] as? [[String: Any]])?.first)
        #expect(ext["by"] as? String == "qian_jin")
        #expect(ext["reason"] as? String == "等待现场核实")
        #expect(ext["old_due"] as? String == "2026-10-10T18:00:00+08:00")
        #expect(ext["new_due"] as? String == "2026-10-12T18:00:00+08:00")
        #expect((ext["days"] as? [[String: Any]])?.contains { $0["date"] as? String == "2026-10-11" && $0["kind"] as? String == "weekend" } == true)
        #expect((answer["pauses"] as? [Any])?.isEmpty == true)
        let acceptance = try #require(clocks.first)
        #expect(acceptance["due_at"] as? String == "2026-10-08T10:50:00+08:00")
        #expect(acceptance["status"] as? String == "running")
    }

    @Test func refusals() throws {
        let cli = try KesuCLI()
        // Nothing to explain, or a case and intake fields at once: usage errors, with the command's usage.
        let nothing = try cli.run(["rules", "explain", "--json"])
        #expect(nothing.status == 64)
        #expect(nothing.stderr.contains("give --case CASE, or intake fields with --field"), "\(nothing.stderr)")
        #expect(nothing.stderr.contains("Usage: kesu rules explain"))
        let both = try cli.run(["rules", "explain", "--case", "YC-2026-000001", "--field", "kind=complaint"])
        #expect(both.status == 64)
        let typo = try cli.run(["rules", "explain", "--json", "--field", "categroy=other"])
        #expect((typo.json["error"] as? [String: Any])?["code"] as? String == "unknown_field")
        let message = (typo.json["error"] as? [String: Any])?["message"] as? String
        #expect(message?.contains("did you mean 'category'") == true)
        let missing = try cli.run(["rules", "explain", "--case", "YC-2026-000009", "--json"])
        #expect((missing.json["error"] as? [String: Any])?["code"] as? String == "not_found")
    }

    /// The pack changed after the case was routed: the explanation says the recorded rule is not
    /// what today's rules decide (whether the case is explained under its own kept rules or not).
    @Test func aCaseRoutedUnderAnEarlierPack() throws {
        let cli = try KesuCLI()
        let fm = FileManager.default
        let rules = cli.dir.appendingPathComponent("rules")
        try fm.createDirectory(at: rules, withIntermediateDirectories: true)
        for name in ["tobacco-prefecture", "calendars"] {
            try fm.copyItem(at: KesuCLI.packageRoot.appendingPathComponent("rules/\(name)"), to: rules.appendingPathComponent(name))
        }
        let pack = rules.appendingPathComponent("tobacco-prefecture").path
        let intake = try cli.run(["intake", "--field", "channel=phone", "--field", "kind=complaint", "--field", "complainant_type=retailer",
                                  "--field", "category=logistics_service", "--field", "description=送货不及时"],
                                 rules: pack, now: "2026-09-30T10:00:00+08:00", as: "zhao_min")
        #expect(intake.status == 0, "\(intake.stderr)")
        // Drop the row that routed it (R2b-logistics): logistics cases without a county now fall back.
        let routing = rules.appendingPathComponent("tobacco-prefecture/routing.yaml")
        var yaml = try String(contentsOf: routing, encoding: .utf8)
        let row = try #require(yaml.range(of: "  - id: R2b-logistics\n"))
        let next = try #require(yaml.range(of: "  - id: R3-license-county\n"))
        yaml.removeSubrange(row.lowerBound..<next.lowerBound)
        try yaml.write(to: routing, atomically: true, encoding: .utf8)

        let r = try cli.run(["rules", "explain", "--case", "YC-2026-000001", "--json"], rules: pack, now: "2026-10-08T09:00:00+08:00")
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        let explained = try #require(r.json["routing"] as? [String: Any])
        #expect(explained["recorded_rule"] as? String == "R2b-logistics")
        let current = r.json["current_routing"] as? [String: Any]
        // The case keeps the rules it started under (the store kept them): explained under those,
        // with where the pack in force would send it beside.
        #expect(explained["matched"] as? String == "R2b-logistics", "\(r.stdout)")
        #expect(explained["differs"] as? Bool == false)
        #expect(current?["matched"] as? String == "R6-fallback", "\(r.stdout)")
        let text = try cli.run(["rules", "explain", "--case", "YC-2026-000001"], rules: pack, now: "2026-10-08T09:00:00+08:00")
        #expect(text.stdout.contains("it would route the case differently"), "\(text.stdout)")
        #expect(!text.stdout.contains("explained under the pack in force instead"), "\(text.stdout)")
    }

    /// In a pack that extends another, each rule is shown with the file it came from.
    @Test func anExtendingPackNamesTheFileEachRuleCameFrom() throws {
        let cli = try KesuCLI()
        let args = ["rules", "explain", "--field", "channel=phone", "--field", "kind=complaint", "--field", "category=marketing_service",
                    "--at", "2026-09-30T10:00:00+08:00"]
        let r = try cli.run(args, rules: KesuCLI.pack("county-example"))
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("R1a-marketing-county [") && r.stdout.contains("tobacco-prefecture/routing.yaml:7]: skipped"), "\(r.stdout)")
        #expect(r.stdout.contains("county-example/routing.yaml:7]: matched"), "\(r.stdout)")
        let j = try cli.run(args + ["--json"], rules: KesuCLI.pack("county-example")).json
        let routing = j["routing"] as? [String: Any] ?? [:]
        #expect((routing["matched_defined_at"] as? String)?.hasSuffix("county-example/routing.yaml:7:5") == true, "\(routing)")
        let skipped = routing["skipped"] as? [[String: Any]] ?? []
        #expect((skipped.first?["defined_at"] as? String)?.contains("tobacco-prefecture/routing.yaml:7:") == true)
    }
}

/// Explanation text without the ` [file:line]` that names where each rule was written.
func plain(_ text: String) -> String {
    text.replacingOccurrences(of: #" \[[^\]]+\.yaml:\d+\]"#, with: "", options: .regularExpression)
}
