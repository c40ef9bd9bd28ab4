import Foundation
import KesuKernel
import KesuTestSupport
import Testing

/// Appraisal measures counted from events in the period, attributed to the unit handling the
/// case (or the person assigned) when each thing happened.
@Suite struct MeasuresTests {
    let pack = TestPack.make()
    func at(_ s: String) -> Date { TestPack.at(s) }

    func twoCases() async throws -> Engine {
        let e = try Engine(pack: pack, store: MemoryStore())
        try await TestPack.twoCases(e)
        return e
    }

    @Test func byUnitInAMonth() async throws {
        let e = try await twoCases()
        let calendar = try BusinessCalendar(pack.calendar)
        let oct = try await e.measures(period: try Period.parse("2026-10", calendar: calendar), by: .unit)
        let a = oct["unit_a"], b = oct["unit_b"]
        #expect(a.received == 1, "case B; case A was routed to unit_a in September")
        #expect((a.answered, a.answeredOnTime, a.overdue) == (2, 1, 1))
        #expect((a.callbacks, a.unsatisfied, a.redispatched, a.extensions, a.substantiated) == (1, 1, 1, 1, 1))
        #expect(a.onTimeRate == 0.5)
        #expect(a.satisfactionRate == 0)
        #expect((b.received, b.answered, b.answeredOnTime, b.callbacks, b.unsatisfied) == (1, 1, 1, 1, 0))
        #expect(b.satisfactionRate == 1)
        #expect((oct.total.received, oct.total.answered, oct.total.callbacks, oct.total.redispatched) == (2, 3, 2, 1))
        let sep = try await e.measures(period: try Period.parse("2026-09", calendar: calendar), by: .unit)
        #expect(sep["unit_a"].received == 1)
        #expect(sep["unit_a"].answered == 0)
    }

    @Test func byPersonInAQuarter() async throws {
        let e = try await twoCases()
        let q4 = try await e.measures(period: try Period.parse("2026Q4", calendar: try BusinessCalendar(pack.calendar)), by: .person)
        let h = q4["a_handler"]
        #expect(h.received == 2)
        #expect((h.answered, h.answeredOnTime, h.callbacks, h.unsatisfied, h.redispatched, h.substantiated) == (2, 1, 1, 1, 1, 1))
        #expect(q4["b_liaison"].answered == 1)
        // The overdue run had nobody assigned: it is the liaison's (the clock's responsible person).
        #expect(q4["a_liaison"].overdue == 1)
    }

    @Test func aClosedPeriodDoesNotDrift() async throws {
        let e = try await twoCases()
        let calendar = try BusinessCalendar(pack.calendar)
        let before = try await e.measures(period: try Period.parse("2026-10", calendar: calendar), by: .unit)
        let late = try await e.intake(fields: ["channel": "phone", "kind": "complaint", "description": "y", "category": "service"],
                                      by: "clerk1", at: at("2026-11-03T09:00")).state.number
        try await e.act(late, transition: "dispatch", fields: ["category": "service"], by: "chief", at: at("2026-11-03T10:00"))
        let after = try await e.measures(period: try Period.parse("2026-10", calendar: calendar), by: .unit)
        #expect(after == before)
    }
}
