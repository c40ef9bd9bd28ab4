import Foundation
import KesuKernel
import KesuTestSupport
import Testing

/// A notifier that can be down: it throws while down and keeps what it delivered while up.
actor SwitchableNotifier: Notifier {
    struct Down: Error, CustomStringConvertible { var description: String { "connection refused" } }
    private(set) var up: Bool
    private(set) var delivered: [KesuKernel.Notification] = []
    private(set) var calls = 0
    init(up: Bool) { self.up = up }
    func set(up: Bool) { self.up = up }
    func deliver(_ notification: KesuKernel.Notification) async throws {
        calls += 1
        guard up else { throw Down() }
        delivered.append(notification)
    }
}

/// The durable notification outbox: enqueued in the commit, delivered at least once per channel,
/// with retries and backoff, failed after the last attempt and retryable.
@Suite struct OutboxTests {
    let pack = TestPack.make()
    func at(_ s: String) -> Date { TestPack.at(s) }

    /// A case whose answer clock is half gone by 10-09 12:00, so the sweep then fires one reminder.
    func caseWithDueReminder(_ e: Engine) async throws -> CaseState {
        let c = try await e.intake(fields: ["channel": "phone", "kind": "complaint", "description": "送货员态度差", "category": "service"],
                                   by: "clerk1", at: at("2026-09-30T10:00")).state
        return try await e.act(c.number, transition: "dispatch", fields: ["category": "service"], by: "chief", at: at("2026-09-30T11:00"))
    }

    @Test func aDownChannelLosesNothingAndDoesNotHoldBackTheOthers() async throws {
        let store = MemoryStore()
        let console = CollectingNotifier()
        let webhook = SwitchableNotifier(up: false)
        let e = try Engine(pack: pack, store: store, notifiers: ["console": console, "webhook": webhook])
        let c = try await caseWithDueReminder(e)
        let now = at("2026-10-09T12:00")
        #expect(try await e.sweep(at: now).fired.map(\.type) == ["reminder"])
        let queued = try await store.outbox(status: nil, limit: 10)
        #expect(queued.map(\.channel) == ["console", "webhook"], "one item per channel")
        #expect(queued.allSatisfy { $0.caseID == c.id && $0.status == .pending && $0.notification.recipients == ["a_liaison"] })
        #expect(await console.delivered.isEmpty, "nothing is delivered inside the command")

        let first = try await e.deliverOutbox(at: now)
        #expect(first.delivered == 1 && first.retrying == 1 && first.failed == 0)
        #expect(await console.delivered.count == 1, "the console is not held back by the webhook")
        var hook = try #require(try await store.outbox(status: .pending, limit: 10).first)
        #expect(hook.channel == "webhook" && hook.attempts == 1 && hook.lastError == "connection refused")
        #expect(hook.nextAttemptAt == now.addingTimeInterval(60), "first retry after a minute")

        // Not due before its backoff; then the second failure doubles it.
        #expect(try await e.deliverOutbox(at: now.addingTimeInterval(30)).attempts.isEmpty)
        _ = try await e.deliverOutbox(at: now.addingTimeInterval(60))
        hook = try #require(try await store.outbox(status: .pending, limit: 10).first)
        #expect(hook.attempts == 2 && hook.nextAttemptAt == now.addingTimeInterval(60 + 120))

        // Back up: delivered exactly once, and never again.
        await webhook.set(up: true)
        let back = try await e.deliverOutbox(at: now.addingTimeInterval(180))
        #expect(back.delivered == 1)
        #expect(try await e.deliverOutbox(at: now.addingTimeInterval(7200)).attempts.isEmpty)
        #expect(await webhook.delivered.count == 1)
        #expect(await console.delivered.count == 1)
        let done = try await store.outbox(status: .delivered, limit: 10)
        #expect(done.count == 2)
        #expect(done.first { $0.channel == "webhook" }?.deliveredAt == now.addingTimeInterval(180))
        #expect(done.first { $0.channel == "webhook" }?.attempts == 3)
        // The sweep does not enqueue the same reminder again.
        #expect(try await e.sweep(at: now.addingTimeInterval(3600)).fired.isEmpty)
        #expect(try await store.outbox(status: nil, limit: 10).count == 2)
    }

    @Test func backoffDoublesUpToAnHour() {
        let p = RetryPolicy.standard
        #expect((1...9).map { p.delay(afterAttempts: $0) } == [60, 120, 240, 480, 960, 1920, 3600, 3600, 3600])
        #expect(p.maxAttempts == 8)
    }

    @Test func givenUpAfterTheLastAttemptThenRetried() async throws {
        let store = MemoryStore()
        let webhook = SwitchableNotifier(up: false)
        let e = try Engine(pack: pack, store: store, notifiers: ["webhook": webhook])
        _ = try await caseWithDueReminder(e)
        var now = at("2026-10-09T12:00")
        _ = try await e.sweep(at: now)
        var outcomes: [DeliveryReport.Attempt.Outcome] = []
        for _ in 0..<10 {
            outcomes += try await e.deliverOutbox(at: now).attempts.map(\.outcome)
            now = now.addingTimeInterval(3600)
        }
        #expect(outcomes == Array(repeating: .retrying, count: 7) + [.failed], "eight attempts, then given up")
        let failed = try #require(try await store.outbox(status: .failed, limit: 10).first)
        #expect(failed.attempts == 8 && failed.lastError == "connection refused")
        #expect(try await store.dueOutbox(at: now.addingTimeInterval(86_400), limit: 10).isEmpty, "a failed item is not retried by itself")

        await webhook.set(up: true)
        #expect(try await store.retryOutbox(ids: nil, at: now) == 1)
        #expect(try await e.deliverOutbox(at: now).delivered == 1)
        #expect(await webhook.delivered.count == 1)
        #expect(try await store.outbox(status: .delivered, limit: 10).count == 1)
        #expect(try await store.outbox(status: .failed, limit: 10).isEmpty)
    }

    @Test func anUnknownChannelStaysPending() async throws {
        let store = MemoryStore()
        let e = try Engine(pack: pack, store: store, notifiers: ["console": CollectingNotifier()])
        let n = KesuKernel.Notification(kind: .reminder, caseNumber: "T-2026-000001", recipients: ["x"], text: "t", at: at("2026-10-09T12:00"))
        try await store.enqueueNotifications([OutboxEntry(caseID: 1, channel: "pager", notification: n)])
        let report = try await e.deliverOutbox(at: at("2026-10-09T12:00"))
        #expect(report.attempts.map(\.outcome) == [.unknownChannel])
        let item = try #require(try await store.outbox(status: nil, limit: 10).first)
        #expect(item.status == .pending)
        #expect(item.lastError?.contains("no notifier 'pager' is configured") == true)
        #expect(item.nextAttemptAt == at("2026-10-09T13:00"))
    }

    @Test func noChannelsEnqueueNothingAndTheDefaultChannelKeepsOldCallersWorking() async throws {
        let store = MemoryStore()
        let bare = try Engine(pack: pack, store: store)
        _ = try await caseWithDueReminder(bare)
        _ = try await bare.sweep(at: at("2026-10-09T12:00"))
        #expect(try await store.outbox(status: nil, limit: 10).isEmpty, "no channel configured: nothing to deliver")

        let notifier = CollectingNotifier()
        let e = try Engine(pack: pack, store: MemoryStore(), notifier: notifier)
        #expect(e.notifiers.keys.sorted() == ["default"])
        _ = try await caseWithDueReminder(e)
        _ = try await e.sweep(at: at("2026-10-09T12:00"))
        #expect(try await e.store.outbox(status: .pending, limit: 10).map(\.channel) == ["default"])
        _ = try await e.deliverOutbox(at: at("2026-10-09T12:00"))
        #expect(await notifier.delivered.map(\.kind) == [.reminder])
    }

    @Test func aRefusedCommandEnqueuesNothing() async throws {
        let store = MemoryStore()
        let e = try Engine(pack: pack, store: store, notifiers: ["console": CollectingNotifier()])
        let c = try await caseWithDueReminder(e)
        await #expect(throws: KesuError.self) {
            try await e.act(c.number, transition: "answer", fields: ["result": "x"], by: "a_handler",
                            at: at("2026-10-13T09:30"), expectedVersion: c.version - 1)
        }
        #expect(try await store.outbox(status: nil, limit: 10).isEmpty)
    }
}
