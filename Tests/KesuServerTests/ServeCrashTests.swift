import Foundation
import KesuKernel
import KesuSQLite
import KesuTestSupport
import KesuYAML
import Testing

/// Nothing acknowledged is lost: clients register complaints with idempotency keys while the
/// server is killed with SIGKILL at random moments and restarted; each client retries what had no
/// answer. Meanwhile each server run sweeps (its clock pinned a little later than the last run's),
/// firing reminders, escalations and violations whose notifications go into the outbox and are
/// delivered on two channels, one of them down. Afterwards every acknowledged case is there with all
/// its events, there are no duplicates, no case lacks its events, and the outbox holds every
/// notification the stored events call for exactly once, delivered or still waiting.
@Suite("kesu serve: killed under load")
struct ServeCrashTests {
    /// Who got which answer, shared by the clients.
    final class Ledger: @unchecked Sendable {
        private let lock = NSLock()
        private var acknowledged: [String: String] = [:]
        private(set) var retries = 0
        func ack(_ key: String, _ number: String) -> String? { lock.withLock { defer { acknowledged[key] = number }; return acknowledged[key] } }
        func retried() { lock.withLock { retries += 1 } }
        var all: [String: String] { lock.withLock { acknowledged } }
    }

    final class Current: @unchecked Sendable {
        private let lock = NSLock()
        private var server: ServeProcessTests.Server
        init(_ s: ServeProcessTests.Server) { server = s }
        var value: ServeProcessTests.Server { get { lock.withLock { server } } set { lock.withLock { server = newValue } } }
    }

    /// Two channels: `log`, a JSON-lines file, and `down`, whose "file" is a folder, so every
    /// delivery on it fails and its items stay in the outbox (a notifier that is down).
    static func writeConfig(in dir: URL) throws -> String {
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("down"), withIntermediateDirectories: true)
        let config = dir.appendingPathComponent("kesu.yaml")
        try """
        notifiers:
          - {name: log, driver: outbox-file, path: notifications.jsonl}
          - {name: down, driver: outbox-file, path: down}
        """.write(to: config, atomically: true, encoding: .utf8)
        return config.path
    }

    /// An engine with the channels of `writeConfig`, to recompute what the outbox must hold.
    static func auditEngine(_ store: any CaseStore, pack: String) throws -> Engine {
        let loaded = try RulePackLoader().load(directory: pack)
        return try Engine(pack: loaded.pack, store: store, notifiers: ["log": CollectingNotifier(), "down": CollectingNotifier()],
                          snapshot: loaded.snapshot)
    }

    @Test("four clients, four SIGKILLs during intake and sweeps: every acknowledged intake and every notification survives, exactly once")
    func killedUnderLoad() async throws {
        let started = ContinuousClock.now
        let dir = try Paths.temp("kesu-crash")
        let rules = Paths.pack("tobacco-prefecture")
        let db = dir.appendingPathComponent("kesu.db").path
        let config = try Self.writeConfig(in: dir)
        let token = try ServeProcessTests.usersAdd("zhao_min", rules: rules, db: db, in: dir)

        // Cases already dispatched on Monday 2 November: each later server run's sweep has
        // reminders, escalations and violations to fire for them (acceptance due Monday 15:30,
        // the answer ladder Wednesday 08:45, Thursday 18:00 (with late_answer) and eight working
        // hours later, Monday 9 November 09:30 (escalation, stalling), the provincial feedback that
        // day 18:00).
        let dispatched = 40
        do {
            let store = try SQLiteStore(path: db)
            let engine = try Self.auditEngine(store, pack: rules)
            let t0 = ISO8601.parse("2026-11-02T09:00:00+08:00")!
            var fields = SafeWriteTests.fields
            fields["channel"] = "provincial"
            for i in 0..<dispatched {
                fields["subject"] = "已派单 \(i)"
                let number = try await engine.intake(fields: fields, by: "zhao_min", at: t0).state.number
                try await engine.act(number, transition: "substantiate", fields: ["substantiated": "yes", "category": "marketing_service", "level": "general"],
                                     by: "zhao_min", at: t0)
                try await engine.act(number, transition: "approve_dispatch", by: "qian_jin", at: t0)
            }
        }
        // Each server run's clock: later than the one before, so each run's sweep has work (and
        // the sweep lease of a killed run has run out).
        let clocks = ["2026-11-02T16:00:00+08:00", "2026-11-04T10:00:00+08:00", "2026-11-06T09:00:00+08:00",
                      "2026-11-09T10:00:00+08:00", "2026-11-10T09:00:00+08:00"]
        let kills = clocks.count - 1
        func serve(_ run: Int, port: Int? = nil) throws -> ServeProcessTests.Server {
            let extra = ["--config", config, "--now", clocks[run]]
            return if let port { try ServeProcessTests.Server(dir: dir, rules: rules, db: db, port: port, extra: extra) }
                   else { try ServeProcessTests.Server(dir: dir, rules: rules, db: db, extra: extra) }
        }
        // The outbox, watched to kill a run in the middle of its sweep: the sweep's commits enqueue the notifications
        // (intakes enqueue none), and counting the outbox by status is one cheap query, so a loaded machine still
        // sees the first commits before the sweep is over and delivers.
        let watch = try SQLiteStore(path: db)
        func swept() async throws -> Int { try await watch.outboxCounts().values.reduce(0, +) }
        let atStart = try await swept()
        let first = try serve(0)
        let port = first.port
        let current = Current(first)
        defer { if current.value.process.isRunning { current.value.process.terminate() } }
        try await first.waitReady()

        let ledger = Ledger()
        let clients = 4, perClient = 25
        try await withThrowingTaskGroup(of: Void.self) { group in
            for c in 0..<clients {
                group.addTask {
                    for i in 0..<perClient {
                        let key = "crash-\(c)-\(i)"
                        var fields = SafeWriteTests.fields
                        fields["subject"] = "投诉 \(key)"
                        // Provincial dispatches start the feedback clock (five working days): the last
                        // run's sweep fires the violations of any registered during the first run.
                        fields["channel"] = "provincial"
                        let body = String(decoding: try JSONSerialization.data(withJSONObject: ["fields": fields]), as: UTF8.self)
                        while true {
                            // No answer (refused connection, reset, timeout): the client retries the same key.
                            if let (status, reply) = try? await current.value.request("POST", "/v1/cases", token: token, body: body, headers: ["Idempotency-Key": key]),
                               status == 201 || status == 200, let number = (reply["case"] as? [String: Any])?["number"] as? String {
                                let earlier = ledger.ack(key, number)
                                #expect(earlier == nil || earlier == number, "\(key) was answered with two cases: \(earlier!) and \(number)")
                                break
                            }
                            ledger.retried()
                            try await Task.sleep(for: .milliseconds(30))
                        }
                    }
                }
            }
            group.addTask {
                var before = atStart
                for run in 1...kills {
                    if run == kills {
                        // At a random moment, often in the middle of an intake.
                        try await Task.sleep(for: .milliseconds(Int.random(in: 150...500)))
                    } else {
                        // As soon as its sweep is seen to have committed a few cases' events: between
                        // commits (and before anything written after one), before the delivery.
                        let n = Int.random(in: 1...6), deadline = ContinuousClock.now + .seconds(30)
                        while try await swept() < before + n, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(1)) }
                    }
                    let victim = current.value
                    kill(victim.process.processIdentifier, SIGKILL)
                    victim.process.waitUntilExit()
                    before = try await swept()
                    let next = try serve(run, port: port)
                    current.value = next
                    // A server sweeps as it starts: the next kill is watched from the spawn on, not from when it is
                    // ready (on a loaded machine its first sweep and delivery are over by then). The server the
                    // random kill hits, and the last one, are awaited.
                    if run + 1 >= kills { try await next.waitReady() }
                }
            }
            try await group.waitForAll()
        }
        // The last run delivers on `log` whatever the killed runs left undelivered.
        let store = try SQLiteStore(path: db)
        try await current.value.eventually("every item on the log channel delivered") {
            try await store.outbox(status: .pending, limit: 10_000).allSatisfy { $0.channel != "log" }
        }
        current.value.process.terminate()
        current.value.process.waitUntilExit()

        let acknowledged = ledger.all
        #expect(ledger.retries > 0, "the kills must interrupt the clients for this test to mean anything")
        #expect(acknowledged.count == clients * perClient)
        #expect(Set(acknowledged.values).count == acknowledged.count, "two keys answered with one case")
        let cases = try await store.list(CaseQuery(limit: 10_000))
        #expect(cases.count == acknowledged.count + dispatched, "a case was registered twice or one is missing (\(ledger.retries) retries)")
        for number in acknowledged.values {
            let id = try #require(try await store.caseID(number: number), "acknowledged \(number) is gone")
            let events = try await store.events(caseID: id)
            let summary = try #require(try await store.summary(caseID: id))
            #expect(!events.isEmpty && events.first?.type == "intake", "\(number) has no intake event")
            #expect(events.count == summary.version, "\(number): \(events.count) events for version \(summary.version)")
            #expect(events.map(\.seq) == Array(1...events.count), "\(number): a gap in its events")
        }

        // The outbox: every notification the stored events call for, on each channel, exactly once.
        let audit = try await OutboxAudit.check(store, engine: try Self.auditEngine(store, pack: rules))
        #expect(audit.problems.isEmpty, "\(audit.problems.count) outbox disagreements, e.g.\n\(audit.problems.prefix(10).joined(separator: "\n"))")
        #expect(audit.expected > 4 * dispatched, "the sweeps must have fired notifications for this test to mean anything (\(audit.expected))")
        #expect(audit.items.count == audit.expected)
        // The `down` channel delivered nothing: all its items are still there; `log` delivered.
        let down = audit.items.filter { $0.channel == "down" }
        #expect(down.count == audit.expected / 2 && down.allSatisfy { $0.status != .delivered })
        let log = audit.items.filter { $0.channel == "log" }
        #expect(log.count == down.count && log.allSatisfy { $0.status == .delivered })
        // Delivered means written to the file (at least once: a kill between the write and the
        // mark delivers it again), and the file holds nothing the outbox does not.
        let file = try OutboxAudit.fileLines(dir.appendingPathComponent("notifications.jsonl").path)
        #expect(file.unreadable == 0)
        // Notices about no case (the calendar running out, periodic reports) go to the same file.
        let notices = audit.notices.filter { $0.channel == "log" }
        let logKeys = Set((log + notices).map { OutboxAudit.fileKey($0.notification) })
        for item in log where item.status == .delivered {
            #expect(file.keys[OutboxAudit.fileKey(item.notification), default: 0] >= 1, "delivered item \(item.id) is not in the file")
        }
        #expect(file.keys.keys.allSatisfy(logKeys.contains), "the file holds a notification the outbox does not")
        // Items enqueued by one run and delivered by a later one: a kill fell between the commit
        // and the delivery, and the outbox kept them.
        let carried = log.filter { ($0.deliveredAt ?? .distantPast) > $0.notification.at }.count
        #expect(carried > 0, "no kill fell between a sweep's commit and its delivery")
        print("serve crash: \(cases.count) cases, \(ledger.retries) retries, \(audit.expected) outbox items (\(audit.delivered) delivered, \(audit.pending) pending), \(carried) enqueued by a killed run and delivered by a later one, \(file.keys.values.reduce(0, +) - file.keys.count) delivered twice; \(ContinuousClock.now - started)")
    }
}
