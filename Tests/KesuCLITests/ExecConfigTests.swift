import Foundation
import Testing

/// Switching the scorer or a notifier in kesu.yaml to an out-of-process plugin changes what
/// Kesu does with no rebuild; a broken plugin leaves the kernel running and its notifications
/// kept in the outbox.
@Suite(.serialized) struct ExecConfigTests {
    static let plugins = KesuCLI.packageRoot.appendingPathComponent("plugins").path

    func config(_ cli: KesuCLI, _ text: String) throws -> String {
        let path = cli.dir.appendingPathComponent("kesu.yaml").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// A logistics complaint dispatched on Mon 10-12 and never answered.
    func lateCase(_ cli: KesuCLI, config: String) throws -> String {
        let intake = try cli.run(["intake", "--config", config, "--json", "--field", "channel=phone", "--field", "kind=complaint",
                                  "--field", "complainant_type=retailer", "--field", "category=logistics_service", "--field", "description=送货慢"],
                                 now: "2026-10-12T09:00:00+08:00", as: "zhao_min")
        #expect(intake.status == 0, "\(intake.stderr)")
        let number = intake.json["number"] as? String ?? "?"
        #expect(try cli.run(["act", number, "substantiate", "--config", config, "--field", "substantiated=yes", "--field", "category=logistics_service",
                             "--field", "level=general"], now: "2026-10-12T09:10:00+08:00", as: "zhao_min").status == 0)
        #expect(try cli.run(["act", number, "approve_dispatch", "--config", config], now: "2026-10-12T09:20:00+08:00", as: "qian_jin").status == 0)
        return number
    }

    @Test func theScorerIsChosenInKesuYaml() throws {
        let cli = try KesuCLI()
        let config = try config(cli, """
            scoring:
              driver: exec
              plugin: \(Self.plugins)/hotline-scorer
              options:
                facts: {on_time: [late_answer], satisfaction: [unsatisfied_callback], redispatch: []}
            notifiers: []
            """)
        let number = try lateCase(cli, config: config)
        let sweep = try cli.run(["sweep", "--config", config, "--json"], now: "2026-10-20T09:00:00+08:00")
        #expect(sweep.status == 0, "\(sweep.stderr)")
        let show = try cli.run(["show", number, "--config", config, "--json"])
        let events = show.json["events"] as? [[String: Any]] ?? []
        let deductions = events.filter { $0["type"] as? String == "deduction" }
        // The 12345 formula: a late answer costs 40 / 200 = 0.2 points, to the unit only.
        #expect(deductions.compactMap { $0["rule_id"] as? String } == ["hotline.on_time"], "\(deductions)")
        let body = jsonText(deductions.first?["body"])
        #expect(body.contains("0.2"))
    }

    @Test(arguments: ["crash", "garbage", "hang"])
    func aBrokenNotifierKeepsItsNotificationsAndTheKernelRuns(mode: String) throws {
        let cli = try KesuCLI()
        let config = try config(cli, """
            notifiers:
              - {name: robot, driver: exec, plugin: \(Self.plugins)/broken, options: {mode: \(mode)}}
            """)
        _ = try lateCase(cli, config: config)
        let sweep = try cli.run(["sweep", "--config", config, "--json"], now: "2026-10-20T09:00:00+08:00")
        #expect(sweep.status == 0, "the sweep goes on: \(sweep.stderr)")
        #expect((sweep.json["fired"] as? [Any])?.isEmpty == false)
        let pending = try cli.run(["notifications", "list", "--config", config, "--status", "pending", "--json"])
        let items = pending.json["notifications"] as? [[String: Any]] ?? pending.json["items"] as? [[String: Any]] ?? []
        #expect(!items.isEmpty, "kept for a retry: \(pending.stdout)")
        #expect(items.allSatisfy { $0["channel"] as? String == "robot" })
        // The first item of the case was tried and failed with the plugin's name; the case's later items wait behind it.
        #expect(((items.first?["last_error"] as? String) ?? "").contains("broken"), "\(items.first ?? [:])")
        #expect(items.dropFirst().allSatisfy { $0["last_error"] is NSNull || $0["last_error"] == nil || ($0["last_error"] as? String ?? "").contains("broken") })
        // The next command still works.
        #expect(try cli.run(["list", "--config", config, "--json"]).status == 0)
    }

    @Test("a channel fixed in kesu.yaml gets its pending items with --all-pending; a plugin's path option resolves from kesu.yaml's folder")
    func pendingItemsRetriedAfterTheChannelIsFixed() throws {
        let cli = try KesuCLI()
        let deploy = cli.dir.appendingPathComponent("deploy")
        try FileManager.default.createDirectory(at: deploy, withIntermediateDirectories: true)
        let config = deploy.appendingPathComponent("kesu.yaml").path
        try "notifiers:\n  - {name: robot, driver: exec, plugin: \(Self.plugins)/broken, options: {mode: crash}}\n"
            .write(toFile: config, atomically: true, encoding: .utf8)
        let number = try lateCase(cli, config: config)
        #expect(try cli.run(["sweep", "--config", config, "--json"], now: "2026-10-20T09:00:00+08:00").status == 0)
        func pending() throws -> [[String: Any]] {
            let r = try cli.run(["notifications", "list", "--config", config, "--status", "pending", "--json"])
            return r.json["notifications"] as? [[String: Any]] ?? r.json["items"] as? [[String: Any]] ?? []
        }
        let waiting = try pending()
        #expect(!waiting.isEmpty)

        // The channel fixed: the same name, now the template plugin writing each notification to a file named
        // relative to kesu.yaml (the plugin itself runs in its own folder).
        try "notifiers:\n  - {name: robot, driver: exec, plugin: \(Self.plugins)/template, options: {log_file: notes.log}}\n"
            .write(toFile: config, atomically: true, encoding: .utf8)
        let both = try cli.run(["notifications", "retry", "1", "--all-pending", "--config", config])
        #expect(both.status != 0 && both.stderr.contains("--all-pending"), "ids and a flag together are refused")
        let retry = try cli.run(["notifications", "retry", "--all-pending", "--config", config, "--json"], now: "2026-10-20T09:05:00+08:00")
        #expect(retry.status == 0, "\(retry.stderr)")
        #expect(retry.json["retried"] as? Int == waiting.count)
        #expect((retry.json["delivery"] as? [String: Any])?["delivered"] as? Int == waiting.count)
        let written = try String(contentsOf: deploy.appendingPathComponent("notes.log"), encoding: .utf8).split(separator: "\n")
        #expect(written.count == waiting.count && written.contains { $0.contains(number) })
        #expect(!FileManager.default.fileExists(atPath: "\(Self.plugins)/template/notes.log"), "not resolved in the plugin's folder")
        try? FileManager.default.removeItem(atPath: "\(Self.plugins)/template/notes.log")
        #expect(try pending().isEmpty)
    }

    @Test func anUnloadablePluginIsAConfigurationErrorAtItsLine() throws {
        let cli = try KesuCLI()
        let config = try config(cli, """
            scoring:
              driver: exec
              plugin: \(Self.plugins)/no-such-plugin
            """)
        let r = try cli.run(["config", "check", "--config", config])
        #expect(r.status == 1)
        #expect((r.stdout + r.stderr).contains("kesu.yaml:3:11"), "\(r.stdout)\(r.stderr)")
    }
}
