import Foundation
import KesuTestSupport
import Testing

/// Issue 16 over HTTP: a case whose due time falls in a drafted (provisional) year says so in its JSON, in the
/// listing and in its explanation, and the answers stay as docs/openapi.yaml documents them.
@Suite struct DueCalendarAPITests {
    @Test func aProvisionalDueTimeIsFlaggedInTheCaseTheListingAndTheExplanation() async throws {
        let spec = try OpenAPIDocument(path: OpenAPIConformanceTests.doc)
        // The shipped pack counts 2027 on its draft (rules/calendars/cn-2027-draft.yaml).
        let f = try await ServerFixture.make(at: "2026-12-28T10:00:00+08:00")
        try await f.test { client in
            func checked(_ uri: String, _ reply: Client.Reply, method: String = "GET") -> Client.Reply {
                let problems = spec.check(method: method, path: uri, status: reply.status, contentType: reply.headers[.contentType], body: reply.body)
                #expect(problems.isEmpty, "\(uri): \(problems.joined(separator: "\n"))")
                return reply
            }
            var fields = SafeWriteTests.fields
            fields["channel"] = "provincial"
            let made = checked("/v1/cases", try await client.call(.post, "/v1/cases", as: "zhao_min", json: ["fields": fields]), method: "POST")
            #expect(made.status == 201, "\(made.text)")
            let number = try #require(made.case["number"] as? String)

            let shown = checked("/v1/cases/\(number)", try await client.call(.get, "/v1/cases/\(number)", as: "zhao_min"))
            let clock = (shown.json["clocks"] as? [[String: Any]] ?? []).first { $0["id"] as? String == "provincial_feedback" }
            #expect(clock?["due_at"] as? String == "2027-01-05T18:00:00+08:00")
            #expect(clock?["due_calendar"] as? String == "provisional", "\(shown.text)")
            let walk = clock?["due_walk"] as? [String: Any]
            #expect(walk?["due_calendar"] as? String == "provisional")
            #expect(jsonText(walk?["calendar_years"]) == #"[{"calendar":"official","year":2026},{"calendar":"provisional","year":2027}]"#)

            let listed = checked("/v1/cases", try await client.call(.get, "/v1/cases", as: "zhao_min"))
            #expect((listed.json["cases"] as? [[String: Any]])?.first?["earliest_due_calendar"] as? String == "provisional", "\(listed.text)")

            let explained = checked("/v1/cases/\(number)/explanation", try await client.call(.get, "/v1/cases/\(number)/explanation", as: "zhao_min"))
            let lines = explained.json["lines"] as? [String] ?? []
            #expect(lines.contains { $0.hasSuffix("due 2027-01-05T18:00:00+08:00（暂定日历）") }, "\(lines)")
            #expect(lines.contains { $0.contains("暂定日历：2027年只有法定节假日") }, "\(lines)")
        }
    }

    /// A case with no running clock lists a null calendar beside its null due time.
    @Test func noDueTimeNoCalendar() async throws {
        let f = try await ServerFixture.make(at: "2026-10-12T10:00:00+08:00")
        try await f.test { client in
            let made = try await client.call(.post, "/v1/cases", as: "zhao_min", json: ["fields": SafeWriteTests.fields])
            #expect(made.status == 201)
            let listed = try await client.call(.get, "/v1/cases", as: "zhao_min")
            let row = (listed.json["cases"] as? [[String: Any]])?.first
            #expect(row?["earliest_due"] is NSNull && row?["earliest_due_calendar"] is NSNull, "\(listed.text)")
        }
    }
}

/// A JSON value as compact sorted text, to compare a nested value at once.
private func jsonText(_ value: Any?) -> String {
    guard let value, JSONSerialization.isValidJSONObject(value),
          let data = try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys]) else { return "" }
    return String(decoding: data, as: UTF8.self)
}
