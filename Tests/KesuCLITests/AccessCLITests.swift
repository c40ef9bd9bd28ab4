import Foundation
import Testing

/// `kesu users add|list|revoke`, and the complainant's personal data masked for `--as` viewers
/// whose roles lack `personal_data`.
@Suite struct AccessCLITests {
    static let t0 = "2026-09-30T10:00:00+08:00"

    @Test func usersAddListRevoke() throws {
        let cli = try KesuCLI()
        let add = try cli.run(["users", "add", "--person", "deng_qing", "--label", "audit-laptop", "--json"], now: Self.t0)
        #expect(add.status == 0, "\(add.stderr)")
        #expect(add.json["id"] as? String == "u1")
        #expect(add.json["person"] as? String == "deng_qing")
        let token = try #require(add.json["token"] as? String)
        #expect(token.hasPrefix("kesu_") && token.count == 48)

        let text = try cli.run(["users", "add", "--person", "zhao_min"], now: Self.t0)
        #expect(text.status == 0)
        #expect(text.stdout.contains("account u2 for 赵敏(zhao_min)"))
        #expect(text.stdout.contains("token: kesu_"))
        #expect(text.stderr.contains("shown only this once"))

        // The store keeps the hash, never the token.
        let stored = try Data(contentsOf: URL(fileURLWithPath: cli.db))
        #expect(stored.range(of: Data(token.utf8)) == nil)
        #expect(stored.range(of: Data(token.dropFirst(5).utf8)) == nil)

        let list = try cli.run(["users", "list", "--json"])
        #expect(list.status == 0)
        #expect(!list.stdout.contains(token) && !list.stdout.contains("sha256"))
        let accounts = list.json["accounts"] as? [[String: Any]] ?? []
        #expect(accounts.map { $0["id"] as? String } == ["u1", "u2"])
        #expect(accounts.first?["name"] as? String == "邓青")
        #expect(accounts.first?["roles"] as? [String] == ["auditor"])
        #expect(accounts.first?["label"] as? String == "audit-laptop")
        #expect(accounts.first?["created_at"] as? String == Self.t0)
        #expect(accounts.first?["revoked_at"] is NSNull)

        let revoke = try cli.run(["users", "revoke", "u1", "--json"], now: "2026-10-08T09:00:00+08:00")
        #expect(revoke.status == 0, "\(revoke.stderr)")
        #expect(revoke.json["revoked_at"] as? String == "2026-10-08T09:00:00+08:00")
        let after = try cli.run(["users", "list"])
        #expect(after.stdout.contains("u1  deng_qing  邓青  [auditor]  audit-laptop  created \(Self.t0)  revoked 2026-10-08T09:00:00+08:00"))
        #expect(after.stdout.contains("2 account(s), 1 live"))
        #expect(!after.stdout.contains("kesu_"))

        let missing = try cli.run(["users", "revoke", "u7", "--json"])
        #expect(missing.status == 1)
        #expect((missing.json["error"] as? [String: Any])?["code"] as? String == "not_found")
    }

    @Test func usersAddRefusesAnUnknownPersonAndWritesNothing() throws {
        let cli = try KesuCLI()
        let r = try cli.run(["users", "add", "--person", "deng_qin", "--json"], now: Self.t0)
        #expect(r.status == 1)
        let error = r.json["error"] as? [String: Any]
        #expect(error?["code"] as? String == "unknown_user")
        #expect((error?["message"] as? String ?? "").contains("did you mean 'deng_qing'?"))
        #expect((try cli.run(["users", "list", "--json"]).json["accounts"] as? [Any])?.isEmpty == true)
    }

    /// A case registered with the complainant's name and phone, dispatched to the logistics center.
    func registered(_ cli: KesuCLI) throws -> String {
        let intake = try cli.run([
            "intake", "--json", "--field", "channel=phone", "--field", "kind=complaint", "--field", "complainant_type=retailer",
            "--field", "category=logistics_service", "--field", "description=送货员送货不及时",
            "--field", "complainant_name=欧阳娜娜", "--field", "complainant_phone=13812345678",
        ], now: Self.t0, as: "zhao_min")
        #expect(intake.status == 0, "\(intake.stderr)")
        // The clerk who registers sees what was typed.
        #expect((intake.json["fields"] as? [String: String])?["complainant_name"] == "欧阳娜娜")
        let fix = try cli.run(["act", "YC-2026-000001", "substantiate", "--json", "--field", "substantiated=yes",
                               "--field", "category=logistics_service", "--field", "level=general"],
                              now: "2026-09-30T10:10:00+08:00", as: "zhao_min")
        #expect(fix.status == 0, "\(fix.stderr)")
        return "YC-2026-000001"
    }

    @Test func showAsAnAuditorMasksFieldsAndHistory() throws {
        let cli = try KesuCLI()
        let number = try registered(cli)

        let masked = try cli.run(["show", number, "--json"], as: "deng_qing")
        #expect(masked.status == 0, "\(masked.stderr)")
        let fields = masked.json["fields"] as? [String: String] ?? [:]
        #expect(fields["complainant_name"] == "欧***")
        #expect(fields["complainant_phone"] == "138****5678")
        #expect(fields["description"] == "送货员送货不及时")
        for secret in ["欧阳娜娜", "13812345678", "阳娜"] {
            #expect(!masked.stdout.contains(secret), "--as deng_qing --json shows \(secret)")
        }
        let bodies = (masked.json["events"] as? [[String: Any]] ?? []).map { jsonText($0["body"]) }
        #expect(bodies.contains { $0.contains("138****5678") && $0.contains("欧***") })

        let text = try cli.run(["show", number], as: "deng_qing")
        #expect(text.status == 0)
        #expect(text.stdout.contains("complainant_name: 欧***"))
        #expect(!text.stdout.contains("欧阳娜娜") && !text.stdout.contains("13812345678"))

        // The operator (no --as) and a clerk with personal_data see everything.
        for user in [nil, "zhao_min", "qian_jin"] as [String?] {
            let plain = try cli.run(["show", number, "--json"], as: user)
            #expect((plain.json["fields"] as? [String: String])?["complainant_name"] == "欧阳娜娜", "\(user ?? "operator")")
            #expect(plain.stdout.contains("13812345678"))
        }
    }

    @Test func unitScopedViewersSeeOnlyTheirUnitsCasesMasked() throws {
        let cli = try KesuCLI()
        let number = try registered(cli)
        // The logistics liaison sees the case its unit handles, without the complainant.
        let liaison = try cli.run(["show", number, "--json"], as: "liu_yang")
        #expect(liaison.status == 0, "\(liaison.stderr)")
        #expect((liaison.json["fields"] as? [String: String])?["complainant_name"] == "欧***")
        // The logistics handler must contact the complainant.
        let handler = try cli.run(["show", number, "--json"], as: "zhang_tao")
        #expect((handler.json["fields"] as? [String: String])?["complainant_name"] == "欧阳娜娜")
        // Another unit's liaison does not see it at all.
        let other = try cli.run(["show", number, "--json"], as: "li_na")
        #expect(other.status == 1)
        #expect((other.json["error"] as? [String: Any])?["code"] as? String == "forbidden")

        #expect(try cli.run(["list", "--json"], as: "li_na").json["total"] as? Int == 0)
        #expect(try cli.run(["list", "--json"], as: "liu_yang").json["total"] as? Int == 1)
        #expect(try cli.run(["list", "--json"], as: "deng_qing").json["total"] as? Int == 1)
        #expect(try cli.run(["list", "--unit", "logistics_center", "--json"], as: "li_na").status == 1)
        let unknown = try cli.run(["show", number, "--json"], as: "nobody")
        #expect((unknown.json["error"] as? [String: Any])?["code"] as? String == "unknown_user")
    }

    @Test func actOutputIsMaskedForAnActorWithoutPersonalData() throws {
        let cli = try KesuCLI()
        let number = try registered(cli)
        let dispatch = try cli.run(["act", number, "approve_dispatch", "--json"], now: "2026-09-30T11:00:00+08:00", as: "qian_jin")
        #expect((dispatch.json["fields"] as? [String: String])?["complainant_name"] == "欧阳娜娜")
        let accept = try cli.run(["act", number, "accept", "--json", "--field", "assignee=zhang_tao"],
                                 now: "2026-09-30T11:30:00+08:00", as: "liu_yang")
        #expect(accept.status == 0, "\(accept.stderr)")
        #expect((accept.json["fields"] as? [String: String])?["complainant_name"] == "欧***")
    }

    /// Reports and exports name cases by number, never by complainant.
    @Test func reportsCarryNoComplainantData() throws {
        let cli = try KesuCLI()
        _ = try registered(cli)
        _ = try cli.run(["sweep"], now: "2026-10-20T09:00:00+08:00")
        let quarterly = try cli.run(["report", "quarterly", "--period", "2026Q3", "--format", "json"], now: "2026-10-20T09:00:00+08:00")
        #expect(quarterly.status == 0, "\(quarterly.stderr)")
        let scores = try cli.run(["scores", "--period", "2026Q4", "--format", "json"], now: "2026-10-20T09:00:00+08:00")
        #expect(scores.status == 0, "\(scores.stderr)")
        for out in [quarterly.stdout, scores.stdout] {
            #expect(!out.contains("欧阳") && !out.contains("13812345678"))
        }
    }
}
