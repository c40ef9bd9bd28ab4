import Foundation
import KesuKernel
import KesuYAML
import Testing

/// Each shipped pack's scenario replayed as separate `kesu` invocations with `--now` and `--as`,
/// the way a script or an operator drives Kesu: intake to close through the command line.
@Suite struct ScenarioByCommandTests {
    @Test(arguments: CLITests.packs)
    func packLifeThroughSeparateCommands(_ pack: String) throws {
        let cli = try KesuCLI()
        let rules = KesuCLI.pack(pack)
        let scenario = try ScenarioLoader.load(path: rules + "/scenarios/demo.yaml")
        var number: String?
        for (i, step) in scenario.steps.enumerated() {
            let fields = (step.intake ?? step.fields ?? [:]).sorted { $0.key < $1.key }.flatMap { ["--field", "\($0.key)=\($0.value)"] }
            var args: [String]
            if step.intake != nil {
                args = ["intake"] + fields
            } else if let t = step.act {
                args = ["act", try #require(number), t] + fields
            } else if let x = step.extend {
                args = ["extend", try #require(number), "--clock", x.clock, "--reason", x.reason]
                    + (x.days.map { ["--days", String($0)] } ?? ["--hours", String(x.hours ?? 0)])
            } else {
                args = ["sweep"]
            }
            let r = try cli.run(args + ["--json"], rules: rules, now: step.at, as: step.as)
            if let code = step.expect?.refused {
                #expect(r.status == 1, "step \(i + 1) should be refused")
                #expect((r.json["error"] as? [String: Any])?["code"] as? String == code, "step \(i + 1): \(r.stdout)")
                continue
            }
            #expect(r.status == 0, "step \(i + 1) \(args): \(r.stdout)\(r.stderr)")
            if step.intake != nil { number = r.json["number"] as? String }
            if let fired = step.expect?.fired { #expect((r.json["fired"] as? [Any])?.count == fired, "step \(i + 1)") }
            if let state = step.expect?.state { #expect(r.json["state"] as? String == state, "step \(i + 1)") }
            if let unit = step.expect?.handling_unit { #expect(r.json["handling_unit"] as? String == unit, "step \(i + 1)") }
            if let rule = step.expect?.routing_rule { #expect(r.json["routing_rule"] as? String == rule, "step \(i + 1)") }
        }
        let show = try cli.run(["show", try #require(number), "--json"], rules: rules)
        #expect(show.json["state"] as? String == "closed")
        #expect(show.json["closed_at"] is String)
        let list = try cli.run(["list", "--open", "--json"], rules: rules)
        #expect(list.json["total"] as? Int == 0)
    }
}
