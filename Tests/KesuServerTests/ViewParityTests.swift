import Foundation
import KesuTestSupport
import Testing

/// The CLI and the API render one view of a case: `kesu show --json` and `GET /v1/cases/{n}` give
/// the same document for the same reader at the same instant — also for a case pinned to an
/// older pack, whose transitions, names and deadlines stay those of its own rules.
@Suite struct ViewParityTests {
    @Test func showJSONEqualsTheAPIsCaseForAPinnedCase() async throws {
        let dir = try Paths.temp("kesu-parity")
        let rules = dir.appendingPathComponent("rules")
        try FileManager.default.copyItem(at: Paths.root.appendingPathComponent("rules"), to: rules)
        let pack = rules.appendingPathComponent("tobacco-prefecture").path
        let db = dir.appendingPathComponent("kesu.db").path
        func kesu(_ args: [String], now: String, as user: String) throws -> KesuProcess.Result {
            try KesuProcess.run(args + ["--rules", pack, "--db", db, "--now", now, "--as", user], in: dir)
        }
        let intake = try kesu(["intake", "--json", "--field", "channel=phone", "--field", "kind=complaint", "--field", "complainant_type=retailer",
                               "--field", "category=logistics_service", "--field", "description=送货慢",
                               "--field", "complainant_name=张三", "--field", "complainant_phone=13812345678"],
                              now: "2026-10-12T09:00:00+08:00", as: "zhao_min")
        let number = try #require(intake.json["number"] as? String, "\(intake.stderr)")
        let sub = try kesu(["act", number, "substantiate", "--field", "substantiated=yes", "--field", "category=logistics_service",
                            "--field", "level=general"], now: "2026-10-12T10:00:00+08:00", as: "zhao_min")
        #expect(sub.status == 0, "\(sub.stderr)")

        // A new version of the pack: the approval is renamed and the answer clock shortened.
        let procedure = URL(fileURLWithPath: pack).appendingPathComponent("procedure.yaml")
        let text = try String(contentsOf: procedure, encoding: .utf8)
        let renamed = text.replacingOccurrences(of: "name: 审批并派单", with: "name: 审批派单(新)")
        #expect(renamed != text)
        try renamed.write(to: procedure, atomically: true, encoding: .utf8)

        let now = "2026-10-12T11:00:00+08:00"
        let tokens = ["qian_jin": try ServeProcessTests.usersAdd("qian_jin", rules: pack, db: db, in: dir),
                      "wu_jing": try ServeProcessTests.usersAdd("wu_jing", rules: pack, db: db, in: dir)]
        let server = try ServeProcessTests.Server(dir: dir, rules: pack, db: db, extra: ["--now", now])
        defer { if server.process.isRunning { server.process.terminate() } }
        try await server.waitReady()

        // The center head sees personal data; the administrator sees it masked — in both front ends.
        for (reader, phone) in [("qian_jin", "13812345678"), ("wu_jing", "138****5678")] {
            let cli = try kesu(["show", number, "--json"], now: now, as: reader)
            #expect(cli.status == 0, "\(cli.stderr)")
            let (status, api) = try await server.request("GET", "/v1/cases/\(number)", token: tokens[reader])
            #expect(status == 200)
            let (c, a) = (Self.canonical(cli.json), Self.canonical(api))
            #expect(!c.isEmpty && c == a, "\(reader): kesu show --json differs from GET /v1/cases/\(number):\nCLI \(c)\nAPI \(a)")
            let offered = (api["available_transitions"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
            #expect(offered.contains("审批并派单"), "the pinned case offers its own rules' transition: \(offered)")
            #expect(!offered.contains("审批派单(新)"))
            #expect((api["fields"] as? [String: String])?["complainant_phone"] == phone)
            #expect((api["events"] as? [[String: Any]])?.first?["body"] is [String: Any], "event bodies are objects")
        }
        // The sweep report is one document too.
        let cliSweep = try kesu(["sweep", "--json"], now: now, as: "wu_jing")
        #expect(cliSweep.status == 0, "\(cliSweep.stderr)")
        let (sweepStatus, apiSweep) = try await server.request("POST", "/v1/sweep", token: tokens["wu_jing"])
        #expect(sweepStatus == 200)
        #expect(Set(cliSweep.json.keys) == Set(apiSweep.keys) && apiSweep.keys.contains("skipped"), "\(cliSweep.json.keys) vs \(apiSweep.keys)")
        #expect(Set((cliSweep.json["delivery"] as? [String: Any] ?? [:]).keys) == Set((apiSweep["delivery"] as? [String: Any] ?? ["?": 0]).keys))
    }

    /// Sorted-key JSON text of a parsed document, to compare two documents exactly.
    static func canonical(_ o: [String: Any]) -> String {
        guard let d = try? JSONSerialization.data(withJSONObject: o, options: [.sortedKeys, .withoutEscapingSlashes]) else { return "" }
        return String(decoding: d, as: UTF8.self)
    }
}
