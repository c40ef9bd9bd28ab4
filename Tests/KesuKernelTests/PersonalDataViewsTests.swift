import Foundation
@testable import KesuKernel
import KesuTestSupport
import Testing

@Suite("personal-data view log")
struct PersonalDataViewsTests {
    static func at(_ iso: String) -> Date { ISO8601.parse(iso)! }

    @Test("views are kept per person per UTC day, read back newest first, filtered by person and case")
    func recordAndList() async throws {
        let store = MemoryStore()
        let log = PersonalDataViews(store: store)
        try await log.record(.init(person: "zhao_min", caseNumber: "A-1", at: Self.at("2026-10-12T07:59:00+08:00"), channel: .console))
        try await log.record(.init(person: "zhao_min", caseNumber: "A-2", at: Self.at("2026-10-12T08:01:00+08:00"), channel: .api))
        try await log.record(.init(person: "qian_jin", caseNumber: "A-1", at: Self.at("2026-10-12T09:00:00+08:00"), channel: .cli))
        // 07:59 in Beijing is the day before in UTC: a stream of its own.
        #expect(try await store.records(stream: "pd-views/2026-10-11/zhao_min").count == 1)
        #expect(try await store.records(stream: "pd-views/2026-10-12/zhao_min").count == 1)
        let all = try await log.list(from: Self.at("2026-10-11T00:00:00Z"), to: Self.at("2026-10-12T23:59:59Z"))
        #expect(all.map(\.caseNumber) == ["A-1", "A-2", "A-1"])
        #expect(all.map(\.person) == ["qian_jin", "zhao_min", "zhao_min"])
        #expect(all.map(\.channel) == [.cli, .api, .console])
        #expect(try await log.list(from: Self.at("2026-10-11T00:00:00Z"), to: Self.at("2026-10-13T00:00:00Z"), person: "zhao_min").count == 2)
        #expect(try await log.list(from: Self.at("2026-10-11T00:00:00Z"), to: Self.at("2026-10-13T00:00:00Z"), caseNumber: "A-1").count == 2)
        // The bounds are instants, not days.
        #expect(try await log.list(from: Self.at("2026-10-12T08:00:00+08:00"), to: Self.at("2026-10-12T08:30:00+08:00")).map(\.caseNumber) == ["A-2"])
        await #expect(throws: KesuError.self) {
            _ = try await log.list(from: Self.at("2024-01-01T00:00:00Z"), to: Self.at("2026-01-01T00:00:00Z"))
        }
    }

    @Test("many views by one person at once are all kept (appends retry on the person's own stream)")
    func concurrent() async throws {
        let store = MemoryStore()
        let log = PersonalDataViews(store: store)
        let t = Self.at("2026-10-12T09:00:00+08:00")
        try await withThrowingTaskGroup(of: Void.self) { g in
            for i in 0..<15 {
                g.addTask { try await log.record(.init(person: "zhao_min", caseNumber: "A-\(i)", at: t, channel: .api)) }
                g.addTask { try await log.record(.init(person: "sun_li", caseNumber: "A-\(i)", at: t, channel: .console)) }
            }
            try await g.waitForAll()
        }
        let views = try await log.list(from: t, to: t)
        #expect(views.count == 30)
        #expect(Set(views.filter { $0.person == "zhao_min" }.map(\.caseNumber)).count == 15)
    }

    @Test("recordShown: only readers with personal_data, only cases with a personal value")
    func recordShown() async throws {
        var pack = TestPack.make()
        pack.roles = pack.roles.map { r in
            var r = r
            if r.id == "clerk" { r.permissions = [.personalData] }
            return r
        }
        let clerk = try #require(pack.principal("clerk1")), auditor = try #require(pack.principal("audit1"))
        let store = MemoryStore()
        let log = PersonalDataViews(store: store)
        let t = Self.at("2026-10-12T09:00:00+08:00")
        var s = CaseState()
        s.number = "T-1"
        s.fields = ["complainant_phone": "13812345678", "subject": "送货"]
        try await log.recordShown(s, to: auditor, pack: pack, at: t, via: .api)
        var bare = s
        bare.number = "T-2"
        bare.fields = ["subject": "送货", "complainant_name": ""]
        try await log.recordShown(bare, to: clerk, pack: pack, at: t, via: .api)
        try await log.recordShown(s, to: clerk, pack: pack, at: t, via: .console)
        let views = try await log.list(from: t, to: t)
        #expect(views == [PersonalDataView(person: "clerk1", caseNumber: "T-1", at: t, channel: .console)])
    }
}
