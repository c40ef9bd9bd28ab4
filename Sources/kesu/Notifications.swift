import ArgumentParser
import Foundation
import KesuKernel

/// `kesu notifications list|retry`: the notification outbox, pending, failed and delivered.
struct Notifications: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show and retry the notification outbox (pending, failed and delivered notifications).",
        subcommands: [ListOutbox.self, RetryOutbox.self])

    struct ListOutbox: KesuCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List outbox items, oldest first.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "Only items with this status.") var status: OutboxStatusChoice = .all
        @Option(help: "At most this many.") var limit = 100

        func run() async throws {
            try await guarded(global) {
                let wanted = status.status
                let engine = try global.engine()
                let items = try await engine.store.outbox(status: wanted, limit: limit)
                let r = CaseRenderer(engine: engine)
                if global.json {
                    Output.json(["items": .array(items.map { outboxJSON($0, r) })])
                } else {
                    for i in items { print(outboxLine(i, r)) }
                    print("\(items.count) item(s)" + (status == .all ? "" : " \(status.rawValue)"))
                }
            }
        }
    }

    struct RetryOutbox: KesuCommand {
        /// --all-pending takes at most this many (oldest first); run it again for more.
        static let pendingLimit = 100_000

        static let configuration = CommandConfiguration(
            commandName: "retry", abstract: "Make failed (or pending) items due now, with fresh attempts, and deliver.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Outbox item ids (see `kesu notifications list`).") var ids: [Int64] = []
        @Flag(help: "Every failed item.") var allFailed = false
        @Flag(help: "Every pending item (waiting for its next attempt), e.g. after a channel is fixed.") var allPending = false

        func validate() throws {
            try global.validateValues()
            let chosen = [!ids.isEmpty, allFailed, allPending].filter { $0 }.count
            guard chosen == 1 else { throw ValidationError("give outbox item ids, --all-failed or --all-pending (one of them)") }
        }

        func run() async throws {
            try await guarded(global) {
                let engine = try global.engine()
                let now = try global.currentTime()
                var chosen: [Int64]? = allFailed ? nil : ids
                if allPending { chosen = try await engine.store.outbox(status: .pending, limit: Self.pendingLimit).map(\.id) }
                let changed = chosen == [] ? 0 : try await engine.store.retryOutbox(ids: chosen, at: now)
                let delivery = try await engine.deliverOutbox(at: now)
                let r = CaseRenderer(engine: engine)
                if global.json {
                    Output.json(["retried": .int(changed), "delivery": deliveryJSON(delivery, r)])
                } else {
                    print("\(changed) item(s) made due; " + deliveryLine(delivery))
                }
            }
        }
    }
}

/// After a command's commit: delivers what is due (best effort; a failure stays in the outbox).
func deliverAfterCommit(_ engine: Engine, at now: Date) async {
    _ = try? await engine.deliverOutbox(at: now, limit: 100)
}

func deliveryLine(_ d: DeliveryReport) -> String {
    "notifications: \(d.delivered) delivered, \(d.retrying) to retry, \(d.failed) given up"
}

func deliveryJSON(_ d: DeliveryReport, _ r: CaseRenderer) -> JSON {
    .object([
        "delivered": .int(d.delivered), "retrying": .int(d.retrying), "failed": .int(d.failed),
        "attempts": .array(d.attempts.map {
            .object(["id": .int(Int($0.id)), "channel": .string($0.channel), "outcome": .string($0.outcome.rawValue),
                     "error": .opt($0.error), "next_attempt_at": r.timeJSON($0.nextAttemptAt)])
        }),
    ])
}

func outboxJSON(_ i: OutboxItem, _ r: CaseRenderer) -> JSON {
    .object([
        "id": .int(Int(i.id)), "case_id": .int(Int(i.caseID)), "channel": .string(i.channel), "status": .string(i.status.rawValue),
        "attempts": .int(i.attempts), "created_at": r.timeJSON(i.createdAt), "next_attempt_at": r.timeJSON(i.nextAttemptAt),
        "last_error": .opt(i.lastError), "delivered_at": r.timeJSON(i.deliveredAt),
        "notification": .object([
            "kind": .string(i.notification.kind.rawValue), "case": .string(i.notification.caseNumber),
            "recipients": .array(i.notification.recipients.map(JSON.string)), "text": .string(i.notification.text),
            "at": r.timeJSON(i.notification.at),
        ]),
    ])
}

func outboxLine(_ i: OutboxItem, _ r: CaseRenderer) -> String {
    var line = "#\(i.id)  \(i.status.rawValue)  \(i.channel)  \(i.notification.kind.rawValue) \(i.notification.caseNumber)"
        + " → \(i.notification.recipients.joined(separator: ", "))  attempts \(i.attempts)"
    switch i.status {
    case .delivered: line += "  delivered \(r.time(i.deliveredAt))"
    case .pending: line += "  next \(r.time(i.nextAttemptAt))"
    case .failed: break
    }
    if let e = i.lastError, i.status != .delivered { line += "  last error: \(e)" }
    return line
}
