import Foundation
import KesuKernel
import KesuTestSupport
import Testing

/// A field that holds a person (`type: person`) takes only person ids of the pack: a typo would
/// otherwise create a phantom person who receives deductions and penalty recommendations.
@Suite struct PersonFieldTests {
    func at(_ s: String) -> Date { TestPack.at(s) }

    static func pack() -> RulePack {
        var p = TestPack.make()
        p.fields.append(FieldDef(id: "witness", name: "见证人", type: .person))
        p.procedure.intake.accepts.append("witness")
        if let i = p.procedure.transitions.firstIndex(where: { $0.id == "answer" }) { p.procedure.transitions[i].accepts.append("witness") }
        return p
    }

    @Test func aPackWithAPersonFieldValidates() {
        #expect(!Self.pack().validate().hasErrors)
    }

    @Test func aValueThatIsNoPersonIsRefusedAndChangesNothing() async throws {
        let store = MemoryStore()
        let e = try Engine(pack: Self.pack(), store: store)
        let fields = ["channel": "phone", "kind": "complaint", "description": "态度差", "category": "service"]
        await #expect {
            try await e.intake(fields: fields.merging(["witness": "a_handlr"]) { $1 }, by: "clerk1", at: at("2026-10-08T08:40"))
        } throws: { error in
            guard let k = error as? KesuError else { return false }
            return k.code == .invalidValue && k.message.contains("'a_handlr' is not a person of this pack")
                && k.message.contains("did you mean 'a_handler'?")
        }
        #expect(try await store.count(CaseQuery()) == 0)

        let c = try await e.intake(fields: fields.merging(["witness": "a_handler"]) { $1 }, by: "clerk1", at: at("2026-10-08T08:40")).state
        #expect(c.fields["witness"] == "a_handler")
        try await e.act(c.number, transition: "dispatch", fields: ["category": "service"], by: "chief", at: at("2026-10-08T09:00"))
        let before = try await store.events(caseID: c.id)
        await #expect {
            try await e.act(c.number, transition: "answer", fields: ["result": "已处理", "witness": "张三"], by: "a_handler", at: at("2026-10-08T10:00"))
        } throws: { ($0 as? KesuError)?.code == .invalidValue }
        #expect(try await store.events(caseID: c.id) == before)
    }
}
