import Foundation
import HummingbirdTesting
import KesuKernel
import KesuServer
import KesuYAML
import Testing

/// The pack's demo scenario driven entirely through the HTTP API: every intake, transition and
/// refusal is a request; sweeps run through the server's sweep service at the step's time.
@Suite("API: a complaint's whole life")
struct ServerLifeTests {
    @Test("the demo scenario over HTTP", arguments: [
        ("tobacco-prefecture", SharedDatabase.sqlite), ("online-service", .sqlite), ("after-sales", .sqlite), ("tobacco-prefecture", .postgres),
    ])
    func demoOverHTTP(pack: String, database: SharedDatabase) async throws {
        let store = try await database.pair(in: try Paths.temp("kesu-life")).0
        let f = try await ServerFixture.make(pack: Paths.pack(pack), store: store)
        let scenario = try ScenarioLoader.load(path: Paths.pack(pack) + "/scenarios/demo.yaml")
        try await f.test { client in
            var number = ""
            for (i, step) in scenario.steps.enumerated() {
                let label = "step \(i + 1) (\(step.say ?? ""))"
                f.clock.set(step.at)
                if step.sweep == true {
                    let tick = try #require(try await f.api.sweeper.tick(), "\(label): the only instance holds the sweep lease")
                    if let n = step.expect?.fired { #expect(tick.cases.fired.count == n, "\(label)") }
                    continue
                }
                let who = try #require(step.as, "\(label) names who acts")
                var reply: Client.Reply
                if let fields = step.intake {
                    reply = try await client.call(.post, "/v1/cases", as: who, json: ["fields": fields], headers: ["Idempotency-Key": "demo-\(i)"])
                    #expect(reply.status == 201, "\(label): \(reply.text)")
                    number = reply.case["number"] as? String ?? ""
                } else if let act = step.act {
                    reply = try await client.act(number, act, as: who, fields: step.fields ?? [:])
                } else if let ext = step.extend {
                    let current = try await client.call(.get, "/v1/cases/\(number)", as: who)
                    var body: [String: Any] = ["clock": ext.clock, "reason": ext.reason, "expected_version": current.json["version"] as? Int ?? -1]
                    if let d = ext.days { body["days"] = d }
                    if let h = ext.hours { body["hours"] = h }
                    reply = try await client.call(.post, "/v1/cases/\(number)/extensions", as: who, json: body)
                } else { continue }
                if let refused = step.expect?.refused {
                    #expect(reply.errorCode == refused, "\(label): \(reply.text)")
                    #expect([403, 409, 422].contains(reply.status), "\(label): \(reply.status)")
                } else {
                    #expect(reply.status < 300, "\(label): \(reply.text)")
                }
                let shown = try await client.call(.get, "/v1/cases/\(number)", as: who)
                if let state = step.expect?.state { #expect(shown.json["state"] as? String == state, "\(label)") }
                if let unit = step.expect?.handling_unit { #expect(shown.json["handling_unit"] as? String == unit, "\(label)") }
                if let closed = step.expect?.closed { #expect((shown.json["closed_at"] is String) == closed, "\(label)") }
            }
            // The history the API shows is the one the store holds, event for event.
            let id = try #require(try await f.store.caseID(number: number))
            let stored = try await f.store.events(caseID: id)
            let pack = f.api.rules.engine.pack
            let viewer = try #require(pack.people.first { pack.principal($0.id)?.seesAllCases == true })
            let shown = try await client.call(.get, "/v1/cases/\(number)", as: viewer.id)
            #expect((shown.json["events"] as? [Any])?.count == stored.count)
        }
    }
}
