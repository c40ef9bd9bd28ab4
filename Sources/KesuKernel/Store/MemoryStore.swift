import Foundation

/// The deterministic in-memory store: for tests and for trying a pack without a database.
/// Same contract as every other store (see the store conformance kit).
public actor MemoryStore: CaseStore {
    private var cases: [Int64: CaseSummary] = [:]
    private var history: [Int64: [Event]] = [:]
    private var numbers: [String: Int64] = [:]
    private var counters: [String: Int] = [:]
    private var nextID: Int64 = 1
    private var packs: [String: PackSnapshot] = [:]
    private var streams: [String: [RecordEvent]] = [:]

    public init() {}

    public func create(
        numberPrefix: String, year: Int,
        build: @Sendable (_ id: Int64, _ number: String) throws -> NewCase
    ) async throws -> CaseSummary {
        let key = "\(numberPrefix)-\(year)"
        let seq = (counters[key] ?? 0) + 1
        let id = nextID
        let number = String(format: "%@-%04d-%06d", numberPrefix, year, seq)
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
        numbers[number] = id
        return summary
    }

    public func append(caseID: Int64, expectedVersion: Int, events: [Event], summary: CaseSummary) async throws {
        guard let current = history[caseID] else { throw StoreError.caseNotFound(caseID) }
        guard current.count == expectedVersion else {
            throw StoreError.conflict(caseID: caseID, expected: expectedVersion, actual: current.count)
        }
        var numbered = events
        for i in numbered.indices { numbered[i].caseID = caseID; numbered[i].seq = expectedVersion + i + 1 }
        history[caseID] = current + numbered
        var s = summary
        s.id = caseID
        s.number = cases[caseID]?.number ?? summary.number
        s.version = expectedVersion + events.count
        cases[caseID] = s
    }

    public func events(caseID: Int64) async throws -> [Event] { history[caseID] ?? [] }
    public func summary(caseID: Int64) async throws -> CaseSummary? { cases[caseID] }
    public func caseID(number: String) async throws -> Int64? { numbers[number] }

    public func list(_ query: CaseQuery) async throws -> [CaseSummary] {
        let all = cases.values.filter { query.matches($0) }.sorted { $0.id < $1.id }
        return Array(all.dropFirst(query.offset).prefix(query.limit))
    }

    public func count(_ query: CaseQuery) async throws -> Int {
        cases.values.filter { query.matches($0) }.count
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

    public func appendRecords(stream: String, expectedVersion: Int, events: [RecordEvent]) async throws {
        let current = streams[stream] ?? []
        guard current.count == expectedVersion else {
            throw StoreError.recordConflict(stream: stream, expected: expectedVersion, actual: current.count)
        }
        guard !events.isEmpty else { return }
        var numbered = events
        for i in numbered.indices { numbered[i].stream = stream; numbered[i].seq = expectedVersion + i + 1 }
        streams[stream] = current + numbered
    }

    public func records(stream: String) async throws -> [RecordEvent] { streams[stream] ?? [] }

    public func records(streamPrefix: String) async throws -> [RecordEvent] {
        streams.keys.filter { $0.utf8.starts(with: streamPrefix.utf8) }
            .sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            .flatMap { streams[$0]! }
    }
}

extension CaseQuery {
    /// The query's meaning, in one place, for stores that filter in memory.
    public func matches(_ s: CaseSummary) -> Bool {
        if let state, s.state != state { return false }
        if let unit, s.handlingUnit != unit { return false }
        if openOnly, s.closedAt != nil { return false }
        if let overdueAt {
            guard s.closedAt == nil, let due = s.earliestDue, due < overdueAt else { return false }
        }
        if let openedFrom, s.openedAt < openedFrom { return false }
        if let openedBefore, s.openedAt >= openedBefore { return false }
        if let text, !text.isEmpty, !s.text.contains(text), !s.number.contains(text) { return false }
        return true
    }
}
