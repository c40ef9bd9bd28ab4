import Foundation
import Hummingbird
import HummingbirdTesting
import KesuKernel
import KesuServer
import Testing

/// The running server against docs/openapi.yaml: every route is documented and every documented
/// operation exists; every answer's status, content type and body are as documented.
@Suite("API: docs/openapi.yaml")
struct OpenAPIConformanceTests {
    static let doc = Paths.root.appendingPathComponent("docs/openapi.yaml").path

    @Test("the server's routes are exactly the documented operations")
    func routesDocumented() async throws {
        let spec = try OpenAPIDocument(path: Self.doc)
        let f = try await ServerFixture.make()
        let served = Set(f.api.endpoints.map(\.description))
        #expect(served.subtracting(spec.operations).isEmpty, "served but not documented: \(served.subtracting(spec.operations).sorted())")
        #expect(spec.operations.subtracting(served).isEmpty, "documented but not served: \(spec.operations.subtracting(served).sorted())")
    }

    @Test("a walk through every operation on a live server answers as documented")
    func liveWalk() async throws {
        let spec = try OpenAPIDocument(path: Self.doc)
        let f = try await ServerFixture.make()
        let walked = Walked()
        try await f.app.test(.live) { inner in
            let client = Client(inner: inner, tokens: f.tokens)
            @Sendable func call(_ method: HTTPRequest.Method, _ uri: String, as who: String? = nil, token: String? = nil, json: Any? = nil,
                                raw: String? = nil, headers: [String: String] = [:]) async throws -> Client.Reply {
                let r = try await client.call(method, uri, as: who, token: token, json: json, raw: raw, headers: headers)
                let problems = spec.check(method: method.rawValue, path: uri, status: r.status, contentType: r.headers[.contentType], body: r.body)
                #expect(problems.isEmpty, "\(method) \(uri): \(problems.joined(separator: "\n"))")
                if let op = spec.operation(method: method.rawValue, path: uri) { walked.add("\(method.rawValue) \(op.template)") }
                return r
            }
            _ = try await call(.get, "/healthz")
            _ = try await call(.get, "/readyz")
            _ = try await call(.get, "/v1/me")
            _ = try await call(.get, "/v1/me", token: "kesu_not-a-token")
            _ = try await call(.get, "/v1/me", as: "zhao_min")
            f.clock.set("2026-09-30T10:00:00+08:00")
            let made = try await call(.post, "/v1/cases", as: "zhao_min", json: ["fields": SafeWriteTests.fields], headers: ["Idempotency-Key": "walk-1"])
            #expect(made.status == 201)
            let number = try #require(made.case["number"] as? String)
            _ = try await call(.post, "/v1/cases", as: "zhao_min", json: ["fields": SafeWriteTests.fields], headers: ["Idempotency-Key": "walk-1"])
            _ = try await call(.post, "/v1/cases", as: "zhao_min", raw: "{")
            _ = try await call(.post, "/v1/cases", as: "zhao_min", json: ["fields": ["channel": "fax"]])
            _ = try await call(.post, "/v1/cases", as: "deng_qing", json: ["fields": SafeWriteTests.fields])
            // Newest first: a case registered an hour later heads the clerk's first page.
            f.clock.set("2026-09-30T11:00:00+08:00")
            let later = try await call(.post, "/v1/cases", as: "zhao_min", json: ["fields": SafeWriteTests.fields])
            let page = try await call(.get, "/v1/cases?limit=1", as: "zhao_min")
            let listed = (page.json["cases"] as? [[String: Any]])?.compactMap { $0["number"] as? String }
            #expect(listed == [later.case["number"] as? String ?? "?"], "\(page.text)")
            #expect(page.json["total"] as? Int == 2)
            let both = try await call(.get, "/v1/cases", as: "zhao_min")
            #expect((both.json["cases"] as? [[String: Any]])?.compactMap { $0["number"] as? String } == [later.case["number"] as? String ?? "?", number])
            // Error bodies name the field at fault: an unknown and a missing case field are 400.
            let unknown = try await call(.post, "/v1/cases", as: "zhao_min", json: ["fields": SafeWriteTests.fields.merging(["chanel": "phone"]) { a, _ in a }])
            #expect(unknown.status == 400 && unknown.errorField == "fields.chanel", "\(unknown.text)")
            let missing = try await call(.post, "/v1/cases", as: "zhao_min", json: ["fields": ["channel": "phone"]])
            #expect(missing.status == 400 && missing.errorField == "fields.kind", "\(missing.text)")
            let badPeriod = try await call(.get, "/v1/reports/due?period=0000Q1", as: "ma_lin")
            #expect(badPeriod.status == 400 && badPeriod.errorField == "?period", "\(badPeriod.text)")
            // A method a path does not take: 405 with Allow and the JSON error, not 404.
            for (method, path, allow) in [(HTTPRequest.Method.delete, "/v1/cases", "POST, GET"), (.get, "/v1/cases/\(number)/transitions", "POST"),
                                          (.put, "/v1/cases/\(number)", "GET"), (.post, "/healthz", "GET")] {
                let r = try await client.call(method, path, as: "zhao_min")
                #expect(r.status == 405, "\(method) \(path): \(r.text)")
                #expect(r.headers[.allow] == allow, "\(method) \(path)")
                #expect(r.errorCode == "method_not_allowed", "\(method) \(path): \(r.text)")
            }
            _ = try await call(.get, "/v1/cases?open=true&text=%E6%80%81%E5%BA%A6", as: "zhao_min")
            _ = try await call(.get, "/v1/cases?stat=x", as: "zhao_min")
            _ = try await call(.get, "/v1/cases/\(number)", as: "zhao_min")
            _ = try await call(.get, "/v1/cases/YC-2026-999999", as: "zhao_min")
            _ = try await call(.get, "/v1/cases/\(number)", as: "wang_lei")
            var r = try await call(.post, "/v1/cases/\(number)/transitions", as: "zhao_min", json: [
                "transition": "substantiate", "expected_version": made.case["version"] as? Int ?? 0,
                "fields": ["substantiated": "yes", "category": "marketing_service", "level": "general"],
            ])
            _ = try await call(.post, "/v1/cases/\(number)/transitions", as: "zhao_min", json: ["transition": "substantiate", "expected_version": 1])
            _ = try await call(.post, "/v1/cases/\(number)/transitions", as: "zhao_min", json: ["transition": "fly", "expected_version": r.case["version"] as? Int ?? 0])
            r = try await call(.post, "/v1/cases/\(number)/transitions", as: "qian_jin", json: ["transition": "approve_dispatch", "expected_version": r.case["version"] as? Int ?? 0])
            #expect(r.status == 200, "\(r.text)")
            // Extension requests: asked, a second ask refused while pending, declined, asked again (the grant below settles it).
            let ask: @Sendable (Client.Reply) -> [String: Any] = { r in
                ["clock": "answer", "days": 1, "reason": "需现场核实", "expected_version": r.case["version"] as? Int ?? 0]
            }
            let asked = try await call(.post, "/v1/cases/\(number)/extension-requests", as: "ma_lin", json: ask(r))
            #expect(asked.status == 201, "\(asked.text)")
            #expect(try await call(.post, "/v1/cases/\(number)/extension-requests", as: "ma_lin", json: ask(asked)).status == 409)
            _ = try await call(.post, "/v1/cases/\(number)/extension-requests/decline", as: "gao_peng",
                               json: ["clock": "answer", "reason": "理由不充分", "expected_version": asked.case["version"] as? Int ?? 0])
            let declined = try await call(.post, "/v1/cases/\(number)/extension-requests/decline", as: "qian_jin",
                                          json: ["clock": "answer", "reason": "理由不充分", "expected_version": asked.case["version"] as? Int ?? 0])
            #expect(declined.status == 200, "\(declined.text)")
            r = try await call(.post, "/v1/cases/\(number)/extension-requests", as: "ma_lin", json: ask(declined))
            #expect(r.status == 201, "\(r.text)")
            _ = try await call(.post, "/v1/cases/\(number)/extensions", as: "qian_jin", json: [
                "clock": "answer", "days": 2, "reason": "需现场核实", "expected_version": r.case["version"] as? Int ?? 0,
            ])
            _ = try await call(.post, "/v1/cases/\(number)/extensions", as: "qian_jin", raw: String(repeating: " ", count: 70_000))
            _ = try await call(.get, "/v1/cases/\(number)/explanation", as: "zhao_min")
            // Attachments: a multipart upload (refused, then taken), the download and a hash the case lacks.
            @Sendable func upload(_ version: Int, type: String) async throws -> Client.Reply {
                var body = MultipartBody()
                body.field("expected_version", String(version))
                body.file("file", fileName: "来信.pdf", type: type, Data("%PDF-1.4\n\u{0}\u{FF}".utf8))
                var headers = HTTPFields()
                headers[.authorization] = "Bearer \(f.tokens["zhao_min"]!)"
                headers[.contentType] = body.contentType
                let r = try await inner.execute(uri: "/v1/cases/\(number)/attachments", method: .post, headers: headers,
                                                body: ByteBuffer(bytes: body.closed())) { r in
                    Client.Reply(status: Int(r.status.code), body: Data(r.body.readableBytesView), headers: r.headers)
                }
                let problems = spec.check(method: "POST", path: "/v1/cases/\(number)/attachments", status: r.status,
                                          contentType: r.headers[.contentType], body: r.body)
                #expect(problems.isEmpty, "upload: \(problems.joined(separator: "\n"))")
                walked.add("POST /v1/cases/{number}/attachments")
                return r
            }
            let current = try await call(.get, "/v1/cases/\(number)", as: "zhao_min").json["version"] as? Int ?? 0
            #expect(try await upload(current, type: "application/x-msdownload").status == 422)
            let attached = try await upload(current, type: "application/pdf")
            #expect(attached.status == 201, "\(attached.text)")
            let sha = ((attached.case["attachments"] as? [[String: Any]])?.first?["sha256"] as? String) ?? "?"
            let file = try await call(.get, "/v1/cases/\(number)/attachments/\(sha)", as: "zhao_min")
            #expect(file.status == 200 && file.headers[.contentType] == "application/pdf", "\(file.text)")
            _ = try await call(.get, "/v1/cases/\(number)/attachments/\(String(repeating: "a", count: 64))", as: "zhao_min")
            let rules = try await call(.get, "/v1/rules", as: "deng_qing")
            #expect((rules.json["loaded_at"] as? String)?.hasSuffix("+08:00") == true, "the pack's offset, like every other time: \(rules.text)")
            _ = try await call(.post, "/v1/rules/explanation", as: "zhao_min", json: ["fields": ["channel": "phone", "category": "logistics_service"], "at": "2026-09-30T10:00:00+08:00"])
            _ = try await call(.post, "/v1/rules/validation", as: "wu_jing")
            _ = try await call(.post, "/v1/rules/validation", as: "wang_lei")
            _ = try await call(.post, "/v1/rules/reload", as: "wu_jing")
            f.clock.set("2026-10-20T10:00:00+08:00")
            _ = try await call(.post, "/v1/sweep", as: "wu_jing")
            f.clock.set("2027-01-05T10:00:00+08:00")
            _ = try await call(.get, "/v1/scores?period=2026Q4", as: "qian_jin")
            _ = try await call(.get, "/v1/scores?period=2026Q4&by=person&format=csv&lang=en", as: "qian_jin")
            _ = try await call(.get, "/v1/scores?period=Q4", as: "qian_jin")
            _ = try await call(.get, "/v1/register?from=2026-09-01&until=2026-12-31", as: "qian_jin")
            _ = try await call(.get, "/v1/register?from=2026-09-01&until=2026-12-31&format=xlsx", as: "deng_qing")
            _ = try await call(.get, "/v1/register?from=2026-13-01&until=2026-12-31", as: "qian_jin")
            _ = try await call(.get, "/v1/register?from=2026-09-01&until=2026-12-31", as: "zhao_min")
            _ = try await call(.get, "/v1/events?limit=3", as: "zhao_min")
            _ = try await call(.get, "/v1/events?after=not-a-cursor", as: "zhao_min")
            _ = try await call(.get, "/v1/reports/quarterly?period=2026Q4", as: "qian_jin")
            _ = try await call(.get, "/v1/reports/quarterly?period=2026Q4&format=html", as: "qian_jin")
            _ = try await call(.get, "/v1/reports/due?period=2026Q4", as: "ma_lin")
            _ = try await call(.get, "/v1/reports/due?period=2026-10", as: "ma_lin")
            f.clock.set("2026-12-10T10:00:00+08:00")
            _ = try await call(.post, "/v1/reports/submissions", as: "ma_lin", json: ["report": "expectation_analysis", "note": "已报送"])
            _ = try await call(.post, "/v1/reports/submissions", as: "ma_lin", json: ["report": "expectaton_analysis"])
            f.clock.set("2027-01-05T10:00:00+08:00")
            _ = try await call(.get, "/v1/penalties?period=2026Q4", as: "qian_jin")
            _ = try await call(.get, "/v1/penalties", as: "wang_lei")
            _ = try await call(.get, "/v1/penalties/2026Q4-person-nobody", as: "qian_jin")
            _ = try await call(.post, "/v1/penalties/2026Q4-person-nobody/decision", as: "feng_jianguo", json: ["decision": "no_penalty", "reason": "x"])
            _ = try await call(.post, "/v1/penalties/2026Q4-person-nobody/appeal", as: "gao_peng", json: ["reason": "x"])
            _ = try await call(.post, "/v1/penalties/2026Q4-person-nobody/appeal-decision", as: "feng_jianguo", json: ["outcome": "upheld", "reason": "x"])
            _ = try await call(.get, "/v1/notifications?status=all", as: "wu_jing")
            _ = try await call(.post, "/v1/notifications/retry", as: "wu_jing", json: [String: Any]())
            _ = try await call(.get, "/metrics")
        }
        let missed = spec.operations.subtracting(walked.all)
        #expect(missed.isEmpty, "operations the walk did not reach: \(missed.sorted())")
    }
}

final class Walked: @unchecked Sendable {
    private let lock = NSLock()
    private var set = Set<String>()
    func add(_ s: String) { lock.withLock { _ = set.insert(s) } }
    var all: Set<String> { lock.withLock { set } }
}
