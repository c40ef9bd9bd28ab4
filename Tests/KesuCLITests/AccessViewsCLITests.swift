import Foundation
import Testing

/// `kesu access views`: cases printed unmasked for an `--as` person are recorded, as in the console and the API.
@Suite struct AccessViewsCLITests {
    @Test("show --as a personal_data reader is recorded; a masked reader and the operator leave no record; filters")
    func views() throws {
        let cli = try KesuCLI()
        let t0 = "2026-09-30T10:00:00+08:00"
        let intake = try cli.run([
            "intake", "--json", "--field", "channel=phone", "--field", "kind=complaint", "--field", "complainant_type=retailer",
            "--field", "description=送货晚了", "--field", "complainant_phone=13812345678",
        ], now: t0, as: "zhao_min")
        #expect(intake.status == 0, "\(intake.stderr)")
        let number = try #require(intake.json["number"] as? String)
        #expect(try cli.run(["show", number], now: "2026-09-30T10:05:00+08:00", as: "qian_jin").status == 0)
        #expect(try cli.run(["show", number], now: "2026-09-30T10:06:00+08:00", as: "deng_qing").status == 0)
        #expect(try cli.run(["show", number], now: "2026-09-30T10:07:00+08:00").status == 0)

        let all = try cli.run(["access", "views", "--from", "2026-09-30", "--to", "2026-09-30", "--json"], now: "2026-10-01T09:00:00+08:00")
        #expect(all.status == 0, "\(all.stderr)")
        let views = try #require(all.json["views"] as? [[String: Any]])
        #expect(views.map { $0["person"] as? String } == ["qian_jin", "zhao_min"], "newest first; deng_qing saw it masked")
        #expect(views.allSatisfy { $0["case"] as? String == number && $0["channel"] as? String == "cli" })
        #expect(views.first?["name"] as? String == "钱进")

        let one = try cli.run(["access", "views", "--from", "2026-09-30", "--to", "2026-09-30", "--person", "zhao_min"], now: "2026-10-01T09:00:00+08:00")
        #expect(one.stdout.contains("zhao_min  赵敏  \(number)  cli") && one.stdout.contains("1 view(s)"))
        let none = try cli.run(["access", "views", "--from", "2026-10-01", "--case", number], now: "2026-10-01T09:00:00+08:00")
        #expect(none.stdout.contains("0 view(s)"))
        #expect(try cli.run(["access", "views", "--from", "yesterday"]).status != 0)
    }
}
