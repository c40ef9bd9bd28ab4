import Foundation
import HummingbirdTesting
import KesuKernel
import KesuServer
import Testing

@Suite("API: operations")
struct OperationsTests {
    /// A copy of a shipped pack (and the calendars it includes) that a test may edit.
    static func editablePack(_ name: String = "tobacco-prefecture") throws -> String {
        let dir = try Paths.temp("kesu-pack")
        for folder in [name, "calendars"] {
            try FileManager.default.copyItem(at: Paths.root.appendingPathComponent("rules/\(folder)"), to: dir.appendingPathComponent(folder))
        }
        return dir.appendingPathComponent(name).path
    }

    @Test("metrics count requests by route and status, and show cases by state, overdue and the outbox backlog")
    func metrics() async throws {
        let f = try await ServerFixture.make()
        try await f.test { client in
            f.clock.set("2026-09-30T10:00:00+08:00")
            let r = try await client.call(.post, "/v1/cases", as: "zhao_min", json: ["fields": SafeWriteTests.fields])
            #expect(r.status == 201)
            _ = try await client.call(.post, "/v1/cases", as: "zhao_min", raw: "{")
            _ = try await client.call(.get, "/v1/cases", token: "kesu_wrong")
            let m = try await client.call(.get, "/metrics")
            #expect(m.status == 200)
            #expect(m.headers[.contentType]?.hasPrefix("text/plain") == true)
            let text = m.text
            #expect(text.contains(#"kesu_http_requests_total{method="POST",route="/v1/cases",status="201"} 1"#))
            #expect(text.contains(#"kesu_http_requests_total{method="POST",route="/v1/cases",status="400"} 1"#))
            #expect(text.contains(#"status="401"} 1"#))
            #expect(text.contains("kesu_http_request_duration_seconds_bucket"))
            #expect(text.contains(#"kesu_cases{state="registered"} 1"#))
            #expect(text.contains("kesu_cases_overdue 0"))
            #expect(text.contains(#"kesu_outbox_backlog{status="pending"} 0"#))
            // 2026-09-30: the official calendar runs to 2026-12-31 (93 days counting today), the 2027 draft a year more.
            #expect(text.contains(#"kesu_calendar_coverage_days_left{kind="official"} 93"#), "\(text)")
            #expect(text.contains(#"kesu_calendar_coverage_days_left{kind="provisional"} 458"#))
            // Dispatched, then a sweep past the due times: the duration is recorded and the overdue count moves.
            let number = try #require(r.case["number"] as? String)
            try await client.act(number, "substantiate", as: "zhao_min", fields: ["substantiated": "yes", "category": "marketing_service", "level": "general"])
            #expect(try await client.act(number, "approve_dispatch", as: "qian_jin").status == 200)
            f.clock.set("2026-10-20T10:00:00+08:00")
            _ = try #require(try await f.api.sweeper.tick())
            let after = try await client.call(.get, "/metrics").text
            #expect(after.contains("kesu_sweep_duration_seconds_count 1"))
            #expect(after.contains("kesu_cases_overdue 1"))
            #expect(!after.contains("kesu_sweep_fired_total 0"))
        }
    }

    @Test("the sweep tells the administrators 60 days before the official calendar ends; /readyz stays ready")
    func calendarCoverageNotice() async throws {
        let f = try await ServerFixture.make()
        try await f.test { client in
            f.clock.set("2026-11-02T09:00:00+08:00")
            let first = try await client.call(.post, "/v1/sweep", as: "wu_jing")
            #expect(first.status == 200)
            let calendar = try #require(first.json["calendar"] as? [String: Any])
            #expect(calendar["coverage_days_left"] as? Int == 60 && calendar["coverage_end"] as? String == "2026-12-31")
            #expect(calendar["notice_sent"] as? Bool == true && calendar["adopted"] as? Bool == true)
            f.clock.set("2026-11-03T09:00:00+08:00")
            let next = try await client.call(.post, "/v1/sweep", as: "wu_jing").json["calendar"] as? [String: Any]
            #expect(next?["notice_sent"] as? Bool == false && next?["adopted"] as? Bool == false, "once a week, not every sweep")
            #expect(try await client.call(.get, "/readyz").status == 200)
            #expect(try await client.call(.get, "/metrics").text.contains(#"kesu_calendar_coverage_days_left{kind="official"} 59"#))
        }
    }

    @Test("every counter is exported at 0 before anything happened, so dashboards see the series")
    func countersFromTheStart() async throws {
        let f = try await ServerFixture.make()
        try await f.test { client in
            let text = try await client.call(.get, "/metrics").text
            for line in [#"kesu_rules_reloads_total{outcome="ok"} 0"#, #"kesu_rules_reloads_total{outcome="refused"} 0"#,
                         "kesu_sweep_fired_total 0", "kesu_notifications_delivered_total 0", "kesu_sweep_duration_seconds_count 0"] {
                #expect(text.contains(line), "\(line) missing from:\n\(text)")
            }
        }
    }

    @Test("health needs no token; readiness names the rules in force")
    func health() async throws {
        let f = try await ServerFixture.make()
        try await f.test { client in
            #expect(try await client.call(.get, "/healthz").json["status"] as? String == "ok")
            let ready = try await client.call(.get, "/readyz")
            #expect(ready.status == 200)
            #expect(ready.json["version"] as? String == f.api.rules.info.version)
        }
    }

    @Test("reload puts an edited pack in force; a broken one is refused with its errors and the old rules stay")
    func reload() async throws {
        let pack = try Self.editablePack()
        let f = try await ServerFixture.make(pack: pack)
        let before = f.api.rules.info
        try await f.test { client in
            let packFile = pack + "/pack.yaml"
            let original = try String(contentsOfFile: packFile, encoding: .utf8)
            try original.replacingOccurrences(of: #"label: "2026.1""#, with: #"label: "2026.2""#).write(toFile: packFile, atomically: true, encoding: .utf8)
            let ok = try await client.call(.post, "/v1/rules/reload", as: "wu_jing")
            #expect(ok.status == 200, "\(ok.text)")
            #expect(ok.json["changed"] as? Bool == true)
            #expect((ok.json["current"] as? [String: Any])?["label"] as? String == "2026.2")
            #expect(f.api.rules.info.version != before.version)
            let reloaded = f.api.rules.info

            // A typo in the routing table: refused with file:line:column, nothing changes.
            let routing = pack + "/routing.yaml"
            let text = try String(contentsOfFile: routing, encoding: .utf8)
            try text.replacingOccurrences(of: "unit:", with: "unti:").write(toFile: routing, atomically: true, encoding: .utf8)
            let check = try await client.call(.post, "/v1/rules/validation", as: "wu_jing")
            #expect(check.json["ok"] as? Bool == false)
            #expect(((check.json["errors"] as? [String]) ?? []).contains { $0.contains("routing.yaml:") })
            let refused = try await client.call(.post, "/v1/rules/reload", as: "wu_jing")
            #expect(refused.status == 422)
            #expect(refused.errorCode == "invalid_pack")
            let details = ((refused.json["error"] as? [String: Any])?["details"] as? [String]) ?? []
            #expect(details.contains { $0.contains("routing.yaml:") && $0.contains("unti") })
            #expect(f.api.rules.info == reloaded)
            // The server goes on under the rules in force.
            let r = try await client.call(.post, "/v1/cases", as: "zhao_min", json: ["fields": SafeWriteTests.fields])
            #expect(r.status == 201)
            #expect(r.case["pack_version"] as? String == reloaded.version)
        }
    }
}
