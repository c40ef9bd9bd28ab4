import Foundation
import KesuTestSupport
import Testing

/// How `kesu` reads its command line: the shared options before or after the subcommand, fixed
/// choices and malformed options refused as usage errors (exit 64, the command's usage) before
/// anything is read or written, refusals exit 1 in the documented form.
@Suite struct CommandLineTests {
    static let t0 = "2026-09-30T10:00:00+08:00"
    static let rules = KesuCLI.pack("tobacco-prefecture")
    static let intakeFields = ["--field", "channel=phone", "--field", "kind=complaint", "--field", "complainant_type=retailer",
                               "--field", "category=logistics_service", "--field", "description=送货不及时"]

    /// `kesu ARGS` exactly as given, in the test's folder.
    func kesu(_ cli: KesuCLI, _ args: [String]) throws -> KesuProcess.Result {
        try KesuProcess.run(args, in: cli.dir)
    }

    /// A case registered at t0, its number.
    func intake(_ cli: KesuCLI) throws -> String {
        let r = try cli.run(["intake", "--json"] + Self.intakeFields, now: Self.t0, as: "zhao_min")
        #expect(r.status == 0, "\(r.stderr)")
        return try #require(r.json["number"] as? String)
    }

    @Test func sharedOptionsGoBeforeOrAfterTheSubcommand() throws {
        let cli = try KesuCLI()
        // Every shared option before the subcommand, as users type them.
        let registered = try kesu(cli, ["--rules", Self.rules, "--db", cli.db, "--now", Self.t0, "--as", "zhao_min", "--json", "intake"]
            + Self.intakeFields)
        #expect(registered.status == 0, "\(registered.stderr)")
        #expect(registered.json["number"] as? String == "YC-2026-000001")
        #expect(registered.json["opened_at"] as? String == Self.t0)

        let before = try kesu(cli, ["--rules", Self.rules, "--as", "zhao_min", "--now", Self.t0, "--json", "--db", cli.db,
                                    "show", "YC-2026-000001"])
        let after = try kesu(cli, ["show", "YC-2026-000001", "--rules", Self.rules, "--as", "zhao_min", "--now", Self.t0, "--json",
                                   "--db", cli.db])
        #expect(before.status == 0, "\(before.stderr)")
        #expect(before.json["number"] as? String == "YC-2026-000001")
        #expect(before.stdout == after.stdout)
        let split = try kesu(cli, ["--rules", Self.rules, "--now", Self.t0, "show", "YC-2026-000001", "--json", "--db", cli.db])
        let allAfter = try kesu(cli, ["show", "YC-2026-000001", "--rules", Self.rules, "--now", Self.t0, "--json", "--db", cli.db])
        #expect(split.status == 0 && split.stdout == allAfter.stdout)

        // Nested subcommands.
        let validate = try kesu(cli, ["--json", "rules", "validate", Self.rules])
        #expect(validate.status == 0, "\(validate.stderr)")
        #expect(validate.json["valid"] as? Bool == true)
        let penalties = try kesu(cli, ["--db", cli.db, "--rules", Self.rules, "--json", "penalties", "list", "--now", Self.t0])
        #expect(penalties.status == 0, "\(penalties.stderr)")
        #expect(penalties.json["status"] as? String == "open")
        #expect(penalties.json["penalties"] is [Any])
        let outbox = try kesu(cli, ["--json", "--db", cli.db, "--rules", Self.rules, "notifications", "list"])
        #expect(outbox.status == 0, "\(outbox.stderr)")
        #expect(outbox.json["items"] is [Any])

        // Given in both places, the one after the subcommand wins.
        let missing = cli.dir.appendingPathComponent("no-such-pack").path
        let laterGood = try kesu(cli, ["--rules", missing, "--db", cli.db, "show", "YC-2026-000001", "--rules", Self.rules, "--json"])
        #expect(laterGood.status == 0, "\(laterGood.stdout)\(laterGood.stderr)")
        let laterBad = try kesu(cli, ["--rules", Self.rules, "--db", cli.db, "show", "YC-2026-000001", "--rules", missing, "--json"])
        #expect(laterBad.status == 1)
        #expect(((laterBad.json["error"] as? [String: Any])?["message"] as? String ?? "").contains("no-such-pack"))
        let help = try kesu(cli, ["--help"])
        #expect(help.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ").contains("the one after the subcommand wins"))
    }

    @Test func aBadChoiceIsRefusedWithTheChoices() throws {
        let cli = try KesuCLI()
        let outcome = try cli.run(["penalties", "decide-appeal", "2026Q3-person-yang_fan", "--outcome", "uphold", "--reason", "x"],
                                  now: Self.t0, as: "feng_jianguo")
        #expect(outcome.status == 64)
        #expect(outcome.stderr.contains("'uphold' is invalid for '--outcome <outcome>'"), "\(outcome.stderr)")
        #expect(outcome.stderr.contains("Please provide one of 'upheld', 'changed' or 'revoked'"), "\(outcome.stderr)")
        #expect(outcome.stderr.contains("Usage: kesu penalties decide-appeal"))

        let format = try cli.run(["scores", "--period", "2026Q3", "--format", "pdf"])
        #expect(format.status == 64)
        #expect(format.stderr.contains("'text', 'json', 'csv' or 'xlsx'"), "\(format.stderr)")
        let by = try cli.run(["scores", "--period", "2026Q3", "--by", "persons"])
        #expect(by.status == 64)
        #expect(by.stderr.contains("'unit' and 'person'"), "\(by.stderr)")
        let status = try cli.run(["penalties", "list", "--status", "closed"])
        #expect(status.status == 64)
        #expect(status.stderr.contains("'open', 'decided', 'appealed', 'final' or 'all'"), "\(status.stderr)")
        let logFormat = try cli.run(["serve", "--log-format", "xml"])
        #expect(logFormat.status == 64)
        #expect(logFormat.stderr.contains("'text' and 'json'"), "\(logFormat.stderr)")
        #expect(!FileManager.default.fileExists(atPath: cli.db), "a usage error must not open the store")

        // --help lists the choices.
        let help = try cli.run(["penalties", "decide-appeal", "--help"])
        #expect(help.stdout.contains("values: upheld, changed, revoked"), "\(help.stdout)")
        #expect(try cli.run(["report", "quarterly", "--help"]).stdout.contains("values: html, csv, json, xlsx"))
    }

    @Test func malformedOptionsAreUsageErrorsThatChangeNothing() throws {
        let cli = try KesuCLI()
        let number = try intake(cli)
        // Dispatched, so the answer clock runs and could be extended.
        try cli.run(["act", number, "substantiate", "--field", "substantiated=yes", "--field", "category=logistics_service",
                     "--field", "level=important"], now: "2026-09-30T10:10:00+08:00", as: "zhao_min")
        try cli.run(["act", number, "approve_dispatch"], now: "2026-09-30T11:00:00+08:00", as: "qian_jin")
        let shown = try cli.run(["show", number, "--json"], now: "2026-09-30T11:00:00+08:00")
        let running = (shown.json["clocks"] as? [[String: Any]] ?? []).filter { $0["status"] as? String == "running" }
        let clock = try #require(running.first?["id"] as? String)
        let version = shown.json["version"] as? Int

        let both = try cli.run(["extend", number, "--clock", clock, "--days", "1", "--hours", "2", "--reason", "x", "--json"],
                               now: Self.t0, as: "qian_jin")
        #expect(both.status == 64)
        #expect(both.stderr.contains("give exactly one of --days N or --hours N"), "\(both.stderr)")
        #expect(both.stderr.contains("Usage: kesu extend"))
        #expect(both.stdout.isEmpty)
        let neither = try cli.run(["extend", number, "--clock", clock, "--reason", "x"], now: Self.t0, as: "qian_jin")
        #expect(neither.status == 64)

        let field = try cli.run(["act", number, "substantiate", "--field", "substantiated"], now: Self.t0, as: "zhao_min")
        #expect(field.status == 64)
        #expect(field.stderr.contains("--field 'substantiated' should look like key=value"), "\(field.stderr)")
        #expect(field.stderr.contains("Usage: kesu act"))

        let now = try cli.run(["act", number, "substantiate", "--field", "substantiated=yes"], now: "yesterday", as: "zhao_min")
        #expect(now.status == 64)
        #expect(now.stderr.contains("--now 'yesterday' is not an ISO-8601 time"), "\(now.stderr)")
        #expect(now.stderr.contains("Usage: kesu act"))

        let period = try cli.run(["scores", "--period", "2026Q5"])
        #expect(period.status == 64)
        #expect(period.stderr.contains("period '2026Q5' is not a month (2026-10), a quarter (2026Q3) or a year (2026)"), "\(period.stderr)")

        let after = try cli.run(["show", number, "--json"], now: "2026-09-30T11:00:00+08:00")
        #expect(after.json["version"] as? Int == version)
        #expect(after.stdout == shown.stdout)
    }

    @Test func refusalsExitOneInTheDocumentedForm() throws {
        let cli = try KesuCLI()
        _ = try intake(cli)
        let json = try cli.run(["show", "YC-2026-000009", "--json"])
        #expect(json.status == 1)
        #expect(json.stderr.isEmpty)
        let error = try #require(json.json["error"] as? [String: Any])
        #expect(Set(error.keys) == ["code", "message"])
        #expect(error["code"] as? String == "not_found")
        #expect((error["message"] as? String ?? "").contains("no case 'YC-2026-000009'"))

        let text = try cli.run(["show", "YC-2026-000009"])
        #expect(text.status == 1)
        #expect(text.stdout.isEmpty)
        #expect(text.stderr.hasPrefix("error: no case 'YC-2026-000009'"), "\(text.stderr)")

        // A refusal by the rules (not allowed in this state) is exit 1 too; an unknown option is argument-parser's.
        let refused = try cli.run(["act", "YC-2026-000001", "approve_dispatch", "--json"], now: Self.t0, as: "zhao_min")
        #expect(refused.status == 1)
        #expect((refused.json["error"] as? [String: Any])?["code"] is String)
        let unknown = try cli.run(["show", "YC-2026-000001", "--colour"])
        #expect(unknown.status == 64)
        #expect(unknown.stderr.contains("Unknown option '--colour'"), "\(unknown.stderr)")
    }
}
