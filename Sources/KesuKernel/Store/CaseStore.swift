import Foundation

/// What listings and the sweep read without folding events: a projection of `CaseState`,
/// written by the store in the same transaction as the events it summarises.
public struct CaseSummary: Sendable, Codable, Equatable {
    public var id: Int64
    public var number: String
    public var state: String
    public var handlingUnit: String?
    public var kind: String?
    public var category: String?
    public var level: String?
    public var channel: String?
    /// Searchable text: subject and description.
    public var text: String
    public var openedAt: Date
    public var updatedAt: Date
    public var closedAt: Date?
    /// Earliest due time of a running clock; past it the case is overdue.
    public var earliestDue: Date?
    /// When the sweep next has something to do for this case (a ladder step or a due time).
    public var nextWakeup: Date?
    public var version: Int
    public var packVersion: String
    /// The person the case is assigned to now.
    public var assignee: String?
    /// The complainant's phone as its store's `LookupKey.phoneDigest` gives it, for search by phone
    /// and the repeat-caller hint: the stores index this keyed hash, never the phone.
    public var phoneDigest: String?

    public init(
        id: Int64, number: String, state: String, handlingUnit: String? = nil, kind: String? = nil,
        category: String? = nil, level: String? = nil, channel: String? = nil, text: String = "",
        openedAt: Date, updatedAt: Date, closedAt: Date? = nil, earliestDue: Date? = nil,
        nextWakeup: Date? = nil, version: Int, packVersion: String, assignee: String? = nil, phoneDigest: String? = nil
    ) {
        self.id = id; self.number = number; self.state = state; self.handlingUnit = handlingUnit
        self.kind = kind; self.category = category; self.level = level; self.channel = channel
        self.text = text; self.openedAt = openedAt; self.updatedAt = updatedAt; self.closedAt = closedAt
        self.earliestDue = earliestDue; self.nextWakeup = nextWakeup; self.version = version
        self.packVersion = packVersion; self.assignee = assignee; self.phoneDigest = phoneDigest
    }
}

/// Open cases of one handling unit in one state, counted for a dashboard: how many, how many are
/// overdue (a running clock due before `overdueAt`), and how many are due before `dueBefore`.
public struct OpenCaseCount: Sendable, Hashable, Codable {
    public var unit: String?
    public var state: String
    public var open: Int
    public var overdue: Int
    public var dueBefore: Int
    public init(unit: String?, state: String, open: Int, overdue: Int, dueBefore: Int) {
        self.unit = unit; self.state = state; self.open = open; self.overdue = overdue; self.dueBefore = dueBefore
    }
}

extension OpenCaseCount {
    /// The counts of `summaries` as every store must give them (the memory store's answer).
    public static func tally(_ summaries: some Sequence<CaseSummary>, overdueAt: Date, dueBefore: Date) -> [OpenCaseCount] {
        var counts: [String: OpenCaseCount] = [:]
        for s in summaries where s.closedAt == nil {
            let key = (s.handlingUnit ?? "") + "\u{1F}" + s.state + (s.handlingUnit == nil ? "\u{1F}" : "")
            var c = counts[key] ?? OpenCaseCount(unit: s.handlingUnit, state: s.state, open: 0, overdue: 0, dueBefore: 0)
            c.open += 1
            if let due = s.earliestDue {
                if due < overdueAt { c.overdue += 1 }
                if due < dueBefore { c.dueBefore += 1 }
            }
            counts[key] = c
        }
        return counts.values.sorted { a, b in
            if a.unit != b.unit { return (a.unit ?? "") < (b.unit ?? "") || (a.unit == nil && b.unit != nil) }
            return a.state < b.state
        }
    }
}

/// The order of a listing.
public enum CaseOrder: String, Sendable, Equatable, CaseIterable {
    /// Latest opened first (then higher id first): a clerk's first page holds the newest cases.
    case newest
    /// Earliest due first, cases without a running clock last (then earlier opened, then lower
    /// id first): a work queue, most urgent on top.
    case dueFirst
    /// Earliest opened first (then lower id first): registers and exports, read in pages with
    /// `CaseQuery.after`.
    case oldest
}

/// A case's place in the `oldest` order, where the next page of a long read starts.
public struct CasePosition: Sendable, Hashable {
    public var openedAt: Date
    public var id: Int64
    public init(openedAt: Date, id: Int64) { self.openedAt = openedAt; self.id = id }
    public init(_ s: CaseSummary) { self.init(openedAt: s.openedAt, id: s.id) }
}

/// Which cases a listing or a count takes; every filter given must hold (AND). The defaults take
/// every case, newest first.
public struct CaseQuery: Sendable, Equatable {
    public var state: String?
    /// Any of these states (nil: no filter; empty: no case). Combined with `state` by AND.
    public var states: [String]?
    public var unit: String?
    public var category: String?
    /// The case's current assignee.
    public var assignee: String?
    /// The complainant's phone as the user typed it (`+86 138-1234-5678`); the stores compare
    /// `phoneDigest(with:)`, the keyed hash of its normalised digits, with the case's (exact match).
    public var phone: String?
    /// Only cases with a running clock due before this instant.
    public var overdueAt: Date?
    public var openOnly: Bool
    /// Opened at or after / before.
    public var openedFrom: Date?
    public var openedBefore: Date?
    /// Substring of the subject or description.
    public var text: String?
    /// Only cases after this one in the `oldest` order: opened later, or at the same instant with a
    /// higher id. A long read (a year's register) pages with it at the cost of one index seek per
    /// page, where an offset would walk every row before the page.
    public var after: CasePosition?
    public var order: CaseOrder
    public var limit: Int
    public var offset: Int

    public init(
        state: String? = nil, states: [String]? = nil, unit: String? = nil, category: String? = nil,
        assignee: String? = nil, phone: String? = nil, overdueAt: Date? = nil, openOnly: Bool = false,
        openedFrom: Date? = nil, openedBefore: Date? = nil, text: String? = nil, after: CasePosition? = nil,
        order: CaseOrder = .newest, limit: Int = 100, offset: Int = 0
    ) {
        self.state = state; self.unit = unit; self.overdueAt = overdueAt; self.openOnly = openOnly
        self.openedFrom = openedFrom; self.openedBefore = openedBefore; self.text = text
        self.limit = limit; self.offset = offset
        self.states = states; self.category = category; self.assignee = assignee; self.phone = phone
        self.order = order; self.after = after
    }

    /// What the stores compare with `CaseSummary.phoneDigest`: nil (no filter) when `phone` is nil
    /// or blank; the digest of its normalised digits otherwise; "" (no case: a stored digest is
    /// never empty) when `phone` holds no digit at all.
    public func phoneDigest(with key: LookupKey) -> String? {
        guard let phone, !phone.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { return nil }
        return key.phoneDigest(phone) ?? ""
    }
}

/// How a pack numbers its cases: `<prefix>-<year>-<seq, 6 digits>`, the sequence counting per
/// prefix and year.
public struct CaseNumbering: Sendable, Hashable {
    /// Whether a number may go unused.
    public enum Gaps: String, Sendable, Hashable, CaseIterable {
        /// Every number is used, in the order the cases committed: a create that fails gives its
        /// number back. A store with several writers (PostgreSQL) lets one intake take a number at a
        /// time, until it commits.
        case gapless
        /// Numbers are taken apart from the case's transaction, so intakes on several writers do not
        /// wait for each other's commits; a create that fails, or a repeated idempotency key, leaves
        /// its number unused, and a later number may commit first.
        case allowed
    }
    public var prefix: String
    public var gaps: Gaps
    public init(prefix: String, gaps: Gaps = .gapless) { self.prefix = prefix; self.gaps = gaps }

    public func number(year: Int, seq: Int64) -> String { String(format: "%@-%04d-%06lld", prefix, year, seq) }
}

/// A new case as the engine builds it once the store has given it an id and a number.
public struct NewCase: Sendable {
    public var events: [Event]
    public var summary: CaseSummary
    /// Notifications to enqueue with the case (their `caseID` is set to the new case's).
    public var outbox: [OutboxEntry]
    /// The report facts the events cause (`ReportFact.derive`), written with them.
    public var facts: [ReportFact]
    public init(events: [Event], summary: CaseSummary, outbox: [OutboxEntry] = [], facts: [ReportFact] = []) {
        self.events = events; self.summary = summary; self.outbox = outbox; self.facts = facts
    }
}

public enum StoreError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Someone else changed the case since it was read: read it again and retry.
    case conflict(caseID: Int64, expected: Int, actual: Int)
    case caseNotFound(Int64)
    /// Someone else appended to the record stream since it was read: read it again and retry.
    case recordConflict(stream: String, expected: Int, actual: Int)
    /// An idempotency key used again for a different request.
    case idempotencyMismatch(key: String, caseID: Int64)
    /// The store could not do what was asked; `operation` says what, `detail` why.
    case failure(operation: String, detail: String)
    /// A feed cursor this store did not hand out (another store's, or mangled).
    case invalidCursor(String)

    public var description: String {
        switch self {
        case let .conflict(id, expected, actual):
            "case \(id) changed meanwhile (based on version \(expected), now \(actual)); read it again and retry"
        case let .caseNotFound(id): "no case with id \(id)"
        case let .recordConflict(stream, expected, actual):
            "record stream '\(stream)' changed meanwhile (based on \(expected) record(s), now \(actual)); read it again and retry"
        case let .idempotencyMismatch(key, caseID):
            "idempotency key '\(key)' was used for another request (case \(caseID)); use a new key for a new complaint"
        case let .failure(op, detail): "\(op) failed: \(detail)"
        case let .invalidCursor(c):
            "'\(c)' is not a cursor this store handed out; give the `cursor` of the last page read, or leave `after` out to start at the beginning"
        }
    }
}

/// Where cases and their events live. Every write is one transaction: a case and its events,
/// or a batch of events and the new summary, or nothing at all.
public protocol CaseStore: Sendable {
    /// The key this store's phone index is made with; the engine digests each case's phone with it.
    var lookupKey: LookupKey { get }

    /// Allocates the next id and the number `<prefix>-<year>-<seq, 6 digits>` (the sequence
    /// counts per prefix and year), asks `build` for the events and summary, and writes them.
    /// `numbering.gaps` says whether a number may go unused (see `CaseNumbering`).
    func create(
        numbering: CaseNumbering, year: Int,
        build: @Sendable (_ id: Int64, _ number: String) throws -> NewCase
    ) async throws -> CaseSummary

    /// `create` made safe to retry: the first call with `key` creates the case and remembers the
    /// key with `fingerprint` (what was asked); a later call with the same key creates nothing and
    /// returns that case (`created` false), or throws `StoreError.idempotencyMismatch` when its
    /// fingerprint differs. Atomic: concurrent calls with one key make exactly one case.
    func create(
        numbering: CaseNumbering, year: Int, idempotencyKey key: String, fingerprint: String,
        build: @Sendable (_ id: Int64, _ number: String) throws -> NewCase
    ) async throws -> (summary: CaseSummary, created: Bool)

    /// Appends events numbered `expectedVersion + 1 …`, replaces the summary, enqueues `outbox`
    /// (each entry's `caseID` set to `caseID`) and writes the report facts the events cause, all
    /// in one transaction; or throws `StoreError.conflict` and writes nothing when the case is no
    /// longer at `expectedVersion`.
    func append(caseID: Int64, expectedVersion: Int, events: [Event], summary: CaseSummary, outbox: [OutboxEntry],
                facts: [ReportFact]) async throws

    func events(caseID: Int64) async throws -> [Event]
    /// The events of several cases in one read, in case and sequence order (reports fold many
    /// histories; one read per case would cost a round trip each).
    func events(caseIDs: [Int64]) async throws -> [Event]
    /// The events of these types of several cases in one read, in case and sequence order: what a
    /// replay's screen needs (the commands: intakes, transitions, extensions) without the rest.
    func events(caseIDs: [Int64], types: Set<String>) async throws -> [Event]
    func summary(caseID: Int64) async throws -> CaseSummary?
    /// The numbers of these cases, by id (unknown ids are left out): one read for a report's line items.
    func numbers(caseIDs: [Int64]) async throws -> [Int64: String]
    func caseID(number: String) async throws -> Int64?
    func list(_ query: CaseQuery) async throws -> [CaseSummary]
    func count(_ query: CaseQuery) async throws -> Int
    /// The open cases by handling unit and state in one read (a dashboard's counts): overdue at
    /// `overdueAt`, due before `dueBefore` (overdue ones included). Ordered by unit (none first), then state.
    func openCaseCounts(overdueAt: Date, dueBefore: Date) async throws -> [OpenCaseCount]
    /// Ids of open cases whose next wake-up is at or before `now`, earliest first.
    func dueForSweep(at now: Date, limit: Int) async throws -> [Int64]
    /// Events of these types whose `occurredAt` lies in `[from, to)`, in case and sequence order.
    func events(types: Set<String>, occurredFrom from: Date, to: Date) async throws -> [Event]
    /// The cases with an event of these types whose `occurredAt` lies in `[from, to)`, ascending.
    func caseIDs(eventTypes types: Set<String>, occurredFrom from: Date, to: Date) async throws -> [Int64]
    /// Pack versions seen in the events, with the first and last time each was used and the
    /// cases that run under each.
    func packVersions() async throws -> [PackVersionUse]

    /// Keeps a pack version's sources. Saving a version the store already holds changes nothing
    /// (the first save wins: a version is a content hash, so the sources are the same).
    func savePack(_ snapshot: PackSnapshot, at: Date) async throws
    /// The sources of a pack version, if the store holds them.
    func pack(version: String) async throws -> PackSnapshot?

    /// Appends records numbered `expectedVersion + 1 …` to `stream` (their `stream` and `seq` are
    /// set by the store), or throws `StoreError.recordConflict` and writes nothing when the stream
    /// no longer holds exactly `expectedVersion` records. A new stream is at version 0.
    /// `outbox` is enqueued in the same transaction (entries keep their own `caseID`, usually 0).
    func appendRecords(stream: String, expectedVersion: Int, events: [RecordEvent], outbox: [OutboxEntry]) async throws
    /// A stream's records in order; empty for a stream never written.
    /// Appends `events` at the end of `stream`, whatever its version: for logs written without being
    /// read first (who was shown what), so concurrent writers of one stream never conflict.
    func appendRecordsAtEnd(stream: String, events: [RecordEvent]) async throws

    func records(stream: String) async throws -> [RecordEvent]
    /// How many records a stream holds (its version; 0 for a stream never written), without
    /// reading them: lets a reader keep a fold of the stream and know when it is stale.
    func recordsVersion(stream: String) async throws -> Int
    /// A stream's last record (its `seq` is the stream's version); nil for a stream never written.
    /// Readers of the latest state (a console session) read one row however long the stream grows.
    func lastRecord(stream: String) async throws -> RecordEvent?
    /// The records of every stream whose name starts with `streamPrefix` (plain text, no
    /// wildcards), ordered by stream name (byte order of its UTF-8) and then by seq.
    func records(streamPrefix: String) async throws -> [RecordEvent]

    // MARK: Notification outbox

    /// Enqueues notifications on their own (one transaction); returns the new items' ids in order.
    /// Each item is pending and due at once: `createdAt == nextAttemptAt == notification.at`.
    @discardableResult
    func enqueueNotifications(_ entries: [OutboxEntry]) async throws -> [Int64]
    /// Pending items with `nextAttemptAt <= now`, earliest due first (then by id).
    func dueOutbox(at now: Date, limit: Int) async throws -> [OutboxItem]
    /// A pending item was delivered; a no-op for an item not pending (or not there).
    func markDelivered(id: Int64, at: Date) async throws
    /// A pending item's attempt failed: attempts + 1, `lastError = error`, due again at
    /// `nextAttemptAt`; with `giveUp` its status becomes failed. A no-op for an item not pending.
    func markFailed(id: Int64, error: String, nextAttemptAt: Date, giveUp: Bool) async throws
    /// Items with this status (nil: all), oldest first (by id).
    func outbox(status: OutboxItem.Status?, limit: Int) async throws -> [OutboxItem]
    /// Makes the given items (nil: every failed item) pending, due at `at`, with attempts back to 0
    /// (`lastError` is kept). Delivered items are left alone. Returns how many changed.
    @discardableResult
    func retryOutbox(ids: [Int64]?, at: Date) async throws -> Int
    /// How many items have each status (statuses with none are left out): the backlog, counted
    /// by the store rather than read item by item.
    func outboxCounts() async throws -> [OutboxItem.Status: Int]

    // MARK: Event feed

    /// Events in the order the feed gives them (`GET /v1/events`): those after `cursor` (nil: from the first),
    /// at most `limit`. The order is the order of commits, and stable: the same cursor gives the same events on
    /// every instance and after restarts, and an event committed later never lands before a cursor already
    /// handed out. Within a case, events come in sequence order. Throws `StoreError.invalidCursor` for a cursor
    /// this store did not hand out.
    func eventFeed(after cursor: String?, limit: Int) async throws -> EventFeedPage

    // MARK: Report facts (the read model)

    /// Whether every event's report facts are in the store. A store created empty is ready; one
    /// upgraded with events already in it is not until `Engine.buildReportFacts` has run, and
    /// reports fold histories meanwhile.
    func reportFactsReady() async throws -> Bool
    func markReportFactsReady() async throws
    /// For each case in `through`, replaces the facts of its events `1...through[case]` with those
    /// of `facts`, all in one transaction (facts of later events stay): building the read model
    /// again is safe while cases change.
    func replaceReportFacts(through: [Int64: Int], with facts: [ReportFact]) async throws
    /// Facts of `kinds` that occurred in `[from, to)`, grouped by kind and by the unit or person
    /// (`by`; facts without one in a group of their own, subject nil; nil: one total per kind),
    /// counting rows (weights) or, with `distinctCases`, cases. Ordered by kind, then subject (nil first).
    func reportFactCounts(kinds: [ReportFact.Kind], from: Date, to: Date, by: ScoreSubject.Kind?,
                          distinctCases: Bool) async throws -> [ReportFactCount]
    /// Cases opened in `[openedFrom, openedBefore)` by their breakdown fields as they stood just
    /// before `asOf` (groups that sum to 0 left out).
    func caseDimensionCounts(openedFrom: Date, openedBefore: Date, asOf: Date) async throws -> [CaseDimensionCount]
    /// Per case opened in `[openedFrom, openedBefore)`, its facts of `kinds` that occurred before
    /// `occurredBefore`, counted by kind and value; cases with none are left out.
    func caseFactCounts(kinds: [ReportFact.Kind], openedFrom: Date, openedBefore: Date,
                        occurredBefore: Date) async throws -> [CaseFactCount]
    /// The deductions that occurred in `[from, to)` with a subject of this kind, in no particular order
    /// (a score report orders its line items itself).
    func deductionFacts(from: Date, to: Date, by: ScoreSubject.Kind) async throws -> [ReportFact]

    // MARK: Leases

    /// Takes or renews the lease `name` for `holder` until `until`, when it is free: never taken,
    /// expired at `now`, or already `holder`'s. True when `holder` holds it afterwards. Servers
    /// sharing one store take the `sweep` lease each tick, so periodic work runs once across them.
    func acquireLease(_ name: String, holder: String, until: Date, now: Date) async throws -> Bool
}

extension CaseStore {
    /// `create` with gapless numbers.
    public func create(
        numberPrefix: String, year: Int,
        build: @Sendable (_ id: Int64, _ number: String) throws -> NewCase
    ) async throws -> CaseSummary {
        try await create(numbering: CaseNumbering(prefix: numberPrefix), year: year, build: build)
    }

    /// `create` with an idempotency key and gapless numbers.
    public func create(
        numberPrefix: String, year: Int, idempotencyKey key: String, fingerprint: String,
        build: @Sendable (_ id: Int64, _ number: String) throws -> NewCase
    ) async throws -> (summary: CaseSummary, created: Bool) {
        try await create(numbering: CaseNumbering(prefix: numberPrefix), year: year, idempotencyKey: key,
                         fingerprint: fingerprint, build: build)
    }

    /// Reads every event and keeps those of the types asked for; the stores filter in their query instead.
    public func events(caseIDs: [Int64], types: Set<String>) async throws -> [Event] {
        guard !types.isEmpty else { return [] }
        return try await events(caseIDs: caseIDs).filter { types.contains($0.type) }
    }

    /// Appends without notifications or report facts.
    public func append(caseID: Int64, expectedVersion: Int, events: [Event], summary: CaseSummary) async throws {
        try await append(caseID: caseID, expectedVersion: expectedVersion, events: events, summary: summary, outbox: [], facts: [])
    }

    /// Appends without report facts.
    public func append(caseID: Int64, expectedVersion: Int, events: [Event], summary: CaseSummary, outbox: [OutboxEntry]) async throws {
        try await append(caseID: caseID, expectedVersion: expectedVersion, events: events, summary: summary, outbox: outbox, facts: [])
    }

    /// Appends records without notifications.
    /// Reads the whole stream; stores answer from an index instead.
    public func lastRecord(stream: String) async throws -> RecordEvent? { try await records(stream: stream).last }

    /// Reads the version and appends, again after a conflict; the stores append under their own lock instead.
    public func appendRecordsAtEnd(stream: String, events: [RecordEvent]) async throws {
        for attempt in 0..<50 {
            let version = try await recordsVersion(stream: stream)
            do {
                return try await appendRecords(stream: stream, expectedVersion: version, events: events, outbox: [])
            } catch StoreError.recordConflict {
                try await Task.sleep(for: .milliseconds(Int.random(in: 1...(1 << min(attempt, 6)))))
            }
        }
        throw StoreError.failure(operation: "append \(events.count) record(s) to stream \(stream)", detail: "other writers kept appending first")
    }

    public func appendRecords(stream: String, expectedVersion: Int, events: [RecordEvent]) async throws {
        try await appendRecords(stream: stream, expectedVersion: expectedVersion, events: events, outbox: [])
    }
}

/// One page of the event feed.
public struct EventFeedPage: Sendable, Equatable {
    public var events: [Event]
    /// Where the next page starts: the position after the last event returned, or the cursor asked with when
    /// there was nothing new (nil only when the feed is empty and no cursor was given).
    public var cursor: String?
    public init(events: [Event], cursor: String?) { self.events = events; self.cursor = cursor }
}

public struct PackVersionUse: Sendable, Codable, Equatable {
    public var version: String
    public var firstUsed: Date
    public var lastUsed: Date
    public var events: Int
    /// Cases that run under this version now (pinned to it), and how many of them are open.
    public var cases: Int
    public var openCases: Int
    public init(version: String, firstUsed: Date, lastUsed: Date, events: Int, cases: Int = 0, openCases: Int = 0) {
        self.version = version; self.firstUsed = firstUsed; self.lastUsed = lastUsed; self.events = events
        self.cases = cases; self.openCases = openCases
    }
}

extension Event {
    /// When the fact happened, which can precede the time it was recorded (a violation the
    /// sweep noticed after its due time). Periods are decided by this.
    public var occurredAt: Date {
        switch body {
        case let .violation(_, _, _, _, occurredAt), let .deduction(_, _, _, occurredAt): occurredAt
        default: at
        }
    }
}
