import Foundation
import Hummingbird
import HummingbirdTesting
import KesuKernel
import KesuServer
import Testing

/// Every route × every kind of caller of the default pack: who gets through (any answer but
/// 401/403) and who is refused, with 401 for no or a revoked token and 403 for a role that may not.
@Suite("API: roles × routes")
struct RoleMatrixTests {
    /// One person per role of rules/tobacco-prefecture, plus callers without a valid token.
    static let callers = [
        "zhao_min",      // clerk (投诉受理员), scope all, personal data
        "qian_jin",      // center_head + unit_head of the center
        "feng_jianguo",  // leader (主管领导)
        "wu_jing",       // center_admin: rules_admin, reports
        "li_na",         // liaison of marketing_center (unit-scoped)
        "chen_gang",     // unit_head of marketing_center
        "wang_lei",      // handler of marketing_center
        "ma_lin",        // liaison of county_a, the unit handling the case
        "gao_peng",      // handler of county_a
        "deng_qing",     // auditor: read-only, reports
        "(no token)", "(revoked)",
    ]
    static let everyone = Set(callers.filter { !$0.hasPrefix("(") })
    static let seesCountyA: Set<String> = ["zhao_min", "qian_jin", "feng_jianguo", "wu_jing", "ma_lin", "gao_peng", "deng_qing"]
    static let reports: Set<String> = ["qian_jin", "feng_jianguo", "wu_jing", "deng_qing"]
    static let admin: Set<String> = ["wu_jing"]
    static let writers = everyone.subtracting(["deng_qing"])

    struct Route: Sendable, CustomStringConvertible {
        var method: HTTPRequest.Method
        /// `{case}` is a registered case of county_a, `{dispatched}` one dispatched to county_a.
        var path: String
        var body: [String: String]? = nil
        var raw: String? = nil
        /// Sent as multipart/form-data: `expected_version` and a small PDF as `file`.
        var multipart = false
        var allowed: Set<String>
        var description: String { "\(method) \(path)" }
    }

    static let routes: [Route] = [
        Route(method: .get, path: "/healthz", allowed: everyone),
        Route(method: .get, path: "/readyz", allowed: everyone),
        Route(method: .get, path: "/metrics", allowed: everyone),
        Route(method: .get, path: "/v1/me", allowed: everyone),
        Route(method: .get, path: "/v1/rules", allowed: everyone),
        Route(method: .post, path: "/v1/rules/explanation", raw: #"{"fields": {"channel": "phone", "category": "logistics_service"}}"#, allowed: everyone),
        Route(method: .post, path: "/v1/rules/validation", allowed: admin),
        Route(method: .post, path: "/v1/rules/reload", allowed: admin),
        Route(method: .post, path: "/v1/cases", raw: "INTAKE", allowed: ["zhao_min"]),
        Route(method: .get, path: "/v1/cases", allowed: everyone),
        Route(method: .get, path: "/v1/cases?unit=county_a", allowed: seesCountyA),
        Route(method: .get, path: "/v1/cases/{case}", allowed: seesCountyA),
        Route(method: .get, path: "/v1/cases/{case}/explanation", allowed: seesCountyA),
        Route(method: .post, path: "/v1/cases/{case}/transitions", raw: #"{"transition": "substantiate", "expected_version": {version}, "fields": {"substantiated": "yes", "category": "marketing_service", "level": "general"}}"#, allowed: ["zhao_min"]),
        Route(method: .post, path: "/v1/cases/{dispatched}/transitions", raw: #"{"transition": "accept", "expected_version": {version}, "fields": {"assignee": "gao_peng"}}"#, allowed: ["ma_lin"]),
        Route(method: .post, path: "/v1/cases/{dispatched}/extensions", raw: #"{"clock": "answer", "days": 1, "reason": "需现场核实", "expected_version": {version}}"#, allowed: ["qian_jin"]),
        // Asking: whoever may take a transition of a dispatched case (accept: its unit's liaison; transfer: clerk, center head).
        Route(method: .post, path: "/v1/cases/{dispatched}/extension-requests", raw: #"{"clock": "answer", "days": 1, "reason": "需现场核实", "expected_version": {version}}"#, allowed: ["zhao_min", "qian_jin", "ma_lin"]),
        // Declining: the approver (nothing pending here, so 409; the others 403).
        Route(method: .post, path: "/v1/cases/{dispatched}/extension-requests/decline", raw: #"{"clock": "answer", "reason": "理由不充分", "expected_version": {version}}"#, allowed: ["qian_jin"]),
        Route(method: .post, path: "/v1/cases/{case}/attachments", multipart: true, allowed: seesCountyA.subtracting(["deng_qing"])),
        // A hash the case lacks: who may see the case gets 404, the others 403.
        Route(method: .get, path: "/v1/cases/{case}/attachments/\(String(repeating: "0", count: 64))", allowed: seesCountyA),
        Route(method: .get, path: "/v1/scores?period=2026Q3", allowed: reports),
        Route(method: .get, path: "/v1/reports/quarterly?period=2026Q3", allowed: reports),
        Route(method: .get, path: "/v1/register?from=2026-10-01&until=2026-12-31", allowed: reports),
        // The feed: every caller, each sees the events of the cases it may see.
        Route(method: .get, path: "/v1/events?limit=5", allowed: everyone),
        Route(method: .get, path: "/v1/penalties?period=2026Q3", allowed: reports),
        Route(method: .get, path: "/v1/penalties/2026Q3-person-gao_peng", allowed: reports),
        // Who may decide or appeal is the pack's penalty procedure (PenaltiesCLITests); here: a read-only role never writes.
        Route(method: .post, path: "/v1/penalties/2026Q3-person-gao_peng/decision", raw: #"{"decision": "no_penalty", "reason": "情节轻微"}"#, allowed: writers),
        Route(method: .post, path: "/v1/penalties/2026Q3-person-gao_peng/appeal", raw: #"{"reason": "不服"}"#, allowed: writers),
        Route(method: .post, path: "/v1/penalties/2026Q3-person-gao_peng/appeal-decision", raw: #"{"outcome": "upheld", "reason": "维持"}"#, allowed: writers),
        Route(method: .get, path: "/v1/reports/due?period=2026Q3", allowed: everyone),
        Route(method: .post, path: "/v1/reports/submissions", raw: #"{"report": "expectation_analysis", "period": "2026Q3"}"#, allowed: writers),
        Route(method: .get, path: "/v1/notifications", allowed: admin),
        Route(method: .post, path: "/v1/notifications/retry", raw: "{}", allowed: admin),
        Route(method: .post, path: "/v1/sweep", allowed: admin),
    ]

    @Test("every documented route is in the matrix")
    func complete() async throws {
        let f = try await ServerFixture.make()
        let inMatrix = Set(Self.routes.map { r in
            "\(r.method) " + r.path.split(separator: "?")[0].replacingOccurrences(of: "{dispatched}", with: "{number}")
                .replacingOccurrences(of: "{case}", with: "{number}").replacingOccurrences(of: "2026Q3-person-gao_peng", with: "{id}")
                .replacingOccurrences(of: String(repeating: "0", count: 64), with: "{sha256}")
        })
        #expect(Set(f.api.endpoints.map(\.description)) == inMatrix)
    }

    @Test("roles × routes", arguments: routes)
    func matrix(_ route: Route) async throws {
        let f = try await ServerFixture.make()
        let revoked = try await Accounts(store: f.store).add(person: "zhao_min", label: "old laptop", pack: f.api.rules.engine.pack, by: "wu_jing", at: f.clock.now)
        try await Accounts(store: f.store).revoke(id: revoked.account.id, by: "wu_jing", at: f.clock.now)
        try await f.test { client in
            for caller in Self.callers {
                // A fresh case for each caller, so one caller's write does not decide the next one's answer.
                f.clock.set("2026-09-30T10:00:00+08:00")
                var fields = SafeWriteTests.fields
                fields["subject"] = "投诉 \(caller)"
                let made = try await client.call(.post, "/v1/cases", as: "zhao_min", json: ["fields": fields])
                let registered = try #require(made.case["number"] as? String)
                let other = try await client.call(.post, "/v1/cases", as: "zhao_min", json: ["fields": fields])
                let dispatched = try #require(other.case["number"] as? String)
                try await client.act(dispatched, "substantiate", as: "zhao_min", fields: ["substantiated": "yes", "category": "marketing_service", "level": "general"])
                #expect(try await client.act(dispatched, "approve_dispatch", as: "qian_jin").status == 200)
                let target = route.path.contains("{dispatched}") ? dispatched : registered
                let version = try await client.call(.get, "/v1/cases/\(target)", as: "zhao_min").json["version"] as? Int ?? 0
                let path = route.path.replacingOccurrences(of: "{case}", with: registered).replacingOccurrences(of: "{dispatched}", with: dispatched)
                var raw = route.raw?.replacingOccurrences(of: "{version}", with: String(version))
                if raw == "INTAKE" { raw = String(decoding: try JSONSerialization.data(withJSONObject: ["fields": fields]), as: UTF8.self) }
                if route.method == .post, raw == nil { raw = "{}" }
                f.clock.set("2026-10-09T10:00:00+08:00")
                let token: String? = switch caller {
                case "(no token)": nil
                case "(revoked)": revoked.token
                default: f.tokens[caller]
                }
                let r: Client.Reply
                if route.multipart {
                    var body = MultipartBody()
                    body.field("expected_version", String(version))
                    body.file("file", fileName: "来信.pdf", type: "application/pdf", Data("%PDF-1.4 \(caller)".utf8))
                    var headers = HTTPFields()
                    if let token { headers[.authorization] = "Bearer \(token)" }
                    headers[.contentType] = body.contentType
                    r = try await client.inner.execute(uri: path, method: .post, headers: headers, body: ByteBuffer(bytes: body.closed())) { r in
                        Client.Reply(status: Int(r.status.code), body: Data(r.body.readableBytesView), headers: r.headers)
                    }
                } else {
                    r = try await client.call(route.method, path, token: token, raw: route.method == .get ? nil : raw)
                }
                if route.allowed.contains(caller) || (route.path.hasPrefix("/healthz") || route.path.hasPrefix("/readyz") || route.path.hasPrefix("/metrics")) {
                    #expect(![401, 403].contains(r.status), "\(caller) should get through \(route): \(r.status) \(r.text)")
                    #expect(r.status < 500, "\(caller) \(route): \(r.text)")
                } else if caller.hasPrefix("(") {
                    #expect(r.status == 401, "\(caller) on \(route): \(r.status) \(r.text)")
                } else {
                    #expect(r.status == 403, "\(caller) should be refused \(route): \(r.status) \(r.text)")
                    #expect(r.errorMessage.contains(caller), "the refusal names who was refused: \(r.errorMessage)")
                }
            }
        }
    }

    @Test("personal data is masked for roles without personal_data, in the case, the list and the history")
    func masking() async throws {
        let f = try await ServerFixture.make()
        try await f.test { client in
            f.clock.set("2026-09-30T10:00:00+08:00")
            let made = try await client.call(.post, "/v1/cases", as: "zhao_min", json: ["fields": SafeWriteTests.fields])
            #expect((made.case["fields"] as? [String: String])?["complainant_phone"] == "13812345678")
            let number = try #require(made.case["number"] as? String)
            for (who, visible) in [("zhao_min", true), ("qian_jin", true), ("gao_peng", true), ("deng_qing", false), ("ma_lin", false), ("wu_jing", false)] {
                let r = try await client.call(.get, "/v1/cases/\(number)", as: who)
                let fields = r.json["fields"] as? [String: String] ?? [:]
                #expect(fields["complainant_phone"] == (visible ? "13812345678" : "138****5678"), "\(who)")
                #expect(fields["complainant_name"] == (visible ? "张某" : "张*"), "\(who)")
                let history = String(decoding: try JSONSerialization.data(withJSONObject: r.json["events"] ?? []), as: UTF8.self)
                #expect(history.contains("13812345678") == visible, "\(who): history")
                #expect(!r.text.contains("13812345678") || visible, "\(who): nowhere in the answer")
            }
        }
    }
}
