import Foundation
import Hummingbird
import HummingbirdTesting
import KesuKernel
import KesuServer
import Testing

/// 申请延期 over the API: the handler asks, the center head sees the request on the clock and grants or declines it.
@Suite("API: extension requests")
struct ExtensionRequestAPITests {
    /// A case of county_a taken on by gao_peng (in progress, the answer clock running).
    static func inProgress(_ f: ServerFixture, _ client: Client) async throws -> String {
        f.clock.set("2026-09-30T10:00:00+08:00")
        let made = try await client.call(.post, "/v1/cases", as: "zhao_min", json: ["fields": SafeWriteTests.fields])
        let number = try #require(made.case["number"] as? String)
        try await client.act(number, "substantiate", as: "zhao_min", fields: ["substantiated": "yes", "category": "marketing_service", "level": "general"])
        #expect(try await client.act(number, "approve_dispatch", as: "qian_jin").status == 200)
        #expect(try await client.act(number, "accept", as: "ma_lin", fields: ["assignee": "gao_peng"]).status == 200)
        f.clock.set("2026-10-09T10:00:00+08:00")
        return number
    }

    static func version(_ client: Client, _ number: String) async throws -> Int {
        try await client.call(.get, "/v1/cases/\(number)", as: "zhao_min").json["version"] as? Int ?? -1
    }

    static func answerClock(_ reply: Client.Reply) -> [String: Any] {
        ((reply.case["clocks"] as? [[String: Any]]) ?? []).first { $0["id"] as? String == "answer" } ?? [:]
    }

    @Test("asked (201, the request on the clock), then granted: the request is settled")
    func askAndGrant() async throws {
        let f = try await ServerFixture.make()
        try await f.test { client in
            let number = try await Self.inProgress(f, client)
            let asked = try await client.call(.post, "/v1/cases/\(number)/extension-requests", as: "gao_peng", json: [
                "clock": "answer", "days": 2, "reason": "需现场核实", "expected_version": try await Self.version(client, number),
            ])
            #expect(asked.status == 201, "\(asked.text)")
            let request = try #require(Self.answerClock(asked)["extension_request"] as? [String: Any], "\(asked.text)")
            #expect(request["days"] as? Int == 2)
            #expect(request["hours"] is NSNull)
            #expect(request["reason"] as? String == "需现场核实")
            #expect(request["requested_by"] as? String == "gao_peng")
            #expect(request["requested_by_name"] as? String == "高鹏")
            #expect((request["requested_at"] as? String)?.hasPrefix("2026-10-09T10:00:00") == true)
            // The approver reads it on the case.
            let shown = try await client.call(.get, "/v1/cases/\(number)", as: "qian_jin")
            #expect((Self.answerClock(shown)["extension_request"] as? [String: Any])?["requested_by"] as? String == "gao_peng")
            let granted = try await client.call(.post, "/v1/cases/\(number)/extensions", as: "qian_jin", json: [
                "clock": "answer", "days": 2, "reason": "同意", "expected_version": asked.case["version"] as? Int ?? 0,
            ])
            #expect(granted.status == 200, "\(granted.text)")
            #expect(Self.answerClock(granted)["extension_request"] is NSNull, "\(granted.text)")
            #expect(Self.answerClock(granted)["extensions"] as? Int == 1)
        }
    }

    @Test("declined by the approver (200, the request gone); hours are asked too")
    func decline() async throws {
        let f = try await ServerFixture.make()
        try await f.test { client in
            let number = try await Self.inProgress(f, client)
            let asked = try await client.call(.post, "/v1/cases/\(number)/extension-requests", as: "gao_peng", json: [
                "clock": "answer", "hours": 4, "reason": "等待检测结果", "expected_version": try await Self.version(client, number),
            ])
            #expect(asked.status == 201, "\(asked.text)")
            #expect((Self.answerClock(asked)["extension_request"] as? [String: Any])?["hours"] as? Double == 4)
            let declined = try await client.call(.post, "/v1/cases/\(number)/extension-requests/decline", as: "qian_jin", json: [
                "clock": "answer", "reason": "理由不充分", "expected_version": asked.case["version"] as? Int ?? 0,
            ])
            #expect(declined.status == 200, "\(declined.text)")
            #expect(Self.answerClock(declined)["extension_request"] is NSNull)
            let events = (declined.case["events"] as? [[String: Any]])?.compactMap { $0["type"] as? String } ?? []
            if !events.isEmpty { #expect(events.suffix(2) == ["extension_requested", "extension_declined"]) }
        }
    }

    @Test("refused: 403 not working the case or not an approver, 409 already pending or stale, 422 too long or unknown clock; nothing written")
    func refusals() async throws {
        let f = try await ServerFixture.make()
        try await f.test { client in
            let number = try await Self.inProgress(f, client)
            let v = try await Self.version(client, number)
            func ask(_ who: String, _ body: [String: Any]) async throws -> Client.Reply {
                try await client.call(.post, "/v1/cases/\(number)/extension-requests", as: who,
                                      json: ["clock": "answer", "reason": "需调查", "expected_version": v].merging(body) { $1 })
            }
            // Not working the case: the unit head takes no step of an in-progress case (only of an answer to review); the auditor is read-only.
            let head = try await ask("luo_jun", ["days": 1])
            #expect(head.status == 403 && head.errorField == "actor" && head.errorMessage.contains("luo_jun"), "\(head.text)")
            #expect(try await ask("deng_qing", ["days": 1]).status == 403)
            #expect(try await ask("wang_lei", ["days": 1]).status == 403, "another unit's handler does not even see it")
            let long = try await ask("gao_peng", ["days": 3])
            #expect(long.status == 422 && long.errorField == "days" && long.errorMessage.contains("at most"), "\(long.text)")
            let unknown = try await ask("gao_peng", ["clock": "answr", "days": 1])
            #expect(unknown.status == 422 && unknown.errorField == "clock", "\(unknown.text)")
            let both = try await ask("gao_peng", ["days": 1, "hours": 2])
            #expect(both.status == 400)
            #expect(try await ask("gao_peng", ["days": 1, "expected_version": v - 1]).status == 409)
            let nothing = try await client.call(.post, "/v1/cases/\(number)/extension-requests/decline", as: "qian_jin",
                                                json: ["clock": "answer", "reason": "不同意", "expected_version": v])
            #expect(nothing.status == 409 && nothing.errorField == "clock", "\(nothing.text)")
            #expect(try await Self.version(client, number) == v, "no refusal wrote anything")

            let asked = try await ask("gao_peng", ["days": 1])
            #expect(asked.status == 201, "\(asked.text)")
            let v2 = asked.case["version"] as? Int ?? 0
            let again = try await ask("gao_peng", ["days": 1, "expected_version": v2])
            #expect(again.status == 409 && again.errorField == "clock" && again.errorMessage.contains("pending"), "\(again.text)")
            let byHandler = try await client.call(.post, "/v1/cases/\(number)/extension-requests/decline", as: "gao_peng",
                                                  json: ["clock": "answer", "reason": "不同意", "expected_version": v2])
            #expect(byHandler.status == 403 && byHandler.errorMessage.contains("gao_peng"), "\(byHandler.text)")
            let unknownKey = try await client.call(.post, "/v1/cases/\(number)/extension-requests/decline", as: "qian_jin",
                                                   json: ["clock": "answer", "reason": "不同意", "days": 1, "expected_version": v2])
            #expect(unknownKey.status == 400)
            #expect(try await Self.version(client, number) == v2, "no refusal wrote anything")
        }
    }
}
