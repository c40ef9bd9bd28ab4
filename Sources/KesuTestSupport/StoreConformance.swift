import Foundation
import KesuKernel

/// A failed conformance expectation: what was wrong and where the check said so.
public struct ConformanceFailure: Error, CustomStringConvertible, Sendable {
    public var message: String
    public var file: String
    public var line: Int
    public init(_ message: String, file: String = #fileID, line: Int = #line) {
        self.message = message; self.file = file; self.line = line
    }
    public var description: String { "\(file):\(line): \(message)" }
}

/// The contract every `CaseStore` keeps, as checks that any test framework can run: each takes
/// a fresh, empty store and throws `ConformanceFailure` (or the store's error) when the store
/// does not behave as the contract says. `MemoryStore` is the reference.
public enum StoreConformance {
    public struct Check: Sendable, CustomStringConvertible {
        public let name: String
        public let run: @Sendable (any CaseStore) async throws -> Void
        public init(_ name: String, _ run: @escaping @Sendable (any CaseStore) async throws -> Void) {
            self.name = name; self.run = run
        }
        public var description: String { name }
    }

    public static let checks: [Check] = [
        Check("numbering per prefix and year", numbering),
        Check("events round-trip exactly", eventsRoundTrip),
        Check("append numbers events and sets the version", appendNumbering),
        Check("a stale version conflicts and writes nothing", conflict),
        Check("an unknown case id", unknownCase),
        Check("a failing build leaves nothing and consumes no number", failingBuild),
        Check("list filters and count", listFilters),
        Check("long reads: oldest first, paged by position, ties at one instant kept in id order", pagedByPosition),
        Check("work queues and search: states, category, assignee, phone, earliest due first", queuesAndSearch),
        Check("the engine's summaries carry the assignee and the normalised phone", engineAssigneeAndPhone),
        Check("due for sweep", dueForSweep),
        Check("events by type and occurrence time", eventsByType),
        Check("histories and numbers of many cases in one read; cases by event type", historiesInOneRead),
        Check("pack versions", packVersions),
        Check("pack sources kept by version", packSources),
        Check("records append and read back exactly", recordsRoundTrip),
        Check("records: a stale version conflicts and writes nothing", recordsConflict),
        Check("records appended at the end by twenty writers at once: none lost, numbered 1…n", recordsAtEnd),
        Check("records listed by stream prefix", recordsByPrefix),
        Check("outbox: enqueued with the events, atomically", outboxAtomic),
        Check("outbox: due items in order", outboxDue),
        Check("outbox: delivered and failed", outboxMarks),
        Check("outbox: retry", outboxRetry),
        Check("outbox: a case's items on a channel wait for its earlier ones", outboxCaseOrder),
        Check("event feed: commit order, a cursor that resumes, refused foreign cursors", eventFeed),
        Check("idempotent create: a retry returns the first case", idempotentCreate),
        Check("concurrent writers: distinct numbers, one winner per version, one case per key", concurrentWriters),
        Check("numbers with gaps allowed: distinct and rising under concurrent intakes, never reused after a failure", numbersWithGaps),
        Check("leases: one holder at a time, renewal, expiry", leases),
        Check("a changed holiday calendar re-plans running clocks once, with events", calendarReplan),
        Check("attachments: binary content stored once, read back byte for byte", attachments),
        Check("dashboard counts: open cases by unit and state, overdue and due soon, in one read", openCaseCounts),
        Check("read model: reports from the facts written with the events equal the folded reports, and again after a rebuild", readModel),
    ]

    /// Runs every check, each on a store from `makeStore`; throws the first failure.
    public static func runAll(_ makeStore: () async throws -> any CaseStore) async throws {
        for check in checks {
            do { try await check.run(try await makeStore()) } catch let f as ConformanceFailure {
                throw ConformanceFailure("[\(check.name)] \(f.message)", file: f.file, line: f.line)
            }
        }
    }
}

// MARK: - Expectations

func expect(_ condition: Bool, _ message: @autoclosure () -> String, file: String = #fileID, line: Int = #line) throws {
    if !condition { throw ConformanceFailure(message(), file: file, line: line) }
}

func expectEqual<T: Equatable>(
    _ actual: T, _ expected: T, _ message: @autoclosure () -> String, file: String = #fileID, line: Int = #line
) throws {
    if actual != expected {
        throw ConformanceFailure("\(message()): got \(actual), expected \(expected)", file: file, line: line)
    }
}

/// Expects `body` to throw exactly `expected`.
func expectThrows<E: Error & Equatable>(
    _ expected: E, _ message: @autoclosure () -> String, file: String = #fileID, line: Int = #line,
    _ body: () async throws -> Void
) async throws {
    do {
        try await body()
    } catch let e as E {
        try expectEqual(e, expected, message(), file: file, line: line)
        return
    } catch {
        throw ConformanceFailure("\(message()): threw \(error), expected \(expected)", file: file, line: line)
    }
    throw ConformanceFailure("\(message()): did not throw, expected \(expected)", file: file, line: line)
}

// MARK: - Fixtures

/// 2025-01-01 00:00:00 UTC plus a fraction that is not a whole millisecond, so that stores
/// which round dates are caught.
private let t0 = Date(timeIntervalSinceReferenceDate: 757_382_400.123_456_7)
private let minute: TimeInterval = 60
private let hour: TimeInterval = 3600
private let day: TimeInterval = 86400

private struct ProbeError: Error, Equatable { var tag: String }

private func event(_ body: EventBody, at: Date = t0, pack: String = "2025.1", actor: String = "clerk", rule: String? = nil) -> Event {
    Event(at: at, actor: actor, ruleID: rule, packVersion: pack, body: body)
}

private func intake(at: Date = t0, pack: String = "2025.1") -> Event {
    event(.intake(number: "", state: "open", fields: ["subject": "x"]), at: at, pack: pack)
}

private func summary(
    state: String = "open", unit: String? = nil, text: String = "", opened: Date = t0, closed: Date? = nil,
    due: Date? = nil, wakeup: Date? = nil, version: Int = 0, pack: String = "2025.1",
    category: String = "roads", assignee: String? = nil, phoneDigest: String? = nil
) -> CaseSummary {
    CaseSummary(
        id: 0, number: "", state: state, handlingUnit: unit, kind: "complaint", category: category, level: "L1",
        channel: "web", text: text, openedAt: opened, updatedAt: opened, closedAt: closed, earliestDue: due,
        nextWakeup: wakeup, version: version, packVersion: pack, assignee: assignee, phoneDigest: phoneDigest)
}

@discardableResult
private func make(
    _ store: any CaseStore, prefix: String = "KS", year: Int = 2025, events: [Event] = [intake()],
    _ s: CaseSummary = summary()
) async throws -> CaseSummary {
    try await store.create(numberPrefix: prefix, year: year) { _, _ in NewCase(events: events, summary: s) }
}

private func numbered(_ events: [Event], caseID: Int64, from first: Int = 1) -> [Event] {
    events.enumerated().map { i, e in
        var e = e
        e.caseID = caseID; e.seq = first + i
        return e
    }
}

// MARK: - Checks

extension StoreConformance {
    static func numbering(_ store: any CaseStore) async throws {
        let seen = Seen()
        let first = try await store.create(numberPrefix: "KS", year: 2025) { id, number in
            seen.set(id, number)
            return NewCase(events: [intake()], summary: summary())
        }
        let (seenID, seenNumber) = seen.get()
        try expectEqual(first.number, "KS-2025-000001", "first number of a prefix and year")
        try expectEqual(first.id, seenID, "build is given the id the case gets")
        try expectEqual(first.number, seenNumber, "build is given the number the case gets")
        try expectEqual(first.version, 1, "version of a case created with one event")
        try expectEqual(try await store.summary(caseID: first.id), first, "stored summary equals the returned one")

        var numbers = [first.number]
        var ids = [first.id]
        for (prefix, year) in [("KS", 2025), ("KS", 2025), ("KS", 2026), ("OT", 2025), ("KS", 2026), ("KS", 2025)] {
            let s = try await make(store, prefix: prefix, year: year)
            numbers.append(s.number); ids.append(s.id)
        }
        try expectEqual(numbers, [
            "KS-2025-000001", "KS-2025-000002", "KS-2025-000003", "KS-2026-000001", "OT-2025-000001",
            "KS-2026-000002", "KS-2025-000004",
        ], "numbers count per prefix and year")
        try expectEqual(Set(ids).count, ids.count, "ids are distinct")
        try expectEqual(ids, ids.sorted(), "ids increase")
        for (id, number) in zip(ids, numbers) {
            try expectEqual(try await store.caseID(number: number), id, "case id of \(number)")
            try expectEqual(try await store.summary(caseID: id)?.number, number, "number of case \(id)")
        }
        try expectEqual(try await store.caseID(number: "KS-2025-000099"), nil, "an unknown number")
    }

    static func eventsRoundTrip(_ store: any CaseStore) async throws {
        let run = ClockRun(clock: "response", run: 2)
        let odd = Date(timeIntervalSinceReferenceDate: 757_400_000.987_654_321)
        let now = Date()
        let creation: [Event] = [
            Event(caseID: 77, seq: 9, at: t0, actor: "citizen-portal", ruleID: nil, packVersion: "2025.1",
                  body: .intake(number: "KS-2025-000001", state: "new",
                                fields: ["subject": "Ulica Główna — dziura 🚧", "channel": "web", "empty": ""])),
            event(.routed(unit: "roads-north", reason: "district"), at: t0, rule: "route-by-district"),
            event(.clockStarted(run, startedAt: t0, dueAt: odd), at: t0, rule: "response"),
        ]
        let later: [Event] = [
            event(.transition(id: "accept", from: "new", to: "in_progress", fields: [:]), at: t0 + minute),
            event(.assigned(person: "p-17"), at: t0 + minute),
            event(.clockPaused(run, remaining: 1234.5678), at: now),
            event(.clockResumed(run, dueAt: odd + day), at: now + 1),
            event(.clockExtended(run, dueAt: odd + 2 * day, reason: "needs expert", approver: "boss"), at: now + 2),
            event(.reminder(run, step: 1, dueAt: odd, recipients: ["p-17", "lead"]), at: odd, actor: Event.systemActor, rule: "ladder-1"),
            event(.escalation(run, step: 2, dueAt: odd, recipients: []), at: odd + hour, actor: Event.systemActor, rule: "ladder-2"),
            event(.violation(id: "late-response", run: run, unit: "roads-north", person: "p-17", occurredAt: odd),
                  at: odd + hour, actor: Event.systemActor, rule: "response"),
            event(.violation(id: "no-run", run: nil, unit: "roads-north", person: nil, occurredAt: odd - day), at: odd + hour),
            event(.deduction(cause: "late-response", subject: ScoreSubject(.unit, "roads-north"), points: 2.5, occurredAt: odd),
                  at: odd + hour, rule: "score-late"),
            event(.deduction(cause: "late-response", subject: ScoreSubject(.person, "p-17"), points: -0.1, occurredAt: odd),
                  at: odd + hour, rule: "score-late"),
            event(.outcome(id: "upheld", unit: "roads-north", person: nil), at: odd + 2 * hour),
            event(.outcome(id: "dismissed", unit: nil, person: "p-17"), at: odd + 2 * hour),
            event(.clockStopped(run, late: true), at: odd + 3 * hour),
            event(.closed(state: "resolved"), at: odd + 3 * hour),
        ]
        let created = try await make(store, events: creation, summary(wakeup: odd, version: 99))
        try expectEqual(created.version, creation.count, "version after create")
        try expectEqual(try await store.events(caseID: created.id), numbered(creation, caseID: created.id),
                        "events read back after create (caseID and seq set by the store)")
        var closing = summary(state: "resolved", closed: odd + 3 * hour, due: odd, wakeup: nil)
        closing.updatedAt = now
        closing.number = created.number   // callers pass the case's summary, number included
        try await store.append(caseID: created.id, expectedVersion: creation.count, events: later, summary: closing)
        let all = numbered(creation + later, caseID: created.id)
        try expectEqual(try await store.events(caseID: created.id), all, "events read back after append")
        var expected = closing
        expected.id = created.id; expected.number = created.number; expected.version = all.count
        try expectEqual(try await store.summary(caseID: created.id), expected, "summary read back (dates exact)")
    }

    static func appendNumbering(_ store: any CaseStore) async throws {
        let first = try await make(store, events: [intake(), event(.routed(unit: "u1", reason: "r"))])
        let other = try await make(store)
        try expectEqual(first.version, 2, "version after create with two events")
        let batch = [
            event(.assigned(person: "a"), at: t0 + 1), event(.assigned(person: "b"), at: t0 + 2),
            event(.assigned(person: "c"), at: t0 + 3),
        ]
        var s = summary(state: "in_progress", unit: "u1", text: "changed")
        s.id = first.id; s.number = first.number
        try await store.append(caseID: first.id, expectedVersion: 2, events: batch, summary: s)
        let events = try await store.events(caseID: first.id)
        try expectEqual(events.map(\.seq), [1, 2, 3, 4, 5], "seq after append")
        try expectEqual(Set(events.map(\.caseID)), [first.id], "caseID of appended events")
        try expectEqual(Array(events.suffix(3)), numbered(batch, caseID: first.id, from: 3), "appended events")
        var expected = s
        expected.version = 5
        try expectEqual(try await store.summary(caseID: first.id), expected, "summary replaced, version = 5")
        try expectEqual(try await store.events(caseID: other.id).map(\.seq), [1], "the other case is untouched")
        try expectEqual(try await store.summary(caseID: other.id)?.version, 1, "the other case's version")

        // An empty batch replaces the summary and keeps the version.
        var touched = expected
        touched.state = "waiting"
        try await store.append(caseID: first.id, expectedVersion: 5, events: [], summary: touched)
        try expectEqual(try await store.summary(caseID: first.id), touched, "summary after an empty append")
        try expectEqual(try await store.events(caseID: first.id).count, 5, "no events added by an empty append")
        try await store.append(caseID: first.id, expectedVersion: 5, events: [event(.assigned(person: "d"))], summary: touched)
        try expectEqual(try await store.events(caseID: first.id).map(\.seq), [1, 2, 3, 4, 5, 6], "seq continues")
    }

    static func conflict(_ store: any CaseStore) async throws {
        let c = try await make(store, events: [intake(), event(.routed(unit: "u", reason: "r"))])
        let before = try await store.events(caseID: c.id)
        var changed = summary(state: "hijacked")
        changed.id = c.id; changed.number = c.number
        for stale in [0, 1, 3] {
            try await expectThrows(StoreError.conflict(caseID: c.id, expected: stale, actual: 2),
                                   "append at version \(stale) when the case is at 2") {
                try await store.append(caseID: c.id, expectedVersion: stale,
                                       events: [event(.assigned(person: "x"))], summary: changed)
            }
        }
        try expectEqual(try await store.events(caseID: c.id), before, "events unchanged after conflicts")
        try expectEqual(try await store.summary(caseID: c.id), c, "summary unchanged after conflicts")
    }

    static func unknownCase(_ store: any CaseStore) async throws {
        let c = try await make(store)
        let missing = c.id + 1000
        try await expectThrows(StoreError.caseNotFound(missing), "append to an unknown case") {
            try await store.append(caseID: missing, expectedVersion: 0, events: [intake()], summary: summary())
        }
        try expectEqual(try await store.summary(caseID: missing), nil, "summary of an unknown case")
        try expectEqual(try await store.events(caseID: missing), [], "events of an unknown case")
        try expectEqual(try await store.count(CaseQuery()), 1, "no case was added")
    }

    static func failingBuild(_ store: any CaseStore) async throws {
        try await expectThrows(ProbeError(tag: "boom"), "create's build error passes through unchanged") {
            _ = try await store.create(numberPrefix: "KS", year: 2025) { _, _ in throw ProbeError(tag: "boom") }
        }
        try expectEqual(try await store.count(CaseQuery()), 0, "no case after a failed build")
        try expectEqual(try await store.list(CaseQuery()), [], "no case listed after a failed build")
        try expectEqual(try await store.caseID(number: "KS-2025-000001"), nil, "the number was not taken")
        try expectEqual(try await store.packVersions(), [], "no events after a failed build")
        let c = try await make(store)
        try expectEqual(c.number, "KS-2025-000001", "the next create gets the first number")
        try expectEqual(try await store.events(caseID: c.id).map(\.seq), [1], "its events")
    }

    static func pagedByPosition(_ store: any CaseStore) async throws {
        // Seven cases, three opened at one instant, one outside the window.
        var made: [CaseSummary] = []
        for opened in [t0 + 2 * hour, t0, t0 + hour, t0 + hour, t0 + hour, t0 + 3 * hour, t0 + 30 * day] {
            made.append(try await make(store, summary(opened: opened)))
        }
        let window = CaseQuery(openedFrom: t0, openedBefore: t0 + day, order: .oldest)
        let expected = made.dropLast().sorted { ($0.openedAt, $0.id) < ($1.openedAt, $1.id) }.map(\.id)
        try expectEqual(try await store.list(window).map(\.id), expected, "oldest first, ties by id")
        for size in [1, 2, 4] {
            var seen: [Int64] = []
            var page = window
            page.limit = size
            while true {
                let found = try await store.list(page)
                seen += found.map(\.id)
                guard found.count == size, let last = found.last else { break }
                page.after = CasePosition(last)
            }
            try expectEqual(seen, expected, "pages of \(size) by position: every case once, in order")
        }
        var rest = window
        rest.after = CasePosition(made[2])
        try expectEqual(try await store.count(rest), expected.count - 1 - expected.firstIndex(of: made[2].id)!,
                        "count agrees with the position")
    }

    static func listFilters(_ store: any CaseStore) async throws {
        let a = try await make(store, summary(state: "open", unit: "north", text: "Broken streetlight on Main",
                                               opened: t0, due: t0 + hour))
        let b = try await make(store, summary(state: "in_progress", unit: "south", text: "Noise: 50% louder at night",
                                               opened: t0 + day, due: t0 + 3 * hour))
        let c = try await make(store, summary(state: "closed", unit: "north", text: "Pothole",
                                               opened: t0 + 2 * day, closed: t0 + 2 * day + hour, due: t0 + 30 * minute))
        let d = try await make(store, summary(state: "open", unit: nil, text: "streetlight flicker", opened: t0 + 3 * day))
        let e = try await make(store, summary(state: "in_progress", unit: "north", text: "Graffiti",
                                               opened: t0 + 4 * day, due: t0 + 2 * day))
        let all = [a, b, c, d, e]
        func ids(_ q: CaseQuery) async throws -> [Int64] { try await store.list(q).map(\.id) }
        let cases: [(String, CaseQuery, [CaseSummary])] = [
            ("no filter, newest first", CaseQuery(), Array(all.reversed())),
            ("state", CaseQuery(state: "open"), [d, a]),
            ("unknown state", CaseQuery(state: "nope"), []),
            ("unit", CaseQuery(unit: "north"), [e, c, a]),
            ("unit and state", CaseQuery(state: "in_progress", unit: "north"), [e]),
            ("open only", CaseQuery(openOnly: true), [e, d, b, a]),
            ("overdue", CaseQuery(overdueAt: t0 + 2 * hour), [a]),
            ("overdue is strict", CaseQuery(overdueAt: t0 + 3 * hour), [a]),
            ("overdue just after", CaseQuery(overdueAt: t0 + 3 * hour + 0.001), [b, a]),
            ("overdue much later", CaseQuery(overdueAt: t0 + 10 * day), [e, b, a]),
            ("opened from (inclusive)", CaseQuery(openedFrom: t0 + day), [e, d, c, b]),
            ("opened before (exclusive)", CaseQuery(openedBefore: t0 + day), [a]),
            ("opened range", CaseQuery(openedFrom: t0 + day, openedBefore: t0 + 3 * day), [c, b]),
            ("text", CaseQuery(text: "streetlight"), [d, a]),
            ("text is case-sensitive", CaseQuery(text: "Streetlight"), []),
            ("text matches the number", CaseQuery(text: String(c.number.suffix(6))), [c]),
            ("text with a LIKE wildcard", CaseQuery(text: "0%"), [b]),
            ("text underscore", CaseQuery(text: "_"), []),
            ("empty text", CaseQuery(text: ""), Array(all.reversed())),
            ("combined", CaseQuery(unit: "north", openOnly: true, openedFrom: t0 + hour), [e]),
            ("limit", CaseQuery(limit: 2), [e, d]),
            ("limit and offset", CaseQuery(limit: 2, offset: 2), [c, b]),
            ("offset near the end", CaseQuery(limit: 2, offset: 4), [a]),
            ("offset past the end", CaseQuery(offset: 10), []),
            ("limit zero", CaseQuery(limit: 0), []),
            ("filter and page", CaseQuery(openOnly: true, limit: 1, offset: 1), [d]),
        ]
        for (label, query, expected) in cases {
            try expectEqual(try await ids(query), expected.map(\.id), "list, \(label)")
        }
        try expectEqual(try await store.list(CaseQuery(unit: "north")), [e, c, a], "listed summaries are complete")
        for (label, query, count) in [
            ("all", CaseQuery(), 5), ("state", CaseQuery(state: "open"), 2), ("open only, limit ignored", CaseQuery(openOnly: true, limit: 1), 4),
            ("offset ignored", CaseQuery(unit: "north", offset: 2), 3), ("overdue", CaseQuery(overdueAt: t0 + 10 * day), 3),
            ("text", CaseQuery(text: "streetlight"), 2), ("none", CaseQuery(state: "nope"), 0),
        ] {
            try expectEqual(try await store.count(query), count, "count, \(label)")
        }
        // Newest by opening time, not by creation order: a case entered late for an old complaint
        // lists after the newer ones; cases opened at the same instant list the later-created first.
        let late = try await make(store, summary(state: "open", unit: "west", opened: t0 - day))
        let tied = try await make(store, summary(state: "open", unit: "west", opened: t0 - day))
        try expectEqual(try await ids(CaseQuery()), [e, d, c, b, a, tied, late].map(\.id), "newest opened first, ties by id descending")
        try expectEqual(try await ids(CaseQuery(unit: "west", limit: 1)), [tied.id], "the first page holds the newest")
    }

    /// The console's work queues ("my cases", "my unit's cases", most urgent first) and its
    /// search by state, category and the complainant's phone; `count` agrees with `list`.
    static func queuesAndSearch(_ store: any CaseStore) async throws {
        // Phones as the summaries hold them: the store key's digest of what the clerk typed.
        let key = store.lookupKey
        let q1 = try await make(store, summary(state: "dispatched", unit: "north", opened: t0, due: t0 + 3 * hour,
                                                assignee: "p1", phoneDigest: key.phoneDigest("+86 138-1234-5678")))
        let q2 = try await make(store, summary(state: "answered", unit: "north", opened: t0 + day, due: t0 + hour,
                                                category: "noise", assignee: "p2", phoneDigest: key.phoneDigest("13812345679")))
        let q3 = try await make(store, summary(state: "registered", unit: "north", opened: t0 + 2 * day))
        let q4 = try await make(store, summary(state: "dispatched", unit: "south", opened: t0 + 3 * day, due: t0 + hour,
                                                assignee: "p1", phoneDigest: key.phoneDigest("13812345678")))
        let q5 = try await make(store, summary(state: "closed", unit: "north", opened: t0 + 4 * day, closed: t0 + 5 * day,
                                                assignee: "p1", phoneDigest: key.phoneDigest("0871-65123456")))
        let q6 = try await make(store, summary(state: "dispatched", unit: "north", opened: t0, due: t0 + 3 * hour, assignee: "p2"))
        try expectEqual(q1.phoneDigest, key.phoneDigest("13812345678"), "a mobile number with its country code has the 11 digits' digest")
        try expectEqual(try await store.summary(caseID: q1.id)?.phoneDigest, q1.phoneDigest, "the stored digest")
        try expect(q1.phoneDigest?.count == 64 && q1.phoneDigest?.contains("13812345678") == false, "a digest, not the phone")
        try expectEqual(try await store.summary(caseID: q5.id)?.assignee, "p1", "the stored assignee")
        let working = ["dispatched", "answered"]
        let cases: [(String, CaseQuery, [CaseSummary])] = [
            ("states, newest first", CaseQuery(states: working), [q4, q2, q6, q1]),
            ("states and unit, earliest due first; ties by opening, then id", CaseQuery(states: working, unit: "north", order: .dueFirst),
             [q2, q1, q6]),
            ("states AND state", CaseQuery(state: "dispatched", states: ["answered"]), []),
            ("state within states", CaseQuery(state: "answered", states: working), [q2]),
            ("no states", CaseQuery(states: []), []),
            ("other states", CaseQuery(states: ["closed", "registered", "nope"]), [q5, q3]),
            ("category", CaseQuery(category: "roads"), [q5, q4, q3, q6, q1]),
            ("another category", CaseQuery(category: "noise"), [q2]),
            ("unknown category", CaseQuery(category: "nope"), []),
            ("assignee", CaseQuery(assignee: "p1"), [q5, q4, q1]),
            ("assignee's open cases, earliest due first", CaseQuery(assignee: "p1", openOnly: true, order: .dueFirst), [q4, q1]),
            ("unknown assignee", CaseQuery(assignee: "nobody"), []),
            ("phone, digits only", CaseQuery(phone: "13812345678"), [q4, q1]),
            ("phone as typed", CaseQuery(phone: "+86 138 1234 5678"), [q4, q1]),
            ("phone with 0086", CaseQuery(phone: "0086-138-1234-5678"), [q4, q1]),
            ("phone in full-width digits", CaseQuery(phone: "１３８１２３４５６７８"), [q4, q1]),
            ("another phone", CaseQuery(phone: "138-1234-5679"), [q2]),
            ("phone matches exactly, not a prefix", CaseQuery(phone: "1381234567"), []),
            ("a fixed-line phone", CaseQuery(phone: "(0871) 6512 3456"), [q5]),
            ("phone without digits", CaseQuery(phone: "abc"), []),
            ("blank phone: no filter", CaseQuery(phone: " "), [q5, q4, q3, q2, q6, q1]),
            ("repeat caller: same phone, opened since", CaseQuery(phone: "13812345678", openedFrom: t0 + day), [q4]),
            ("earliest due first, no due last", CaseQuery(order: .dueFirst), [q2, q4, q1, q6, q3, q5]),
            ("earliest due first, a page", CaseQuery(order: .dueFirst, limit: 2, offset: 3), [q6, q3]),
            ("overdue, earliest due first", CaseQuery(overdueAt: t0 + 2 * hour, order: .dueFirst), [q2, q4]),
            ("combined", CaseQuery(states: ["dispatched"], unit: "north", category: "roads", order: .dueFirst), [q1, q6]),
        ]
        for (label, query, expected) in cases {
            try expectEqual(try await store.list(query).map(\.id), expected.map(\.id), "list, \(label)")
            var all = query
            all.limit = 1000; all.offset = 0
            try expectEqual(try await store.count(query), try await store.list(all).count, "count agrees with list, \(label)")
        }
        try expectEqual(try await store.list(CaseQuery(assignee: "p1")), [q5, q4, q1], "listed summaries are complete")
        // A later summary replaces assignee and phone.
        var moved = q3
        moved.assignee = "p3"; moved.phoneDigest = key.phoneDigest("139 0000 0000"); moved.version = 2
        try await store.append(caseID: q3.id, expectedVersion: 1, events: numbered([event(.assigned(person: "p3"))], caseID: q3.id, from: 2),
                               summary: moved)
        try expectEqual(try await store.list(CaseQuery(assignee: "p3")), [moved], "the appended summary's assignee")
        try expectEqual(try await store.list(CaseQuery(phone: "13900000000")).map(\.id), [q3.id], "the appended summary's phone")
        moved.assignee = nil; moved.phoneDigest = nil; moved.version = 3
        try await store.append(caseID: q3.id, expectedVersion: 2, events: numbered([event(.routed(unit: "south", reason: "x"))], caseID: q3.id, from: 3),
                               summary: moved)
        try expectEqual(try await store.summary(caseID: q3.id), moved, "assignee and phone cleared")
        try expectEqual(try await store.count(CaseQuery(assignee: "p3")), 0, "no case assigned to p3 any more")
    }

    /// Through the engine: the phone as the clerk typed it is found by its digits, and the
    /// handler who answers becomes the assignee the work queue lists.
    static func engineAssigneeAndPhone(_ store: any CaseStore) async throws {
        func at(_ s: String) -> Date { TestPack.at(s) }
        var pack = TestPack.make()
        pack.procedure.intake.accepts.append("complainant_phone")
        let engine = try Engine(pack: pack, store: store)
        let fields = ["channel": "phone", "kind": "complaint", "description": "态度差", "category": "service"]
        let c = try await engine.intake(fields: fields.merging(["complainant_phone": "+86 138-1234-5678"]) { $1 },
                                        by: "clerk1", at: at("2026-10-12T09:00")).state
        let other = try await engine.intake(fields: fields.merging(["complainant_phone": "138 1234 5679"]) { $1 },
                                            by: "clerk1", at: at("2026-10-12T09:05")).state
        try expectEqual(try await store.summary(caseID: c.id)?.phoneDigest, store.lookupKey.phoneDigest("13812345678"),
                        "the summary holds the digest of the normalised phone")
        try expectEqual(try await store.list(CaseQuery(phone: "13812345678")).map(\.id), [c.id], "found by its digits, the other not")
        try expectEqual(try await store.list(CaseQuery(phone: "+8613812345679")).map(\.id), [other.id], "the other by its own")
        try expectEqual(try await store.summary(caseID: c.id)?.assignee, nil, "nobody is assigned at intake")
        _ = try await engine.act(c.number, transition: "dispatch", fields: ["category": "service"], by: "chief", at: at("2026-10-12T10:00"))
        _ = try await engine.act(c.number, transition: "answer", fields: ["result": "已处理"], by: "a_handler", at: at("2026-10-12T11:00"))
        try expectEqual(try await store.summary(caseID: c.id)?.assignee, "a_handler", "the answering handler is assigned")
        try expectEqual(try await store.list(CaseQuery(assignee: "a_handler")).map(\.id), [c.id], "the handler's queue")
        try expectEqual(try await store.list(CaseQuery(phone: "13812345678")).map(\.id), [c.id], "the phone stays after the case changes")
    }

    static func dueForSweep(_ store: any CaseStore) async throws {
        let p = try await make(store, summary(wakeup: t0 + 10 * minute))
        let q = try await make(store, summary(wakeup: t0 + 5 * minute))
        let r = try await make(store, summary(wakeup: t0 + 5 * minute))
        _ = try await make(store, summary(state: "closed", closed: t0, wakeup: t0))          // closed: never due
        let t = try await make(store, summary(wakeup: t0 + day))                              // in the future
        _ = try await make(store, summary(wakeup: nil))                                       // nothing to do
        let o = try await make(store, summary(wakeup: t0 - day))                              // long overdue
        try expectEqual(try await store.dueForSweep(at: t0 + 10 * minute, limit: 10), [o.id, q.id, r.id, p.id],
                        "earliest first, ties by id, wake-up at `now` included")
        try expectEqual(try await store.dueForSweep(at: t0 + 10 * minute - 0.001, limit: 10), [o.id, q.id, r.id],
                        "a wake-up after `now` is not due")
        try expectEqual(try await store.dueForSweep(at: t0 + 10 * minute, limit: 2), [o.id, q.id], "limit")
        try expectEqual(try await store.dueForSweep(at: t0 - 2 * day, limit: 10), [], "nothing due yet")
        try expectEqual(try await store.dueForSweep(at: t0 + 2 * day, limit: 100), [o.id, q.id, r.id, p.id, t.id],
                        "all open cases with a wake-up")

        // Closing a case and moving a wake-up are seen by the next sweep.
        var closed = try await store.summary(caseID: q.id)!
        closed.closedAt = t0 + minute; closed.state = "closed"
        try await store.append(caseID: q.id, expectedVersion: 1, events: [event(.closed(state: "closed"))], summary: closed)
        var moved = try await store.summary(caseID: o.id)!
        moved.nextWakeup = t0 + 7 * minute
        try await store.append(caseID: o.id, expectedVersion: 1, events: [event(.assigned(person: "x"))], summary: moved)
        try expectEqual(try await store.dueForSweep(at: t0 + 10 * minute, limit: 10), [r.id, o.id, p.id],
                        "after closing one case and moving another's wake-up")
    }

    static func eventsByType(_ store: any CaseStore) async throws {
        // Case 1 happens later in time than case 2, to show results are in case order.
        let c1Events = [
            intake(at: t0 + 4 * day),
            event(.reminder(ClockRun(clock: "c", run: 1), step: 1, dueAt: t0 + 4 * day, recipients: ["x"]), at: t0 + 4 * day),
            // Noticed on day 5, happened on day 1.
            event(.violation(id: "late", run: ClockRun(clock: "c", run: 1), unit: "u", person: nil, occurredAt: t0 + day),
                  at: t0 + 5 * day),
            event(.deduction(cause: "late", subject: ScoreSubject(.unit, "u"), points: 1, occurredAt: t0 + day), at: t0 + 5 * day),
        ]
        let c1 = try await make(store, events: c1Events)
        let c2Events = [
            intake(at: t0),
            event(.violation(id: "late", run: nil, unit: "u", person: "p", occurredAt: t0 + 3 * day), at: t0 + 3 * day),
            event(.violation(id: "early", run: nil, unit: "u", person: "p", occurredAt: t0 + day / 2), at: t0 + 3 * day),
        ]
        let c2 = try await make(store, events: c2Events)
        let s1 = numbered(c1Events, caseID: c1.id)
        let s2 = numbered(c2Events, caseID: c2.id)

        try expectEqual(try await store.events(types: ["violation", "deduction"], occurredFrom: t0 + day, to: t0 + 3 * day),
                        [s1[2], s1[3]], "by occurredAt: from inclusive, to exclusive")
        try expectEqual(try await store.events(types: ["violation"], occurredFrom: t0 + 4 * day, to: t0 + 6 * day), [],
                        "a violation is placed by occurredAt, not by when it was recorded")
        try expectEqual(try await store.events(types: ["violation"], occurredFrom: t0, to: t0 + 10 * day),
                        [s1[2], s2[1], s2[2]], "in case and sequence order")
        try expectEqual(try await store.events(types: ["intake", "reminder"], occurredFrom: t0, to: t0 + 10 * day),
                        [s1[0], s1[1], s2[0]], "other types use `at`")
        try expectEqual(try await store.events(types: ["reminder"], occurredFrom: t0 + 4 * day, to: t0 + 4 * day), [],
                        "an empty range")
        try expectEqual(try await store.events(types: [], occurredFrom: t0 - day, to: t0 + 10 * day), [], "no types")
        try expectEqual(try await store.events(types: ["closed"], occurredFrom: t0 - day, to: t0 + 10 * day), [],
                        "a type with no events")
    }

    static func historiesInOneRead(_ store: any CaseStore) async throws {
        let a = try await make(store, events: [intake(at: t0), event(.routed(unit: "u1", reason: "rule"), at: t0)])
        let b = try await make(store, events: [intake(at: t0 + day)])
        let c = try await make(store, events: [intake(at: t0 + 2 * day), event(.assigned(person: "p"), at: t0 + 5 * day)])
        try await store.append(caseID: b.id, expectedVersion: 1, events: [event(.routed(unit: "u2", reason: "manual"), at: t0 + 3 * day)],
                               summary: summary(version: 2), outbox: [])
        let all = [a, b, c].map(\.id)
        var expected: [Event] = []
        for id in all { expected += try await store.events(caseID: id) }
        try expectEqual(try await store.events(caseIDs: all), expected, "every event of every case, in case and sequence order")
        try expectEqual(try await store.events(caseIDs: [c.id, a.id, c.id]), expected.filter { $0.caseID != b.id },
                        "ids in any order, repeated ids once")
        try expectEqual(try await store.events(caseIDs: []), [], "no ids")
        try expectEqual(try await store.events(caseIDs: [999_999]), [], "an unknown id reads nothing")
        try expectEqual(try await store.events(caseIDs: [b.id]).map(\.seq), [1, 2], "an appended event is read with its case")
        try expectEqual(try await store.events(caseIDs: [c.id, a.id, b.id], types: ["routed", "assigned"]),
                        expected.filter { ["routed", "assigned"].contains($0.type) }, "only the types asked for, in case and sequence order")
        try expectEqual(try await store.events(caseIDs: all, types: ["intake"]).map(\.caseID), all, "one intake per case")
        try expectEqual(try await store.events(caseIDs: all, types: []), [], "no types")
        try expectEqual(try await store.events(caseIDs: [], types: ["intake"]), [], "no ids, by type")

        try expectEqual(try await store.caseIDs(eventTypes: ["routed"], occurredFrom: t0, to: t0 + 10 * day), [a.id, b.id],
                        "cases with the type in the range, ascending, each once")
        try expectEqual(try await store.caseIDs(eventTypes: ["routed", "assigned"], occurredFrom: t0 + day, to: t0 + 5 * day), [b.id],
                        "from inclusive, to exclusive")
        try expectEqual(try await store.caseIDs(eventTypes: ["intake", "routed"], occurredFrom: t0, to: t0 + 10 * day), [a.id, b.id, c.id],
                        "a case with two matching events appears once")
        try expectEqual(try await store.caseIDs(eventTypes: [], occurredFrom: t0, to: t0 + 10 * day), [], "no types")

        try expectEqual(try await store.numbers(caseIDs: [c.id, a.id, 999_999, a.id]), [a.id: a.number, c.id: c.number],
                        "numbers by id; an unknown id left out")
        try expectEqual(try await store.numbers(caseIDs: []), [:], "no ids")
    }

    static func packVersions(_ store: any CaseStore) async throws {
        try expectEqual(try await store.packVersions(), [], "an empty store")
        let c1 = try await make(store, events: [intake(at: t0, pack: "2025.1"),
                                                event(.routed(unit: "u", reason: "r"), at: t0 + hour, pack: "2025.1")])
        try await store.append(caseID: c1.id, expectedVersion: 2,
                               events: [event(.assigned(person: "p"), at: t0 + 2 * day, pack: "2025.2")],
                               summary: summary(pack: "2025.2"))
        _ = try await make(store, events: [intake(at: t0 - day, pack: "2024.9"),
                                          event(.assigned(person: "q"), at: t0 + 3 * day, pack: "2025.1")],
                           summary(closed: t0 + 3 * day, pack: "2025.1"))
        try expectEqual(try await store.packVersions(), [
            PackVersionUse(version: "2024.9", firstUsed: t0 - day, lastUsed: t0 - day, events: 1),
            PackVersionUse(version: "2025.1", firstUsed: t0, lastUsed: t0 + 3 * day, events: 3, cases: 1, openCases: 0),
            PackVersionUse(version: "2025.2", firstUsed: t0 + 2 * day, lastUsed: t0 + 2 * day, events: 1, cases: 1, openCases: 1),
        ], "first use, last use and count per version, by first use; cases pinned to each (from the summaries)")
    }

    static func packSources(_ store: any CaseStore) async throws {
        try expectEqual(try await store.pack(version: "v1"), nil, "a version never saved")
        let first = PackSnapshot(version: "v1", packID: "demo", name: "示例规则包", root: "rules/demo",
                                 files: ["rules/demo/pack.yaml": "pack: {id: demo}\n", "rules/demo/路由.yaml": "routing: []\n"])
        try await store.savePack(first, at: t0)
        try expectEqual(try await store.pack(version: "v1"), first, "sources read back exactly, Chinese included")
        var again = first
        again.name = "changed"
        try await store.savePack(again, at: t0 + day)
        try expectEqual(try await store.pack(version: "v1"), first, "saving a held version again changes nothing")
        let second = PackSnapshot(version: "v2", packID: "demo", name: "n", root: "r", files: [:])
        try await store.savePack(second, at: t0 + day)
        try expectEqual(try await store.pack(version: "v2"), second, "a second version beside the first")
        try expectEqual(try await store.pack(version: "v1"), first, "the first version untouched")
    }
}

// MARK: - Record streams

private func record(_ type: String, at: Date = t0, actor: String = "clerk", body: String = "{}", pack: String = "2025.1") -> RecordEvent {
    RecordEvent(at: at, actor: actor, type: type, packVersion: pack, body: body)
}

/// `events` as the store numbers them in `stream` from `first`.
private func numbered(_ events: [RecordEvent], stream: String, from first: Int = 1) -> [RecordEvent] {
    events.enumerated().map { i, e in
        var e = e
        e.stream = stream; e.seq = first + i
        return e
    }
}

extension StoreConformance {
    static func recordsRoundTrip(_ store: any CaseStore) async throws {
        try expectEqual(try await store.records(stream: "penalty:x"), [], "a stream never written is empty")
        try expectEqual(try await store.recordsVersion(stream: "penalty:x"), 0, "a stream never written is at version 0")
        let odd = Date(timeIntervalSinceReferenceDate: 757_400_000.987_654_321)
        let body = #"{"evidence":[{"case":"KS-2025-000001","points":1.5}],"reason":"屡次拖延 — \"书面警告\"\n第二行","x":null}"#
        let first = [
            // Whatever stream and seq the caller puts on a record, the store sets its own.
            RecordEvent(stream: "elsewhere", seq: 42, at: odd, actor: "feng", type: "decided", packVersion: "2025.1", body: body),
            record("appealed", at: t0 + day, actor: "yang", body: "{}"),
        ]
        try await store.appendRecords(stream: "penalty:2025Q1-person-p1", expectedVersion: 0, events: first)
        try expectEqual(try await store.records(stream: "penalty:2025Q1-person-p1"),
                        numbered(first, stream: "penalty:2025Q1-person-p1"),
                        "records read back: dates exact, body byte for byte, stream and seq set by the store")
        let more = [record("appeal_decided", at: t0 + 2 * day, actor: "feng", pack: "2025.2")]
        try await store.appendRecords(stream: "penalty:2025Q1-person-p1", expectedVersion: 2, events: more)
        try expectEqual(try await store.records(stream: "penalty:2025Q1-person-p1").map(\.seq), [1, 2, 3], "seq continues")
        try expectEqual(try await store.records(stream: "penalty:2025Q1-person-p1").last?.packVersion, "2025.2", "pack version kept")
        try await store.appendRecords(stream: "penalty:2025Q1-person-p1", expectedVersion: 3, events: [])
        try expectEqual(try await store.records(stream: "penalty:2025Q1-person-p1").count, 3, "an empty batch adds nothing")
        try expectEqual(try await store.recordsVersion(stream: "penalty:2025Q1-person-p1"), 3, "the version is the count of records")
        try expectEqual(try await store.lastRecord(stream: "penalty:2025Q1-person-p1"), try await store.records(stream: "penalty:2025Q1-person-p1").last,
                        "the last record is the stream's last")
        try expectEqual(try await store.lastRecord(stream: "penalty:2025Q1-person-p1")?.seq, 3, "the last record's seq is the version")
        try expectEqual(try await store.lastRecord(stream: "penalty:x"), nil, "a stream never written has no last record")
        try expectEqual(try await store.recordsVersion(stream: "penalty:2025Q1-person-p"), 0, "a prefix of a stream is another stream")
        try expectEqual(try await store.records(stream: "penalty:2025Q1-person-p2"), [], "another stream is untouched")
        // Records are not cases: nothing shows in case listings or pack versions.
        try expectEqual(try await store.count(CaseQuery()), 0, "no case was created")
        try expectEqual(try await store.packVersions(), [], "records do not count as case events")
    }

    static func recordsAtEnd(_ store: any CaseStore) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<20 {
                group.addTask {
                    try await store.appendRecordsAtEnd(stream: "log", events: [
                        RecordEvent(at: t0, actor: "w\(i)", type: "viewed", packVersion: "", body: "{\"n\":\(i)}"),
                        RecordEvent(at: t0, actor: "w\(i)", type: "viewed", packVersion: "", body: "{\"n\":\(i),\"second\":true}"),
                    ])
                }
            }
            try await group.waitForAll()
        }
        let log = try await store.records(stream: "log")
        try expectEqual(log.map(\.seq), Array(1...40), "forty records, numbered without gap or repeat")
        try expectEqual(Set(log.map(\.actor)).count, 20, "every writer's records are there")
        for i in stride(from: 0, to: 40, by: 2) {
            try expectEqual(log[i].actor, log[i + 1].actor, "one writer's records stay together")
        }
        try expectEqual(try await store.recordsVersion(stream: "log"), 40, "the version counts them")
    }

    static func recordsConflict(_ store: any CaseStore) async throws {
        let stream = "penalty:2025Q1-unit-u1"
        try await store.appendRecords(stream: stream, expectedVersion: 0, events: [record("decided"), record("appealed")])
        let before = try await store.records(stream: stream)
        for stale in [0, 1, 3] {
            try await expectThrows(StoreError.recordConflict(stream: stream, expected: stale, actual: 2),
                                   "append at version \(stale) when the stream holds 2") {
                try await store.appendRecords(stream: stream, expectedVersion: stale,
                                              events: [record("appeal_decided"), record("extra")])
            }
        }
        try expectEqual(try await store.records(stream: stream), before, "records unchanged after conflicts")
        try await expectThrows(StoreError.recordConflict(stream: "penalty:new", expected: 1, actual: 0),
                               "a new stream is at version 0") {
            try await store.appendRecords(stream: "penalty:new", expectedVersion: 1, events: [record("decided")])
        }
        try expectEqual(try await store.records(stream: "penalty:new"), [], "nothing written to the new stream")
    }

    static func recordsByPrefix(_ store: any CaseStore) async throws {
        // Written out of order; wildcard characters of LIKE and GLOB in names.
        let writes: [(String, [String])] = [
            ("report:2025Q1-unit-u1", ["submitted"]),
            ("penalty:b", ["decided", "appealed"]),
            ("penalty", ["odd"]),
            ("penalty:a", ["decided"]),
            ("penaltyx:a", ["decided"]),
            ("p%_*[x]", ["wild"]),
            ("pa_x", ["tame"]),
            ("penalty:a-甲", ["decided"]),
        ]
        for (stream, types) in writes {
            try await store.appendRecords(stream: stream, expectedVersion: 0, events: types.map { record($0) })
        }
        func listed(_ prefix: String) async throws -> [String] {
            try await store.records(streamPrefix: prefix).map { "\($0.stream)#\($0.seq)" }
        }
        try expectEqual(try await listed("penalty:"), ["penalty:a#1", "penalty:a-甲#1", "penalty:b#1", "penalty:b#2"],
                        "streams with the prefix, by stream then seq")
        try expectEqual(try await listed("p%_"), ["p%_*[x]#1"], "the prefix is plain text, not a pattern")
        try expectEqual(try await listed("p%_*[x]"), ["p%_*[x]#1"], "a whole stream name is its own prefix")
        try expectEqual(try await listed("penalty:a-"), ["penalty:a-甲#1"], "a prefix ending inside a name")
        try expectEqual(try await listed("nothing"), [], "no stream with the prefix")
        try expectEqual(try await listed("").count, 9, "the empty prefix lists every record")
        try expectEqual(try await listed("").first, "p%_*[x]#1", "ordered by the stream's bytes")
    }
}

// MARK: - Outbox

private func note(_ text: String, at: Date = t0, kind: KesuKernel.Notification.Kind = .reminder, number: String = "KS-2025-000001") -> KesuKernel.Notification {
    KesuKernel.Notification(kind: kind, caseNumber: number, recipients: ["liaison", "head"], text: text, at: at)
}

extension StoreConformance {
    static func outboxCaseOrder(_ store: any CaseStore) async throws {
        let ids = try await store.enqueueNotifications([
            OutboxEntry(caseID: 5, channel: "hook", notification: note("5-first")),
            OutboxEntry(caseID: 5, channel: "hook", notification: note("5-second")),
            OutboxEntry(caseID: 6, channel: "hook", notification: note("6-first")),
            OutboxEntry(caseID: 5, channel: "file", notification: note("5-file")),
        ])
        var due = try await store.dueOutbox(at: t0, limit: 10)
        try expectEqual(due.map(\.notification.text), ["5-first", "6-first", "5-file"],
                        "a case's second item on a channel waits for its first; other cases and channels do not")
        // The first fails and waits for its retry: the second still waits behind it.
        try await store.markFailed(id: ids[0], error: "503", nextAttemptAt: t0 + hour, giveUp: false)
        due = try await store.dueOutbox(at: t0 + minute, limit: 10)
        try expectEqual(due.map(\.notification.text), ["6-first", "5-file"], "blocked behind a retry that is not due")
        try await store.markDelivered(id: ids[0], at: t0 + hour)
        due = try await store.dueOutbox(at: t0 + hour, limit: 10)
        try expectEqual(due.map(\.notification.text), ["5-second", "6-first", "5-file"], "the first delivered, the second is due")
        // A given-up item no longer holds the case's next ones back (a retry re-sends it; receivers de-duplicate).
        let more = try await store.enqueueNotifications([
            OutboxEntry(caseID: 7, channel: "hook", notification: note("7-first")),
            OutboxEntry(caseID: 7, channel: "hook", notification: note("7-second")),
        ])
        try await store.markFailed(id: more[0], error: "gone", nextAttemptAt: t0 + hour, giveUp: true)
        due = try await store.dueOutbox(at: t0 + hour, limit: 10)
        try expect(due.map(\.notification.text).contains("7-second"), "a failed item does not block the case's next item")
    }

    /// The feed page once it holds `count` events: PostgreSQL shows a commit only when every older transaction of
    /// the server has ended (a test running beside this one may hold one for a moment).
    static func feedPage(_ store: any CaseStore, after: String?, limit: Int, count: Int) async throws -> EventFeedPage {
        let deadline = ContinuousClock.now + .seconds(10)
        while true {
            let page = try await store.eventFeed(after: after, limit: limit)
            if page.events.count >= count || ContinuousClock.now > deadline { return page }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    static func eventFeed(_ store: any CaseStore) async throws {
        let empty = try await store.eventFeed(after: nil, limit: 10)
        try expect(empty.events.isEmpty && empty.cursor == nil, "an empty store has an empty feed and no cursor")
        let a = try await store.create(numberPrefix: "KS", year: 2025) { _, _ in
            NewCase(events: [intake(), event(.routed(unit: "north", reason: "r1"))], summary: summary())
        }
        let b = try await store.create(numberPrefix: "KS", year: 2025) { _, _ in
            NewCase(events: [intake(at: t0 + minute)], summary: summary())
        }
        try await store.append(caseID: a.id, expectedVersion: 2, events: [event(.assigned(person: "p"), at: t0 + hour)],
                               summary: summary(version: 3))
        let order = [(a.id, 1), (a.id, 2), (b.id, 1), (a.id, 3)]
        let all = try await feedPage(store, after: nil, limit: 100, count: 4)
        try expectEqual(all.events.map { "\($0.caseID)#\($0.seq)" }, order.map { "\($0.0)#\($0.1)" }, "events in commit order")
        try expectEqual(all.events.last?.body, .assigned(person: "p"), "events read back whole")
        // Pages of two resume where the last one stopped.
        let first = try await store.eventFeed(after: nil, limit: 2)
        try expectEqual(first.events.count, 2, "a page holds at most limit events")
        let second = try await store.eventFeed(after: first.cursor, limit: 2)
        try expectEqual((first.events + second.events).map { "\($0.caseID)#\($0.seq)" }, order.map { "\($0.0)#\($0.1)" },
                        "the second page goes on where the first stopped")
        let end = try await store.eventFeed(after: second.cursor, limit: 2)
        try expect(end.events.isEmpty && end.cursor == second.cursor, "past the end: nothing, and the same cursor")
        // An event written later comes after the cursor already handed out.
        try await store.append(caseID: b.id, expectedVersion: 1, events: [event(.closed(state: "done"), at: t0 + day)], summary: summary(version: 2))
        let next = try await feedPage(store, after: second.cursor, limit: 10, count: 1)
        try expectEqual(next.events.map { "\($0.caseID)#\($0.seq)" }, ["\(b.id)#2"], "a later commit lands after the cursor")
        for bad in ["x", "-1", "1.2.3", "1.-2"] {
            do {
                _ = try await store.eventFeed(after: bad, limit: 1)
                throw ConformanceFailure("cursor '\(bad)' was taken")
            } catch StoreError.invalidCursor(let c) {
                try expectEqual(c, bad, "the refused cursor is named")
            }
        }
    }

    static func outboxAtomic(_ store: any CaseStore) async throws {
        let created = try await store.create(numberPrefix: "KS", year: 2025) { _, _ in
            NewCase(events: [intake()], summary: summary(),
                    outbox: [OutboxEntry(caseID: 99, channel: "console", notification: note("登记 — \"引号\"\n第二行"))])
        }
        var items = try await store.outbox(status: nil, limit: 10)
        try expectEqual(items.count, 1, "create enqueues its notifications")
        let first = items[0]
        try expectEqual(first.caseID, created.id, "the store sets the case id")
        try expectEqual(first.channel, "console", "channel kept")
        try expectEqual(first.notification, note("登记 — \"引号\"\n第二行"), "notification round-trips exactly")
        try expectEqual(first.status, .pending, "new items are pending")
        try expectEqual(first.attempts, 0, "no attempt yet")
        try expectEqual(first.createdAt, t0, "created at the notification's time")
        try expectEqual(first.nextAttemptAt, t0, "due at once")
        try expect(first.lastError == nil && first.deliveredAt == nil, "no error, not delivered")

        let later = note("提醒", at: t0 + hour)
        let entries = ["console", "webhook"].map { OutboxEntry(channel: $0, notification: later) }
        try await store.append(caseID: created.id, expectedVersion: 1, events: [event(.assigned(person: "p"), at: t0 + hour)],
                               summary: summary(version: 2), outbox: entries)
        items = try await store.outbox(status: nil, limit: 10)
        try expectEqual(items.map(\.channel), ["console", "console", "webhook"], "one item per channel, in order")
        try expect(items.allSatisfy { $0.caseID == created.id }, "append sets the case id")
        try expect(items[1].id > items[0].id && items[2].id > items[1].id, "ids increase")

        // A conflicting append writes neither events nor notifications.
        try await expectThrows(StoreError.conflict(caseID: created.id, expected: 1, actual: 2), "stale append") {
            try await store.append(caseID: created.id, expectedVersion: 1, events: [event(.assigned(person: "q"))],
                                   summary: summary(version: 2), outbox: [OutboxEntry(channel: "console", notification: note("lost"))])
        }
        try expectEqual(try await store.outbox(status: nil, limit: 10).count, 3, "a conflicting append enqueues nothing")
        try expectEqual(try await store.events(caseID: created.id).count, 2, "and writes no event")

        // A failing build enqueues nothing.
        do {
            _ = try await store.create(numberPrefix: "KS", year: 2025) { _, _ in throw ProbeError(tag: "outbox") }
        } catch is ProbeError {}
        try expectEqual(try await store.outbox(status: nil, limit: 10).count, 3, "a failing create enqueues nothing")

        // Records: with their own transaction; a conflict writes neither.
        let report = OutboxEntry(channel: "console", notification: note("报告提醒", number: "report:2025Q1:a:u1"))
        try await store.appendRecords(stream: "report:2025Q1:a:u1", expectedVersion: 0, events: [record("reminded")], outbox: [report])
        try await expectThrows(StoreError.recordConflict(stream: "report:2025Q1:a:u1", expected: 0, actual: 1), "stale records") {
            try await store.appendRecords(stream: "report:2025Q1:a:u1", expectedVersion: 0, events: [record("reminded")], outbox: [report])
        }
        items = try await store.outbox(status: nil, limit: 10)
        try expectEqual(items.count, 4, "records enqueue with them, a conflict enqueues nothing")
        try expectEqual(items.last?.caseID, 0, "not about a case: case id 0")

        // Standalone.
        let ids = try await store.enqueueNotifications([OutboxEntry(channel: "a", notification: note("x")),
                                                        OutboxEntry(caseID: 7, channel: "b", notification: note("y"))])
        try expectEqual(ids.count, 2, "an id per entry")
        items = try await store.outbox(status: nil, limit: 10)
        try expectEqual(items.suffix(2).map(\.id), ids, "ids returned in order")
        try expectEqual(items.suffix(2).map(\.caseID), [0, 7], "standalone entries keep their case id")
        try expectEqual(try await store.outbox(status: nil, limit: 2).map(\.id), items.prefix(2).map(\.id), "limit: oldest first")
    }

    static func outboxDue(_ store: any CaseStore) async throws {
        try await store.enqueueNotifications([
            OutboxEntry(channel: "c", notification: note("late", at: t0 + 2 * hour)),
            OutboxEntry(channel: "c", notification: note("early", at: t0)),
            OutboxEntry(channel: "c", notification: note("same", at: t0)),
            OutboxEntry(channel: "c", notification: note("future", at: t0 + day)),
        ])
        try expectEqual(try await store.dueOutbox(at: t0 - 1, limit: 10), [], "nothing due before")
        try expectEqual(try await store.dueOutbox(at: t0, limit: 10).map(\.notification.text), ["early", "same"], "due at exactly its time")
        try expectEqual(try await store.dueOutbox(at: t0 + 3 * hour, limit: 10).map(\.notification.text), ["early", "same", "late"],
                        "earliest due first, then by id")
        try expectEqual(try await store.dueOutbox(at: t0 + 3 * hour, limit: 1).map(\.notification.text), ["early"], "limit")
        try expectEqual(try await store.dueOutbox(at: t0 + 2 * day, limit: 10).count, 4, "all due")
    }

    static func outboxMarks(_ store: any CaseStore) async throws {
        let ids = try await store.enqueueNotifications(["a", "b", "c"].map { OutboxEntry(channel: $0, notification: note($0)) })
        try await store.markDelivered(id: ids[0], at: t0 + minute)
        try await store.markFailed(id: ids[1], error: "connection refused", nextAttemptAt: t0 + 2 * minute, giveUp: false)
        try await store.markFailed(id: ids[2], error: "HTTP 500", nextAttemptAt: t0 + 2 * minute, giveUp: true)
        let items = try await store.outbox(status: nil, limit: 10)
        try expectEqual(items.map(\.status), [.delivered, .pending, .failed], "statuses")
        try expectEqual(items[0].deliveredAt, t0 + minute, "delivered at")
        try expectEqual(items[0].attempts, 1, "the delivery counts as an attempt")
        try expectEqual(items[1].attempts, 1, "a failure counts an attempt")
        try expectEqual(items[1].lastError, "connection refused", "last error")
        try expectEqual(items[1].nextAttemptAt, t0 + 2 * minute, "next attempt")
        try expectEqual(items[2].lastError, "HTTP 500", "given up, error kept")
        try expectEqual(try await store.dueOutbox(at: t0 + minute, limit: 10), [], "neither delivered nor failed nor backed-off items are due")
        try expectEqual(try await store.dueOutbox(at: t0 + 2 * minute, limit: 10).map(\.id), [ids[1]], "the pending one is due again")
        try expectEqual(try await store.outbox(status: .pending, limit: 10).map(\.id), [ids[1]], "by status: pending")
        try expectEqual(try await store.outbox(status: .failed, limit: 10).map(\.id), [ids[2]], "by status: failed")
        try expectEqual(try await store.outbox(status: .delivered, limit: 10).map(\.id), [ids[0]], "by status: delivered")
        try expectEqual(try await store.outboxCounts(), [.delivered: 1, .pending: 1, .failed: 1], "counts by status")
        // Marks on items no longer pending change nothing.
        try await store.markDelivered(id: ids[2], at: t0 + hour)
        try await store.markFailed(id: ids[0], error: "late", nextAttemptAt: t0 + hour, giveUp: true)
        try await store.markDelivered(id: 9_999, at: t0 + hour)
        try expectEqual(try await store.outbox(status: nil, limit: 10), items, "marks on items not pending are no-ops")
    }

    static func outboxRetry(_ store: any CaseStore) async throws {
        let ids = try await store.enqueueNotifications(["a", "b", "c", "d"].map { OutboxEntry(channel: $0, notification: note($0)) })
        try await store.markFailed(id: ids[0], error: "down", nextAttemptAt: t0 + hour, giveUp: true)
        try await store.markFailed(id: ids[1], error: "down", nextAttemptAt: t0 + hour, giveUp: true)
        try await store.markFailed(id: ids[2], error: "down", nextAttemptAt: t0 + hour, giveUp: false)
        try await store.markDelivered(id: ids[3], at: t0)
        try expectEqual(try await store.retryOutbox(ids: nil, at: t0 + minute), 2, "all failed: two")
        var items = try await store.outbox(status: nil, limit: 10)
        try expectEqual(items.map(\.status), [.pending, .pending, .pending, .delivered], "failed items pending again")
        try expectEqual(items[0].attempts, 0, "fresh attempts")
        try expectEqual(items[0].nextAttemptAt, t0 + minute, "due at the retry")
        try expectEqual(items[0].lastError, "down", "last error kept")
        try expectEqual(items[2].nextAttemptAt, t0 + hour, "a pending item is left alone by 'all failed'")
        try expectEqual(try await store.retryOutbox(ids: [ids[2], ids[3], 9_999], at: t0 + 2 * minute), 1,
                        "by id: pending made due now; delivered and unknown ids untouched")
        items = try await store.outbox(status: nil, limit: 10)
        try expectEqual(items[2].nextAttemptAt, t0 + 2 * minute, "made due now")
        try expectEqual(items[3].status, .delivered, "delivered stays delivered")
        try expectEqual(try await store.dueOutbox(at: t0 + 2 * minute, limit: 10).map(\.id), [ids[0], ids[1], ids[2]], "all three due")
    }
}

extension StoreConformance {
    static func idempotentCreate(_ store: any CaseStore) async throws {
        let first = try await store.create(numberPrefix: "KS", year: 2025, idempotencyKey: "k-1", fingerprint: "f") { _, _ in
            NewCase(events: [intake()], summary: summary())
        }
        try expect(first.created, "the first call creates")
        let again = try await store.create(numberPrefix: "KS", year: 2025, idempotencyKey: "k-1", fingerprint: "f") { _, _ in
            throw ProbeError(tag: "a retry must not build a case")
        }
        try expect(!again.created, "the retry creates nothing")
        try expectEqual(again.summary.id, first.summary.id, "the retry returns the first case")
        try expectEqual(again.summary.number, "KS-2025-000001", "and its number")
        do {
            _ = try await store.create(numberPrefix: "KS", year: 2025, idempotencyKey: "k-1", fingerprint: "other") { _, _ in
                NewCase(events: [intake()], summary: summary())
            }
            throw ConformanceFailure("the same key with another fingerprint must be refused")
        } catch let StoreError.idempotencyMismatch(key, caseID) {
            try expectEqual(key, "k-1", "the key named")
            try expectEqual(caseID, first.summary.id, "the case it made named")
        }
        // A failing build under a new key leaves the key unused.
        do {
            _ = try await store.create(numberPrefix: "KS", year: 2025, idempotencyKey: "k-2", fingerprint: "f") { _, _ in
                throw ProbeError(tag: "refused")
            }
        } catch is ProbeError {}
        let later = try await store.create(numberPrefix: "KS", year: 2025, idempotencyKey: "k-2", fingerprint: "f") { _, _ in
            NewCase(events: [intake()], summary: summary())
        }
        try expect(later.created, "a key whose first build failed is still free")
        try expectEqual(try await store.count(CaseQuery()), 2, "two cases in all")
    }

    static func numbersWithGaps(_ store: any CaseStore) async throws {
        let allowed = CaseNumbering(prefix: "KG", gaps: .allowed)
        let created = try await withThrowingTaskGroup(of: CaseSummary.self) { group in
            for i in 0..<20 {
                group.addTask {
                    i % 2 == 0
                        ? try await store.create(numbering: allowed, year: 2025) { _, _ in NewCase(events: [intake()], summary: summary()) }
                        : try await store.create(numbering: allowed, year: 2025, idempotencyKey: "g-\(i)", fingerprint: "f") { _, _ in
                            NewCase(events: [intake()], summary: summary())
                        }.summary
                }
            }
            return try await group.reduce(into: [CaseSummary]()) { $0.append($1) }
        }
        let numbers = created.map(\.number)
        try expectEqual(Set(numbers).count, 20, "twenty intakes, twenty distinct numbers")
        try expect(numbers.allSatisfy { $0.hasPrefix("KG-2025-") && $0.count == "KG-2025-000001".count },
                   "numbers keep the form <prefix>-<year>-<6 digits>: \(numbers)")
        for c in created {
            try expectEqual(try await store.caseID(number: c.number), c.id, "\(c.number) finds its case")
        }
        let highest = numbers.max()!
        do {
            _ = try await store.create(numbering: allowed, year: 2025) { _, _ in throw ProbeError(tag: "refused") }
        } catch is ProbeError {}
        try expectEqual(try await store.count(CaseQuery()), 20, "a failed intake writes no case")
        let next = try await store.create(numbering: allowed, year: 2025) { _, _ in NewCase(events: [intake()], summary: summary()) }
        try expect(next.number > highest, "the next number (\(next.number)) comes after every earlier one (\(highest)), never one already used")
        // The same counter serves a gapless pack with the prefix: it goes on after the highest taken.
        let gapless = try await store.create(numberPrefix: "KG", year: 2025) { _, _ in NewCase(events: [intake()], summary: summary()) }
        try expect(gapless.number > next.number, "a gapless create after them goes on from the counter: \(gapless.number)")
    }

    static func concurrentWriters(_ store: any CaseStore) async throws {
        // Twenty intakes at once: twenty cases, numbers 1…20 with no gap or repeat.
        let numbers = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<20 {
                group.addTask { try await make(store).number }
            }
            return try await group.reduce(into: [String]()) { $0.append($1) }
        }
        try expectEqual(Set(numbers), Set((1...20).map { String(format: "KS-2025-%06d", $0) }), "distinct numbers, none skipped")
        // Ten writers append to one case at the same version: exactly one wins, the others conflict.
        let target = try await store.caseID(number: "KS-2025-000001")!
        let outcomes = await withTaskGroup(of: Bool.self) { group in
            for i in 0..<10 {
                group.addTask {
                    do {
                        try await store.append(caseID: target, expectedVersion: 1,
                                               events: [event(.assigned(person: "p\(i)"), at: t0 + hour)], summary: summary(version: 2))
                        return true
                    } catch { return false }
                }
            }
            return await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        try expectEqual(outcomes.filter { $0 }.count, 1, "one winner per version")
        try expectEqual(try await store.events(caseID: target).count, 2, "the winner's event and nothing else")
        // Ten retries of one intake at once: one case.
        let ids = try await withThrowingTaskGroup(of: Int64.self) { group in
            for _ in 0..<10 {
                group.addTask {
                    try await store.create(numberPrefix: "KI", year: 2025, idempotencyKey: "same", fingerprint: "f") { _, _ in
                        NewCase(events: [intake()], summary: summary())
                    }.summary.id
                }
            }
            return try await group.reduce(into: Set<Int64>()) { $0.insert($1) }
        }
        try expectEqual(ids.count, 1, "one case for one key")
        try expectEqual(try await store.count(CaseQuery()), 21, "twenty plus the one")
    }
}

extension StoreConformance {
    static func leases(_ store: any CaseStore) async throws {
        let sweep = "sweep"
        try expect(try await store.acquireLease(sweep, holder: "a", until: t0 + minute, now: t0), "a free lease is taken")
        try expect(!(try await store.acquireLease(sweep, holder: "b", until: t0 + 2 * minute, now: t0 + 30)),
                   "another holder is refused while the lease runs")
        try expect(try await store.acquireLease(sweep, holder: "a", until: t0 + 2 * minute, now: t0 + 30), "the holder renews")
        try expect(!(try await store.acquireLease(sweep, holder: "b", until: t0 + 3 * minute, now: t0 + minute + 59)),
                   "the renewal holds until its new end")
        try expect(try await store.acquireLease("outbox", holder: "b", until: t0 + minute, now: t0 + 30),
                   "another name is independent")
        try expect(try await store.acquireLease(sweep, holder: "b", until: t0 + 3 * minute, now: t0 + 2 * minute),
                   "an expired lease (until <= now) is taken by another holder")
        try expect(!(try await store.acquireLease(sweep, holder: "a", until: t0 + 4 * minute, now: t0 + 2 * minute + 1)),
                   "the former holder is refused now")
        try expect(!(try await store.acquireLease("outbox", holder: "a", until: t0 + 2 * minute, now: t0 + 45)),
                   "the other name is still b's")
        // Concurrent takers of a free lease: exactly one wins.
        let winners = try await withThrowingTaskGroup(of: Bool.self) { group in
            for i in 0..<8 {
                group.addTask { try await store.acquireLease("report", holder: "h\(i)", until: t0 + hour, now: t0) }
            }
            return try await group.reduce(into: 0) { $0 += $1 ? 1 : 0 }
        }
        try expectEqual(winners, 1, "one of several concurrent takers holds the lease")
    }
}

/// What `build` was given, carried out of the `@Sendable` closure.
private final class Seen: @unchecked Sendable {
    private let lock = NSLock()
    private var value: (Int64, String) = (0, "")
    func set(_ id: Int64, _ number: String) { lock.lock(); value = (id, number); lock.unlock() }
    func get() -> (Int64, String) { lock.lock(); defer { lock.unlock() }; return value }
}

// MARK: - Calendar duties

extension StoreConformance {
    /// TestPack's calendar, then the same pack with 2026-10-14/15 off as well: a case dispatched Mon 10-12 10:00
    /// answers by Thu 10-15 18:00 on the first and by Mon 10-19 18:00 on the second. The engine does the work;
    /// the store must list the open case, keep the calendar stream and take the event with its summary.
    static func attachments(_ store: any CaseStore) async throws {
        func at(_ s: String) -> Date { TestPack.at(s) }
        let engine = try Engine(pack: TestPack.make(), store: store)
        let fields = ["channel": "phone", "kind": "complaint", "description": "态度差", "category": "service"]
        let a = try await engine.intake(fields: fields, by: "clerk1", at: at("2026-10-12T09:00")).state
        let b = try await engine.intake(fields: fields, by: "clerk1", at: at("2026-10-12T09:05")).state
        // Every byte value, NUL and 0xFF among them, and a CRLF that looks like a form boundary.
        var bytes = Data((0...255).map { UInt8($0) } + [0x00, 0xFF, 0xFF, 0x00])
        bytes.append(Data("\r\n--boundary\r\n".utf8))
        bytes.append(Data((0..<70_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }))
        let hash = SHA256.hex(bytes)
        let name = "来信 2026年10月（扫描件）.pdf"
        let afterA = try await engine.attach(number: a.number, fileName: name, mediaType: "application/pdf", content: bytes,
                                             by: "clerk1", at: at("2026-10-12T10:00"), expectedVersion: a.version)
        try expectEqual(afterA.attachments.map(\.sha256), [hash], "the case lists the attachment")
        try expectEqual(afterA.version, a.version + 1, "one event")
        try await engine.attach(number: b.number, fileName: "copy.pdf", mediaType: "application/pdf", content: bytes, by: "clerk1",
                                at: at("2026-10-12T10:05"))
        try expectEqual(try await store.records(stream: Engine.attachmentStream(hash)).count, 1, "the same content twice is stored once")
        let (meta, back) = try await engine.attachment(number: a.number, sha256: hash)
        try expect(back == bytes, "the content reads back byte for byte (\(back.count) of \(bytes.count) bytes)")
        try expectEqual(meta.fileName, name, "the Chinese file name is kept")
        let (other, _) = try await engine.attachment(number: b.number, sha256: hash)
        try expectEqual(other.fileName, "copy.pdf", "each case keeps its own name for the content")
        let folded = try await engine.find(a.number)
        try expectEqual(folded.attachments, afterA.attachments, "the stored event folds to the same attachment")
        guard case let .attachmentAdded(storedName, type, size, sha)? = try await store.events(caseID: a.id).last?.body else {
            throw ConformanceFailure("the attach is an attachment_added event")
        }
        try expect(storedName == name && type == "application/pdf" && size == bytes.count && sha == hash, "the event holds name, type, size, hash")
    }

    static func calendarReplan(_ store: any CaseStore) async throws {
        func at(_ s: String) -> Date { TestPack.at(s) }
        let before = TestPack.make()
        var after = TestPack.make()
        after.version = "code-after"
        after.calendar.holidays += [14, 15].map { DatedDay(date: LocalDate(year: 2026, month: 10, day: $0), name: "regional", label: "地方节日") }
        struct Shelf: PackResolver {
            let pack: RulePack
            func pack(version: String) async throws -> RulePack? { version == pack.version ? pack : nil }
        }
        let old = try Engine(pack: before, store: store)
        let c = try await old.intake(fields: ["channel": "phone", "kind": "complaint", "description": "态度差", "category": "service"],
                                     by: "clerk1", at: at("2026-10-12T09:00")).state
        _ = try await old.act(c.number, transition: "dispatch", fields: ["category": "service"], by: "chief", at: at("2026-10-12T10:00"))
        let first = try await old.calendarDuties(at: at("2026-10-12T11:00"))
        try expect(first.adopted && first.moved.isEmpty, "the first pass adopts the calendar and moves nothing: \(first)")

        let new = try Engine(pack: after, store: store, resolver: Shelf(pack: before))
        let second = try await new.calendarDuties(at: at("2026-10-13T09:00"))
        try expectEqual(second.moved.map(\.to), [at("2026-10-19T18:00")], "the running answer clock moves to the new due time")
        let events = try await store.events(caseID: c.id)
        guard case let .clockReplanned(_, due, previous, _)? = events.last?.body else {
            throw ConformanceFailure("the move is recorded as a clock_replanned event, got \(events.last?.type ?? "none")")
        }
        try expect(due == at("2026-10-19T18:00") && previous == at("2026-10-15T18:00"), "the event holds the old and the new due time")
        try expectEqual(try await store.summary(caseID: c.id)?.earliestDue, at("2026-10-19T18:00"), "the summary has the new due time")
        let third = try await new.calendarDuties(at: at("2026-10-13T09:05"))
        try expect(!third.adopted && third.moved.isEmpty, "a second pass changes nothing")
        try expectEqual(try await store.records(stream: Engine.calendarStream).map(\.type), ["adopted", "adopted"],
                        "each adoption is one record")
    }
}

extension StoreConformance {
    static func readModel(_ store: any CaseStore) async throws {
        try expect(try await store.reportFactsReady(), "a store created empty has its read model ready")
        let (engine, steps) = try await ReadModelCheck.generate(into: store)
        try expect(steps > 600, "the generated half-year ran (\(steps) steps)")
        let calendar = engine.planner.calendar
        let q4 = try await engine.quarterlyReport(period: try Period.parse("2026Q4", calendar: calendar), source: .readModel)
        try expect(q4.opened > 25 && (q4.figure("redispatched")?.current ?? 0) > 0 && (q4.figure("overdue")?.current ?? 0) > 0
                   && (q4.figure("extensions")?.current ?? 0) > 0 && !q4.typicalCases.isEmpty,
                   "the generated quarter has re-dispatches, overdue runs, extensions and typical cases: \(q4.figures)")
        do { try await ReadModelCheck.compare(engine, label: "written with the events") } catch let m as ReadModelCheck.Mismatch {
            throw ConformanceFailure(m.description)
        }

        // A refused action writes no fact.
        let year = try Period.parse("2026", calendar: calendar)
        let before = try await store.reportFactCounts(kinds: ReportFact.Kind.allCases, from: year.start, to: year.end, by: nil, distinctCases: false)
        let open = try await store.list(CaseQuery(state: "dispatched", limit: 1))
        if let c = open.first {
            _ = try? await engine.act(c.number, transition: "callback", fields: ["satisfaction": "satisfied"], by: "clerk1",
                                      at: TestPack.at("2026-12-30T10:00"))
        }
        let after = try await store.reportFactCounts(kinds: ReportFact.Kind.allCases, from: year.start, to: year.end, by: nil, distinctCases: false)
        try expectEqual(after, before, "a refused transition leaves the read model as it was")

        // Forget every case's facts, then build them again from the histories.
        var through: [Int64: Int] = [:]
        for c in try await store.list(CaseQuery(limit: 10_000)) { through[c.id] = c.version }
        try await store.replaceReportFacts(through: through, with: [])
        let emptied = try await store.reportFactCounts(kinds: ReportFact.Kind.allCases, from: year.start, to: year.end, by: nil, distinctCases: false)
        try expect(emptied.isEmpty, "replacing every case's facts with none leaves none: \(emptied)")
        let built = try await engine.buildReportFacts(batch: 17)
        try expectEqual(built, through.count, "the rebuild read every case")
        let rebuilt = try await store.reportFactCounts(kinds: ReportFact.Kind.allCases, from: year.start, to: year.end, by: nil, distinctCases: false)
        try expectEqual(rebuilt, before, "the rebuilt read model counts what the one written with the events did")
        do { try await ReadModelCheck.compare(engine, label: "rebuilt from the histories") } catch let m as ReadModelCheck.Mismatch {
            throw ConformanceFailure(m.description)
        }
        try expect(try await store.reportFactsReady(), "the rebuild marks the read model ready")
    }
}

extension StoreConformance {
    static func openCaseCounts(_ store: any CaseStore) async throws {
        let now = t0 + 2 * day, tonight = t0 + 2 * day + 10 * hour
        let made = [
            summary(state: "dispatched", unit: "north", due: now - hour),             // overdue
            summary(state: "dispatched", unit: "north", due: now + hour),             // due tonight
            summary(state: "dispatched", unit: "north", due: now + 3 * day),
            summary(state: "answered", unit: "north"),                                 // no running clock
            summary(state: "dispatched", unit: "south", due: now - day),
            summary(state: "registered"),                                              // no unit yet
            summary(state: "closed", unit: "north", closed: now - day, due: now - 2 * day),  // closed: not counted
        ]
        for s in made { try await make(store, s) }
        let counts = try await store.openCaseCounts(overdueAt: now, dueBefore: tonight)
        try expectEqual(counts, [
            OpenCaseCount(unit: nil, state: "registered", open: 1, overdue: 0, dueBefore: 0),
            OpenCaseCount(unit: "north", state: "answered", open: 1, overdue: 0, dueBefore: 0),
            OpenCaseCount(unit: "north", state: "dispatched", open: 3, overdue: 1, dueBefore: 2),
            OpenCaseCount(unit: "south", state: "dispatched", open: 1, overdue: 1, dueBefore: 1),
        ], "open cases by unit and state; closed ones left out; a case due before `dueBefore` counts whether or not it is overdue")
        try expectEqual(counts, OpenCaseCount.tally(try await store.list(CaseQuery(limit: 100)), overdueAt: now, dueBefore: tonight),
                        "the store's counts are the tally of its summaries")
        for c in counts where c.unit != nil {
            try expectEqual(try await store.count(CaseQuery(state: c.state, unit: c.unit, openOnly: true)), c.open, "the same as count()")
            try expectEqual(try await store.count(CaseQuery(state: c.state, unit: c.unit, overdueAt: now, openOnly: true)), c.overdue,
                            "overdue as count(overdueAt:) says")
        }
    }
}
