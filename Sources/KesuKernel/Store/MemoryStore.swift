import Foundation

/// The deterministic in-memory store: for tests and for trying a pack without a database.
/// Same contract as every other store (see the store conformance kit).
public actor MemoryStore: CaseStore {
    private var cases: [Int64: CaseSummary] = [:]
    private var history: [Int64: [Event]] = [:]
    private var numbers: [String: Int64] = [:]
    private var counters: [String: Int] = [:]
    private var nextID: Int64 = 1
    private var idempotency: [String: (Int64, String)] = [:]
    private var packs: [String: PackSnapshot] = [:]
    private var streams: [String: [RecordEvent]] = [:]
    private var outboxItems: [OutboxItem] = []
    private var nextOutboxID: Int64 = 1
    private var leases: [String: (holder: String, until: Date)] = [:]
    /// Every event's (case, seq) in commit order: the feed.
    private var feed: [(caseID: Int64, seq: Int)] = []
    private var facts: [ReportFact] = []
    private var factsReady = true

    public let lookupKey: LookupKey

    /// A random lookup key unless one is given: nothing outlives the store to be found again.
    public init(lookupKey: LookupKey = .random()) { self.lookupKey = lookupKey }

    public func create(
        numbering: CaseNumbering, year: Int,
        build: @Sendable (_ id: Int64, _ number: String) throws -> NewCase
    ) async throws -> CaseSummary {
        // One writer: numbers never go unused, whatever `numbering.gaps` allows.
        let key = "\(numbering.prefix)-\(year)"
        let seq = (counters[key] ?? 0) + 1
        let id = nextID
        let number = numbering.number(year: year, seq: Int64(seq))
        let new = try build(id, number)   // throws before anything changes
        var events = new.events
        for i in events.indices { events[i].caseID = id; events[i].seq = i + 1 }
        counters[key] = seq
        nextID += 1
        var summary = new.summary
        summary.id = id
        summary.number = number
        summary.version = events.count
        cases[id] = summary
        history[id] = events
        feed += events.map { (id, $0.seq) }
        numbers[number] = id
        enqueue(new.outbox, caseID: id)
        facts += new.facts.map { var f = $0; f.caseID = id; return f }
        return summary
    }

    public func create(
        numbering: CaseNumbering, year: Int, idempotencyKey key: String, fingerprint: String,
        build: @Sendable (_ id: Int64, _ number: String) throws -> NewCase
    ) async throws -> (summary: CaseSummary, created: Bool) {
        if let (id, print) = idempotency[key] {
            guard print == fingerprint else { throw StoreError.idempotencyMismatch(key: key, caseID: id) }
            return (cases[id]!, false)
        }
        let summary = try await create(numbering: numbering, year: year, build: build)
        idempotency[key] = (summary.id, fingerprint)
        return (summary, true)
    }

    public func append(caseID: Int64, expectedVersion: Int, events: [Event], summary: CaseSummary, outbox: [OutboxEntry],
                       facts: [ReportFact]) async throws {
        guard let current = history[caseID] else { throw StoreError.caseNotFound(caseID) }
        guard current.count == expectedVersion else {
            throw StoreError.conflict(caseID: caseID, expected: expectedVersion, actual: current.count)
        }
        var numbered = events
        for i in numbered.indices { numbered[i].caseID = caseID; numbered[i].seq = expectedVersion + i + 1 }
        history[caseID] = current + numbered
        feed += numbered.map { (caseID, $0.seq) }
        var s = summary
        s.id = caseID
        s.number = cases[caseID]?.number ?? summary.number
        s.version = expectedVersion + events.count
        cases[caseID] = s
        enqueue(outbox, caseID: caseID)
        self.facts += facts.map { var f = $0; f.caseID = caseID; return f }
    }

    public func openCaseCounts(overdueAt: Date, dueBefore: Date) async throws -> [OpenCaseCount] {
        OpenCaseCount.tally(cases.values, overdueAt: overdueAt, dueBefore: dueBefore)
    }

    // MARK: Report facts

    public func reportFactsReady() async throws -> Bool { factsReady }
    public func markReportFactsReady() async throws { factsReady = true }

    public func replaceReportFacts(through: [Int64: Int], with new: [ReportFact]) async throws {
        facts.removeAll { f in through[f.caseID].map { f.seq <= $0 } ?? false }
        facts += new
    }

    public func reportFactCounts(kinds: [ReportFact.Kind], from: Date, to: Date, by: ScoreSubject.Kind?,
                                 distinctCases: Bool) async throws -> [ReportFactCount] {
        ReportFactQuestions.counts(facts, kinds: kinds, from: from, to: to, by: by, distinctCases: distinctCases)
    }

    public func caseDimensionCounts(openedFrom: Date, openedBefore: Date, asOf: Date) async throws -> [CaseDimensionCount] {
        ReportFactQuestions.dimensions(facts, openedFrom: openedFrom, openedBefore: openedBefore, asOf: asOf)
    }

    public func caseFactCounts(kinds: [ReportFact.Kind], openedFrom: Date, openedBefore: Date,
                               occurredBefore: Date) async throws -> [CaseFactCount] {
        ReportFactQuestions.caseCounts(facts, kinds: kinds, openedFrom: openedFrom, openedBefore: openedBefore, occurredBefore: occurredBefore)
    }

    public func deductionFacts(from: Date, to: Date, by: ScoreSubject.Kind) async throws -> [ReportFact] {
        ReportFactQuestions.deductions(facts, from: from, to: to, by: by)
    }

    public func events(caseID: Int64) async throws -> [Event] { history[caseID] ?? [] }
    public func events(caseIDs: [Int64]) async throws -> [Event] { Set(caseIDs).sorted().flatMap { history[$0] ?? [] } }
    public func events(caseIDs: [Int64], types: Set<String>) async throws -> [Event] {
        Set(caseIDs).sorted().flatMap { (history[$0] ?? []).filter { types.contains($0.type) } }
    }
    public func summary(caseID: Int64) async throws -> CaseSummary? { cases[caseID] }
    public func numbers(caseIDs: [Int64]) async throws -> [Int64: String] {
        var out: [Int64: String] = [:]
        for id in caseIDs { if let c = cases[id] { out[id] = c.number } }
        return out
    }
    public func caseID(number: String) async throws -> Int64? { numbers[number] }

    public func list(_ query: CaseQuery) async throws -> [CaseSummary] {
        let all = cases.values.filter { query.matches($0, lookupKey: lookupKey) }.sorted(by: query.order.precedes)
        return Array(all.dropFirst(query.offset).prefix(query.limit))
    }

    public func count(_ query: CaseQuery) async throws -> Int {
        cases.values.filter { query.matches($0, lookupKey: lookupKey) }.count
    }

    public func dueForSweep(at now: Date, limit: Int) async throws -> [Int64] {
        cases.values
            .filter { $0.closedAt == nil && ($0.nextWakeup.map { $0 <= now } ?? false) }
            .sorted { ($0.nextWakeup!, $0.id) < ($1.nextWakeup!, $1.id) }
            .prefix(limit).map(\.id)
    }

    public func events(types: Set<String>, occurredFrom from: Date, to: Date) async throws -> [Event] {
        history.keys.sorted().flatMap { id in
            history[id]!.filter { types.contains($0.type) && $0.occurredAt >= from && $0.occurredAt < to }
        }
    }

    public func caseIDs(eventTypes types: Set<String>, occurredFrom from: Date, to: Date) async throws -> [Int64] {
        history.keys.sorted().filter { id in
            history[id]!.contains { types.contains($0.type) && $0.occurredAt >= from && $0.occurredAt < to }
        }
    }

    public func packVersions() async throws -> [PackVersionUse] {
        var uses: [String: PackVersionUse] = [:]
        for e in history.values.joined() {
            if var u = uses[e.packVersion] {
                u.firstUsed = min(u.firstUsed, e.at); u.lastUsed = max(u.lastUsed, e.at); u.events += 1
                uses[e.packVersion] = u
            } else {
                uses[e.packVersion] = PackVersionUse(version: e.packVersion, firstUsed: e.at, lastUsed: e.at, events: 1)
            }
        }
        for c in cases.values {
            uses[c.packVersion]?.cases += 1
            if c.closedAt == nil { uses[c.packVersion]?.openCases += 1 }
        }
        return uses.values.sorted { ($0.firstUsed, $0.version) < ($1.firstUsed, $1.version) }
    }

    public func savePack(_ snapshot: PackSnapshot, at: Date) async throws {
        if packs[snapshot.version] == nil { packs[snapshot.version] = snapshot }
    }

    public func pack(version: String) async throws -> PackSnapshot? { packs[version] }

    public func appendRecords(stream: String, expectedVersion: Int, events: [RecordEvent], outbox: [OutboxEntry]) async throws {
        let current = streams[stream] ?? []
        guard current.count == expectedVersion else {
            throw StoreError.recordConflict(stream: stream, expected: expectedVersion, actual: current.count)
        }
        enqueue(outbox, caseID: nil)
        guard !events.isEmpty else { return }
        var numbered = events
        for i in numbered.indices { numbered[i].stream = stream; numbered[i].seq = expectedVersion + i + 1 }
        streams[stream] = current + numbered
    }

    public func appendRecordsAtEnd(stream: String, events: [RecordEvent]) async throws {
        try await appendRecords(stream: stream, expectedVersion: streams[stream]?.count ?? 0, events: events, outbox: [])
    }

    public func records(stream: String) async throws -> [RecordEvent] { streams[stream] ?? [] }
    public func recordsVersion(stream: String) async throws -> Int { streams[stream]?.count ?? 0 }

    public func records(streamPrefix: String) async throws -> [RecordEvent] {
        streams.keys.filter { $0.utf8.starts(with: streamPrefix.utf8) }
            .sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            .flatMap { streams[$0]! }
    }
}

// MARK: - Outbox

extension MemoryStore {
    @discardableResult
    private func enqueue(_ entries: [OutboxEntry], caseID: Int64?) -> [Int64] {
        entries.map { e in
            let id = nextOutboxID
            nextOutboxID += 1
            outboxItems.append(OutboxItem(id: id, caseID: caseID ?? e.caseID, channel: e.channel, notification: e.notification,
                                          createdAt: e.notification.at, nextAttemptAt: e.notification.at))
            return id
        }
    }

    @discardableResult
    public func enqueueNotifications(_ entries: [OutboxEntry]) async throws -> [Int64] { enqueue(entries, caseID: nil) }

    public func dueOutbox(at now: Date, limit: Int) async throws -> [OutboxItem] {
        // A case's items wait for its earlier pending ones on the same channel (case order per channel).
        var first: [String: Int64] = [:]
        for item in outboxItems where item.status == .pending && item.caseID != 0 {
            let key = "\(item.caseID) \(item.channel)"
            first[key] = min(first[key] ?? item.id, item.id)
        }
        return Array(outboxItems.filter {
            $0.status == .pending && $0.nextAttemptAt <= now && ($0.caseID == 0 || first["\($0.caseID) \($0.channel)"] == $0.id)
        }
        .sorted { ($0.nextAttemptAt, $0.id) < ($1.nextAttemptAt, $1.id) }
        .prefix(max(0, limit)))
    }

    public func eventFeed(after cursor: String?, limit: Int) async throws -> EventFeedPage {
        var start = 0
        if let cursor {
            guard let n = Int(cursor), n >= 0, n <= feed.count else { throw StoreError.invalidCursor(cursor) }
            start = n
        }
        let slice = feed[start..<min(feed.count, start + max(0, limit))]
        let events = slice.map { history[$0.caseID]![$0.seq - 1] }
        let end = start + slice.count
        return EventFeedPage(events: events, cursor: end == 0 && cursor == nil ? nil : String(end))
    }

    public func markDelivered(id: Int64, at: Date) async throws {
        guard let i = outboxItems.firstIndex(where: { $0.id == id }), outboxItems[i].status == .pending else { return }
        outboxItems[i].status = .delivered
        outboxItems[i].deliveredAt = at
        outboxItems[i].attempts += 1
    }

    public func markFailed(id: Int64, error: String, nextAttemptAt: Date, giveUp: Bool) async throws {
        guard let i = outboxItems.firstIndex(where: { $0.id == id }), outboxItems[i].status == .pending else { return }
        outboxItems[i].attempts += 1
        outboxItems[i].lastError = error
        outboxItems[i].nextAttemptAt = nextAttemptAt
        if giveUp { outboxItems[i].status = .failed }
    }

    public func outboxCounts() async throws -> [OutboxItem.Status: Int] {
        outboxItems.reduce(into: [:]) { $0[$1.status, default: 0] += 1 }
    }

    public func outbox(status: OutboxItem.Status?, limit: Int) async throws -> [OutboxItem] {
        Array(outboxItems.filter { status == nil || $0.status == status }.prefix(max(0, limit)))
    }

    @discardableResult
    public func retryOutbox(ids: [Int64]?, at: Date) async throws -> Int {
        var changed = 0
        for i in outboxItems.indices {
            let item = outboxItems[i]
            let chosen = ids.map { $0.contains(item.id) && item.status != .delivered } ?? (item.status == .failed)
            guard chosen else { continue }
            outboxItems[i].status = .pending
            outboxItems[i].nextAttemptAt = at
            outboxItems[i].attempts = 0
            changed += 1
        }
        return changed
    }
}

// MARK: - Leases

extension MemoryStore {
    public func acquireLease(_ name: String, holder: String, until: Date, now: Date) async throws -> Bool {
        if let current = leases[name], current.holder != holder, current.until > now { return false }
        leases[name] = (holder, until)
        return true
    }
}

extension CaseOrder {
    /// Whether `a` lists before `b`, for stores that sort in memory.
    public func precedes(_ a: CaseSummary, _ b: CaseSummary) -> Bool {
        switch self {
        case .newest:
            return (a.openedAt, a.id) > (b.openedAt, b.id)
        case .oldest:
            return (a.openedAt, a.id) < (b.openedAt, b.id)
        case .dueFirst:
            switch (a.earliestDue, b.earliestDue) {
            case let (x?, y?) where x != y: return x < y
            case (.some, nil): return true
            case (nil, .some): return false
            default: return (a.openedAt, a.id) < (b.openedAt, b.id)
            }
        }
    }
}

extension CaseQuery {
    /// The query's meaning, in one place, for stores that filter in memory (`key`: the store's lookup key).
    public func matches(_ s: CaseSummary, lookupKey key: LookupKey) -> Bool {
        if let state, s.state != state { return false }
        if let states, !states.contains(s.state) { return false }
        if let unit, s.handlingUnit != unit { return false }
        if let category, s.category != category { return false }
        if let assignee, s.assignee != assignee { return false }
        if let digest = phoneDigest(with: key), s.phoneDigest != digest { return false }
        if openOnly, s.closedAt != nil { return false }
        if let after, (s.openedAt, s.id) <= (after.openedAt, after.id) { return false }
        if let overdueAt {
            guard s.closedAt == nil, let due = s.earliestDue, due < overdueAt else { return false }
        }
        if let openedFrom, s.openedAt < openedFrom { return false }
        if let openedBefore, s.openedAt >= openedBefore { return false }
        if let text, !text.isEmpty, !s.text.contains(text), !s.number.contains(text) { return false }
        return true
    }
}
