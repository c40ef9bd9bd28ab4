import Foundation
import KesuKernel
import KesuTestSupport
import Testing

/// The kernel says what is wrong in the domain's words; each front end adds its own way out: the
/// API names endpoints and body fields, the CLI names commands and options — never the other's.
@Suite struct ErrorWordingTests {
    static let fields = ["channel": "phone", "kind": "complaint", "complainant_type": "retailer",
                         "category": "logistics_service", "description": "送货慢"]

    @Test func theAPINamesItsOwnWayOutAndTheBodyField() async throws {
        let f = try await ServerFixture.make(at: "2026-10-12T09:00:00+08:00")
        try await f.test { c in
            let missing = try await c.call(.get, "/v1/cases/YC-2026-999999", as: "qian_jin")
            #expect(missing.status == 404)
            #expect(missing.errorMessage.contains("see GET /v1/cases"), "\(missing.errorMessage)")
            #expect(!missing.errorMessage.contains("kesu ") && !missing.errorMessage.contains("--"), "\(missing.errorMessage)")
            #expect(missing.errorField == "{number}")

            let intake = try await c.call(.post, "/v1/cases", as: "zhao_min", json: ["fields": Self.fields])
            let number = try #require(intake.case["number"] as? String)
            try await c.act(number, "substantiate", as: "zhao_min", fields: ["substantiated": "yes", "category": "logistics_service", "level": "general"])
            try await c.act(number, "approve_dispatch", as: "qian_jin")
            let version = try await c.call(.get, "/v1/cases/\(number)", as: "qian_jin").json["version"] as? Int ?? -1
            let blank = try await c.call(.post, "/v1/cases/\(number)/extensions", as: "qian_jin",
                                         json: ["clock": "answer", "days": 1, "reason": "  ", "expected_version": version])
            #expect(blank.status == 400, "a missing reason is a malformed request, like any missing key")
            #expect(blank.errorField == "reason", "the body field at fault: \(blank.json)")
            #expect(!blank.errorMessage.contains("--reason"), "\(blank.errorMessage)")
        }
    }

    @Test func theCLINamesItsCommandsAndOptions() throws {
        let dir = try Paths.temp("kesu-wording")
        let db = dir.appendingPathComponent("kesu.db").path
        let rules = Paths.pack("tobacco-prefecture")
        let show = try KesuProcess.run(["show", "YC-2026-999999", "--rules", rules, "--db", db], in: dir)
        #expect(show.status == 1)
        #expect(show.stderr.contains("see `kesu list`"), "\(show.stderr)")
        let who = try KesuProcess.run(["intake", "--rules", rules, "--db", db, "--as", "zhao_mim", "--now", "2026-10-12T09:00:00+08:00"]
                                      + Self.fields.flatMap { ["--field", "\($0.key)=\($0.value)"] }, in: dir)
        #expect(who.status == 1)
        #expect(who.stderr.contains("did you mean 'zhao_min'?") && who.stderr.contains("(--as)"), "\(who.stderr)")
    }
}
