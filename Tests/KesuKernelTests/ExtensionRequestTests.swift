import Foundation
import KesuKernel
import KesuRendering
import KesuTestSupport
import Testing

/// Extension requests (申请延期): the person working a case asks, an approver grants or declines.
@Suite("extension requests")
struct ExtensionRequestTests {
    let pack = TestPack.make()
    func at(_ s: String) -> Date { TestPack.at(s) }

    /// A case dispatched to unit_a: its answer clock runs (due 10-10 18:00), a_handler works it, chief approves extensions.
    func setUp() async throws -> (Engine, MemoryStore, CaseState) {
        let store = MemoryStore()
        let e = try Engine(pack: pack, store: store, notifier: CollectingNotifier(), wording: ChineseNotificationWording())
        let c = try await e.intake(fields: ["channel": "phone", "kind": "complaint", "description": "送货员态度差", "category": "service"],
                                   by: "clerk1", at: at("2026-09-30T10:00")).state
        let d = try await e.act(c.number, transition: "dispatch", fields: ["category": "service"], by: "chief", at: at("2026-09-30T11:00"))
        #expect(d.clocks["answer"]?.status == .running)
        return (e, store, d)
    }

    func refusal(_ body: () async throws -> Any) async -> KesuError? {
        do { _ = try await body(); return nil } catch let e as KesuError { return e } catch { return nil }
    }

    @Test("a request is pending on the clock, the approvers are told, and the grant settles it")
    func requestThenGrant() async throws {
        let (e, store, c) = try await setUp()
        let s = try await e.requestExtension(c.number, clock: "answer", by: .workingDays(2, .endOfDay), reason: "需现场核实", requester: "a_handler",
                                             at: at("2026-10-08T09:00"), expectedVersion: c.version)
        #expect(s.version == c.version + 1)
        #expect(s.clocks["answer"]?.pendingRequest == ClockState.ExtensionRequest(
            length: .workingDays(2, .endOfDay), reason: "需现场核实", requester: "a_handler", at: at("2026-10-08T09:00")))
        #expect(s.clocks["answer"]?.dueAt == c.clocks["answer"]?.dueAt, "asking moves nothing")
        #expect(try await e.find(c.number) == s, "the fold of the stored events is the state returned")
        let events = try await store.events(caseID: c.id)
        let asked = try #require(events.last)
        #expect(asked.type == "extension_requested")
        #expect(asked.actor == "a_handler" && asked.ruleID == "answer")
        let text = HistoryText(pack: pack, zone: TestPack.zone)
        #expect(text.line(asked) == "申请延期 时限 answer#1 2个工作日, 理由: 需现场核实, 申请人: a_handler")
        #expect(text.reading(asked) == "甲承办申请延期「答复时限」2个工作日，理由：需现场核实")
        // The approver in scope hears of it.
        let outbox = try await store.outbox(status: nil, limit: 50).filter { $0.notification.kind == .extensionRequest }
        #expect(outbox.count == 1)
        let n = try #require(outbox.first?.notification)
        #expect(n.recipients == ["chief"])
        #expect(n.person == "a_handler" && n.clock == "answer" && n.caseNumber == c.number)
        #expect(n.text.hasPrefix("【延期申请】甲承办申请延长案件 \(c.number)「答复时限」"), "\(n.text)")

        let granted = try await e.extend(c.number, clock: "answer", by: .workingDays(2, .endOfDay), reason: "同意", approver: "chief",
                                         at: at("2026-10-08T10:00"), expectedVersion: s.version)
        #expect(granted.clocks["answer"]?.pendingRequest == nil)
        #expect(granted.clocks["answer"]?.dueAt == at("2026-10-13T18:00"))
        #expect(try await e.find(c.number) == granted)
    }

    @Test("an approver declines a request with a reason; the handler may ask again")
    func decline() async throws {
        let (e, store, c) = try await setUp()
        let s = try await e.requestExtension(c.number, clock: "answer", by: .workingMinutes(240), reason: "等待检测结果", requester: "a_handler",
                                             at: at("2026-10-08T09:00"))
        #expect(s.clocks["answer"]?.pendingRequest?.length == .workingMinutes(240))
        let d = try await e.declineExtension(c.number, clock: "answer", reason: "理由不充分", by: "chief", at: at("2026-10-08T10:00"), expectedVersion: s.version)
        #expect(d.clocks["answer"]?.pendingRequest == nil)
        #expect(d.clocks["answer"]?.extensions.isEmpty == true)
        #expect(d.clocks["answer"]?.dueAt == c.clocks["answer"]?.dueAt)
        let declined = try #require(try await store.events(caseID: c.id).last)
        #expect(declined.body == .extensionDeclined(ClockRun(clock: "answer", run: 1), reason: "理由不充分", by: "chief"))
        #expect(declined.type == "extension_declined")
        #expect(HistoryText(pack: pack, zone: TestPack.zone).reading(declined) == "不批准延期「答复时限」，理由：理由不充分，审批：主任")
        #expect(try await e.find(c.number) == d)
        let again = try await e.requestExtension(c.number, clock: "answer", by: .workingDays(1, .endOfDay), reason: "补充材料", requester: "a_handler",
                                                 at: at("2026-10-08T11:00"))
        #expect(again.clocks["answer"]?.pendingRequest?.reason == "补充材料")
    }

    @Test("the clock stopping drops the pending request")
    func stopSettles() async throws {
        let (e, _, c) = try await setUp()
        _ = try await e.requestExtension(c.number, clock: "answer", by: .workingDays(1, .endOfDay), reason: "需调查", requester: "a_handler",
                                         at: at("2026-10-08T09:00"))
        try await e.act(c.number, transition: "answer", fields: ["result": "已处理"], by: "a_handler", at: at("2026-10-08T10:00"))
        let s = try await e.act(c.number, transition: "approve", by: "a_head", at: at("2026-10-08T11:00"))
        #expect(s.clocks["answer"]?.status == .stopped)
        #expect(s.clocks["answer"]?.pendingRequest == nil)
    }

    @Test("refusals name the field and write nothing")
    func refusals() async throws {
        let (e, store, c) = try await setUp()
        let before = try await store.events(caseID: c.id).count
        func ask(_ who: String, clock: String = "answer", _ length: ClockLength = .workingDays(1, .endOfDay), reason: String = "需调查",
                 at time: String = "2026-10-08T09:00") async -> KesuError? {
            await refusal { try await e.requestExtension(c.number, clock: clock, by: length, reason: reason, requester: who, at: at(time)) }
        }
        // Not working the case: a liaison (no transition of `dispatched` is theirs), another unit's handler, the auditor, the approver.
        for who in ["a_liaison", "b_liaison", "audit1", "chief"] {
            let r = await ask(who)
            #expect(r?.code == .forbidden && r?.field == "actor", "\(who): \(String(describing: r))")
            #expect(r?.message.contains(who) == true)
        }
        #expect(await ask("nobody")?.code == .unknownUser)
        // A clock without an extension rule (first_look has none; it stopped at dispatch anyway), an unknown clock.
        let noRule = await ask("a_handler", clock: "first_look")
        #expect(noRule?.code == .forbidden && noRule?.field == "clock", "\(String(describing: noRule))")
        #expect(await ask("a_handler", clock: "answr")?.field == "clock")
        // Over max_length (2 working days, 14 working hours).
        let days = await ask("a_handler", .workingDays(3, .endOfDay))
        #expect(days?.code == .invalidValue && days?.field == "days" && days?.message.contains("at most 2 working day") == true)
        #expect(await ask("a_handler", .workingMinutes(15 * 60))?.field == "hours")
        #expect(await ask("a_handler", .workingDays(0, .endOfDay))?.code == .invalidValue)
        // A reason is required.
        let blank = await ask("a_handler", reason: "  ")
        #expect(blank?.code == .missingField && blank?.field == "reason")
        // Past the due time (10-10 18:00) without allow_late.
        #expect(await ask("a_handler", at: "2026-10-12T09:00")?.code == .forbidden)
        // A stale version.
        let stale = await refusal {
            try await e.requestExtension(c.number, clock: "answer", by: .workingDays(1, .endOfDay), reason: "x", requester: "a_handler",
                                         at: at("2026-10-08T09:00"), expectedVersion: c.version - 1)
        }
        #expect(stale?.code == .conflict)
        // Declining with nothing pending.
        let nothing = await refusal { try await e.declineExtension(c.number, clock: "answer", reason: "不同意", by: "chief", at: at("2026-10-08T09:00")) }
        #expect(nothing?.code == .wrongState && nothing?.field == "clock")
        #expect(try await store.events(caseID: c.id).count == before, "no refusal wrote anything")

        let s = try await e.requestExtension(c.number, clock: "answer", by: .workingDays(1, .endOfDay), reason: "需调查", requester: "a_handler",
                                             at: at("2026-10-08T09:00"))
        let count = try await store.events(caseID: c.id).count
        // Already pending: 409-style.
        let pending = await ask("a_handler")
        #expect(pending?.code == .conflict && pending?.field == "clock", "\(String(describing: pending))")
        // Declined only by an approver, with a reason.
        for who in ["a_handler", "a_head", "clerk1", "audit1"] {
            let r = await refusal { try await e.declineExtension(c.number, clock: "answer", reason: "不同意", by: who, at: at("2026-10-08T10:00")) }
            #expect(r?.code == .forbidden && r?.field == "actor", "\(who): \(String(describing: r))")
        }
        let noReason = await refusal { try await e.declineExtension(c.number, clock: "answer", reason: "", by: "chief", at: at("2026-10-08T10:00")) }
        #expect(noReason?.code == .missingField && noReason?.field == "reason")
        #expect(try await store.events(caseID: c.id).count == count, "no refusal wrote anything")
        #expect(try await e.find(c.number) == s)

        // Granted: the run is at max_count, so no more requests.
        _ = try await e.extend(c.number, clock: "answer", by: .workingDays(1, .endOfDay), reason: "同意", approver: "chief", at: at("2026-10-08T10:00"))
        let spent = await ask("a_handler", at: "2026-10-08T11:00")
        #expect(spent?.code == .forbidden && spent?.message.contains("already been extended") == true)
    }
}
