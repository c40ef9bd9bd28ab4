import Foundation
import Testing

/// The notification outbox through the CLI: the sweep enqueues in its commits and then delivers
/// on the configured channels (the console, on stderr); `kesu notifications` shows and retries.
@Suite struct NotificationsCLITests {
    @Test func sweepEnqueuesDeliversToTheConsoleAndListsDelivered() throws {
        let cli = try KesuCLI()
        let intake = try cli.run([
            "intake", "--json", "--field", "channel=phone", "--field", "kind=complaint", "--field", "complainant_type=retailer",
            "--field", "category=logistics_service", "--field", "description=送货员送货不及时",
        ], now: "2026-09-30T10:00:00+08:00", as: "zhao_min")
        #expect(intake.status == 0, "\(intake.stderr)")
        try cli.run(["act", "YC-2026-000001", "substantiate", "--field", "substantiated=yes", "--field", "category=logistics_service",
                     "--field", "level=important"], now: "2026-09-30T10:10:00+08:00", as: "zhao_min")
        try cli.run(["act", "YC-2026-000001", "approve_dispatch"], now: "2026-09-30T11:00:00+08:00", as: "qian_jin")
        try cli.run(["act", "YC-2026-000001", "accept", "--field", "assignee=zhang_tao"], now: "2026-09-30T11:30:00+08:00", as: "liu_yang")
        let none = try cli.run(["notifications", "list", "--json"])
        #expect(none.status == 0, "\(none.stderr)")
        #expect((none.json["items"] as? [Any])?.isEmpty == true, "nothing to notify before the sweep")

        let sweep = try cli.run(["sweep"], now: "2026-10-12T09:00:00+08:00")
        #expect(sweep.status == 0, "\(sweep.stderr)")
        #expect(sweep.stderr.contains("notify [reminder]"), "delivered to the console on stderr: \(sweep.stderr)")
        #expect(sweep.stdout.contains("delivered, 0 to retry, 0 given up"), "\(sweep.stdout)")

        let list = try cli.run(["notifications", "list", "--json"])
        let items = list.json["items"] as? [[String: Any]] ?? []
        #expect(!items.isEmpty)
        #expect(items.allSatisfy { $0["status"] as? String == "delivered" && $0["channel"] as? String == "console" })
        #expect(items.allSatisfy { $0["delivered_at"] as? String == "2026-10-12T09:00:00+08:00" && $0["attempts"] as? Int == 1 })
        let notes = items.compactMap { $0["notification"] as? [String: Any] }
        #expect(notes.contains { $0["kind"] as? String == "reminder" && $0["case"] as? String == "YC-2026-000001" })

        let pending = try cli.run(["notifications", "list", "--status", "pending", "--json"])
        #expect((pending.json["items"] as? [Any])?.isEmpty == true)
        // A second sweep fires nothing and delivers nothing again.
        let again = try cli.run(["sweep", "--json"], now: "2026-10-12T09:00:00+08:00")
        #expect((again.json["delivery"] as? [String: Any])?["delivered"] as? Int == 0)
        #expect(!again.stderr.contains("notify ["))

        // Retrying a delivered item changes nothing; a bad status or no ids are refused.
        let retry = try cli.run(["notifications", "retry", "1", "--json"], now: "2026-10-12T10:00:00+08:00")
        #expect(retry.status == 0, "\(retry.stderr)")
        #expect(retry.json["retried"] as? Int == 0)
        let text = try cli.run(["notifications", "list", "--limit", "1"])
        #expect(text.stdout.hasPrefix("#1  delivered  console  "), "\(text.stdout)")
        #expect(try cli.run(["notifications", "list", "--status", "lost"]).status != 0)
        #expect(try cli.run(["notifications", "retry"]).status != 0)
    }
}
