import Foundation
import KesuKernel
import KesuTestSupport
import Testing

/// A source that hands out the items it was given until they are acked, as a mailbox does.
actor FakeSource: CaseSource {
    var items: [SourceItem]
    private(set) var acks: [SourceAck] = []
    private(set) var polls = 0
    var loseAcks = false
    init(_ items: [SourceItem]) { self.items = items }
    func setLoseAcks(_ lose: Bool) { loseAcks = lose }
    func poll(limit: Int) async throws -> [SourceItem] { polls += 1; return Array(items.prefix(limit)) }
    func ack(_ acks: [SourceAck]) async throws {
        if loseAcks { throw KesuError(.invalidInput, "connection reset") }
        self.acks += acks
        let done = Set(acks.map(\.id))
        items.removeAll { done.contains($0.id) }
    }
    nonisolated var about: DriverInfo { DriverInfo(kind: "fake") }
    nonisolated func checkHealth(timeout: Duration) async throws -> String? { "ok" }
}

/// Case events for integrators: subscriptions choose them, the outbox carries them in case order per channel, the
/// feed gives them back in commit order, and sources bring cases in once however often they are polled.
@Suite struct IntegrationEventTests {
    let pack: RulePack = {
        var p = TestPack.make()
        p.procedure.intake.accepts.append("complainant_phone")
        return p
    }()
    func at(_ s: String) -> Date { TestPack.at(s) }

    func engine(_ store: any CaseStore, _ channels: [String: any Notifier]) throws -> Engine {
        var e = try Engine(pack: pack, store: store, notifiers: channels)
        e.subscriptions = [
            Subscription(channel: "hook", events: [.type("case.registered"), .transition("dispatch"), .type("case.answered")],
                         conditions: [FieldCondition(field: "kind", test: .equals("complaint"))]),
        ]
        return e
    }

    @Test func subscribedEventsGoToTheirChannelMaskedAndRemindersStayWithTheOthers() async throws {
        let store = MemoryStore()
        let console = CollectingNotifier(), hook = CollectingNotifier()
        let e = try engine(store, ["console": console, "hook": hook])
        let c = try await e.intake(fields: ["channel": "phone", "kind": "complaint", "description": "送货员态度差",
                                            "complainant_phone": "13812345678"], by: "clerk1", at: at("2026-09-30T10:00")).state
        _ = try await e.intake(fields: ["channel": "phone", "kind": "inquiry", "description": "咨询"], by: "clerk1", at: at("2026-09-30T10:05"))
        _ = try await e.act(c.number, transition: "dispatch", fields: ["category": "service"], by: "chief", at: at("2026-09-30T11:00"))
        _ = try await e.sweep(at: at("2026-10-09T12:00"))   // a reminder: to the console, not to the subscribed hook
        _ = try await e.deliverOutbox(at: at("2026-10-09T12:00"))
        let events = await hook.delivered
        #expect(events.map { $0.event?["type"]?.string } == ["case.registered", "case.transitioned"],
                "only the subscribed events of the complaint, not of the inquiry")
        #expect(events.map { $0.event?["id"]?.string } == ["\(c.number):1", "\(c.number):\(events[1].event?["seq"]?.number.map { Int($0) } ?? 0)"])
        let registered = try #require(events.first?.event)
        #expect(registered["case"]?["fields"]?["complainant_phone"]?.string == "138****5678", "personal data masked by default")
        #expect(registered["data"]?["fields"]?["complainant_phone"]?.string == "138****5678")
        #expect(registered["version"]?.number == 1 && registered["actor"]?.string == "clerk1")
        #expect(events[1].event?["data"]?["transition"]?.string == "dispatch")
        #expect(events[1].event?["case"]?["state"]?.string == "dispatched", "the case as the event left it")
        #expect(await console.delivered.map(\.kind) == [.reminder], "the console gets the reminder and no event")
        #expect(events.allSatisfy { $0.kind == .event && $0.id != nil })
    }

    @Test func aChannelThatIsDownHoldsBackItsCaseButNotTheOthers() async throws {
        let store = MemoryStore()
        let hook = SwitchableNotifier(up: false)
        var e = try engine(store, ["hook": hook])
        e.subscriptions = [Subscription(channel: "hook", events: [.all])]
        let a = try await e.intake(fields: ["channel": "phone", "kind": "complaint", "description": "一"], by: "clerk1", at: at("2026-09-30T10:00")).state
        let now = at("2026-09-30T10:01")
        var report = try await e.deliverOutbox(at: now)
        #expect(report.attempts.count == 1 && report.retrying == 1, "the case's first event fails; its later events wait behind it")
        await hook.set(up: true)
        _ = try await e.intake(fields: ["channel": "phone", "kind": "complaint", "description": "二"], by: "clerk1", at: now.addingTimeInterval(20))
        report = try await e.deliverOutbox(at: now.addingTimeInterval(30))
        let second = await hook.delivered.compactMap { $0.event?["case"]?["number"]?.string }
        #expect(!second.contains(a.number), "case A waits for its first event's retry")
        #expect(!second.isEmpty, "another case's events are not held back")
        report = try await e.deliverOutbox(at: at("2026-09-30T10:05"))
        let ids = await hook.delivered.compactMap { $0.event?["id"]?.string }.filter { $0.hasPrefix(a.number + ":") }
        let seqs = ids.compactMap { Int($0.split(separator: ":").last!) }
        #expect(seqs == Array(1...seqs.count) && seqs.count == a.version, "case A's events arrive once each, in order: \(ids)")
    }

    @Test func theFeedMatchesTheWebhookEvents() async throws {
        let store = MemoryStore()
        let hook = CollectingNotifier()
        var e = try engine(store, ["hook": hook])
        e.subscriptions = [Subscription(channel: "hook", events: [.all])]
        let c = try await e.intake(fields: ["channel": "phone", "kind": "complaint", "description": "一"], by: "clerk1", at: at("2026-09-30T10:00")).state
        _ = try await e.act(c.number, transition: "dispatch", fields: ["category": "service"], by: "chief", at: at("2026-09-30T11:00"))
        _ = try await e.deliverOutbox(at: at("2026-09-30T11:00"))
        let page = try await store.eventFeed(after: nil, limit: 100)
        var state = CaseState()
        let fed = page.events.map { ev -> JSONValue in state.apply(ev); return CaseEvents.json(ev, after: state, pack: pack, personalData: false) }
        let sent = await hook.delivered.compactMap(\.event)
        #expect(fed.count == sent.count)
        for (f, w) in zip(fed, sent) { #expect(f == w, "feed \(f.compact)\nhook \(w.compact)") }
    }

    @Test func aSourceItemIsOneCaseHoweverOftenItIsPolled() async throws {
        let store = MemoryStore()
        let e = try Engine(pack: pack, store: store)
        let photo = Data([0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3])
        let source = FakeSource([
            SourceItem(id: "<m1@example.com>", fields: ["description": "送货不及时", "complainant_phone": "13812345678"],
                       attachments: [.init(fileName: "照片.jpg", mediaType: "image/jpeg", content: photo)]),
            SourceItem(id: "<m2@example.com>", fields: ["description": ""]),
        ])
        let intake = SourceIntake(name: "mail", source: source, actor: "clerk1", defaults: ["channel": "phone", "kind": "complaint"])
        await source.setLoseAcks(true)
        let first = await intake.run(engine: e, at: at("2026-09-30T10:00"))
        #expect(first.created.count == 1 && first.refused.count == 1 && first.error?.contains("ack failed") == true, "\(first.refused.map(\.reason)) \(first.error ?? "")")
        await source.setLoseAcks(false)
        let second = await intake.run(engine: e, at: at("2026-09-30T10:01"))
        #expect(second.created.isEmpty && second.existing == first.created, "polled again after a lost ack: the same case")
        #expect(try await store.count(CaseQuery()) == 1)
        let c = try await e.find(first.created[0])
        #expect(c.attachments.count == 1 && c.fields["channel"] == "phone", "the file once; the source's defaults filled in")
        let acks = await source.acks
        #expect(acks.contains(SourceAck(id: "<m1@example.com>", outcome: .registered(case: c.number, created: false))))
        #expect(acks.contains { if case .refused = $0.outcome { $0.id == "<m2@example.com>" } else { false } },
                "an item Kesu refuses is acked with the reason, for the source to keep aside")
        #expect(await source.items.isEmpty)
        let third = await intake.run(engine: e, at: at("2026-09-30T10:02"))
        #expect(third.polled == 0 && third.error == nil)
        // The deployment changes the source's defaults while an item it registered comes again: still its one case.
        let again = FakeSource([SourceItem(id: "<m1@example.com>", fields: ["description": "送货不及时", "complainant_phone": "13812345678"])])
        let changed = SourceIntake(name: "mail", source: again, actor: "clerk1", defaults: ["channel": "phone", "kind": "inquiry"])
        let fourth = await changed.run(engine: e, at: at("2026-09-30T10:03"))
        #expect(fourth.existing == [c.number] && fourth.refused.isEmpty)
        #expect(await again.acks == [SourceAck(id: "<m1@example.com>", outcome: .registered(case: c.number, created: false))])
        #expect(try await store.count(CaseQuery()) == 1)
    }

    @Test func theSourceLogKeepsFailuresAndRecoveriesNotQuietPolls() async throws {
        let store = MemoryStore()
        func poll(_ error: String?, created: [String] = [], at minute: Int) async throws {
            var r = SourcePollReport(source: "mail", at: at("2026-09-30T10:00").addingTimeInterval(Double(minute) * 60))
            r.error = error
            r.created = created
            try await SourceRunLog.record(r, in: store)
        }
        try await poll(nil, at: 0)                                   // quiet: nothing written
        #expect(try await SourceRunLog.last("mail", in: store) == nil)
        try await poll("poll failed: login refused", at: 1)
        try await poll("poll failed: login refused", at: 2)          // the same failure again: not written
        var last = try #require(try await SourceRunLog.last("mail", in: store))
        #expect(last.error == "poll failed: login refused" && last.at == at("2026-09-30T10:01"))
        try await poll(nil, at: 3)                                   // working again: written, so the error clears
        try await poll(nil, created: ["YC-2026-000001"], at: 4)
        last = try #require(try await SourceRunLog.last("mail", in: store))
        #expect(last.error == nil && last.created == 1)
        #expect(try await store.records(stream: SourceRunLog.stream("mail")).map(\.type) == ["failed", "polled", "polled"])
    }

    @Test func hmacMatchesRFC4231() {
        #expect(HMACSHA256.hex(key: Array("Jefe".utf8), message: Array("what do ya want for nothing?".utf8))
                == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        let key = [UInt8](repeating: 0xaa, count: 131)
        #expect(HMACSHA256.hex(key: key, message: Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8))
                == "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54")
    }
}
