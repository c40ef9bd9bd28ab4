import Foundation
import HummingbirdTesting
import KesuKernel
import KesuServer
import Testing

/// Retried intakes, stale versions and bad bodies: each gets its status and message, and the
/// store is left exactly as it was.
@Suite("API: safe writes")
struct SafeWriteTests {
    static let fields: [String: String] = [
        "channel": "phone", "kind": "complaint", "complainant_type": "retailer", "region": "county_a",
        "category": "marketing_service", "subject": "客户经理服务态度差", "description": "订货时推诿",
        "complainant_name": "张某", "complainant_phone": "13812345678",
    ]

    /// Everything the store holds, to show a refused request changed nothing.
    static func snapshot(_ store: any CaseStore) async throws -> [String] {
        var out: [String] = []
        for s in try await store.list(CaseQuery(limit: 1000)) {
            out.append("\(s.number) v\(s.version) \(s.state)")
            out += try await store.events(caseID: s.id).map { "  \($0.seq) \($0.type)" }
        }
        out += try await store.outbox(status: nil, limit: 10000).map { "outbox \($0.id) \($0.status)" }
        return out
    }

    @Test("a retried intake with the same Idempotency-Key returns the first case, never a second")
    func idempotentIntake() async throws {
        let f = try await ServerFixture.make()
        try await f.test { client in
            let first = try await client.call(.post, "/v1/cases", as: "zhao_min", json: ["fields": Self.fields], headers: ["Idempotency-Key": "call-0930-001"])
            #expect(first.status == 201)
            #expect(first.json["replayed"] as? Bool == false)
            let number = try #require(first.case["number"] as? String)
            #expect(first.headers["Location"] == "/v1/cases/\(number)")
            let again = try await client.call(.post, "/v1/cases", as: "zhao_min", json: ["fields": Self.fields], headers: ["Idempotency-Key": "call-0930-001"])
            #expect(again.status == 200)
            #expect(again.json["replayed"] as? Bool == true)
            #expect(again.case["number"] as? String == number)
            // The same key for another complaint is refused, naming the header.
            var other = Self.fields
            other["subject"] = "另一件事"
            let mismatch = try await client.call(.post, "/v1/cases", as: "zhao_min", json: ["fields": other], headers: ["Idempotency-Key": "call-0930-001"])
            #expect(mismatch.status == 422)
            #expect(mismatch.errorField == "Idempotency-Key")
            #expect(try await f.store.count(CaseQuery()) == 1)
        }
    }

    @Test("eight concurrent retries with one key make exactly one case")
    func concurrentRetries() async throws {
        let f = try await ServerFixture.make()
        try await f.test { client in
            let numbers = try await withThrowingTaskGroup(of: String?.self) { group in
                for _ in 0..<8 {
                    group.addTask {
                        let r = try await client.call(.post, "/v1/cases", as: "zhao_min", json: ["fields": Self.fields], headers: ["Idempotency-Key": "burst"])
                        return r.case["number"] as? String
                    }
                }
                return try await group.reduce(into: Set<String?>()) { $0.insert($1) }
            }
            #expect(numbers.count == 1)
            #expect(numbers.first! != nil)
            #expect(try await f.store.count(CaseQuery()) == 1)
        }
    }

    @Test("a transition based on a stale version gets 409 and writes nothing")
    func staleVersion() async throws {
        let f = try await ServerFixture.make()
        try await f.test { client in
            let r = try await client.call(.post, "/v1/cases", as: "zhao_min", json: ["fields": Self.fields])
            let number = try #require(r.case["number"] as? String)
            let version = try #require(r.case["version"] as? Int)
            let ok = try await client.call(.post, "/v1/cases/\(number)/transitions", as: "zhao_min", json: [
                "transition": "substantiate", "expected_version": version,
                "fields": ["substantiated": "yes", "category": "marketing_service", "level": "general"],
            ])
            #expect(ok.status == 200, "\(ok.text)")
            let before = try await Self.snapshot(f.store)
            // A second clerk still looking at the old version tries the same step.
            let stale = try await client.call(.post, "/v1/cases/\(number)/transitions", as: "sun_li", json: [
                "transition": "substantiate", "expected_version": version,
                "fields": ["substantiated": "no"],
            ])
            #expect(stale.status == 409)
            #expect(stale.errorCode == "conflict")
            #expect(stale.errorMessage.contains("version"))
            #expect(try await Self.snapshot(f.store) == before)
            // An extension on a stale version is refused the same way.
            let ext = try await client.call(.post, "/v1/cases/\(number)/extensions", as: "qian_jin", json: [
                "clock": "answer", "days": 2, "reason": "需现场核实", "expected_version": version,
            ])
            #expect(ext.status == 409)
            #expect(try await Self.snapshot(f.store) == before)
        }
    }

    struct Bad: Sendable, CustomStringConvertible {
        var name: String
        var method: String = "POST"
        var path: String
        var raw: String
        var status: Int
        var field: String?
        var says: String
        var person = "zhao_min"
        var description: String { name }
    }

    static let bad: [Bad] = [
        Bad(name: "malformed JSON", path: "/v1/cases", raw: #"{"fields": {"channel": "phone",}"#, status: 400, says: "not valid JSON"),
        Bad(name: "not an object", path: "/v1/cases", raw: #"["phone"]"#, status: 400, says: "must be a JSON object"),
        Bad(name: "empty body", path: "/v1/cases", raw: "", status: 400, says: "needs a JSON object"),
        Bad(name: "unknown top-level field", path: "/v1/cases", raw: #"{"fields": {}, "feilds": {}}"#, status: 400, field: "feilds", says: "unknown field 'feilds'"),
        Bad(name: "fields of the wrong type", path: "/v1/cases", raw: #"{"fields": "phone"}"#, status: 400, field: "fields", says: "must be an object, not a string"),
        Bad(name: "a field value of the wrong type", path: "/v1/cases", raw: #"{"fields": {"channel": 3}}"#, status: 400, field: "fields.channel", says: "must be a string, not a number"),
        Bad(name: "missing fields", path: "/v1/cases", raw: #"{}"#, status: 400, field: "fields", says: "is required"),
        Bad(name: "transition without expected_version", path: "/v1/cases/YC-2026-000001/transitions", raw: #"{"transition": "substantiate"}"#, status: 400, field: "expected_version", says: "is required"),
        Bad(name: "expected_version as a string", path: "/v1/cases/YC-2026-000001/transitions", raw: #"{"transition": "substantiate", "expected_version": "2"}"#, status: 400, field: "expected_version", says: "must be an integer, not a string"),
        Bad(name: "misspelt transition key", path: "/v1/cases/YC-2026-000001/transitions", raw: #"{"transtion": "substantiate", "expected_version": 2}"#, status: 400, field: "transtion", says: "did you mean 'transition'"),
        Bad(name: "extension with days and hours", path: "/v1/cases/YC-2026-000001/extensions", raw: #"{"clock": "answer", "days": 1, "hours": 2, "reason": "x", "expected_version": 2}"#, status: 400, field: "days", says: "exactly one of"),
        Bad(name: "unknown pack field", path: "/v1/cases", raw: #"{"fields": {"chanel": "phone"}}"#, status: 400, field: "fields.chanel", says: "did you mean 'channel'"),
        Bad(name: "missing pack field", path: "/v1/cases", raw: #"{"fields": {"channel": "phone"}}"#, status: 400, field: "fields.kind", says: "requires"),
        Bad(name: "unknown transition field", path: "/v1/cases/YC-2026-000001/transitions", raw: #"{"transition": "substantiate", "expected_version": 2, "fields": {"levle": "general"}}"#, status: 400, field: "fields.levle", says: "did you mean 'level'"),
        Bad(name: "missing transition field", path: "/v1/cases/YC-2026-000001/transitions", raw: #"{"transition": "substantiate", "expected_version": 2, "fields": {"substantiated": "yes"}}"#, status: 400, field: "fields.category", says: "requires"),
        Bad(name: "null for a typed key", path: "/v1/rules/explanation", raw: #"{"fields": {}, "at": null}"#, status: 400, field: "at", says: "must be a string, not null"),
        Bad(name: "unknown clock", path: "/v1/cases/YC-2026-000001/extensions", raw: #"{"clock": "answr", "days": 1, "reason": "x", "expected_version": 2}"#, status: 422, field: "clock", says: "did you mean 'answer'"),
        Bad(name: "period before 2000", method: "GET", path: "/v1/reports/due?period=0000Q1", raw: "", status: 400, field: "?period", says: "2000–2100"),
        Bad(name: "period empty", method: "GET", path: "/v1/reports/due?period=", raw: "", status: 400, field: "?period", says: "2000–2100"),
        Bad(name: "scores for year 0", method: "GET", path: "/v1/scores?period=0000", raw: "", status: 400, field: "?period", says: "2000–2100", person: "qian_jin"),
        Bad(name: "quarterly report for a year", method: "GET", path: "/v1/reports/quarterly?period=2026", raw: "", status: 400, field: "?period", says: "needs a quarter", person: "qian_jin"),
        Bad(name: "submission for a period past 2100", path: "/v1/reports/submissions", raw: #"{"report": "expectation_analysis", "period": "2101Q1"}"#, status: 400, field: "period", says: "2000–2100"),
        Bad(name: "offset beyond 2^31", method: "GET", path: "/v1/cases?offset=2147483648", raw: "", status: 400, field: "?offset", says: "0…2147483647"),
        Bad(name: "unknown query parameter", method: "GET", path: "/v1/cases?stat=closed", raw: "", status: 400, field: "?stat", says: "did you mean 'state'"),
        Bad(name: "unknown state filter", method: "GET", path: "/v1/cases?state=clsoed", raw: "", status: 400, field: "?state", says: "did you mean 'closed'"),
        Bad(name: "limit out of range", method: "GET", path: "/v1/cases?limit=100000", raw: "", status: 400, field: "?limit", says: "1…500"),
        Bad(name: "bad time", method: "GET", path: "/v1/cases?from=yesterday", raw: "", status: 400, field: "?from", says: "ISO-8601"),
        Bad(name: "no such endpoint", method: "GET", path: "/v1/casez", raw: "", status: 404, says: "no such endpoint"),
    ]

    @Test("bad requests get 400/404/422 naming the field, and change nothing", arguments: bad)
    func badRequest(_ b: Bad) async throws {
        let f = try await ServerFixture.make()
        try await f.test { client in
            let made = try await client.call(.post, "/v1/cases", as: "zhao_min", json: ["fields": Self.fields])
            #expect(made.status == 201)
            let before = try await Self.snapshot(f.store)
            let r = try await client.call(.init(b.method)!, b.path, as: b.person, raw: b.method == "GET" ? nil : b.raw)
            #expect(r.status == b.status, "\(b.name): \(r.text)")
            #expect(r.errorMessage.contains(b.says), "\(b.name): \(r.errorMessage)")
            if let field = b.field { #expect(r.errorField == field, "\(b.name)") }
            #expect(try await Self.snapshot(f.store) == before)
        }
    }

    @Test("an oversized body gets 413 and writes nothing")
    func oversized() async throws {
        let f = try await ServerFixture.make(maxBody: 4096)
        try await f.test { client in
            var fields = Self.fields
            fields["description"] = String(repeating: "长", count: 5000)
            let r = try await client.call(.post, "/v1/cases", as: "zhao_min", json: ["fields": fields])
            #expect(r.status == 413)
            #expect(r.errorMessage.contains("4096"))
            #expect(try await f.store.count(CaseQuery()) == 0)
        }
    }
}
