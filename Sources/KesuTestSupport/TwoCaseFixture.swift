import Foundation
import KesuKernel

extension TestPack {
    /// Two cases on `TestPack.make()` around National Day 2026, for measures and exports:
    /// A is answered by unit_a in time, its callback is unsatisfied, it is re-dispatched to
    /// unit_b which answers again and satisfies; B is extended, still late (swept on 10-19),
    /// then answered with the fault ours (substantiated).
    public static func twoCases(_ e: Engine) async throws {
        func intake(_ time: String) async throws -> String {
            try await e.intake(fields: ["channel": "phone", "kind": "complaint", "description": "x", "category": "service"],
                               by: "clerk1", at: at(time)).state.number
        }
        let a = try await intake("2026-09-30T10:00")
        try await e.act(a, transition: "dispatch", fields: ["category": "service"], by: "chief", at: at("2026-09-30T11:00"))
        try await e.act(a, transition: "answer", fields: ["result": "已道歉"], by: "a_handler", at: at("2026-10-08T09:00"))
        try await e.act(a, transition: "approve", by: "a_head", at: at("2026-10-08T10:00"))
        try await e.act(a, transition: "callback", fields: ["satisfaction": "unsatisfied"], by: "clerk1", at: at("2026-10-09T10:00"))
        try await e.act(a, transition: "redispatch", fields: ["handling_unit": "unit_b"], by: "clerk1", at: at("2026-10-09T11:00"))
        try await e.act(a, transition: "answer", fields: ["result": "已补送"], by: "b_liaison", at: at("2026-10-12T09:00"))
        try await e.act(a, transition: "approve", by: "b_head", at: at("2026-10-12T10:00"))
        try await e.act(a, transition: "callback", fields: ["satisfaction": "satisfied"], by: "clerk1", at: at("2026-10-12T15:00"))
        let b = try await intake("2026-10-12T09:00")
        try await e.act(b, transition: "dispatch", fields: ["category": "service"], by: "chief", at: at("2026-10-12T10:00"))
        try await e.extend(b, clock: "answer", by: .workingDays(1, .endOfDay), reason: "核实", approver: "chief", at: at("2026-10-14T10:00"))
        _ = try await e.sweep(at: at("2026-10-19T09:00"))
        try await e.act(b, transition: "answer", fields: ["result": "已处理", "fault": "ours"], by: "a_handler", at: at("2026-10-19T10:00"))
        try await e.act(b, transition: "approve", by: "a_head", at: at("2026-10-19T11:00"))
    }
}
