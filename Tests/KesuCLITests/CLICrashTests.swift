import Foundation
import KesuKernel
import KesuSQLite
import KesuTestSupport
import KesuYAML
import Testing

/// `kesu` runs killed with SIGKILL in the middle of their work: a write is all or nothing, and
/// the retry with the same Idempotency-Key finishes the job without a duplicate; a notification is
/// in the outbox exactly when the events calling for it are stored, however the run was cut.
@Suite("kesu killed mid-write")
struct CLICrashTests {
    @Test("intakes killed at random moments, then retried: one whole case per key")
    func killedIntakes() async throws {
        let cli = try KesuCLI()
        let keys = (0..<12).map { "kill-\($0)" }
        var killed = 0
        for (i, key) in keys.enumerated() {
            let args = [
                "intake", "--json", "--idempotency-key", key, "--field", "channel=phone", "--field", "kind=complaint",
                "--field", "complainant_type=retailer", "--field", "region=county_a", "--field", "category=marketing_service",
                "--field", "subject=投诉 \(key)", "--field", "description=送货不及时", "--field", "complainant_phone=13812345678",
                "--rules", KesuCLI.pack("tobacco-prefecture"), "--db", cli.db, "--as", "zhao_min",
                "--now", "2026-09-30T10:\(String(format: "%02d", i)):00+08:00",
            ]
            // The first attempt is killed somewhere between start-up and its commit.
            let p = Process()
            p.executableURL = KesuCLI.binary
            p.arguments = args
            p.currentDirectoryURL = cli.dir
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            try await Task.sleep(for: .milliseconds(Int.random(in: 0...120)))
            if p.isRunning { kill(p.processIdentifier, SIGKILL); killed += 1 }
            p.waitUntilExit()
            // The retry, as an operator would run it again.
            let retry = try cli.run(Array(args.dropLast(8)), now: "2026-09-30T10:\(String(format: "%02d", i)):00+08:00", as: "zhao_min")
            #expect(retry.status == 0, "\(key): \(retry.stderr)")
        }
        #expect(killed > 0, "the kills must land for this test to mean anything")
        let store = try SQLiteStore(path: cli.db)
        let cases = try await store.list(CaseQuery(limit: 100))
        #expect(cases.count == keys.count, "one case per key (\(killed) of \(keys.count) first attempts were killed)")
        #expect(Set(cases.map(\.text)).count == keys.count)
        for s in cases {
            let events = try await store.events(caseID: s.id)
            #expect(events.first?.type == "intake")
            #expect(events.count == s.version && events.map(\.seq) == Array(1...events.count), "\(s.number): events and summary agree")
        }
        // Integrity of the file itself.
        let check = Process()
        check.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        check.arguments = [cli.db, "PRAGMA integrity_check;"]
        let out = Pipe()
        check.standardOutput = out
        try check.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        check.waitUntilExit()
        #expect(text.trimmingCharacters(in: .whitespacesAndNewlines) == "ok")
    }
    /// A TCP socket on 127.0.0.1 that listens but never accepts: a client's request waits until its timeout.
    static func silentListener() throws -> (fd: Int32, port: Int) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        let bound = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard fd >= 0, bound == 0, listen(fd, 128) == 0 else { throw CocoaError(.fileWriteUnknown) }
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        return (fd, Int(UInt16(bigEndian: addr.sin_port)))
    }

    /// Starts `kesu` with `args` and kills it with SIGKILL as soon as `cut` holds (polled every
    /// 2 ms), unless it has ended by then. True when it was killed.
    static func killed(_ args: [String], in dir: URL, when cut: () async throws -> Bool) async throws -> Bool {
        let p = Process()
        p.executableURL = KesuCLI.binary
        p.arguments = args
        p.currentDirectoryURL = dir
        p.environment = KesuCLI.cleanEnvironment
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        let deadline = ContinuousClock.now + .seconds(20)
        while p.isRunning, ContinuousClock.now < deadline, !(try await cut()) { try await Task.sleep(for: .milliseconds(2)) }
        let running = p.isRunning
        if running { kill(p.processIdentifier, SIGKILL) }
        p.waitUntilExit()
        return running
    }

    @Test("act and sweep runs killed mid-write, then rerun: each notification in the outbox exactly once")
    func killedSweepsAndActs() async throws {
        let started = ContinuousClock.now
        let cli = try KesuCLI()
        let rules = KesuCLI.pack("tobacco-prefecture")
        // Two channels: `log`, a JSON-lines file, and `down`, whose "file" is a folder, so every
        // delivery on it fails and its items stay in the outbox (a notifier that is down).
        try FileManager.default.createDirectory(at: cli.dir.appendingPathComponent("down"), withIntermediateDirectories: true)
        let config = cli.dir.appendingPathComponent("kesu.yaml").path
        let logFile = cli.dir.appendingPathComponent("notifications.jsonl").path
        try """
        notifiers:
          - {name: log, driver: outbox-file, path: notifications.jsonl}
          - {name: down, driver: outbox-file, path: down}
        """.write(toFile: config, atomically: true, encoding: .utf8)
        let loaded = try RulePackLoader().load(directory: rules)
        func engine(_ store: any CaseStore) throws -> Engine {
            try Engine(pack: loaded.pack, store: store, notifiers: ["log": CollectingNotifier(), "down": CollectingNotifier()],
                       snapshot: loaded.snapshot)
        }
        // Provincial complaints dispatched on Monday 2 November at 09:00: acceptance due 15:30, the
        // answer ladder Wednesday 08:45, Thursday 18:00 (with late_answer) and eight working hours
        // later, Monday 9 November 09:30 (escalation, stalling), the provincial feedback that day 18:00.
        let count = 30
        var numbers: [String] = []
        let store = try SQLiteStore(path: cli.db)
        let t0 = ISO8601.parse("2026-11-02T09:00:00+08:00")!
        for i in 0..<count {
            let e = try engine(store)
            let fields = ["channel": "provincial", "kind": "complaint", "complainant_type": "retailer", "region": i % 2 == 0 ? "county_a" : "county_b",
                          "category": "marketing_service", "subject": "派单 \(i)", "description": "送货不及时", "complainant_phone": "13812345678"]
            let number = try await e.intake(fields: fields, by: "zhao_min", at: t0).state.number
            try await e.act(number, transition: "substantiate", fields: ["substantiated": "yes", "category": "marketing_service", "level": "general"],
                            by: "zhao_min", at: t0)
            try await e.act(number, transition: "approve_dispatch", by: "qian_jin", at: t0)
            numbers.append(number)
        }
        let global = ["--rules", rules, "--db", cli.db, "--config", config]
        // For the killed acts, `down` is a webhook to a socket that never answers (5 s per try): it
        // is delivered first (channels in name order), so the moment between an act's commit and its
        // delivery on `log` is wide enough for the kill to land there even when a full parallel run
        // starves this test's polling task for seconds (600 ms was not enough in CI).
        let blackHole = try Self.silentListener()
        defer { close(blackHole.fd) }
        let slowConfig = cli.dir.appendingPathComponent("kesu-slow.yaml").path
        try """
        notifiers:
          - {name: log, driver: outbox-file, path: notifications.jsonl}
          - {name: down, driver: webhook, url: "http://127.0.0.1:\(blackHole.port)/", timeout_ms: 5000, retries: 0}
        """.write(toFile: slowConfig, atomically: true, encoding: .utf8)
        let actGlobal = ["--rules", rules, "--db", cli.db, "--config", slowConfig]
        func items() async throws -> Int { try await store.outboxCounts().values.reduce(0, +) }
        func events() async throws -> Int { try await store.list(CaseQuery(limit: 1000)).reduce(0) { $0 + $1.version } }
        func lines() -> Int { ((try? String(contentsOfFile: logFile, encoding: .utf8)) ?? "").split(separator: "\n").count }

        // Late acceptances (the sweep has not run yet): each `kesu act` records a violation, its
        // deductions and its notifications in one commit, then delivers. Half the first attempts
        // are killed at a random moment (often before the commit), half as soon as their events
        // are seen committed (before the delivery; and before anything written after the commit).
        // The retry with --expect-version is refused when the first did commit.
        // Ten cases, and up to ten more while no kill has landed between commit and delivery yet
        // (on a loaded machine the 2 ms poll can miss that window several times in a row).
        var killedActs = 0, actsCutAfterCommit = 0
        for (i, number) in numbers.prefix(20).enumerated() where i < 10 || actsCutAfterCommit == 0 {
            let state = try await engine(store).find(number)
            let unit = try #require(state.handlingUnit)
            let liaison = try #require(loaded.pack.unit(unit)?.liaison)
            let handler = try #require(loaded.pack.people.first { $0.unit == unit && $0.roles.contains("handler") }).id
            let args = ["act", number, "accept", "--field", "assignee=\(handler)", "--expect-version", String(state.version),
                        "--as", liaison, "--now", "2026-11-02T17:00:00+08:00", "--json"]
            let at = ContinuousClock.now + .milliseconds(Int.random(in: 20...150))
            let cut: () async throws -> Bool = i % 2 == 0 ? { ContinuousClock.now >= at } : { try await store.summary(caseID: state.id)!.version > state.version }
            if try await Self.killed(args + actGlobal, in: cli.dir, when: cut) { killedActs += 1 }
            if try await store.outbox(status: .pending, limit: 1000).contains(where: { $0.channel == "log" && $0.notification.caseNumber == number }) {
                actsCutAfterCommit += 1
            }
            let retry = try cli.run(args + ["--config", config])
            #expect(try await engine(store).find(number).state == "in_progress", "\(number): \(retry.stderr)")
            #expect(retry.status == 0 || (retry.json["error"] as? [String: Any])?["code"] as? String == "conflict", "\(number): \(retry.stdout) \(retry.stderr)")
        }

        // Sweeps (every case has something due at each), each killed mid-write — as soon as a few
        // cases' events are seen committed, or after a few of its deliveries — and run again at the
        // same time to finish.
        // Four sweeps, and up to six more (each later, while the cases' ladders still have steps to fire) while
        // fewer than three kills have landed mid-write (on a loaded machine a poll can miss the window).
        var cutSweeps = 0
        let sweepTimes = ["2026-11-04T10:00:00+08:00", "2026-11-06T09:00:00+08:00", "2026-11-09T10:00:00+08:00", "2026-11-10T09:00:00+08:00",
                          "2026-11-12T10:00:00+08:00", "2026-11-16T09:00:00+08:00", "2026-11-18T10:00:00+08:00", "2026-11-20T09:00:00+08:00",
                          "2026-11-24T10:00:00+08:00", "2026-11-26T09:00:00+08:00"]
        for (i, now) in sweepTimes.enumerated() where i < 4 || cutSweeps < 3 {
            let at = ISO8601.parse(now)!
            let args = ["sweep", "--json", "--now", now]
            let (eventsBefore, linesBefore, n) = (try await events(), lines(), Int.random(in: 1...10))
            let cut: () async throws -> Bool = i % 2 == 0 ? { try await events() >= eventsBefore + n } : { lines() >= linesBefore + n }
            // Killed under the slow configuration, as the acts are: each delivery on `down` waits 5 s first, so the
            // sweep is still between commits and deliveries when the kill comes, however loaded the machine.
            let killed = try await Self.killed(args + actGlobal, in: cli.dir, when: cut)
            let mine = { (items: [OutboxItem]) in items.filter { $0.notification.at == at } }
            let left = mine(try await store.outbox(status: nil, limit: 100_000))
            let rerun = try cli.run(args + ["--config", config])
            #expect(rerun.status == 0, "\(rerun.stderr)")
            let done = mine(try await store.outbox(status: nil, limit: 100_000))
            // Cut mid-write: it had enqueued some of this sweep's notifications but not all, or had
            // not delivered all it enqueued; the rerun finished the job.
            if killed && !left.isEmpty && (left.count < done.count || left.contains { $0.channel == "log" && $0.status == .pending }) { cutSweeps += 1 }
        }
        #expect(actsCutAfterCommit > 0 && cutSweeps >= 3, "the kills must land mid-write for this test to mean anything")

        for s in try await store.list(CaseQuery(limit: 100)) {
            let events = try await store.events(caseID: s.id)
            #expect(events.count == s.version && events.map(\.seq) == Array(1...events.count), "\(s.number): events and summary agree")
        }
        let audit = try await OutboxAudit.check(store, engine: try engine(store))
        #expect(audit.problems.isEmpty, "\(audit.problems.count) outbox disagreements, e.g.\n\(audit.problems.prefix(10).joined(separator: "\n"))")
        #expect(audit.expected > 4 * count, "the workload must produce notifications for this test to mean anything (\(audit.expected))")
        #expect(audit.items.count == audit.expected)
        let log = audit.items.filter { $0.channel == "log" }, down = audit.items.filter { $0.channel == "down" }
        #expect(down.count == log.count && down.allSatisfy { $0.status != .delivered }, "the down channel keeps every item")
        // The reruns delivered everything on `log`, each written to the file at least once.
        #expect(log.allSatisfy { $0.status == .delivered })
        let file = try OutboxAudit.fileLines(logFile)
        #expect(file.unreadable == 0)
        for item in log { #expect(file.keys[OutboxAudit.fileKey(item.notification), default: 0] >= 1, "delivered item \(item.id) is not in the file") }
        // Notices about no case (the calendar running out, periodic reports) go to the same file.
        let notices = audit.notices.filter { $0.channel == "log" }
        #expect(Set(file.keys.keys) == Set((log + notices).map { OutboxAudit.fileKey($0.notification) }))
        print("cli crash: \(killedActs) acts killed (\(actsCutAfterCommit) between commit and delivery), \(cutSweeps) sweeps cut mid-write; "
            + "\(audit.expected) outbox items, \(file.keys.values.reduce(0, +) - file.keys.count) delivered twice; \(ContinuousClock.now - started)")
    }
}
